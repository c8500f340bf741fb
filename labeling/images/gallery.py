"""A class's reference gallery as pages show it, and asking the worker for missing thumbnails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from labeling.images.models import ReferenceImage
from labeling.images.selectors import references_first_for_classes, references_for_class
from labeling.taxonomy.models import Synset

# Enqueue a missing thumbnail at most this often per reference (and process): a gallery opened by
# many labelers at once must not flood the queue with the same idempotent task.
THUMBNAIL_ENQUEUE_EVERY = 300  # seconds


@dataclass(frozen=True)
class GalleryItem:
    id: int
    position: int
    thumbnail_url: str
    thumbnail_width: int
    thumbnail_height: int
    url: str
    width: int
    height: int


def thumbnail_size_estimate(width: int, height: int, size: int | None = None) -> tuple[int, int]:
    """The size a thumbnail will have (within a pixel): reserves its box in the page's layout."""
    size = size or settings.THUMBNAIL_SIZE
    scale = min(size / width, size / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def gallery_for_class(*, synset: Synset, limit: int | None = None) -> list[GalleryItem]:
    """The class's reference images in gallery order, at most REFERENCE_IMAGES_PER_CLASS (or
    `limit`).

    Missing thumbnails are requested from the worker; their URLs work anyway (the file view makes
    a missing thumbnail on demand).
    """
    limit = min(limit or settings.REFERENCE_IMAGES_PER_CLASS, settings.REFERENCE_IMAGES_PER_CLASS)
    return gallery_items(references=list(references_for_class(synset=synset, limit=limit)))


def gallery_previews(*, wnids: list[str], per_class: int) -> dict[str, list[GalleryItem]]:
    """The first `per_class` reference images of each class, by wnid (one query for them all):
    the few thumbnails the labeling picker shows beside each search result."""
    references = references_first_for_classes(wnids=wnids, per_class=per_class)
    previews: dict[str, list[GalleryItem]] = {wnid: [] for wnid in wnids}
    for reference, item in zip(references, gallery_items(references=references), strict=True):
        previews[reference.wnid].append(item)
    return previews


def gallery_items(*, references: Sequence[ReferenceImage]) -> list[GalleryItem]:
    """Gallery entries with the thumbnail's box known (or estimated) before it loads."""
    reference_thumbnails_enqueue_missing(references=references)
    items = []
    for reference in references:
        if reference.thumbnail and reference.thumbnail_width and reference.thumbnail_height:
            thumb_size = (reference.thumbnail_width, reference.thumbnail_height)
        else:
            thumb_size = thumbnail_size_estimate(reference.width, reference.height)
        items.append(
            GalleryItem(
                id=reference.pk,
                position=reference.position,
                thumbnail_url=reverse("images:reference-thumbnail", args=[reference.pk]),
                thumbnail_width=thumb_size[0],
                thumbnail_height=thumb_size[1],
                url=reverse("images:reference-file", args=[reference.pk]),
                width=reference.width,
                height=reference.height,
            )
        )
    return items


def reference_thumbnails_enqueue_missing(*, references: Sequence[ReferenceImage]) -> list[int]:
    """Ask the worker for the thumbnails not made yet, once the current transaction commits.

    Returns the ids enqueued (those asked for within THUMBNAIL_ENQUEUE_EVERY are skipped).
    """
    from labeling.images.tasks import reference_thumbnail_make

    enqueued = []
    for reference in references:
        if reference.thumbnail:
            continue
        if not cache.add(
            f"reference-thumbnail-enqueued:{reference.pk}", 1, THUMBNAIL_ENQUEUE_EVERY
        ):
            continue

        def enqueue(reference_id: int = reference.pk) -> None:
            reference_thumbnail_make.delay(reference_id)

        # Robust: an unreachable broker costs only the early thumbnail, never the page.
        transaction.on_commit(enqueue, robust=True)
        enqueued.append(reference.pk)
    return enqueued
