"""Stored files go with their rows: deleted once the row's deletion commits, and whatever is left
behind (a crashed import, rows deleted before this rule) is found by `manage.py clean_files`."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from labeling.images.copies import annotator_copy_create
from labeling.images.models import Image
from labeling.images.services import image_thumbnail_create
from tests.helpers import login
from tests.images.factories import make_image, make_references
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


def stored(media_root: Path) -> set[str]:
    return {
        str(path.relative_to(media_root)) for path in Path(media_root).rglob("*") if path.is_file()
    }


def image_with_all_files() -> tuple[Image, list[str]]:
    image = image_thumbnail_create(image=make_image(seed=3))
    copy = annotator_copy_create(image=image)
    files = (image.file, image.thumbnail, copy.file, copy.thumbnail)
    names = [file.name for file in files if file.name]
    assert len(names) == len(files)
    assert all(default_storage.exists(name) for name in names)
    return image, names


def test_deleting_an_image_in_the_admin_removes_its_files_on_commit(
    study_admin, django_capture_on_commit_callbacks
):
    image, names = image_with_all_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = login(study_admin).post(
            f"/admin/images/image/{image.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not Image.objects.filter(pk=image.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


def test_a_deletion_rolled_back_keeps_the_files():
    image, names = image_with_all_files()

    with pytest.raises(RuntimeError), transaction.atomic():
        Image.objects.filter(pk=image.pk).delete()
        raise RuntimeError("changed my mind")

    assert Image.objects.filter(pk=image.pk).exists()
    assert all(default_storage.exists(name) for name in names)


def test_deleting_a_class_removes_its_reference_files(django_capture_on_commit_callbacks):
    norfolk = make_class("norfolk")
    (reference,) = make_references(norfolk, [1])

    with django_capture_on_commit_callbacks(execute=True):
        reference.delete()

    assert not default_storage.exists(str(reference.file.name))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clean_files", *args, stdout=out)
    return out.getvalue()


def age(media_root: Path, name: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(Path(media_root) / name, (then, then))


def test_clean_files_lists_unreferenced_files_and_deletes_them_only_when_told(media_root):
    _, names = image_with_all_files()
    orphans = [
        default_storage.save("images/zz/left-by-a-crash.jpg", ContentFile(b"x")),
        default_storage.save("thumbs/zz/left-by-a-crash.jpg", ContentFile(b"x")),
        default_storage.save("references/n02094114/orphan.jpg", ContentFile(b"x")),
        default_storage.save("copies/zz/orphan.jpg", ContentFile(b"x")),
    ]
    young = default_storage.save("images/zz/an-import-in-flight.jpg", ContentFile(b"x"))
    outside = default_storage.save("other/not-ours.txt", ContentFile(b"x"))
    for name in [*orphans, *names, outside]:
        age(media_root, name, hours=2)

    listed = run()

    assert listed.splitlines()[:-1] == sorted(orphans)
    assert "4 file(s) no row refers to; dry run: nothing was deleted" in listed
    assert all(default_storage.exists(name) for name in orphans)

    assert "4 of 4 file(s) no row refers to deleted" in run("--delete")
    assert stored(media_root) == {*names, young, outside}
    assert run().startswith("0 file(s)")
