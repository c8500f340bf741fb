"""Imports of images to label and of reference images, from folders in the datasets' layouts.

Each import follows the rules of labeling.importing (check everything, then write in one
transaction; reject the batch on a problem unless `skip_bad`; skip what is stored). Here: reading
the folder layouts (ImageNet val with a labels CSV, `<wnid>/<file>`, ImageNetV2's release layout,
the train layout for references), decoding every file in a process pool, and storing the images
with their thumbnails, a chunk at a time.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import random
import re
import stat
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from labeling.images.models import DatasetKind, Image, ImageSource, ReferenceImage
from labeling.images.selectors import image_clashes_find, reference_clashes_find
from labeling.images.services import (
    DuplicateReference,
    ImageInfo,
    ImageRejected,
    NewImage,
    ReferenceIsImageToLabel,
    ReferenceLimitReached,
    image_inspect,
    images_create_bulk,
    reference_image_create,
    thumbnail_render,
)
from labeling.importing.batch import Progress, StoredFiles, chunked, no_progress, write_batch
from labeling.importing.parallel import make_pool, pool_map
from labeling.importing.report import ImportReport, echo, shorten, unknown_wnid
from labeling.taxonomy.models import Synset

logger = logging.getLogger(__name__)

SHA1_RE = re.compile(r"^[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class Inspected:
    info: ImageInfo | None
    reason: str = ""


class NotARegularFile(OSError):
    """The path is a device, a FIFO, a socket or a folder: never read it."""


class FileTooLarge(OSError):
    """The file has more bytes than IMAGE_MAX_BYTES: never read it."""


def _bytes(size: int) -> str:
    megabytes = f" ({size / 2**20:,.1f} MB)" if size >= 2**20 else ""
    return f"{size:,} bytes{megabytes}"


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file of at most IMAGE_MAX_BYTES; NotARegularFile or FileTooLarge
    (both OSError) otherwise.

    Opened without blocking (a FIFO would wait for a writer forever) and checked on the open
    descriptor (a device such as /dev/zero never ends), so the check and the read see one file.
    """
    limit = settings.IMAGE_MAX_BYTES
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise NotARegularFile("not a regular file: a device, FIFO or socket is never read")
        if status.st_size > limit:
            raise FileTooLarge(_too_many_bytes(status.st_size, limit))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # One byte more than allowed: a file that grew since fstat is refused too.
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise FileTooLarge(_too_many_bytes(len(data), limit, grew=True))
        return data
    finally:
        os.close(fd)


def _too_many_bytes(size: int, limit: int, *, grew: bool = False) -> str:
    found = "it grew while being read to" if grew else "it has"
    return (
        f"the file is too large: {found} {_bytes(size)}, more than the {_bytes(limit)} allowed "
        "(IMAGE_MAX_BYTES)" + ("" if grew else "; it was not read")
    )


def _read_problem(exc: OSError) -> str:
    if isinstance(exc, (NotARegularFile, FileTooLarge)):
        return str(exc)
    return f"cannot read the file ({exc.strerror or exc})"


def inspect_path(path: Path) -> Inspected:
    """Read and decode one file (runs in a pool worker)."""
    try:
        data = read_regular_file(path)
    except OSError as exc:
        return Inspected(None, _read_problem(exc))
    try:
        return Inspected(image_inspect(data=data))
    except ImageRejected as exc:
        return Inspected(None, exc.reason)


def thumbnail_for_path(path: Path) -> tuple[bytes, int, int] | None:
    """Render one thumbnail (runs in a pool worker); None if it fails, the task retries later."""
    try:
        return thumbnail_render(data=read_regular_file(path))
    except Exception:
        logger.exception("thumbnail of %s failed; the thumbnail task will make it later", path)
        return None


# --- Reading folders --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageItem:
    """One file to import, and where to report its problems."""

    path: Path
    original_name: str
    synset: Synset
    where: str  # the file (relative to the folder), or the labels CSV
    line: int | None = None


def _visible(folder: Path, *, root: Path, report: ImportReport) -> list[Path]:
    """The folder's entries but hidden ones; a link that leads outside `root` is rejected (an
    import reads the folder it is given, not whatever a link in it points to)."""
    inside = root.resolve()
    entries = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.resolve().is_relative_to(inside):
            report.reject(
                _relative(entry, root),
                None,
                "a link that leads outside the folder: only files inside it are imported",
            )
            continue
        entries.append(entry)
    return entries


def _files_in(folder: Path, *, root: Path, report: ImportReport) -> list[Path]:
    # Anything that is not a folder counts as a file, so a broken link is reported, not ignored
    # (and a device or FIFO is refused when it is read).
    return [entry for entry in _visible(folder, root=root, report=report) if not entry.is_dir()]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def scan_labeled_folders(
    *, root: Path, report: ImportReport, classes: dict[str, Synset]
) -> list[ImageItem]:
    """The `<wnid>/<file>` layout (ImageNet train, or val sorted into class folders)."""
    items: list[ImageItem] = []
    for entry in _visible(root, root=root, report=report):
        rel = _relative(entry, root)
        if not entry.is_dir():
            report.reject(rel, None, "not inside a <wnid>/ folder (a flat folder needs --labels)")
            continue
        synset = classes.get(entry.name)
        files = _files_in(entry, root=root, report=report)
        for path in files:
            if synset is None:
                report.reject(_relative(path, root), None, unknown_wnid(entry.name))
            else:
                items.append(ImageItem(path, path.name, synset, _relative(path, root)))
    return items


def read_labels_csv(
    *, path: Path, report: ImportReport, classes: dict[str, Synset]
) -> tuple[dict[str, tuple[Synset, int]], set[str]]:
    """`file,wnid` rows (a header row is optional).

    Returns {file name: (class, line)} for the good rows, and every file name the CSV lists (so a
    file whose row was rejected is not reported a second time as unlabeled).
    """
    labels: dict[str, tuple[Synset, int]] = {}
    lines: dict[str, int] = {}
    where = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        report.reject(where, None, f"cannot read the labels file ({exc.strerror or exc})")
        return labels, set()
    with handle:
        try:
            for line, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if line == 1 and [cell.lower() for cell in cells] == ["file", "wnid"]:
                    continue
                if len(cells) != 2 or not cells[0]:
                    report.reject(
                        where, line, f"expected 2 columns file,wnid; got {echo(row, 160)}"
                    )
                    if cells and cells[0]:
                        lines.setdefault(cells[0], line)
                    continue
                name, wnid = cells
                if name in lines:
                    report.reject(
                        where, line, f"{shorten(name)} is listed twice (also line {lines[name]})"
                    )
                    labels.pop(name, None)
                    continue
                lines[name] = line
                synset = classes.get(wnid)
                if synset is None:
                    report.reject(where, line, unknown_wnid(wnid))
                    continue
                labels[name] = (synset, line)
        except (csv.Error, UnicodeDecodeError) as exc:
            report.reject(where, None, f"not a readable CSV file ({exc})")
    return labels, set(lines)


def scan_flat_folder(
    *, root: Path, labels_csv: Path, report: ImportReport, classes: dict[str, Synset]
) -> list[ImageItem]:
    """A flat folder of files (ImageNet val) labeled by a `file,wnid` CSV."""
    labels, listed = read_labels_csv(path=labels_csv, report=report, classes=classes)
    items = []
    found: set[str] = set()
    csv_resolved = labels_csv.resolve()
    for path in _files_in(root, root=root, report=report):
        if path.resolve() == csv_resolved:
            continue
        found.add(path.name)
        label = labels.get(path.name)
        if label is not None:
            items.append(ImageItem(path, path.name, label[0], path.name))
        elif path.name not in listed:
            report.reject(path.name, None, f"has no label in {labels_csv.name}")
    for name, (_, line) in labels.items():
        if name not in found and not os.path.lexists(root / name):  # else reported above
            report.reject(labels_csv, line, f"{name}: no such file in {root}")
    return items


def scan_imagenetv2_folder(
    *, root: Path, report: ImportReport, classes: dict[str, Synset]
) -> list[ImageItem]:
    """ImageNetV2's release layout `<class index>/<sha1>.jpeg`; the id is the file's stem."""
    by_index = {synset.class_index: synset for synset in classes.values()}
    items: list[ImageItem] = []
    for entry in _visible(root, root=root, report=report):
        rel = _relative(entry, root)
        if not entry.is_dir():
            report.reject(rel, None, "not inside a <class index>/ folder")
            continue
        index = int(entry.name) if entry.name.isdigit() else None
        synset = by_index.get(index) if index is not None else None
        for path in _files_in(entry, root=root, report=report):
            rel = _relative(path, root)
            if synset is None:
                report.reject(
                    rel, None, f"folder {entry.name!r} is not the class index (0-999) of a class"
                )
                continue
            stem = path.name.rsplit(".", 1)[0] if "." in path.name else path.name
            if not SHA1_RE.match(stem):
                report.reject(rel, None, "not named <sha1>.jpeg: an ImageNetV2 id is 40 hex digits")
                continue
            items.append(ImageItem(path, stem.lower(), synset, rel))
    return items


def scan_reference_folders(
    *,
    root: Path,
    per_class: int,
    seed: int,
    report: ImportReport,
    classes: dict[str, Synset],
) -> list[ImageItem]:
    """The ImageNet train layout `<wnid>/<wnid>_<n>.JPEG`: at most `per_class` files per class.

    The choice is a seeded shuffle of the sorted file names, so the same seed picks the same
    files, and a larger `per_class` picks a superset of a smaller one.
    """
    items: list[ImageItem] = []
    for entry in _visible(root, root=root, report=report):
        rel = _relative(entry, root)
        if not entry.is_dir():
            report.reject(rel, None, "not inside a <wnid>/ folder")
            continue
        synset = classes.get(entry.name)
        if synset is None:
            # One line per folder: a train folder holds ~1300 files.
            report.reject(rel, None, unknown_wnid(entry.name))
            continue
        files = _files_in(entry, root=root, report=report)
        random.Random(f"{seed}:{synset.wnid}").shuffle(files)
        items.extend(
            ImageItem(path, path.name, synset, _relative(path, root)) for path in files[:per_class]
        )
    return items


def image_source_for_import(*, slug: str, imagenetv2: bool = False) -> ImageSource:
    """The source to import into; ValueError naming the known ones if it does not exist."""
    source = ImageSource.objects.filter(slug=slug).first()
    if source is None:
        known = ", ".join(ImageSource.objects.values_list("slug", flat=True))
        raise ValueError(f"no image source {slug!r}; known sources: {known} (an admin adds others)")
    if imagenetv2 and source.dataset == DatasetKind.IMAGENET_VAL:
        raise ValueError(f"{slug} holds ImageNet validation images, not ImageNetV2")
    return source


# --- Checking and storing ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    item: ImageItem
    info: ImageInfo


def _decode_all(
    *, items: list[ImageItem], report: ImportReport, progress: Progress, workers: int | None
) -> list[_Checked]:
    """Decode every file (in a process pool when there are many); reject those that fail."""
    decoded: list[_Checked] = []
    pool = make_pool(len(items), workers)
    try:
        results = pool_map(pool, inspect_path, [item.path for item in items])
        pairs = zip(items, results, strict=True)
        for item, result in progress(pairs, total=len(items), desc="checking"):
            if result.info is None:
                report.reject(item.where, item.line, result.reason)
            else:
                for note in result.info.notes:
                    report.note(item.where, item.line, note)
                decoded.append(_Checked(item, result.info))
    finally:
        if pool is not None:
            pool.shutdown()
    return decoded


def _store_references(
    *,
    good: list[_Checked],
    report: ImportReport,
    progress: Progress,
    workers: int | None,
    create: Callable[[_Checked], ReferenceImage | None],
) -> None:
    """Store each reference through its service and give it a thumbnail, in one transaction.

    Thumbnails are rendered by a process pool while this process stores files and rows, and saved
    before commit, so the thumbnail tasks the service schedules find them done.
    """
    fields = ["thumbnail", "thumbnail_width", "thumbnail_height"]

    def write(files: StoredFiles) -> None:
        imported = 0
        pool = make_pool(len(good), workers)
        try:
            # The bar advances as chunks are taken: at most one chunk ahead of the work.
            for chunk in chunked(progress(good, total=len(good), desc="importing"), 256):
                thumbs = pool_map(
                    pool, thumbnail_for_path, [checked.item.path for checked in chunk]
                )
                created = []
                for checked in chunk:
                    obj = create(checked)
                    if obj is not None:
                        files.add(obj.file.name)
                    created.append(obj)
                with_thumbnail = []
                for obj, thumb in zip(created, thumbs, strict=True):
                    if obj is None or thumb is None:
                        continue
                    data, width, height = thumb
                    obj.thumbnail.save("thumb.jpg", ContentFile(data), save=False)
                    files.add(obj.thumbnail.name)
                    obj.thumbnail_width, obj.thumbnail_height = width, height
                    with_thumbnail.append(obj)
                ReferenceImage.objects.bulk_update(with_thumbnail, fields)
                imported += sum(obj is not None for obj in created)
        finally:
            if pool is not None:
                pool.shutdown()
        report.imported = imported

    write_batch(report, write)


def _store_images(
    *,
    good: list[_Checked],
    source: ImageSource,
    report: ImportReport,
    progress: Progress,
    workers: int | None,
) -> None:
    """Store the checked images with their thumbnails, a chunk at a time, in one transaction.

    The process pool renders the next chunk's thumbnails while this process writes the files
    and rows of the current one (images_create_bulk: one insert per chunk).
    """

    def write(files: StoredFiles) -> None:
        imported = 0
        pool = make_pool(len(good), workers)
        try:
            # The bar advances as chunks are taken: at most one chunk ahead of the work.
            chunks = chunked(progress(good, total=len(good), desc="importing"), STORE_CHUNK)
            pending = _next_thumbnails(pool, chunks)
            while pending is not None:
                chunk, thumbs = pending
                pending = _next_thumbnails(pool, chunks)  # starts rendering the next chunk
                entries = []
                for checked, thumb in zip(chunk, thumbs, strict=True):
                    entry = _new_image(checked, thumb, report)
                    if entry is not None:
                        entries.append(entry)
                created = images_create_bulk(source=source, images=entries)
                for image in created:
                    files.add(image.file.name, image.thumbnail.name)
                imported += len(created)
        finally:
            if pool is not None:
                pool.shutdown()
        report.imported = imported

    write_batch(report, write)


STORE_CHUNK = 256


def _next_thumbnails(pool: Executor | None, chunks: Iterator[list[_Checked]]):
    chunk = next(chunks, None)
    if chunk is None:
        return None
    thumbs = pool_map(pool, thumbnail_for_path, [checked.item.path for checked in chunk])
    return chunk, thumbs


def _new_image(
    checked: _Checked, thumb: tuple[bytes, int, int] | None, report: ImportReport
) -> NewImage | None:
    item = checked.item
    try:
        data = read_regular_file(item.path)
    except OSError as exc:
        report.reject(item.where, item.line, _read_problem(exc))
        return None
    if hashlib.sha256(data).hexdigest() != checked.info.sha256:
        report.reject(item.where, item.line, "the file changed since it was checked")
        return None
    return NewImage(
        original_name=item.original_name,
        original_label=item.synset,
        data=data,
        info=checked.info,
        file_name=item.path.name,
        thumbnail=thumb[0] if thumb is not None else None,
    )


def images_import(
    *,
    source: ImageSource,
    items: list[ImageItem],
    report: ImportReport,
    progress: Progress = no_progress,
    workers: int | None = None,
) -> ImportReport:
    """Check and store images to label, with their thumbnails."""
    started = time.perf_counter()
    decoded = _decode_all(items=items, report=report, progress=progress, workers=workers)
    good = _sort_out_images(decoded=decoded, source=source, report=report)
    report.timings["check"] = time.perf_counter() - started
    report.imported = len(good)
    if good:
        _store_images(good=good, source=source, report=report, progress=progress, workers=workers)
    return report


def _sort_out_images(
    *, decoded: list[_Checked], source: ImageSource, report: ImportReport
) -> list[_Checked]:
    """Skip what is stored already (or twice in the batch); reject name clashes."""
    stored_by_sha: dict[str, tuple[str, str, str]] = {}
    stored_by_name: dict[str, str] = {}
    for chunk in chunked(decoded, 500):
        stored = Image.objects.filter(sha256__in=[checked.info.sha256 for checked in chunk])
        for sha, public_id, slug, name in stored.values_list(
            "sha256", "public_id", "source__slug", "original_name"
        ):
            stored_by_sha[sha] = (public_id, slug, name)
        names = [checked.item.original_name for checked in chunk]
        stored_by_name.update(
            Image.objects.filter(source=source, original_name__in=names).values_list(
                "original_name", "sha256"
            )
        )

    references = image_clashes_find(sha256s=[checked.info.sha256 for checked in decoded])
    shas_by_name: dict[str, set[str]] = {}
    for checked in decoded:
        shas_by_name.setdefault(checked.item.original_name, set()).add(checked.info.sha256)
    good: list[_Checked] = []
    first_by_sha: dict[str, _Checked] = {}
    for checked in decoded:
        item, sha = checked.item, checked.info.sha256
        if sha in stored_by_sha:
            public_id, slug, name = stored_by_sha[sha]
            report.skip_duplicate(
                item.where, item.line, f"same file as stored image {public_id} ({slug} {name})"
            )
        elif sha in references:
            report.reject(item.where, item.line, references[sha])
        elif item.original_name in stored_by_name:
            report.reject(
                item.where,
                item.line,
                f"{source.slug} already has a different image named {item.original_name}",
            )
        elif len(shas_by_name[item.original_name]) > 1:
            report.reject(
                item.where,
                item.line,
                f"different files in this batch have the same name {item.original_name}",
            )
        elif sha in first_by_sha:
            first = first_by_sha[sha].item.where
            report.skip_duplicate(item.where, item.line, f"same file as {first} in this batch")
        else:
            first_by_sha[sha] = checked
            good.append(checked)
    return good


def references_import(
    *,
    items: list[ImageItem],
    report: ImportReport,
    progress: Progress = no_progress,
    workers: int | None = None,
) -> ImportReport:
    """Check and store reference images (in the order given) with their thumbnails."""
    started = time.perf_counter()
    decoded = _decode_all(items=items, report=report, progress=progress, workers=workers)
    good = _sort_out_references(decoded=decoded, report=report)
    report.timings["check"] = time.perf_counter() - started
    report.imported = len(good)
    if good:

        def create(checked: _Checked) -> ReferenceImage | None:
            return _create_reference(checked, report=report)

        _store_references(
            good=good, report=report, progress=progress, workers=workers, create=create
        )
    return report


def _sort_out_references(*, decoded: list[_Checked], report: ImportReport) -> list[_Checked]:
    """Skip files the class has already (or twice here); reject those beyond the class's limit."""
    by_class: dict[int, list[_Checked]] = {}
    for checked in decoded:
        by_class.setdefault(checked.item.synset.pk, []).append(checked)
    limit = settings.REFERENCE_IMAGES_PER_CLASS
    clashes = reference_clashes_find(sha256s=[checked.info.sha256 for checked in decoded])
    good: list[_Checked] = []
    for synset_id, in_class in by_class.items():
        stored = dict(
            ReferenceImage.objects.filter(synset_id=synset_id).values_list(
                "sha256", "original_name"
            )
        )
        room = limit - len(stored)
        seen: dict[str, str] = {}
        for checked in in_class:
            item, sha = checked.item, checked.info.sha256
            if sha in clashes:
                report.reject(item.where, None, clashes[sha])
            elif sha in stored:
                report.skip_duplicate(item.where, None, f"already a reference ({stored[sha]})")
            elif sha in seen:
                report.skip_duplicate(item.where, None, f"same file as {seen[sha]}")
            elif room <= 0:
                report.reject(
                    item.where,
                    None,
                    f"{item.synset.wnid} would have more than {limit} reference images "
                    f"(REFERENCE_IMAGES_PER_CLASS)",
                )
            else:
                seen[sha] = item.where
                room -= 1
                good.append(checked)
    return good


def _create_reference(checked: _Checked, *, report: ImportReport) -> ReferenceImage | None:
    item = checked.item
    try:
        return reference_image_create(
            synset=item.synset,
            original_name=item.original_name,
            data=read_regular_file(item.path),
        )
    except DuplicateReference as exc:
        report.skip_duplicate(item.where, None, str(exc))
    except ImageRejected as exc:
        report.reject(item.where, None, f"changed since it was checked: {exc.reason}")
    except (ReferenceLimitReached, ReferenceIsImageToLabel, OSError, ValidationError) as exc:
        report.reject(item.where, None, f"cannot store: {exc}")
    return None
