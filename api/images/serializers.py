"""Shape of a class's reference gallery."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from labeling.images.models import ReferenceImage
from labeling.taxonomy.text import is_wnid

PREVIEW_WNIDS_MAX = 50  # a page of search results, with room to spare
PREVIEW_PER_CLASS_MAX = 10


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


class ReferencePreviewParamsSerializer(serializers.Serializer):
    """Query parameters of the previews endpoint (validated by the view, documented by it)."""

    wnids = serializers.CharField(
        max_length=PREVIEW_WNIDS_MAX * 10, help_text=f"comma-separated, at most {PREVIEW_WNIDS_MAX}"
    )
    per_class = serializers.IntegerField(
        min_value=1, max_value=PREVIEW_PER_CLASS_MAX, default=3, required=False
    )

    def validate_wnids(self, value: str) -> list[str]:
        wnids = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not wnids:
            raise serializers.ValidationError("Give at least one wnid.")
        if len(wnids) > PREVIEW_WNIDS_MAX:
            raise serializers.ValidationError(f"At most {PREVIEW_WNIDS_MAX} wnids.")
        malformed = [wnid for wnid in wnids if not is_wnid(wnid)]
        if malformed:
            raise serializers.ValidationError(f"Not a wnid: {', '.join(malformed[:5])}.")
        return wnids


class ReferencePreviewSerializer(serializers.Serializer):
    thumbnail_url = serializers.CharField()
    thumbnail_width = serializers.IntegerField(help_text="estimated until the thumbnail is made")
    thumbnail_height = serializers.IntegerField()
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class ReferencePreviewsSerializer(serializers.Serializer):
    """For the OpenAPI schema: `results` maps each requested wnid to its first thumbnails."""

    results = serializers.DictField(child=ReferencePreviewSerializer(many=True))
