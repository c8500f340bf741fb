"""Reads for images and reference images."""

from __future__ import annotations

from django.db.models import QuerySet

from labeling.images.models import Image, ImageSource, ReferenceImage
from labeling.taxonomy.models import Synset


def image_get_by_public_id(*, public_id: str) -> Image | None:
    return (
        Image.objects.select_related("source", "original_label").filter(public_id=public_id).first()
    )


def image_get_by_sha256(*, sha256: str) -> Image | None:
    return Image.objects.select_related("source").filter(sha256=sha256.lower()).first()


def image_source_get(*, slug: str) -> ImageSource | None:
    return ImageSource.objects.filter(slug=slug).first()


def images_without_thumbnail() -> QuerySet[Image]:
    return Image.objects.filter(thumbnail="")


def references_for_class(*, synset: Synset, limit: int | None = None) -> QuerySet[ReferenceImage]:
    """The class's reference gallery in display order, the first `limit` of it if given."""
    references = ReferenceImage.objects.filter(synset=synset).order_by("position")
    return references[:limit] if limit is not None else references


def reference_count_for_class(*, synset: Synset) -> int:
    return ReferenceImage.objects.filter(synset=synset).count()


def references_without_thumbnail() -> QuerySet[ReferenceImage]:
    return ReferenceImage.objects.filter(thumbnail="")
