"""Import of model predictions: millions of `image, model, wnid[, rank, score]` rows, streamed.

The file is read row by row, never whole; image names, wnids and model names are resolved with
dicts built once. Checked rows go to the database in chunks as they are read, and everything
happens in one transaction, rolled back when the batch is rejected or a dry run:

* PostgreSQL: the rows stream into one COPY (per model first seen), so the server stores rows
  while Python reads the next ones. Usually they go into a temporary staging table, then one
  `INSERT … SELECT … ON CONFLICT DO NOTHING` moves them over. A bulk load (a batch larger than
  the table, from BULK_MIN_ROWS rows) instead COPYs straight into the table stripped of its
  indexes and constraints, which are made again afterwards (postgres_bulk_load): several times
  faster than maintaining them row by row. Should the unique (model, image, rank) constraint
  then fail, the batch overlapped what was stored, and it is redone the general way.
* SQLite: `INSERT OR IGNORE` by executemany, with a larger page cache while it runs.

Rows stored already are skipped, so a re-run changes nothing. A row that contradicts a stored
prediction, or an earlier row of the file (same model, image and rank, another class), is a
problem. Every (image, class) predicted becomes a review candidate with its model count.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from django.db import connection, transaction
from psycopg2 import errors as psycopg2_errors

from labeling.images.selectors import image_name_index
from labeling.importing.batch import Progress, no_progress
from labeling.importing.postgres import postgres_bulk_load
from labeling.importing.report import (
    MAX_LISTED,
    BatchRejected,
    ImportReport,
    echo,
    json_parse,
    unknown_wnid,
)
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.predictions.services import classifier_model_get_or_create
from labeling.taxonomy.selectors import classes_by_wnid

PREDICTIONS = ModelPrediction._meta.db_table
COLUMNS = "model_id, image_id, synset_id, rank, score"
STAGING = "prediction_import_staging"
NULL = "\\N"  # in COPY's text format
CHUNK_ROWS = 50_000
# PostgreSQL: a batch from this many rows, more than the table holds, is a bulk load.
BULK_MIN_ROWS = 100_000
AVERAGE_ROW_BYTES = 64  # to estimate a file's rows from its size
# SQLite's page cache while the import runs (KiB), instead of the default 2 MB: the indexes grow,
# and the candidates are counted, with far fewer reads and writes.
SQLITE_CACHE_KIB = 131_072
MAX_RANK = 32767  # PositiveSmallIntegerField
# A CharField always has a max_length (the types allow None for other fields).
MAX_MODEL_NAME = cast(int, ClassifierModel._meta.get_field("name").max_length)
REQUIRED = ("image", "model", "wnid")

# (line, model_id, image_id, synset_id, rank, score). A score read from text stays the text, once
# checked to be a finite number that SQL reads the same way: no formatting it again for COPY.
StagedRow = tuple[int, int, int, int, int, float | str | None]


class PredictionFileError(ValueError):
    """The file as a whole cannot be read (unknown format, no header…)."""


class BulkLoadClash(Exception):
    """A bulk load brought rows stored already, or one row twice: redo it the general way."""


@dataclass(frozen=True)
class _NewModel:
    """Yielded by a reader before the first row of a model not stored yet: create it first."""

    name: str


def prediction_file_format(path: Path) -> str:
    """ "csv" or "jsonl", from the file's name (a .gz suffix is allowed)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] == ".csv":
        return "csv"
    if suffixes and suffixes[-1] in (".jsonl", ".ndjson"):
        return "jsonl"
    raise PredictionFileError(f"{path.name}: name it .csv, .jsonl or .ndjson (optionally .gz)")


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


# --- Reading and checking rows ------------------------------------------------------------------


class _Rows:
    """Checks rows against the stored images, classes and models; problems go on the report."""

    def __init__(self, *, report: ImportReport, where: str):
        self.report = report
        self.where = where
        self.images = image_name_index()
        self.classes = {wnid: synset.pk for wnid, synset in classes_by_wnid().items()}
        self.models = dict(ClassifierModel.objects.values_list("name", "id"))
        self.valid = 0

    def check(
        self, line: int, image: str, model: str, wnid: str, rank: object, score: object
    ) -> StagedRow | _NewModel | None:
        """The row as ids; None once its problem is reported; _NewModel for an unknown model."""
        image_id = self.images.get(image)
        if image_id is None and len(image) == 40:
            image_id = self.images.get(image.lower())
        synset_id = self.classes.get(wnid)
        model_id = self.models.get(model)
        rank_value = _COMMON_RANKS.get(rank) if type(rank) is str or rank is None else None
        if rank_value is None:
            rank_value = _rank(rank)
        score_value = _score(score)
        problem = None
        if image_id is None:
            problem = f"unknown image {echo(image)}" if image else "no image name"
        elif synset_id is None:
            problem = unknown_wnid(wnid)
        elif not model or len(model) > MAX_MODEL_NAME:
            problem = "no model name" if not model else "model name longer than 200 characters"
        elif rank_value is None:
            problem = f"rank must be a whole number from 1 to {MAX_RANK}, got {echo(rank)}"
        elif score_value is False:
            problem = f"score must be a finite number, got {echo(score)}"
        elif model_id is None:
            return _NewModel(model)
        else:
            return (line, model_id, image_id, synset_id, rank_value, score_value)
        self.report.reject(self.where, line, problem)
        return None


_COMMON_RANKS: dict[object, int] = {None: 1, "": 1, **{str(rank): rank for rank in range(1, 101)}}


def _rank(value: object) -> int | None:
    if value is None or value == "":
        return 1
    if type(value) is bool:
        return None
    try:
        rank = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    if isinstance(value, float) and value != rank:
        return None
    return rank if 1 <= rank <= MAX_RANK else None


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _score(value: object) -> float | str | bool | None:
    """The score; None when absent, False when malformed."""
    if value is None or value == "":
        return None
    if type(value) is bool:
        return False
    try:
        score = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if not math.isfinite(score):
        return False
    if type(value) is str:
        # The text goes into COPY as it is: only a plain decimal number may, nothing Python reads
        # as a number besides ("1_000", non-ASCII digits, "0.5\t" whose tab would add a field).
        return value if _DECIMAL.fullmatch(value) else False
    return score


Items = Iterator["list[StagedRow] | _NewModel"]
CreateModel = Callable[[str, "int | None"], int]


def _csv_items(handle: IO[str], rows: _Rows) -> Items:
    """Chunks of checked rows of a CSV file with a header (and _NewModel signals)."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise PredictionFileError(f"{rows.where}: the file is empty") from None
    except csv.Error as exc:
        raise PredictionFileError(f"{rows.where}:1: not a readable CSV header ({exc})") from None
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in REQUIRED if column not in names]
    if missing:
        raise PredictionFileError(
            f"{rows.where}:1: the header must name the columns image, model, wnid (and optionally "
            f"rank, score); missing {', '.join(missing)}; got {echo(header, 160)}"
        )
    image_at, model_at, wnid_at = (names.index(column) for column in REQUIRED)
    rank_at = names.index("rank") if "rank" in names else None
    score_at = names.index("score") if "score" in names else None
    width = len(names)
    # Millions of rows: the usual row is checked right here, with local names; anything unusual
    # (blanks around a value, a new model, a problem) goes through rows.check.
    images, classes, models, ranks = rows.images, rows.classes, rows.models, _COMMON_RANKS
    check, score_of = rows.check, _score
    chunk: list[StagedRow] = []
    end = 1  # the line the previous record ended on: a record may span lines (quoted newlines)
    while True:
        try:
            for row in reader:
                start, end = end + 1, reader.line_num
                if len(row) != width:
                    if row and not (len(row) == 1 and not row[0].strip()):
                        rows.report.reject(
                            rows.where,
                            start,
                            f"expected {width} fields as in the header, got {echo(row, 160)}",
                        )
                    continue
                image_id = images.get(row[image_at])
                synset_id = classes.get(row[wnid_at])
                model_id = models.get(row[model_at])
                rank = ranks.get(row[rank_at]) if rank_at is not None else 1
                score = score_of(row[score_at]) if score_at is not None else None
                if image_id and synset_id and model_id and rank and score is not False:
                    chunk.append((start, model_id, image_id, synset_id, rank, score))
                    if len(chunk) >= CHUNK_ROWS:
                        yield chunk
                        chunk = []
                    continue
                values = (
                    start,
                    row[image_at].strip(),
                    row[model_at].strip(),
                    row[wnid_at].strip(),
                    row[rank_at].strip() if rank_at is not None else None,
                    row[score_at].strip() if score_at is not None else None,
                )
                staged = check(*values)
                if type(staged) is _NewModel:
                    if chunk:
                        yield chunk
                        chunk = []
                    yield staged  # the consumer creates it before asking for more
                    staged = check(*values)
                if staged is not None:
                    chunk.append(staged)  # type: ignore[arg-type]
            break
        except csv.Error as exc:
            rows.report.reject(rows.where, end + 1, f"malformed CSV row ({exc})")
            end = reader.line_num
    if chunk:
        yield chunk


def _jsonl_items(handle: IO[str], rows: _Rows) -> Items:
    """Chunks of checked rows of a JSON Lines file (and _NewModel signals)."""
    chunk: list[StagedRow] = []
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json_parse(text)
        except ValueError as exc:
            rows.report.reject(rows.where, line, f"malformed JSON line ({exc})")
            continue
        if not isinstance(record, dict) or not all(
            isinstance(record.get(key), str) for key in REQUIRED
        ):
            rows.report.reject(
                rows.where,
                line,
                'expected an object with string "image", "model" and "wnid" (and optionally '
                '"rank", "score")',
            )
            continue
        values = (
            line,
            record["image"].strip(),
            record["model"].strip(),
            record["wnid"].strip(),
            record.get("rank"),
            record.get("score"),
        )
        staged = rows.check(*values)
        if type(staged) is _NewModel:
            if chunk:
                yield chunk
                chunk = []
            yield staged
            staged = rows.check(*values)
        if staged is not None:
            chunk.append(staged)  # type: ignore[arg-type]
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# --- Writing rows --------------------------------------------------------------------------------


class _Loader:
    """Writes the checked rows; finds those that contradict stored predictions.

    Uses the raw DB-API cursor: Django's debug cursor would keep every executed chunk in memory.
    """

    def __init__(
        self, cursor, *, report: ImportReport, models: dict[str, int], allow_bulk: bool
    ) -> None:
        self.cursor = cursor
        self.report = report
        self.models = models  # name -> id, shared with the reader
        self.allow_bulk = allow_bulk
        self.inserted = 0
        self.conflicts = 0
        self.listed: list[tuple] = []  # (line, model, image, rank, stored synset, given synset)
        self.touched: set[int] = set()
        self.timings: dict[str, float] = {}

    def start(self, *, estimated_rows: int) -> None:
        """Before the first row."""

    def load(self, items: Items, create_model: CreateModel) -> int:
        """Write every chunk (none once the batch is rejected); returns the rows read.

        `create_model(name, id or None)` stores a model the file names first; returns its id.
        """
        raise NotImplementedError

    def finish(self) -> None:
        """After the last row, unless the batch was rejected."""

    def close(self) -> None:
        """Always, also after an error."""

    def _find_conflicts(self, table: str) -> None:
        # Rows whose (model, image, rank) is stored with another class: stored before, or an
        # earlier row of this file (the first of two contradicting rows wins).
        condition = (
            f"FROM {table} s JOIN {PREDICTIONS} p ON p.model_id = s.model_id "
            f"AND p.image_id = s.image_id AND p.rank = s.rank WHERE p.synset_id <> s.synset_id"
        )
        self.cursor.execute(f"SELECT COUNT(*) {condition}")
        self.conflicts += self.cursor.fetchone()[0]
        room = MAX_LISTED - len(self.listed)
        if room > 0:
            self.cursor.execute(
                f"SELECT s.line, s.model_id, s.image_id, s.rank, p.synset_id, s.synset_id "
                f"{condition} ORDER BY s.line LIMIT {room}"
            )
            self.listed.extend(self.cursor.fetchall())

    def _lap(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


class _CopyFeed:
    """A file-like source for COPY … FROM STDIN that reads the file as COPY asks for data.

    So the server stores rows while Python reads and checks the next ones. A model not stored
    yet takes an id reserved beforehand (no other query can run during a COPY); when none is
    left, read returns "" to end the COPY, and the loader reserves more and starts another.
    """

    def __init__(self, items: Items, loader: _PostgresLoader) -> None:
        self.items = items
        self.loader = loader
        self.with_line = True
        self.first: list[StagedRow] | None = None
        self.new_model: _NewModel | None = None  # waiting for ids to be reserved
        self.assigned: list[tuple[str, int]] = []  # new models: stored after the COPY
        self.done = False
        self.rows = 0

    def peek(self) -> list[StagedRow] | None:
        """The first chunk, read before any COPY starts (ids reserved as needed)."""
        for item in self.items:
            if isinstance(item, _NewModel):
                if not self.loader.reserved_ids:
                    self.loader.reserve_model_ids()
                self._assign(item)
                continue
            self.first = item
            return self.first
        self.done = True
        return None

    def read(self, size: int = -1) -> str:
        if self.first is not None:
            chunk, self.first = self.first, None
            return self._text(chunk)
        if self.done:
            return ""
        if self.new_model is not None:
            if not self.loader.reserved_ids:
                return ""
            self._assign(self.new_model)
            self.new_model = None
        while True:
            item = next(self.items, None)
            if item is None:
                self.done = True
                return ""
            if isinstance(item, _NewModel):
                if not self.loader.reserved_ids:
                    self.new_model = item
                    return ""
                self._assign(item)
                continue
            text = self._text(item)
            if text:
                return text

    def _text(self, chunk: list[StagedRow]) -> str:
        self.rows += len(chunk)
        if self.loader.report.batch_rejected:
            return ""  # only checking goes on: nothing will be kept
        self.loader.touched.update(row[2] for row in chunk)
        return _copy_text(chunk, with_line=self.with_line)

    def _assign(self, new: _NewModel) -> None:
        # The reader finds the id from now on.
        model_id = self.loader.reserved_ids.pop()
        self.loader.models[new.name] = model_id
        self.assigned.append((new.name, model_id))


def _copy_text(chunk: list[StagedRow], *, with_line: bool) -> str:
    """COPY's text format: tab-separated, NULL for None. All values are numbers: no escaping."""
    if with_line:
        return "".join(
            f"{line}\t{model}\t{image}\t{synset}\t{rank}\t{NULL if score is None else score}\n"
            for line, model, image, synset, rank, score in chunk
        )
    return "".join(
        f"{model}\t{image}\t{synset}\t{rank}\t{NULL if score is None else score}\n"
        for _, model, image, synset, rank, score in chunk
    )


class _PostgresLoader(_Loader):
    """COPY into staging then INSERT … ON CONFLICT; or, for a bulk load, COPY into the table.

    One COPY for the whole file lets the server store rows while Python reads the next ones.
    """

    def start(self, *, estimated_rows: int) -> None:
        self.estimated_rows = estimated_rows
        self.reserved_ids: list[int] = []
        self.bulk = False

    def load(self, items: Items, create_model: CreateModel) -> int:
        feed = _CopyFeed(items, self)
        first = feed.peek()
        self.bulk = first is not None and self._bulk_suits(first)
        if self.bulk:
            self.bulk_load = postgres_bulk_load(self.cursor, PREDICTIONS)
            self.bulk_load.__enter__()
            copy = f"COPY {PREDICTIONS} ({COLUMNS}) FROM STDIN"
        else:
            # Left over if an earlier import ran in this same transaction.
            self.cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGING} (line bigint, model_id bigint, "
                f"image_id bigint, synset_id bigint, rank integer, score double precision) "
                f"ON COMMIT DROP"
            )
            copy = f"COPY {STAGING} (line, {COLUMNS}) FROM STDIN"
        feed.with_line = not self.bulk
        while not feed.done or feed.first is not None:
            if feed.new_model is not None:
                self.reserve_model_ids()
            self.cursor.copy_expert(copy, feed)
        # The new models' rows, with the ids the rows were given.
        for name, model_id in feed.assigned:
            create_model(name, model_id)
        self.staged = 0 if self.bulk else feed.rows
        self.inserted = feed.rows if self.bulk else 0
        return feed.rows

    def _bulk_suits(self, first: list[StagedRow]) -> bool:
        """A bulk load, for a large batch into a smaller table, of models with no predictions.

        Rebuilding the indexes costs time in proportion to the whole table; and a batch that
        overlaps stored rows (a re-run, say) would only fail and be redone. The first chunk's
        models tell: on a re-run they have their predictions already.
        """
        if not self.allow_bulk or self.estimated_rows < BULK_MIN_ROWS:
            return False
        self.cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {PREDICTIONS} LIMIT %s) AS stored",
            [self.estimated_rows],
        )
        if self.cursor.fetchone()[0] >= self.estimated_rows:
            return False
        self.cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {PREDICTIONS} WHERE model_id = ANY(%s))",
            [sorted({row[1] for row in first})],
        )
        return not self.cursor.fetchone()[0]

    def reserve_model_ids(self, count: int = 100) -> None:
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [ClassifierModel._meta.db_table, count],
        )
        self.reserved_ids = sorted((row[0] for row in self.cursor.fetchall()), reverse=True)

    def finish(self) -> None:
        started = time.perf_counter()
        if self.bulk:
            try:
                self.bulk_load.__exit__(None, None, None)
            except psycopg2_errors.UniqueViolation:
                raise BulkLoadClash from None
            self._lap("index and constraint builds", started)
            return
        if not self.staged:
            return
        # A temporary table is never scanned in parallel, so rows come in the order they were
        # copied: of two contradicting rows of the file, the first one wins.
        self.cursor.execute(
            f"INSERT INTO {PREDICTIONS} ({COLUMNS}) SELECT {COLUMNS} FROM {STAGING} "
            f"ON CONFLICT (model_id, image_id, rank) DO NOTHING"
        )
        self.inserted = self.cursor.rowcount
        if self.inserted < self.staged:
            self._find_conflicts(STAGING)
        self._lap("insert from staging", started)


class _SqliteLoader(_Loader):
    """INSERT OR IGNORE each chunk straight into the table (executemany).

    Only a chunk that was not wholly new goes through a small temporary table to find its
    conflicts, so a first import writes every row once.
    """

    def start(self, *, estimated_rows: int) -> None:
        self.cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} (line INTEGER, model_id INTEGER, "
            f"image_id INTEGER, synset_id INTEGER, rank INTEGER, score REAL)"
        )

    def load(self, items: Items, create_model: CreateModel) -> int:
        read = 0
        for item in items:
            if isinstance(item, _NewModel):
                self.models[item.name] = create_model(item.name, None)
                continue
            read += len(item)
            if not self.report.batch_rejected:
                self._add(item)
        return read

    def _add(self, chunk: list[StagedRow]) -> None:
        started = time.perf_counter()
        self.cursor.executemany(
            f"INSERT OR IGNORE INTO {PREDICTIONS} ({COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            [row[1:] for row in chunk],
        )
        inserted = self.cursor.rowcount
        self.inserted += inserted
        self.touched.update(row[2] for row in chunk)
        if inserted < len(chunk):
            self.cursor.execute(f"DELETE FROM {STAGING}")
            self.cursor.executemany(f"INSERT INTO {STAGING} VALUES (?, ?, ?, ?, ?, ?)", chunk)
            self._find_conflicts(STAGING)
        self._lap("insert", started)

    def close(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


# --- The import ------------------------------------------------------------------------------


def predictions_import(
    *,
    path: Path,
    report: ImportReport,
    models_metadata: dict[str, dict] | None = None,
    progress: Progress = no_progress,
) -> ImportReport:
    """Import a CSV (with a header) or JSON Lines file of predictions; see the module docstring.

    Raises PredictionFileError when the file as a whole is unreadable; row problems go on the
    report. Models named in the file are created; `models_metadata` ({name: {year, paper,
    top1, …}}) sets their metadata, and that of stored models it names.
    """
    file_format = prediction_file_format(path)
    models_metadata = models_metadata or {}
    try:
        with _large_sqlite_cache(), transaction.atomic():
            try:
                with transaction.atomic():  # a savepoint: a clashing bulk load is undone
                    attempt = _import(path, file_format, report, models_metadata, progress)
            except BulkLoadClash:
                attempt = _import(
                    path, file_format, report, models_metadata, progress, allow_bulk=False
                )
            report.replace_with(attempt)
            if report.batch_rejected or report.dry_run:
                raise BatchRejected(report)
            committing = time.perf_counter()
        report.timings["commit"] = time.perf_counter() - committing
    except BatchRejected:
        pass
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise PredictionFileError(f"{path}: cannot read the file ({exc})") from None
    return report


def _import(
    path: Path,
    file_format: str,
    given: ImportReport,
    models_metadata: dict[str, dict],
    progress: Progress,
    *,
    allow_bulk: bool = True,
) -> ImportReport:
    """One attempt at the import, reported on a fresh report like `given`."""
    report = ImportReport(what=given.what, dry_run=given.dry_run, skip_bad=given.skip_bad)
    clock = _Clock(report)
    rows = _Rows(report=report, where=str(path))

    created = 0

    def create_model(name: str, model_id: int | None) -> int:
        nonlocal created
        created += 1
        metadata = models_metadata.get(name, {})
        if model_id is None:
            return classifier_model_get_or_create(name=name, metadata=metadata).pk
        return ClassifierModel.objects.create(id=model_id, name=name, metadata=metadata).pk

    size = path.stat().st_size * (4 if path.suffix == ".gz" else 1)
    clock.lap("prepare")
    with connection.cursor() as wrapper:
        loader_class = _PostgresLoader if connection.vendor == "postgresql" else _SqliteLoader
        loader = loader_class(
            wrapper.cursor, report=report, models=rows.models, allow_bulk=allow_bulk
        )
        loader.start(estimated_rows=size // AVERAGE_ROW_BYTES)
        try:
            with _open_text(path) as handle:
                reader = _csv_items if file_format == "csv" else _jsonl_items
                items = iter(progress(reader(handle, rows), desc=f"chunks of {CHUNK_ROWS:,} rows"))
                rows.valid = loader.load(items, create_model)
            clock.lap("read and write rows")
            if not report.batch_rejected:
                loader.finish()
                clock.lap("finish writing")
        finally:
            loader.close()
    report.timings.update({f"  {name}": seconds for name, seconds in loader.timings.items()})
    # Metadata for stored models the file does not name.
    for name, metadata in models_metadata.items():
        if name in rows.models:
            classifier_model_get_or_create(name=name, metadata=metadata)
    report.details["models created"] = created
    if report.batch_rejected:
        report.imported = rows.valid
        return report
    _report_conflicts(report, loader.listed, rows, total=loader.conflicts)
    report.imported = loader.inserted
    report.skipped_duplicate = rows.valid - loader.inserted - loader.conflicts
    if loader.inserted and not report.batch_rejected:
        from labeling.review.services import candidates_sync_from_predictions

        clock.lap("other")
        report.details["candidates added or updated"] = candidates_sync_from_predictions(
            image_ids=sorted(loader.touched)
        )
        clock.lap("candidates")
    return report


class _Clock:
    def __init__(self, report: ImportReport):
        self.report = report
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Add the time since the last lap to `name`."""
        now = time.perf_counter()
        self.report.timings[name] = self.report.timings.get(name, 0.0) + now - self.last
        self.last = now


def _report_conflicts(
    report: ImportReport, listed: list[tuple], rows: _Rows, *, total: int
) -> None:
    models = {model_id: name for name, model_id in rows.models.items()}
    wnids = {synset_id: wnid for wnid, synset_id in rows.classes.items()}
    image_ids = {image_id for _, _, image_id, _, _, _ in listed}
    images = {image_id: name for name, image_id in rows.images.items() if image_id in image_ids}
    for line, model_id, image_id, rank, stored, given in listed:
        report.reject(
            rows.where,
            line,
            f"{models.get(model_id)} already predicts {wnids.get(stored)} (not "
            f"{wnids.get(given)}) for {images.get(image_id)} at rank {rank}, stored or earlier "
            f"in this file",
        )
    # Beyond the listed ones, only count.
    report.rejected_count += total - len(listed)
