"""SQL run by hand, for the few hot paths where building a query through the ORM costs more than running it.

Measured on the contest's answer (``contests.services.answer_submit``, 2 CPUs, PostgreSQL): building and
compiling its four ORM statements took about 2 ms of Python per answer, running them 0.6 ms; a round of 5,000
contestants is 100,000 answers. The tools here keep the ORM as the source of the SQL wherever a query reads:

- ``Compiled``: a read query written with the ORM, compiled ONCE per database with a sentinel standing for its
  one variable value, then run with the value put in its place (``rows``, ``dicts``, ``first``). Values come
  back as the driver gives them: use ``as_datetime`` for a datetime column (SQLite gives its text);
- ``insert_row(model, values)``: one INSERT of the model's fields, each value prepared by its field exactly as
  ``save()`` would (JSON, decimals, datetimes), returning the new primary key;
- ``update_row(model, pk, add=..., set=...)``: one UPDATE of a row by primary key, adding to some columns in
  the database (``col = col + value``, as an F() update does, so concurrent increments are not lost) and
  setting others.

Anything else goes through the ORM: these are for statements run thousands of times a minute. Queries run
through ``django.db.connection``, so they join the caller's transaction and test query counts see them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.utils import timezone

SENTINEL = -7_654_321  # stands for the variable value while a query is compiled


class Compiled:
    """A read query compiled once per database. ``build(value)`` returns the queryset for one value (an id);
    it is called once with ``SENTINEL``, which must appear exactly once among the compiled parameters. A
    ``select_for_update`` query is compiled on its first run, inside the caller's transaction."""

    def __init__(self, build: Callable[[Any], QuerySet[Any]]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, str], tuple[str, list[Any], int]] = {}

    def sql(self) -> tuple[str, list[Any], int]:
        """The SQL, its parameters, and where the variable value goes among them."""
        key = (connection.alias, connection.vendor)
        if key not in self._compiled:
            sql, params = self._build(SENTINEL).query.sql_with_params()
            where = [i for i, value in enumerate(params) if value == SENTINEL]
            if len(where) != 1:
                raise ValueError("the sentinel must be the only parameter of its value, once")
            self._compiled[key] = (sql, list(params), where[0])
        return self._compiled[key]

    def _execute(self, value: Any) -> Any:
        sql, params, where = self.sql()
        cursor = connection.cursor()
        cursor.execute(sql, [*params[:where], value, *params[where + 1:]])
        return cursor

    def rows(self, value: Any) -> list[tuple[Any, ...]]:
        with self._execute(value) as cursor:
            return list(cursor.fetchall())

    def first(self, value: Any) -> tuple[Any, ...] | None:
        with self._execute(value) as cursor:
            row = cursor.fetchone()
            return tuple(row) if row is not None else None

    def dicts(self, value: Any) -> list[dict[str, Any]]:
        with self._execute(value) as cursor:
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_datetime(value: Any) -> dt.datetime | None:
    """A datetime read by hand: SQLite gives its text (UTC), PostgreSQL an aware datetime; None stays None."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return timezone.make_aware(moment, dt.UTC) if timezone.is_naive(moment) else moment


def _column(model: type[Model], name: str) -> tuple[Any, str]:
    """A concrete field of ``model`` and its quoted column."""
    field: Any = model._meta.pk if name == "pk" else model._meta.get_field(name)
    return field, connection.ops.quote_name(field.column)


def insert_row(model: type[Model], values: Mapping[str, Any]) -> int:
    """Insert one row of ``model`` (field name → value; the others take their database defaults, so give every
    field without one) and return its primary key."""
    columns, params = [], []
    for name, value in values.items():
        field, column = _column(model, name)
        columns.append(column)
        params.append(field.get_db_prep_save(value, connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(params))})"  # noqa: S608  # nosec B608 # quoted model table and column names
    pk_column = _column(model, "pk")[1]
    returning = connection.features.can_return_columns_from_insert
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk_column}" if returning else sql, params)
        return int(cursor.fetchone()[0] if returning else cursor.lastrowid)


def update_row(model: type[Model], pk: Any, *, add: Mapping[str, Any] = {},  # noqa: B006 - read only
               set: Mapping[str, Any] = {}) -> int:  # noqa: A002,B006 - the SQL word; read only
    """Update the row ``pk`` of ``model``: ``add`` to some columns in the database, ``set`` others; the number
    of rows changed (0 when the row is gone)."""
    assignments, params = [], []
    for name, value in add.items():
        field, column = _column(model, name)
        assignments.append(f"{column} = {column} + %s")
        params.append(field.get_db_prep_save(value, connection))
    for name, value in set.items():
        field, column = _column(model, name)
        assignments.append(f"{column} = %s")
        params.append(field.get_db_prep_save(value, connection))
    if not assignments:
        raise ValueError("nothing to update")
    table = connection.ops.quote_name(model._meta.db_table)
    pk_column = _column(model, "pk")[1]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE {pk_column} = %s",  # noqa: S608  # nosec B608 # quoted model table and column names
                       [*params, pk])
        return int(cursor.rowcount)
