"""Shape of a class's reference gallery."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from labeling.images.models import ReferenceImage


class ReferenceImageSerializer(serializers.ModelSerializer):
    """One reference image; the thumbnail size is null until its thumbnail has been made."""

    thumbnail_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReferenceImage
        fields = [
            "id",
            "position",
            "thumbnail_url",
            "thumbnail_width",
            "thumbnail_height",
            "url",
            "width",
            "height",
        ]

    def _absolute(self, name: str, reference: ReferenceImage) -> str:
        path = reverse(name, args=[reference.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_thumbnail_url(self, reference: ReferenceImage) -> str:
        # Valid even before the thumbnail exists: the file view makes a missing one on demand.
        return self._absolute("images:reference-thumbnail", reference)

    def get_url(self, reference: ReferenceImage) -> str:
        return self._absolute("images:reference-file", reference)


class ClassReferencesSerializer(serializers.Serializer):
    """For the OpenAPI schema: the view builds this dictionary itself."""

    wnid = serializers.CharField()
    count = serializers.IntegerField(help_text="reference images the class has")
    limit = serializers.IntegerField(help_text="at most this many are listed (per class)")
    results = ReferenceImageSerializer(many=True)
