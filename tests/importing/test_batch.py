"""A batch is written in one transaction or not at all, and leaves no stored file behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from labeling.images.models import ImageSource
from labeling.importing.batch import StoredFiles, chunked, write_batch
from labeling.importing.report import ImportReport

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_failed_write_deletes_the_files_it_stored(tmp_path):
    report = ImportReport(what="images")

    def write_then_fail(files: StoredFiles) -> None:
        name = default_storage.save("images/zz/zzzz.jpg", io.BytesIO(b"data"))
        files.add(name)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_batch(report, write_then_fail)
    assert stored_files() == []


def test_a_problem_found_while_writing_rolls_back_the_batch_and_its_files(tmp_path):
    report = ImportReport(what="images")

    def write_then_find_a_problem(files: StoredFiles) -> None:
        files.add(default_storage.save("images/zz/zzzz.jpg", io.BytesIO(b"data")))
        ImageSource.objects.create(slug="written", name="written", dataset="other")
        report.reject("x.JPEG", None, "changed since it was checked")

    write_batch(report, write_then_find_a_problem)
    assert report.batch_rejected
    assert stored_files() == [] and not ImageSource.objects.filter(slug="written").exists()


def test_a_dry_run_or_a_rejected_batch_writes_nothing():
    def write_a_source(files: StoredFiles) -> None:
        ImageSource.objects.create(slug="written", name="written", dataset="other")

    write_batch(ImportReport(what="images", dry_run=True), write_a_source)
    rejected = ImportReport(what="images")
    rejected.reject("x.JPEG", None, "not an image")
    write_batch(rejected, write_a_source)
    assert not ImageSource.objects.filter(slug="written").exists()

    write_batch(ImportReport(what="images"), write_a_source)
    assert ImageSource.objects.filter(slug="written").exists()


def test_chunks_keep_the_order_and_only_the_last_is_short():
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunked(iter(range(6)), 3)) == [[0, 1, 2], [3, 4, 5]]
    assert list(chunked([], 3)) == []


def test_chunks_are_taken_lazily_from_a_generator():
    taken = []

    def numbers():
        for n in range(10):
            taken.append(n)
            yield n

    first = next(chunked(numbers(), 4))
    assert first == [0, 1, 2, 3] and taken == [0, 1, 2, 3]
