"""A class's reference gallery: the training images labelers compare an image with."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.images.serializers import (
    ClassReferencesSerializer,
    ReferenceImageSerializer,
    ReferencePreviewParamsSerializer,
    ReferencePreviewsSerializer,
)
from api.schema import error_responses
from labeling.accounts.permissions import HasAnyRole
from labeling.images.gallery import gallery_previews, reference_thumbnails_enqueue_missing
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


class ReferencePreviewsView(APIView):
    """The first few reference thumbnails of several classes at once: what the labeling picker
    shows beside each search result. Unknown wnids and classes without references get `[]`."""

    permission_classes = [IsAuthenticated, HasAnyRole]

    @extend_schema(
        parameters=[ReferencePreviewParamsSerializer],
        responses={
            200: ReferencePreviewsSerializer,
            400: OpenApiTypes.OBJECT,
            **error_responses(401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        params = ReferencePreviewParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        previews = gallery_previews(
            wnids=params.validated_data["wnids"], per_class=params.validated_data["per_class"]
        )
        return Response(
            {
                "results": {
                    wnid: [
                        {
                            "thumbnail_url": request.build_absolute_uri(item.thumbnail_url),
                            "thumbnail_width": item.thumbnail_width,
                            "thumbnail_height": item.thumbnail_height,
                            "url": request.build_absolute_uri(item.url),
                            "width": item.width,
                            "height": item.height,
                        }
                        for item in items
                    ]
                    for wnid, items in previews.items()
                }
            }
        )
