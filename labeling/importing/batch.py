"""Writing a checked batch: in chunks, with progress, in one transaction that leaves no file behind.

`write_batch` runs the writing phase of an import: nothing when the batch is rejected or a dry
run, else one transaction; files stored during it are deleted again if it rolls back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from django.core.files.storage import default_storage
from django.db import transaction

from labeling.importing.report import BatchRejected, ImportReport

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A progress callback: wraps an iterable (e.g. in a tqdm bar) and yields the same items. An import
# takes one so the command can draw a bar while a test or a task passes `no_progress`.
Progress = Callable[..., Iterable]


def no_progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "") -> Iterable[T]:
    return iterable


def chunked(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last one shorter), taken lazily from `iterable`."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class StoredFiles:
    """Files written during a batch, deleted again if the batch's transaction rolls back."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, *names: str | None) -> None:  # a FileField's unset name is None
        self.names.extend(name for name in names if name)

    def delete_all(self) -> None:
        for name in self.names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("could not delete %s after a rolled-back import", name)
        self.names.clear()


def write_batch(report: ImportReport, write: Callable[[StoredFiles], None]) -> ImportReport:
    """Run `write` in one transaction unless the batch is rejected or a dry run.

    `write` may add problems (e.g. a file that changed since it was checked); if that rejects the
    batch, everything is rolled back and the files it stored are deleted.
    """
    if report.batch_rejected or report.dry_run:
        return report
    files = StoredFiles()
    try:
        with transaction.atomic():
            started = time.perf_counter()
            write(files)
            report.timings["store"] = time.perf_counter() - started
            if report.batch_rejected:
                raise BatchRejected(report)
            started = time.perf_counter()
        # On commit the services schedule their (per-row) tasks: here they find work done.
        report.timings["commit"] = time.perf_counter() - started
    except BatchRejected:
        files.delete_all()
    except BaseException:
        files.delete_all()
        raise
    return report
