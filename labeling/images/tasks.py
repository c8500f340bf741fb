"""Background work on images. Tasks take ids, load the row, and call a service; all idempotent."""

from __future__ import annotations

import logging
import os

from celery import shared_task

from labeling.images.copies import annotator_copies_make_for
from labeling.images.models import Image, ReferenceImage
from labeling.images.services import image_thumbnail_create, reference_thumbnail_create

logger = logging.getLogger(__name__)


@shared_task
def image_thumbnail_make(image_id: int) -> dict:
    """Make the thumbnail of one image. The pid in the result tells which process did it."""
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        # Deleted between scheduling and running (or a rolled-back upload): nothing to do.
        logger.warning("image_thumbnail_make: no image with id %s; ignored", image_id)
        return {"image_id": image_id, "created": False, "missing": True, "pid": os.getpid()}
    had_thumbnail = bool(image.thumbnail)
    image_thumbnail_create(image=image)
    return {"image_id": image_id, "created": not had_thumbnail, "pid": os.getpid()}


@shared_task
def reference_thumbnail_make(reference_id: int) -> dict:
    """Make the thumbnail of one reference image."""
    reference = ReferenceImage.objects.filter(pk=reference_id).first()
    if reference is None:
        logger.warning(
            "reference_thumbnail_make: no reference image with id %s; ignored", reference_id
        )
        return {"reference_id": reference_id, "created": False, "missing": True, "pid": os.getpid()}
    had_thumbnail = bool(reference.thumbnail)
    reference_thumbnail_create(reference=reference)
    return {"reference_id": reference_id, "created": not had_thumbnail, "pid": os.getpid()}


@shared_task
def annotator_copies_make(image_ids: list[int]) -> dict:
    """Make the metadata-free copies annotators are served, for these images (idempotent)."""
    return {**annotator_copies_make_for(image_ids=image_ids), "pid": os.getpid()}
