"""The PostgreSQL fast path of the streamed exports: `COPY (SELECT …) TO STDOUT` writes the
rows, PostgreSQL quoting the CSV cells (or writing each JSON object) in C, and Python only passes
the bytes on. Building the rows as Python tuples and writing them with csv.writer topped out
near 50,000 rows/s; fetching server-built lines through a cursor cost the server twice the CPU
of this.

The cells are the Python path's (labeling.research.exports): CSV quoted as csv.writer's minimal
quoting, text cells from people neutralised against formulas, booleans as True/False, times as
ISO 8601, durations as seconds; JSON objects as json.dumps writes them (compact, floats as repr,
text escaped alike).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Generator
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Value

from labeling.research.selectors import Table

# A chunk, the pipe and the writer's buffer: what a download holds. Kept below glibc's mmap
# threshold: 1 MB chunks grew the worker by 24 MB over 1.5 million rows, 64 kB by 2 MB.
CHUNK_BYTES = 1 << 16
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)  # Linux's; Python names it from 3.10
# A leading =, +, -, @, tab or carriage return makes a spreadsheet run the cell.
# ascii() reads the first character's code without making a substring: cheaper per row.
_FORMULA = "ascii({v}) IN (" + ", ".join(str(ord(c)) for c in "=+-@\t\r") + ")"


def _iso(value: str) -> str:
    """A time as Python's isoformat() writes it in UTC: microseconds only when there are some,
    and then all six digits."""
    utc = f"(({value})::timestamptz AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"mod(extract(microseconds FROM {utc})::int, 1000000) <> 0 "
        f"THEN to_char({utc}, '.US') ELSE '' END || '+00:00'"
    )


def _float_text(value: str) -> str:
    """A float as Python's repr writes it: a whole number keeps its ".0"."""
    value = f"({value})::float8"  # a typed NULL too (Value(None) reaches SQL as text)
    return (
        f"CASE WHEN ({value}) = trunc({value}) AND abs({value}) < 1e15 "
        f"THEN trunc({value})::bigint::text || '.0' ELSE ({value})::text END"
    )


def _csv_cell(name: str, field: models.Field, *, neutralise: bool) -> str:
    """The cell's text before COPY quotes it. An empty cell is NULL: COPY writes NULL bare but
    quotes an empty string, where csv.writer writes both bare."""
    if isinstance(field, models.BooleanField):
        return f"CASE {name} WHEN true THEN 'True' WHEN false THEN 'False' END"
    if isinstance(field, models.DateTimeField):
        return _iso(name)
    if isinstance(field, models.DurationField):
        return _float_text(f"extract(epoch FROM {name})::float8")
    if isinstance(field, models.FloatField):
        return _float_text(name)
    if not isinstance(field, models.CharField | models.TextField):
        return name
    if neutralise:
        return (
            f"CASE WHEN {_FORMULA.format(v=name)} THEN '''' || {name} ELSE nullif({name}, '') END"
        )
    return f"nullif({name}, '')"


def _json_value(name: str, field: models.Field) -> str:
    """The value as JSON text, as json.dumps writes it (floats as repr, text escaped alike)."""
    if isinstance(field, models.BooleanField):
        return f"CASE {name} WHEN true THEN 'true' WHEN false THEN 'false' ELSE 'null' END"
    if isinstance(field, models.DateTimeField):
        return f"coalesce('\"' || {_iso(name)} || '\"', 'null')"
    if isinstance(field, models.DurationField):
        return f"coalesce({_float_text(f'extract(epoch FROM {name})::float8')}, 'null')"
    if isinstance(field, models.FloatField):
        return f"coalesce({_float_text(name)}, 'null')"
    if isinstance(field, models.CharField | models.TextField):
        return f"coalesce(to_json({name})::text, 'null')"
    return f"coalesce(({name})::text, 'null')"


def _literal(text: str) -> str:
    """Text as an SQL literal in a statement that goes through mogrify (so % doubled)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _constant_csv(value: object) -> str:
    """A constant column's cell as an SQL literal (COPY quotes it as csv.writer would)."""
    if value is None or value == "":
        return "NULL::text"
    return _literal(str(value))


# COPY's CSV mode quotes a value only if it holds the delimiter, the quote, CR or LF. A JSON text
# from PostgreSQL holds none of these two control characters and no raw CR or LF (it escapes
# every character below 0x20), so each object goes out as written, one a line.
_JSON_LINES = r"FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02'"


def _dumps(value: object) -> str:
    """JSON text as the Python path writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def copy_statement(table: Table, format: str) -> tuple[str, list[Any]]:
    """`COPY (SELECT …) TO STDOUT` writing the table's rows in id order as CSV (no header) or as
    JSON Lines, and its parameters."""
    # Constant columns (a model's empty times, a human's rank 1) are literals; only the others
    # are selected from the queryset.
    constants = {
        column: expression.value
        for column, expression in table.expressions.items()
        if isinstance(expression, Value)
    }
    aliases = {column: f"c{n}" for n, column in enumerate(table.columns) if column not in constants}
    queryset = table.queryset.order_by("id").values(
        **{alias: table.expressions[column] for column, alias in aliases.items()}
    )
    inner, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    fields = {column: queryset.query.annotations[a].output_field for column, a in aliases.items()}
    if format == "csv":
        cells = [
            _constant_csv(constants[column])
            if column in constants
            else _csv_cell(
                f't."{aliases[column]}"', fields[column], neutralise=column in table.text_columns
            )
            for column in table.columns
        ]
        options = "FORMAT csv"
    else:
        # The object written out piece by piece (json_build_object costs the server more,
        # and spaces its output differently from json.dumps): literal text between the
        # values, the constant columns folded into it.
        pieces: list[str] = []
        text = "{"
        for n, column in enumerate(table.columns):
            text += ("," if n else "") + _dumps(column) + ":"
            if column in constants:
                text += _dumps(constants[column])
                continue
            pieces += [_literal(text), _json_value(f't."{aliases[column]}"', fields[column])]
            text = ""
        pieces.append(_literal(text + "}"))
        cells = [" || ".join(pieces)]
        options = _JSON_LINES
    select = f"SELECT {', '.join(cells)} FROM ({inner}) AS t"
    return f"COPY ({select}) TO STDOUT WITH ({options})", list(params)


def postgres_line_chunks(
    table: Table, format: str, *, chunk_bytes: int = CHUNK_BYTES
) -> Generator[bytes]:
    """The table as CSV (with its header) or JSON Lines, written by PostgreSQL."""
    if format == "csv":
        yield (",".join(table.columns) + "\n").encode()
    sql, params = copy_statement(table, format)
    yield from copy_chunks(sql, params, chunk_bytes=chunk_bytes)


def copy_chunks(sql: str, params: list[Any], *, chunk_bytes: int = CHUNK_BYTES) -> Generator[bytes]:
    """What `COPY … TO STDOUT` writes, in chunks of at most `chunk_bytes`, as the caller reads.

    psycopg2's copy_expert runs a whole COPY in one call, writing each row to a file. Here it
    runs in a thread that writes through a buffer into a pipe, and this generator reads the
    other end. Memory stays flat: when the reader falls behind, the full pipe blocks the writer
    and PostgreSQL waits on its socket. Each row costs Python one C-level write call.
    """
    # A transaction: SET LOCAL ends with it, and the COPY sees what the caller's transaction (a
    # test's, say) sees.
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection  # psycopg2's, used by one thread at a time
        assert raw is not None
        with raw.cursor() as cursor:
            # Every row is read once: compiling the query to machine code costs more than it
            # saves (measured: benchmarks/README.md, export).
            cursor.execute("SET LOCAL jit = off")
            statement = cursor.mogrify(sql, params).decode()
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):  # Linux only; elsewhere the default pipe size
            fcntl.fcntl(write_end, F_SETPIPE_SZ, chunk_bytes)
        writer = open(write_end, "wb", buffering=chunk_bytes)  # noqa: SIM115  (closed by copy)
        failed: list[BaseException] = []

        def copy() -> None:
            try:
                with raw.cursor() as cursor:
                    cursor.copy_expert(statement, writer)
            except BaseException as error:  # noqa: BLE001  (raised again in the reading thread)
                failed.append(error)
            finally:
                with contextlib.suppress(OSError):  # the reader is gone: nothing to flush to
                    writer.close()

        thread = threading.Thread(target=copy, name="research-export-copy", daemon=True)
        finished = False
        with open(read_end, "rb", buffering=0) as reader:
            thread.start()
            try:
                while chunk := reader.read(chunk_bytes):
                    yield chunk
                finished = True
            finally:
                if not finished:
                    # The client went away: stop the COPY on the server. The writer, if
                    # blocked on the full pipe, fails as soon as the read end closes.
                    raw.cancel()
                    reader.close()
                thread.join()
                if not finished:
                    # A COPY stopped midway may leave the connection mid-protocol: never
                    # reuse it (the transaction ends with it).
                    connection.close()
        if failed:
            raise failed[0]
