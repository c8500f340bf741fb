"""Thumbnails are made by the Celery task: in-process when eager, by a real worker otherwise."""

from __future__ import annotations

import os

import pytest
from django.db import transaction

from labeling.images.models import Image
from labeling.images.services import reference_image_create
from labeling.images.tasks import image_thumbnail_make, reference_thumbnail_make
from tests.helpers import wait_until
from tests.images.factories import make_image, picture
from tests.taxonomy.factories import make_class


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_committed_upload_gets_its_thumbnail_from_the_worker_process(eager):
    with transaction.atomic():  # on_commit fires when this block commits
        image = make_image(seed=11)
    try:
        thumbnail = wait_until(lambda: Image.objects.get(pk=image.pk).thumbnail)
        assert thumbnail.name.endswith(f"{image.public_id}.jpg")

        result = image_thumbnail_make.delay(image.pk).get(timeout=30)
        assert result["image_id"] == image.pk
        assert result["created"] is False  # idempotent: the thumbnail was already there
        if eager:
            assert result["pid"] == os.getpid()
        else:
            assert result["pid"] != os.getpid()  # really ran in the worker
    finally:
        # With a worker the files live in the shared MEDIA_ROOT, not a per-test folder.
        stored = Image.objects.get(pk=image.pk)
        stored.thumbnail.delete(save=False)
        stored.file.delete(save=False)


@pytest.mark.django_db
def test_the_thumbnail_task_run_in_process_makes_the_thumbnail_once():
    image = make_image(seed=12)
    first = image_thumbnail_make.apply(args=(image.pk,)).get()
    again = image_thumbnail_make.apply(args=(image.pk,)).get()
    assert (first["created"], again["created"]) == (True, False)
    assert Image.objects.get(pk=image.pk).thumbnail


@pytest.mark.django_db
def test_a_task_for_a_deleted_image_is_ignored(caplog):
    result = image_thumbnail_make.apply(args=(987654,)).get()
    assert result["created"] is False and result["missing"] is True
    assert "no image with id 987654" in caplog.text


@pytest.mark.django_db
def test_the_reference_thumbnail_task_stores_the_thumbnail_size(settings):
    settings.THUMBNAIL_SIZE = 256
    reference = reference_image_create(
        synset=make_class("norfolk"), original_name="r", data=picture(400, 200, seed=4)
    )
    result = reference_thumbnail_make.apply(args=(reference.pk,)).get()
    assert result == {"reference_id": reference.pk, "created": True, "pid": os.getpid()}
    reference.refresh_from_db()
    assert (reference.thumbnail_width, reference.thumbnail_height) == (256, 128)
    assert reference_thumbnail_make.apply(args=(reference.pk,)).get()["created"] is False


@pytest.mark.django_db
def test_a_task_for_a_deleted_reference_image_is_ignored():
    assert reference_thumbnail_make.apply(args=(987654,)).get()["missing"] is True


@pytest.mark.django_db
def test_eager_tasks_run_without_a_broker_warning(eager, caplog):
    if not eager:
        pytest.skip("only the embedded (eager) configuration runs tasks without a broker")
    image = make_image(seed=12)
    with caplog.at_level("WARNING"):
        image_thumbnail_make.delay(image.pk).get()
    assert not [r for r in caplog.records if "hostname" in r.getMessage().lower()]
