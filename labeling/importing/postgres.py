"""Loading many rows into a PostgreSQL table fast: without its indexes and constraints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def postgres_bulk_load(cursor, table: str) -> Iterator[None]:
    """Load many rows into `table` without its indexes and constraints, then make them again.

    As PostgreSQL's manual advises for populating a table ("Populating a Database"): per-row
    index insertions and foreign-key triggers cost far more than sorted index builds and one
    set-based check per foreign key. The unique, primary key (unless another table refers to
    it) and foreign key constraints and every index are dropped on entry and made again, under
    their own names, on a normal exit; the check constraints stay. Run it inside a transaction:
    on an error the rollback restores everything. Holds an exclusive lock on the table until the
    transaction ends. Making a unique constraint again raises UniqueViolation if the load brought
    duplicates.

    `cursor` is a raw psycopg2 cursor.
    """
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # Dropping a foreign key alters the table it refers to too, which PostgreSQL refuses while
    # deferred checks of earlier writes are pending: run them now (as Django's own
    # check_constraints does), and defer again.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass)", [table]
    )
    kinds = ["u", "f"] if cursor.fetchone()[0] else ["p", "u", "f"]
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype::text = ANY(%s) ORDER BY conname",
        [table, kinds],
    )
    order = {"p": 0, "u": 1, "f": 2}
    constraints = sorted(cursor.fetchall(), key=lambda row: order[row[1]])
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = i.indrelid "
        "AND k.conindid = i.indexrelid AND k.contype::text = ANY(%s)) ORDER BY c.relname",
        [table, ["p", "u", "x"]],
    )
    indexes = cursor.fetchall()  # those of constraints come and go with their constraint
    for name, _, _ in reversed(constraints):
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, definition in indexes:
        cursor.execute(definition)
    for name, _, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
