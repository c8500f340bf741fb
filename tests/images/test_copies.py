"""Annotators' copies of images carry pixels and nothing else, and are made once."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageCms

from labeling.images.copies import (
    annotator_copies_make_for,
    annotator_copy_create,
    annotator_copy_render,
)
from labeling.images.models import AnnotatorCopy, Image
from labeling.images.services import image_create, thumbnail_render
from labeling.images.tasks import annotator_copies_make
from tests.helpers import stored_name, wait_until
from tests.images.factories import make_image, picture, probe_picture, val_source
from tests.taxonomy.factories import make_class

SECRET = "n02094258 ILSVRC2012_val_00038768.JPEG"


def rgb(im: PILImage.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = im.getpixel(xy)
    assert isinstance(pixel, tuple)  # an RGB picture
    return pixel


def hidden_text(data: bytes) -> list[bytes]:
    return [part for part in (b"n02094258", b"ILSVRC2012", b"00038768") if part in data]


def test_the_probe_really_hides_the_secret_in_its_metadata_and_trailing_bytes():
    data = probe_picture(SECRET)
    assert data.count(b"n02094258") == 6
    with PILImage.open(io.BytesIO(data)) as im:
        assert {"exif", "comment", "xmp"} <= set(im.info)


def test_the_copy_keeps_the_upright_pixels_and_nothing_else():
    full, thumb = annotator_copy_render(data=probe_picture(SECRET), thumbnail_size=64)
    assert hidden_text(full) == [] and hidden_text(thumb) == []
    for data, size in ((full, (240, 320)), (thumb, (48, 64))):
        with PILImage.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG" and im.size == size  # EXIF orientation 6 applied
            assert not {"exif", "comment", "xmp", "icc_profile"} & set(im.info)
            assert im.getexif() == {}
        assert data.endswith(b"\xff\xd9")  # nothing after the end of the image
    with PILImage.open(io.BytesIO(full)) as im:
        # The top-left yellow block of the stored picture is at the top right once upright.
        assert rgb(im, (230, 10))[2] < 60 and rgb(im, (10, 10))[2] > 120


def test_transparency_is_flattened_onto_white_in_a_jpeg():
    full, _ = annotator_copy_render(data=picture(40, 30, format="PNG", mode="RGBA"))
    with PILImage.open(io.BytesIO(full)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"


def test_a_colour_profile_is_applied_and_dropped():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    PILImage.new("RGB", (20, 20), (200, 30, 30)).save(out, "JPEG", icc_profile=profile)
    full, _ = annotator_copy_render(data=out.getvalue())
    with PILImage.open(io.BytesIO(full)) as im:
        assert "icc_profile" not in im.info
        red, green, blue = rgb(im, (10, 10))
        assert red > 180 and green < 60 and blue < 60


def test_the_regular_thumbnail_drops_the_jpeg_comment_too():
    thumb, _, _ = thumbnail_render(data=probe_picture(SECRET), size=64)
    assert hidden_text(thumb) == []


@pytest.mark.django_db
def test_a_copy_is_made_once_with_a_random_token_and_reused():
    image = image_create(
        source=val_source(),
        original_name="ILSVRC2012_val_00038768.JPEG",
        original_label=make_class("norwich"),
        data=probe_picture(SECRET),
    )
    copy = annotator_copy_create(image=image)
    assert annotator_copy_create(image=image).pk == copy.pk
    assert len(copy.token) == 32 and copy.token not in (image.sha256, image.public_id)
    for field in (copy.file, copy.thumbnail):
        assert image.public_id not in stored_name(field)
        with default_storage.open(stored_name(field), "rb") as handle:
            assert hidden_text(handle.read()) == []


@pytest.mark.django_db
def test_a_copy_lost_from_storage_is_made_again():
    image = make_image(seed=3)
    copy = annotator_copy_create(image=image)
    default_storage.delete(stored_name(copy.file))
    again = annotator_copy_create(image=image)
    assert again.pk != copy.pk and default_storage.exists(stored_name(again.file))
    assert AnnotatorCopy.objects.filter(image=image).count() == 1


@pytest.mark.django_db
def test_the_task_makes_the_missing_copies_and_skips_unreadable_files(caplog):
    made = make_image(seed=4)
    rows = Image.objects.filter(pk=made.pk)
    broken = make_image(seed=5)
    default_storage.delete(stored_name(broken.file))
    result = annotator_copies_make.apply(args=([made.pk, broken.pk],)).get()
    assert (result["made"], result["skipped"]) == (1, 1)
    assert "not made" in caplog.text
    assert annotator_copies_make_for(image_ids=[made.pk]) == {"made": 0, "skipped": 0}
    assert AnnotatorCopy.objects.filter(image__in=rows).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_adding_images_to_a_round_has_the_worker_make_their_copies(eager, annotator):
    from labeling.rounds.services import round_create

    image = make_image(seed=21)
    try:
        with transaction.atomic():
            round_create(name="r", kind="evaluation", image_ids=[image.pk], labelers=[annotator])
        copy = wait_until(lambda: AnnotatorCopy.objects.filter(image=image).first())
        assert default_storage.exists(copy.file.name)
    finally:
        for copy in AnnotatorCopy.objects.filter(image=image):
            copy.file.delete(save=False)
            copy.thumbnail.delete(save=False)
        stored = Image.objects.get(pk=image.pk)
        stored.file.delete(save=False)
        stored.thumbnail.delete(save=False)
