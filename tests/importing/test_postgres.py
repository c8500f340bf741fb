"""A PostgreSQL bulk load drops a table's indexes and constraints and makes the same ones again."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from psycopg2 import errors as psycopg2_errors

from labeling.importing.postgres import postgres_bulk_load
from labeling.predictions.models import ClassifierModel, ModelPrediction

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and DDL on PostgreSQL only"),
]


def schema(cursor, table: str) -> tuple[list, list]:
    """The table's constraints and indexes, by name, with their definitions."""
    cursor.execute(
        "SELECT conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = %s::regclass ORDER BY 1",
        [table],
    )
    return constraints, cursor.fetchall()


def test_indexes_and_constraints_are_gone_during_the_load_and_the_same_afterwards():
    table = ModelPrediction._meta.db_table
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        before = schema(cursor, table)
        with postgres_bulk_load(cursor, table):
            constraints, indexes = schema(cursor, table)
            # Only the check constraints stay; no table refers to this one's primary key.
            assert {kind for _, kind, _ in constraints} == {"c"}
            assert indexes == []
        assert schema(cursor, table) == before
    assert {"prediction_unique_rank", f"{table}_pkey"} <= {name for name, *_ in before[0]}
    assert "prediction_image_idx" in {name for name, _ in before[1]}


def test_a_load_that_brought_duplicates_fails_when_the_unique_constraint_is_made_again():
    table = ClassifierModel._meta.db_table
    with pytest.raises(psycopg2_errors.UniqueViolation):
        with transaction.atomic(), connection.cursor() as wrapper:
            cursor = wrapper.cursor
            with postgres_bulk_load(cursor, table):
                for _ in range(2):
                    cursor.execute(
                        f"INSERT INTO {table} (name, metadata, created_at) "
                        "VALUES ('resnet50', '{}', now())"
                    )
    assert not ClassifierModel.objects.exists()  # rolled back
