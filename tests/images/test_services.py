"""Images enter the study only whole, once, under an opaque name, and get a thumbnail."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from PIL import Image as PILImage

from labeling.images.models import Image, ReferenceImage
from labeling.images.selectors import (
    image_get_by_public_id,
    references_for_class,
    references_without_thumbnail,
)
from labeling.images.services import (
    DuplicateImage,
    DuplicateReference,
    ImageRejected,
    NewImage,
    ReferenceIsImageToLabel,
    ReferenceLimitReached,
    image_clear_problematic,
    image_create,
    image_inspect,
    image_mark_problematic,
    image_thumbnail_create,
    images_create_bulk,
    reference_image_create,
    reference_thumbnail_create,
)
from tests.helpers import stored_name
from tests.images.factories import (
    make_image,
    picture,
    picture_with_broken_exif,
    v2_source,
    val_source,
)
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db


def open_stored(field) -> PILImage.Image:
    with field.open("rb") as handle:
        im = PILImage.open(io.BytesIO(handle.read()))
        im.load()
        return im


# --- inspecting uploads ---------------------------------------------------------------------


def test_a_whole_jpeg_is_described_by_size_format_and_sha256():
    data = picture(640, 480)
    info = image_inspect(data=data)
    assert (info.width, info.height, info.format) == (640, 480, "JPEG")
    assert len(info.sha256) == 64 and info.sha256 == info.sha256.lower()


def test_a_png_is_accepted_too():
    assert image_inspect(data=picture(50, 40, format="PNG")).format == "PNG"


def test_a_rotated_photo_reports_its_displayed_size():
    info = image_inspect(data=picture(640, 480, exif_orientation=6))
    assert (info.width, info.height) == (480, 640)


def test_a_truncated_jpeg_is_rejected_as_damaged():
    data = picture(640, 480)
    with pytest.raises(ImageRejected, match="damaged or incomplete"):
        image_inspect(data=data[: len(data) // 2])


def test_bytes_that_are_not_an_image_are_rejected():
    with pytest.raises(ImageRejected, match="not an image"):
        image_inspect(data=b"%PDF-1.4 this is not a picture at all")


def test_an_empty_file_is_rejected():
    with pytest.raises(ImageRejected, match="empty"):
        image_inspect(data=b"")


def test_an_image_over_the_pixel_limit_is_rejected_as_too_large(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ImageRejected, match="too large") as caught:
        image_inspect(data=picture(200, 200, format="PNG"))
    assert "40,000 pixels" in caught.value.reason


def test_an_image_just_within_the_pixel_limit_is_accepted(settings):
    settings.IMAGE_MAX_PIXELS = 200 * 200
    assert image_inspect(data=picture(200, 200, format="PNG")).width == 200


def test_pillows_decompression_bomb_warning_is_an_error_not_a_warning(settings, monkeypatch):
    # Pillow warns (only) between its own limit and twice that; the upload must fail instead.
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100 * 100)
    settings.IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(ImageRejected, match="too large"):
        image_inspect(data=picture(150, 100, format="PNG"))


def test_the_bomb_message_quotes_the_configured_limit_not_pillows(settings, monkeypatch):
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100 * 100)
    settings.IMAGE_MAX_PIXELS = 5_000
    with pytest.raises(ImageRejected) as warned:
        image_inspect(data=picture(150, 100, format="PNG"))  # Pillow warns: above its 10,000
    with pytest.raises(ImageRejected) as refused:
        image_inspect(data=picture(300, 300, format="PNG"))  # Pillow refuses: above its 20,000
    for caught in (warned, refused):
        assert "5,000" in caught.value.reason and "IMAGE_MAX_PIXELS" in caught.value.reason
        assert "10000" not in caught.value.reason and "20000" not in caught.value.reason


def test_broken_exif_is_described_in_notes_not_printed(capfd):
    info = image_inspect(data=picture_with_broken_exif())
    assert info.notes and info.notes[0].startswith("Pillow: ")
    assert capfd.readouterr().err == ""


def test_pillows_decompression_bomb_error_is_an_upload_error(settings, monkeypatch):
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100 * 100)
    settings.IMAGE_MAX_PIXELS = 10 * 100 * 100  # ours allows it; Pillow's hard limit does not
    with pytest.raises(ImageRejected, match="decompression bomb"):
        image_inspect(data=picture(300, 300, format="PNG"))


# --- storing images -------------------------------------------------------------------------


def test_an_image_is_stored_under_an_opaque_path_that_reveals_nothing():
    label = make_class("norfolk")
    image = image_create(
        source=v2_source(),
        original_name="024c53fd8983f39ba674e416ea275a197dbc5b8c",
        original_label=label,
        data=picture(seed=3),
        file_name="024c53fd8983f39ba674e416ea275a197dbc5b8c",
    )
    image.refresh_from_db()
    assert (image.width, image.height) == (640, 480)
    assert image.file.name == f"images/{image.public_id[:2]}/{image.public_id}.jpg"
    for revealing in (label.wnid, "terrier", "Norfolk", "imagenetv2", "024c53fd"):
        assert revealing not in image.file.name
    assert image.file.storage.exists(image.file.name)


def test_the_stored_suffix_comes_from_the_content_not_the_uploaded_name():
    image = image_create(
        source=val_source(),
        original_name="ILSVRC2012_val_00000001.JPEG",
        original_label=make_class("norfolk"),
        data=picture(seed=1, format="PNG"),
        file_name="ILSVRC2012_val_00000001.JPEG",
    )
    assert stored_name(image.file).endswith(".png")


def test_the_same_file_twice_is_a_duplicate_naming_the_stored_image():
    first = make_image(seed=1)
    with pytest.raises(DuplicateImage) as caught:
        image_create(
            source=v2_source(),
            original_name="another-name",
            original_label=make_class("norwich"),
            data=picture(seed=1),
            file_name="x.jpg",
        )
    assert caught.value.existing == first
    assert caught.value.by == "sha256"
    assert Image.objects.count() == 1


def test_the_same_name_in_the_same_source_is_a_duplicate_even_with_other_content():
    first = make_image(seed=1, name="ILSVRC2012_val_00000007.JPEG")
    with pytest.raises(DuplicateImage) as caught:
        make_image(seed=2, name="ILSVRC2012_val_00000007.JPEG")
    assert caught.value.existing == first and caught.value.by == "name"


def test_a_rejected_upload_stores_no_file_and_no_row(media_root):
    with pytest.raises(ImageRejected):
        image_create(
            source=val_source(),
            original_name="broken.JPEG",
            original_label=make_class("norfolk"),
            data=picture()[:500],
            file_name="broken.JPEG",
        )
    assert Image.objects.count() == 0
    assert not (media_root / "images").exists()


def test_an_image_label_must_be_an_imagenet_class_not_an_ancestor():
    with pytest.raises(ValidationError, match="not one of the 1000"):
        make_image(label=make_ancestor())


def test_the_thumbnail_task_is_scheduled_for_after_the_commit(
    django_capture_on_commit_callbacks, eager
):
    with django_capture_on_commit_callbacks(execute=eager) as callbacks:
        image = make_image(seed=5)
    assert len(callbacks) == 1
    if eager:  # with a real worker the row is not committed here: tests/images/test_tasks.py
        image.refresh_from_db()
        assert image.thumbnail


def test_a_rolled_back_upload_schedules_no_thumbnail(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_image(seed=5)
            raise RuntimeError("abort")
    assert callbacks == []


def test_an_image_is_found_by_its_public_id():
    image = make_image()
    assert image_get_by_public_id(public_id=image.public_id) == image
    assert image_get_by_public_id(public_id="nope") is None


# --- thumbnails -----------------------------------------------------------------------------


def test_a_thumbnail_is_a_jpeg_that_fits_the_configured_size(settings):
    settings.THUMBNAIL_SIZE = 128
    image = make_image()
    image_thumbnail_create(image=image)
    image.refresh_from_db()
    thumb = open_stored(image.thumbnail)
    assert thumb.format == "JPEG" and thumb.mode == "RGB"
    assert (thumb.width, thumb.height) == (128, 96)
    assert image.thumbnail.name == f"thumbs/{image.public_id[:2]}/{image.public_id}.jpg"


def test_a_thumbnail_is_upright_when_the_photo_carries_an_exif_rotation():
    image = image_create(
        source=val_source(),
        original_name="rotated.JPEG",
        original_label=make_class("norfolk"),
        data=picture(640, 480, exif_orientation=6),
        file_name="rotated.JPEG",
    )
    image_thumbnail_create(image=image)
    thumb = open_stored(image.thumbnail)
    assert thumb.height > thumb.width


def test_a_transparent_png_gets_a_white_not_black_rgb_thumbnail():
    image = image_create(
        source=val_source(),
        original_name="transparent.png",
        original_label=make_class("norfolk"),
        data=picture(200, 200, format="PNG", mode="RGBA", seed=0),
        file_name="transparent.png",
    )
    image_thumbnail_create(image=image)
    thumb = open_stored(image.thumbnail)
    assert thumb.mode == "RGB"
    pixel = thumb.getpixel((5, 195))
    assert isinstance(pixel, tuple) and min(pixel) > 100  # half-transparent colour over white


def test_making_a_thumbnail_again_changes_nothing_unless_forced():
    image = make_image()
    image_thumbnail_create(image=image)
    first_name = image.thumbnail.name
    image_thumbnail_create(image=Image.objects.get(pk=image.pk))
    assert Image.objects.get(pk=image.pk).thumbnail.name == first_name
    image_thumbnail_create(image=Image.objects.get(pk=image.pk), force=True)
    forced = Image.objects.get(pk=image.pk)
    assert forced.thumbnail.name == first_name  # replaced in place, no second file
    assert forced.thumbnail.storage.exists(stored_name(forced.thumbnail))


def test_a_stale_copy_of_the_row_does_not_make_a_second_thumbnail():
    image = make_image()
    stale = Image.objects.get(pk=image.pk)
    image_thumbnail_create(image=image)
    image_thumbnail_create(image=stale)  # another process had loaded the row before
    assert stale.thumbnail.name == Image.objects.get(pk=image.pk).thumbnail.name


# --- problematic images ---------------------------------------------------------------------


def test_an_image_marked_problematic_keeps_the_reason_until_cleared():
    image = make_image()
    image_mark_problematic(image=image, reason="  a drawing, not a photo ")
    image.refresh_from_db()
    assert image.problematic and image.problematic_reason == "a drawing, not a photo"
    image_clear_problematic(image=image)
    image.refresh_from_db()
    assert not image.problematic and image.problematic_reason == ""


def test_marking_an_image_problematic_needs_a_reason():
    with pytest.raises(ValidationError):
        image_mark_problematic(image=make_image(), reason="   ")


# --- reference images -----------------------------------------------------------------------


def test_reference_images_take_the_next_position_and_get_a_sized_thumbnail(settings):
    settings.THUMBNAIL_SIZE = 100
    norfolk = make_class("norfolk")
    first = reference_image_create(
        synset=norfolk, original_name="n02094114_1.JPEG", data=picture(seed=1)
    )
    second = reference_image_create(
        synset=norfolk, original_name="n02094114_2.JPEG", data=picture(300, 600, seed=2)
    )
    assert (first.position, second.position) == (1, 2)
    reference_thumbnail_create(reference=second)
    second.refresh_from_db()
    assert (second.thumbnail_width, second.thumbnail_height) == (50, 100)
    assert open_stored(second.thumbnail).size == (50, 100)
    assert list(references_for_class(synset=norfolk, limit=1)) == [first]
    assert list(references_without_thumbnail()) == [first]


def test_a_class_cannot_have_more_reference_images_than_the_limit(settings):
    settings.REFERENCE_IMAGES_PER_CLASS = 2
    norfolk = make_class("norfolk")
    for seed in (1, 2):
        reference_image_create(synset=norfolk, original_name=f"{seed}", data=picture(seed=seed))
    with pytest.raises(ReferenceLimitReached, match="already has 2 reference images"):
        reference_image_create(synset=norfolk, original_name="3.JPEG", data=picture(seed=3))
    assert ReferenceImage.objects.filter(synset=norfolk).count() == 2


def test_the_reference_limit_is_per_class(settings):
    settings.REFERENCE_IMAGES_PER_CLASS = 1
    reference_image_create(synset=make_class("norfolk"), original_name="a", data=picture(seed=1))
    reference_image_create(synset=make_class("norwich"), original_name="b", data=picture(seed=2))
    assert ReferenceImage.objects.count() == 2


def test_the_same_reference_file_twice_in_one_class_is_rejected_but_another_class_may_use_it():
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    first = reference_image_create(synset=norfolk, original_name="a", data=picture(seed=1))
    with pytest.raises(DuplicateReference) as caught:
        reference_image_create(synset=norfolk, original_name="again", data=picture(seed=1))
    assert caught.value.existing == first
    reference_image_create(synset=norwich, original_name="a", data=picture(seed=1))


def test_a_taken_reference_position_is_refused():
    norfolk = make_class("norfolk")
    reference_image_create(synset=norfolk, original_name="a", data=picture(seed=1), position=4)
    with pytest.raises(ValidationError, match="position 4"):
        reference_image_create(synset=norfolk, original_name="b", data=picture(seed=2), position=4)


def test_a_file_stored_as_an_image_to_label_cannot_become_a_reference_image():
    image = make_image(seed=5)
    with pytest.raises(ReferenceIsImageToLabel, match=f"stored as image {image.public_id}"):
        reference_image_create(
            synset=make_class("norwich"), original_name="n02094258_1.JPEG", data=picture(seed=5)
        )
    assert ReferenceImage.objects.count() == 0


def test_a_reference_image_cannot_become_an_image_to_label_one_by_one_or_in_bulk():
    norfolk = make_class("norfolk")
    reference_image_create(synset=norfolk, original_name="n02094114_1.JPEG", data=picture(seed=5))
    with pytest.raises(ReferenceIsImageToLabel, match="reference image #1 of n02094114"):
        make_image(seed=5)
    batch = [
        NewImage(
            original_name=f"ILSVRC2012_val_{seed:08d}.JPEG",
            original_label=norfolk,
            data=picture(seed=seed),
            info=image_inspect(data=picture(seed=seed)),
        )
        for seed in (6, 5)
    ]
    with pytest.raises(ReferenceIsImageToLabel, match="delete that reference first"):
        with transaction.atomic():
            images_create_bulk(source=val_source(), images=batch)
    assert Image.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not [path for path in media.rglob("*") if path.is_file() and "images" in path.parts]


def test_a_damaged_reference_image_is_rejected():
    with pytest.raises(ImageRejected):
        reference_image_create(
            synset=make_class("norfolk"), original_name="a", data=picture(seed=1)[:300]
        )
