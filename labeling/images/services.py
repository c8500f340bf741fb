"""Writes for images and reference images: checking uploads, storing files, making thumbnails."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from labeling.images.models import BUILTIN_SOURCES, Image, ImageSource, ReferenceImage
from labeling.images.selectors import image_clashes_find, reference_clashes_find
from labeling.importing.batch import chunked
from labeling.taxonomy.models import Synset

logger = logging.getLogger(__name__)

# Only formats a browser shows and Pillow decodes safely in-process; this also keeps Pillow away
# from plugins such as EPS that would hand the file to an external program.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
FORMAT_SUFFIXES = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "GIF": ".gif",
    "BMP": ".bmp",
    "TIFF": ".tif",
}
# EXIF orientations that rotate by 90° or 270°, i.e. swap width and height when displayed.
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}
_EXIF_ORIENTATION = 0x0112
THUMBNAIL_QUALITY = 85


class ImageRejected(Exception):
    """The bytes are not an image this app accepts. The message says why, for a person."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DuplicateImage(Exception):
    """The image is already stored: same content (SHA-256), or same name in the same source."""

    def __init__(self, existing: Image, *, by: str = "sha256"):
        self.existing = existing
        self.by = by
        if by == "sha256":
            message = f"the same file is already stored as image {existing.public_id}"
        else:
            message = (
                f"{existing.source.slug} already has an image named {existing.original_name!r} "
                f"({existing.public_id})"
            )
        super().__init__(message)


class DuplicateReference(Exception):
    """The class already has this reference image (same SHA-256)."""

    def __init__(self, existing: ReferenceImage):
        self.existing = existing
        super().__init__(
            f"{existing.synset.wnid} already has this file as reference image "
            f"#{existing.position} ({existing.original_name})"
        )


class ReferenceIsImageToLabel(Exception):
    """One file would be both an image to label and a reference image. The gallery of the
    reference's class would then show annotators the very image they label, and its class is the
    answer; so neither may be stored while the other is."""

    def __init__(self, message: str):
        super().__init__(message)


def _raise_if_reference(*, sha256s: Iterable[str]) -> None:
    clashes = image_clashes_find(sha256s=sha256s)
    if clashes:
        raise ReferenceIsImageToLabel(next(iter(clashes.values())))


class ReferenceLimitReached(Exception):
    """The class already has settings.REFERENCE_IMAGES_PER_CLASS reference images."""

    def __init__(self, synset: Synset, limit: int):
        self.synset = synset
        self.limit = limit
        super().__init__(
            f"{synset.display_name} ({synset.wnid}) already has {limit} reference images, the "
            f"most allowed per class (REFERENCE_IMAGES_PER_CLASS); delete one before adding another"
        )


@dataclass(frozen=True)
class ImageInfo:
    width: int  # as displayed, i.e. after the EXIF orientation is applied
    height: int
    format: str  # Pillow's name: "JPEG", "PNG", …
    sha256: str
    notes: tuple[str, ...] = ()  # what Pillow warned about a readable file (a broken EXIF block)

    @property
    def suffix(self) -> str:
        return FORMAT_SUFFIXES.get(self.format, "")


def image_inspect(*, data: bytes) -> ImageInfo:
    """Check that `data` is a whole, decodable image of sane size, and describe it.

    Raises ImageRejected with a message fit to show the uploader.
    """
    if not data:
        raise ImageRejected("The file is empty.")
    max_pixels = settings.IMAGE_MAX_PIXELS
    width = height = 0
    with warnings.catch_warnings(record=True) as caught:
        # Pillow's other warnings (a broken EXIF block: "Truncated File Read", …) are recorded
        # and returned as notes rather than printed on stderr in the middle of an import.
        warnings.simplefilter("always")
        # Pillow warns between its MAX_IMAGE_PIXELS and twice that, and only raises beyond: a bomb
        # must be an error. (Our own limit governs; if it is set above Pillow's, the warning is
        # moot and Pillow's error at twice its limit is the ceiling.)
        bomb_warning: Literal["error", "ignore"] = (
            "error" if max_pixels <= (PILImage.MAX_IMAGE_PIXELS or 0) else "ignore"
        )
        warnings.simplefilter(bomb_warning, PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)) as im:
                width, height = im.size
                # Check the header's size before decoding a single pixel.
                if width * height > max_pixels:
                    raise ImageRejected(_too_large(width, height, max_pixels))
                image_format = im.format or ""
                orientation = _orientation(im)
                im.load()  # decodes every pixel: truncated or corrupt files fail here
        except ImageRejected:
            raise
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            raise ImageRejected(_bomb(exc, max_pixels)) from None
        except UnidentifiedImageError:
            raise ImageRejected(
                f"The file is not an image in a supported format ({', '.join(ALLOWED_FORMATS)})."
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # Pillow reports truncated and corrupt data with these.
            raise ImageRejected(
                f"The image is damaged or incomplete and cannot be read ({exc})."
            ) from None
    notes = tuple(dict.fromkeys(f"Pillow: {warning.message}" for warning in caught))
    if width <= 0 or height <= 0:
        raise ImageRejected("The image has no pixels.")
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    return ImageInfo(
        width=width,
        height=height,
        format=image_format,
        sha256=hashlib.sha256(data).hexdigest(),
        notes=notes,
    )


_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


def _bomb(exc: Exception, max_pixels: int) -> str:
    """The message for Pillow's bomb error or warning, quoting our limit, not Pillow's (unless
    ours is above Pillow's hard ceiling, twice its MAX_IMAGE_PIXELS, which then refused it)."""
    if PILImage.MAX_IMAGE_PIXELS and isinstance(exc, PILImage.DecompressionBombError):
        max_pixels = min(max_pixels, 2 * PILImage.MAX_IMAGE_PIXELS)
    found = _PILLOW_PIXELS.search(str(exc))
    size = f"{int(found.group(1)):,} pixels, " if found else ""
    return (
        f"The image is too large to decode safely (a possible decompression bomb): {size}more "
        f"than the {max_pixels:,} allowed (IMAGE_MAX_PIXELS)."
    )


def _too_large(width: int, height: int, max_pixels: int) -> str:
    return (
        f"The image is too large: {width} x {height} = {width * height:,} pixels, "
        f"more than the {max_pixels:,} allowed."
    )


def _orientation(im: PILImage.Image) -> int:
    try:
        return int(im.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block must not reject an otherwise fine image
        return 1


def _require_class(synset: Synset, what: str) -> None:
    if synset.class_index is None:
        raise ValidationError(
            f"{synset.wnid} ({synset.name}) is not one of the 1000 ImageNet classes; "
            f"{what} must be a class."
        )


def _stored_name(file_name: str, info: ImageInfo) -> str:
    # Only the suffix reaches storage (upload_to names files by opaque ids); take it from the
    # decoded format, not from what the uploader called the file.
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "image"
    return f"{stem}{info.suffix}"


def image_create(
    *,
    source: ImageSource,
    original_name: str,
    original_label: Synset,
    data: bytes,
    file_name: str = "",
) -> Image:
    """Store a new image to label and schedule its thumbnail.

    Raises ImageRejected for bad files, DuplicateImage when the same file (SHA-256) or the same
    name in this source is already stored, and ReferenceIsImageToLabel when the file is a
    reference image.
    """
    original_name = original_name.strip()
    if not original_name:
        raise ValidationError("An image needs its original name (file name or ImageNetV2 id).")
    _require_class(original_label, "an image's original label")
    info = image_inspect(data=data)
    _raise_if_duplicate(source=source, original_name=original_name, sha256=info.sha256)
    _raise_if_reference(sha256s=[info.sha256])

    image = Image(
        source=source,
        original_name=original_name,
        original_label=original_label,
        width=info.width,
        height=info.height,
        sha256=info.sha256,
    )
    image.file.save(_stored_name(file_name or original_name, info), ContentFile(data), save=False)
    try:
        with transaction.atomic():
            image.save()
    except IntegrityError:
        # Lost a race with a concurrent upload of the same image: keep theirs.
        image.file.delete(save=False)
        _raise_if_duplicate(source=source, original_name=original_name, sha256=info.sha256)
        raise
    except BaseException:
        image.file.delete(save=False)
        raise
    _schedule_image_thumbnail(image.pk)
    return image


def _raise_if_duplicate(*, source: ImageSource, original_name: str, sha256: str) -> None:
    existing = Image.objects.select_related("source").filter(sha256=sha256).first()
    if existing is not None:
        raise DuplicateImage(existing, by="sha256")
    existing = (
        Image.objects.select_related("source")
        .filter(source=source, original_name=original_name)
        .first()
    )
    if existing is not None:
        raise DuplicateImage(existing, by="name")


def _schedule_image_thumbnail(image_id: int) -> None:
    from labeling.images.tasks import image_thumbnail_make

    # After commit, so the worker finds the row; robust, so an unreachable broker only costs the
    # thumbnail (which can be made again) and not the upload.
    transaction.on_commit(lambda: image_thumbnail_make.delay(image_id), robust=True)


def _schedule_reference_thumbnail(reference_id: int) -> None:
    from labeling.images.tasks import reference_thumbnail_make

    transaction.on_commit(lambda: reference_thumbnail_make.delay(reference_id), robust=True)


def thumbnail_render(*, data: bytes, size: int | None = None) -> tuple[bytes, int, int]:
    """A JPEG thumbnail of `data` that fits in a size-by-size square, upright, in RGB."""
    size = size or settings.THUMBNAIL_SIZE
    # The bytes were inspected when stored, which reported Pillow's warnings (a broken EXIF
    # block) as notes: they must not reach stderr again from here.
    with (
        warnings.catch_warnings(action="ignore"),
        PILImage.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)) as im,
    ):
        if im.format == "JPEG":
            im.draft("RGB", (size * 2, size * 2))  # decode at a reduced scale: much faster
        upright = ImageOps.exif_transpose(im)
        rgb = pixels_only(_to_rgb(upright))
    rgb.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue(), rgb.width, rgb.height


def pixels_only(im: PILImage.Image) -> PILImage.Image:
    """The same pixels in a new image that carries nothing else: Pillow's JPEG encoder writes the
    source's comment (COM segment) back from `info` unless told otherwise, and EXIF, XMP or an
    ICC profile could follow the same way."""
    return PILImage.frombytes(im.mode, im.size, im.tobytes())


def _to_rgb(im: PILImage.Image) -> PILImage.Image:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        # Transparent areas become white rather than the black a plain convert gives.
        rgba = im.convert("RGBA")
        background = PILImage.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return im.point(lambda value: value / 256).convert("L").convert("RGB")
    return im.convert("RGB")


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def image_thumbnail_create(*, image: Image, force: bool = False) -> Image:
    """Make and store the image's thumbnail; a no-op when it has one, unless `force`."""
    if image.thumbnail and not force:
        return image
    thumb, _, _ = thumbnail_render(data=_read(image.file))
    with transaction.atomic():
        # Lock so that the worker and a direct call (the demo, an admin action) do not both store
        # a thumbnail for the same image.
        locked = Image.objects.select_for_update().get(pk=image.pk)
        if locked.thumbnail and not force:
            image.thumbnail = locked.thumbnail
            return image
        if locked.thumbnail:
            locked.thumbnail.delete(save=False)
        locked.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
        locked.save(update_fields=["thumbnail"])
    image.thumbnail = locked.thumbnail
    return image


@transaction.atomic
def reference_image_create(
    *,
    synset: Synset,
    original_name: str,
    data: bytes,
    position: int | None = None,
) -> ReferenceImage:
    """Add a reference image to a class's gallery, at `position` or after the last one.

    Raises ImageRejected, DuplicateReference, ReferenceLimitReached, ReferenceIsImageToLabel, or
    ValidationError for a position that is taken or a synset that is not a class.
    """
    _require_class(synset, "a reference image's class")
    info = image_inspect(data=data)
    for clash in reference_clashes_find(sha256s=[info.sha256]).values():
        raise ReferenceIsImageToLabel(clash)
    # Lock the class so that concurrent uploads cannot both take the last slot or one position.
    Synset.objects.select_for_update().filter(pk=synset.pk).first()
    existing = (
        ReferenceImage.objects.select_related("synset")
        .filter(synset=synset, sha256=info.sha256)
        .first()
    )
    if existing is not None:
        raise DuplicateReference(existing)
    references = ReferenceImage.objects.filter(synset=synset)
    limit = settings.REFERENCE_IMAGES_PER_CLASS
    if references.count() >= limit:
        raise ReferenceLimitReached(synset, limit)
    if position is None:
        position = (references.aggregate(last=Max("position"))["last"] or 0) + 1
    elif references.filter(position=position).exists():
        raise ValidationError(
            f"{synset.wnid} already has a reference image at position {position}."
        )

    reference = ReferenceImage(
        synset=synset,
        position=position,
        original_name=original_name.strip() or f"reference-{position}",
        sha256=info.sha256,
        width=info.width,
        height=info.height,
    )
    reference.file.save(_stored_name(original_name, info), ContentFile(data), save=False)
    try:
        with transaction.atomic():
            reference.save()
    except BaseException:
        reference.file.delete(save=False)
        raise
    _schedule_reference_thumbnail(reference.pk)
    return reference


def reference_thumbnail_create(*, reference: ReferenceImage, force: bool = False) -> ReferenceImage:
    """Make and store a reference image's thumbnail and its size; idempotent unless `force`."""
    if reference.thumbnail and not force:
        return reference
    thumb, width, height = thumbnail_render(data=_read(reference.file))
    with transaction.atomic():
        locked = (
            ReferenceImage.objects.select_for_update().select_related("synset").get(pk=reference.pk)
        )
        if not (locked.thumbnail and not force):
            if locked.thumbnail:
                locked.thumbnail.delete(save=False)
            locked.thumbnail.save("thumb.jpg", ContentFile(thumb), save=False)
            locked.thumbnail_width = width
            locked.thumbnail_height = height
            locked.save(update_fields=["thumbnail", "thumbnail_width", "thumbnail_height"])
    reference.thumbnail = locked.thumbnail
    reference.thumbnail_width = locked.thumbnail_width
    reference.thumbnail_height = locked.thumbnail_height
    return reference


def image_mark_problematic(*, image: Image, reason: str) -> Image:
    """Exclude the image from scoring (broken, ambiguous, not a photo…), saying why."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the image is problematic.")
    image.problematic = True
    image.problematic_reason = reason
    image.save(update_fields=["problematic", "problematic_reason"])
    return image


def image_clear_problematic(*, image: Image) -> Image:
    image.problematic = False
    image.problematic_reason = ""
    image.save(update_fields=["problematic", "problematic_reason"])
    return image


def image_sources_ensure_builtin() -> None:
    """Create the standard ImageNet and ImageNetV2 sources if they are missing."""
    for slug, name, dataset in BUILTIN_SOURCES:
        ImageSource.objects.get_or_create(slug=slug, defaults={"name": name, "dataset": dataset})


def images_mark_problematic(*, image_ids, reason: str) -> int:
    """Mark many images problematic (excluded from scoring) at once, saying why.

    Images already problematic keep their own reason. Returns how many were marked.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the images are problematic.")
    marked = 0
    for chunk in chunked(image_ids, 5000):  # SQLite takes at most 32,766 parameters
        marked += Image.objects.filter(pk__in=chunk, problematic=False).update(
            problematic=True, problematic_reason=reason
        )
    return marked


@dataclass(frozen=True)
class NewImage:
    """An image to store in bulk: its bytes as inspected, and its thumbnail if already made."""

    original_name: str
    original_label: Synset
    data: bytes
    info: ImageInfo  # image_inspect(data=data), done by the caller (e.g. in a process pool)
    file_name: str = ""
    thumbnail: bytes | None = None


def images_create_bulk(*, source: ImageSource, images: list[NewImage]) -> list[Image]:
    """Store many checked images at once: files first, then the rows in one bulk insert.

    For imports of thousands of images, where image_create's per-image duplicate queries, second
    decode and thumbnail task would cost more than the rest together. The caller has inspected
    every image (the SHA-256 is checked against the bytes here) and sorted out the ones stored
    already; the unique constraints still refuse a duplicate (IntegrityError), and a file that is
    a reference image is refused (ReferenceIsImageToLabel), and then the files written here are
    deleted again. Images given without a thumbnail get the usual task. Run it
    in a transaction; if that rolls back, the caller deletes the files of the returned images.
    """
    rows: list[Image] = []
    try:
        _raise_if_reference(sha256s=[new.info.sha256 for new in images])
        for new in images:
            original_name = new.original_name.strip()
            if not original_name:
                raise ValidationError("An image needs its original name.")
            _require_class(new.original_label, "an image's original label")
            info = new.info
            if hashlib.sha256(new.data).hexdigest() != info.sha256:
                info = image_inspect(data=new.data)  # not the bytes inspected: inspect these
                _raise_if_reference(sha256s=[info.sha256])
            image = Image(
                source=source,
                original_name=original_name,
                original_label=new.original_label,
                width=info.width,
                height=info.height,
                sha256=info.sha256,
            )
            rows.append(image)
            name = _stored_name(new.file_name or original_name, info)
            image.file.save(name, ContentFile(new.data), save=False)
            if new.thumbnail is not None:
                image.thumbnail.save("thumb.jpg", ContentFile(new.thumbnail), save=False)
        with transaction.atomic():
            Image.objects.bulk_create(rows)
    except BaseException:
        for image in rows:
            for field in (image.file, image.thumbnail):
                if field:
                    field.delete(save=False)
        raise
    for image, new in zip(rows, images, strict=True):
        if new.thumbnail is None:
            _schedule_image_thumbnail(image.pk)
    return rows


def stored_files_delete(*, names: Iterable[str]) -> int:
    """Delete these files from storage (those already gone count as deleted); how many were."""
    deleted = 0
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s from storage", name, exc_info=True)
            continue
        deleted += 1
    return deleted


def stored_files_delete_on_commit(*, names: Iterable[str]) -> None:
    """Delete the files of a deleted row once its deletion commits (not before: a rollback
    brings the row back, and it must find its files)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: stored_files_delete(names=names), robust=True)
