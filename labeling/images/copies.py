"""The copies of images that annotators are served: pixels only.

An imported file keeps whatever its source put in it: EXIF (an ImageDescription can name the
class), a JPEG comment, XMP, an ICC profile with a name, bytes appended after the image, and its
SHA-256 matches the public dataset's file. Annotators therefore never get the file itself but a
copy re-encoded from its upright pixels, always as JPEG, with a random token as ETag. The copy is
made once, by a Celery task when the image joins a round, or on the first request if the task has
not run yet.
"""

from __future__ import annotations

import io
import logging
import warnings
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps

from labeling.images.models import AnnotatorCopy, Image
from labeling.images.services import ALLOWED_FORMATS, _read, _to_rgb, pixels_only

logger = logging.getLogger(__name__)

# Bump when the recipe below changes; copies of an older version are made again on request.
COPY_VERSION = 1
COPY_QUALITY = 92
COPY_THUMBNAIL_QUALITY = 85
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def annotator_copy_render(*, data: bytes, thumbnail_size: int | None = None) -> tuple[bytes, bytes]:
    """The JPEG copy and JPEG thumbnail of an image's bytes: EXIF orientation applied, colours
    converted to sRGB if the file had an ICC profile, transparency flattened onto white, and no
    metadata of any kind."""
    size = thumbnail_size or settings.THUMBNAIL_SIZE
    # Pillow's warnings about the file (a broken EXIF block) were reported when it was stored.
    with (
        warnings.catch_warnings(action="ignore"),
        PILImage.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)) as im,
    ):
        icc_profile = im.info.get("icc_profile")
        upright = ImageOps.exif_transpose(im)
        rgb = _in_srgb(upright, icc_profile) if icc_profile else None
        clean = pixels_only(rgb if rgb is not None else _to_rgb(upright))
    full = io.BytesIO()
    clean.save(full, format="JPEG", quality=COPY_QUALITY, optimize=True)
    clean.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    thumb = io.BytesIO()
    clean.save(thumb, format="JPEG", quality=COPY_THUMBNAIL_QUALITY, optimize=True)
    return full.getvalue(), thumb.getvalue()


def _in_srgb(im: PILImage.Image, icc_profile: bytes) -> PILImage.Image | None:
    """The pixels converted from the embedded profile to sRGB, or None if that cannot be done
    (then the profile is simply dropped)."""
    if im.mode not in ("RGB", "CMYK", "L"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return None


def annotator_copy_current(*, image: Image) -> AnnotatorCopy | None:
    """The image's copy if it is of the current version and its files are in storage."""
    copy = AnnotatorCopy.objects.filter(image=image).first()
    if copy is None or copy.version != COPY_VERSION:
        return None
    names = (copy.file.name, copy.thumbnail.name)
    if not all(name and default_storage.exists(name) for name in names):
        return None  # a wiped media folder: make it again
    return copy


def annotator_copy_create(*, image: Image) -> AnnotatorCopy:
    """The image's current copy, made now if there is none (idempotent; safe to race)."""
    existing = annotator_copy_current(image=image)
    if existing is not None:
        return existing
    full, thumb = annotator_copy_render(data=_read(image.file))
    copy = AnnotatorCopy(image=image, version=COPY_VERSION)
    copy.file.save("copy.jpg", ContentFile(full), save=False)
    copy.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
    try:
        with transaction.atomic():
            # Lock the image so that the worker and a request do not both store a copy.
            Image.objects.select_for_update().filter(pk=image.pk).first()
            winner = annotator_copy_current(image=image)
            if winner is None:
                stale = AnnotatorCopy.objects.filter(image=image).first()
                if stale is not None:  # an older version, or its files are lost
                    stale.delete()
                    transaction.on_commit(lambda: _delete_files(stale))
                copy.save()
    except BaseException:
        _delete_files(copy)
        raise
    if winner is not None:
        _delete_files(copy)
        return winner
    return copy


def _delete_files(copy: AnnotatorCopy) -> None:
    for field in (copy.file, copy.thumbnail):
        if field:
            field.delete(save=False)


def annotator_copies_schedule(*, image_ids: list[int]) -> None:
    """Have the worker make the copies of these images (those still missing), after commit."""
    from labeling.images.tasks import annotator_copies_make

    missing = list(
        Image.objects.filter(pk__in=image_ids, annotator_copy__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(missing), 100):
        chunk = missing[start : start + 100]
        # Robust: an unreachable broker only delays the copies (they are made on request).
        transaction.on_commit(partial(annotator_copies_make.delay, chunk), robust=True)


def annotator_copies_make_for(*, image_ids: list[int]) -> dict[str, int]:
    """Make the missing copies of these images; images whose file cannot be read are logged and
    skipped (a request for them fails the same way, visibly)."""
    made = skipped = 0
    for image in Image.objects.filter(pk__in=image_ids):
        if annotator_copy_current(image=image) is not None:
            continue
        try:
            annotator_copy_create(image=image)
            made += 1
        except (OSError, ValueError) as exc:
            logger.warning("annotator copy of image %s not made: %s", image.pk, exc)
            skipped += 1
    return {"made": made, "skipped": skipped}
