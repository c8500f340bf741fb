"""A class's reference gallery: the training images labelers compare an image with."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.images.serializers import ClassReferencesSerializer, ReferenceImageSerializer
from api.schema import error_responses
from labeling.accounts.permissions import HasAnyRole
from labeling.images.gallery import reference_thumbnails_enqueue_missing
from labeling.images.selectors import reference_count_for_class, references_for_class
from labeling.taxonomy.selectors import class_get_or_404


class ClassReferencesView(APIView):
    """The class's reference images in gallery order, at most REFERENCE_IMAGES_PER_CLASS.

    Thumbnails not made yet are requested from the worker; their URLs work anyway (the file view
    makes a missing thumbnail on demand), but their sizes are null until then.
    """

    permission_classes = [IsAuthenticated, HasAnyRole]

    @extend_schema(responses={200: ClassReferencesSerializer, **error_responses(401, 403, 404)})
    def get(self, request: Request, wnid: str) -> Response:
        synset = class_get_or_404(wnid=wnid)
        limit = settings.REFERENCE_IMAGES_PER_CLASS
        references = list(references_for_class(synset=synset, limit=limit))
        reference_thumbnails_enqueue_missing(references=references)
        # A short list is the whole gallery; only a full one needs counting.
        count = len(references) if len(references) < limit else None
        return Response(
            {
                "wnid": synset.wnid,
                "count": reference_count_for_class(synset=synset) if count is None else count,
                "limit": limit,
                "results": ReferenceImageSerializer(
                    references, many=True, context={"request": request}
                ).data,
            }
        )
