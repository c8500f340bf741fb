"""Helpers for the few hot-path statements written out as SQL instead of built by the ORM
(building a query costs the ORM 0.4-1 ms of Python; these run on every labeling request)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def quote(name: str | None) -> str:
    """A table or column name quoted for the database in use."""
    assert name is not None  # concrete fields have columns
    return connection.ops.quote_name(name)


def column(model: type[Model], field: str) -> str:
    """The quoted column of one of the model's fields."""
    return quote(model._meta.get_field(field).column)  # type: ignore[union-attr]


def table(model: type[Model]) -> str:
    return quote(model._meta.db_table)


def loaded(fields: Sequence[Field], values: Sequence[Any]) -> tuple[list[str], list[Any]]:
    """Field names and values as the ORM would load them (SQLite returns datetimes as text),
    for Model.from_db."""
    out = []
    for field, value in zip(fields, values, strict=True):
        col = field.get_col(field.model._meta.db_table)
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            value = convert(value, col, connection)
        out.append(value)
    return [f.attname for f in fields], out
