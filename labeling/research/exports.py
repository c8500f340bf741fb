"""Research tables as bytes: CSV and JSON Lines streamed in chunks (flat memory however many
rows), and a round's export bundle (a zip of every table, its scores and a manifest with each
file's SHA-256)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.db import connection
from django.db.models import Q

from labeling.research.postgres import postgres_line_chunks
from labeling.research.selectors import (
    Row,
    Table,
    classes_table,
    human_predictions_table,
    images_table,
    judgments_table,
    labels_table,
    model_predictions_table,
    rounds_table,
)
from labeling.rounds.models import Round

FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
CHUNK_ROWS = 5000
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = frozenset("=+-@\t\r")


def neutralise(value: str) -> str:
    """A text cell a spreadsheet will show as text, never run (a leading apostrophe)."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value


def _csv_fixer(table: Table) -> Callable[[Row], Row] | None:
    """What each row needs before csv.writer: neutralised text cells, lists flattened."""
    columns = table.columns
    text = [columns.index(name) for name in table.text_columns]
    lists = [columns.index(name) for name in table.added_columns]
    if not text and not lists:
        return None

    def fix(row: Row) -> Row:
        cells = list(row)
        for index in text:
            value = cells[index]
            if type(value) is str and value[:1] in FORMULA_STARTS:
                cells[index] = "'" + value
        for index in lists:
            # Paths of wnids: one path's wnids joined by ">", paths by "|".
            cells[index] = "|".join(">".join(path) for path in cells[index])
        return tuple(cells)

    return fix


def _batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_chunks(table: Table, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The table as CSV (a header row, then the rows), a few thousand rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    fix = _csv_fixer(table)
    rows = table.rows() if fix is None else map(fix, table.rows())
    for batch in _batched(rows, chunk_rows):
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def jsonl_chunks(table: Table, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The table as JSON Lines: one object per row, keys in column order."""
    columns = table.columns
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for batch in _batched(table.rows(), chunk_rows):
        yield "".join(
            [encode(dict(zip(columns, row, strict=True))) + "\n" for row in batch]
        ).encode()


def table_chunks(table: Table, format: str) -> Iterator[bytes]:
    """The table in `format`; on PostgreSQL the server writes the lines (tables whose extra
    columns Python adds, like the classes' paths, excepted)."""
    if connection.vendor == "postgresql" and not table.added_columns:
        return postgres_line_chunks(table, format)
    return csv_chunks(table) if format == "csv" else jsonl_chunks(table)


@dataclass(frozen=True)
class BundleFile:
    name: str
    bytes: int
    sha256: str


def round_tables(*, round: Round) -> list[Table]:
    """Every research table of one round: its images and their labels, the classes, the
    labelers' answers and the models' predictions on its images, the reviewers' judgments (given
    in the round, or in a final review of it), the round itself."""
    return [
        rounds_table().filtered(Q(pk=round.pk)),
        images_table(round=round.pk),
        classes_table(),
        labels_table(round=round.pk),
        human_predictions_table(round=round.pk),
        model_predictions_table(round=round.pk),
        judgments_table().filtered(
            Q(round_candidate__round=round) | Q(round_candidate__round__review__source_round=round)
        ),
    ]


def bundle_write(*, round: Round, file: IO[bytes], format: str = "csv") -> list[BundleFile]:
    """Write the round's export bundle (a zip) to `file`: each table, `scores.json`, and last
    `manifest.json` listing every other file with its size and SHA-256."""
    written: list[BundleFile] = []
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bundle:

        def add(name: str, chunks: Iterable[bytes]) -> None:
            digest, size = hashlib.sha256(), 0
            with bundle.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    member.write(chunk)
            written.append(BundleFile(name=name, bytes=size, sha256=digest.hexdigest()))

        for table in round_tables(round=round):
            add(f"{table.name}.{format}", table_chunks(table, format))
        # Imported here: the scoring core brings numpy, scipy and matplotlib, which a process
        # serving only the lists need not hold.
        from labeling.scoring.selectors import round_scores

        add("scores.json", [json.dumps(round_scores(round=round), indent=2).encode()])
        manifest: dict[str, Any] = {
            "round": round.pk,
            "name": round.name,
            "created_at": datetime.now(UTC).isoformat(),
            "files": [vars(entry) for entry in written],
        }
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2))
    return written
