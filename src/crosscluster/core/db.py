"""The few places where the calendar goes below Django's ORM, because a benchmark showed it matters.

Everything else uses the ORM as it is (`bulk_create`, `values_list`, `Q`). Each function here does what a
plain ORM call does, only faster, and tests/core/test_db.py checks that the results are the same:

- `insert_rows`: new rows without instances, by COPY on PostgreSQL: the feed import's new events and their
  organiser links (bench/events.py: `bulk_create` took about 0.18 s more per 2,000 imported events);
- `fetch_rows`: the rows of a `values_list` queryset as the driver returns them, without Django's per-value
  converters: grouping duplicates reads hundreds of thousands of candidate rows per import, and a busy
  month page thousands of calendar entries (events.queries.calendar_entries);
- `any_range`: "a column within one of these ranges" for hundreds of ranges, as one SQL condition built in
  microseconds (as `Q` objects the same condition took milliseconds to build per query).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from .bilingual import column as text_column
from .bilingual import translated_fields


def insert_rows(model: type[models.Model], common: Mapping[str, Any], rows: list[Mapping[str, Any]]) -> None:
    """INSERT `rows` into the model's table, every column as `bulk_create` would write it: by COPY on
    PostgreSQL (psycopg 3), else in one `executemany`; the database returns no ids (read them back by a
    unique key).

    A row maps attnames to values; a field it lacks takes its default, as a new instance would. A column
    that no row has takes its value from `common`, else the value its field gives a new instance (its
    default; `auto_now` and `auto_now_add` fields the time of writing), prepared for the database once for
    all rows: `bulk_create` compiles every value of every row, which for a feed's new events costs more
    than their statement. All values are prepared by their field (`get_db_prep_save`).
    """
    if not rows:
        return
    # A translated text's plain name (`title`) is written to its German column too (core/bilingual.py).
    german = {name: text_column(model, name) for name in translated_fields(model)}
    rows = [{**row, **{german[k]: v for k, v in row.items() if k in german}} for row in rows]
    given: dict[str, None] = {}
    for row in rows:
        given.update(dict.fromkeys(row))
    template = model(**common)
    varying: list[models.Field] = []
    fixed: list[models.Field] = []
    for field in model._meta.concrete_fields:
        if field.generated or isinstance(field, models.AutoField):
            continue  # the database fills these, as for `bulk_create` of instances without a pk
        if hasattr(field, "get_placeholder"):
            raise TypeError(f"{field.name} needs an SQL placeholder of its own; use bulk_create")
        if field.attname in given or (
            field.attname not in common and field.has_default() and callable(field.default)
        ):
            varying.append(field)  # a callable default is called per row, as per instance
        else:
            fixed.append(field)
    unknown = set(given) - {field.attname for field in varying}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with connection.cursor() as cursor:
        db = cursor.db  # the connection itself: `connection` looks it up per use
        fixed_values = [field.get_db_prep_save(field.pre_save(template, add=True), db) for field in fixed]
        params = [
            [
                *(
                    field.get_db_prep_save(
                        row[field.attname] if field.attname in row else field.get_default(), db
                    )
                    for field in varying
                ),
                *fixed_values,
            ]
            for row in rows
        ]
        quote = db.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in [*varying, *fixed])
        if db.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            # psycopg 3: COPY writes rows several times faster than INSERT statements on PostgreSQL.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
            return
        placeholders = ", ".join(["%s"] * (len(varying) + len(fixed)))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params)  # noqa: S608


def fetch_rows(queryset: QuerySet) -> list[tuple[Any, ...]]:
    """`list(queryset)` of a `values_list` queryset, but the values as the database driver returns them:
    no converters (SQLite gives booleans as 0/1 and datetimes as text; annotate text where a time is read).
    The same rows, in the same order, as `values_list` gives for text, numbers and text annotations. On a
    translated model, turn modeltranslation's rewriting off first (`.rewrite(False)`): its SQL selects the
    columns in another order than named."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def any_range(flag: str, column: str, ranges: Iterable[tuple[bool, dt.datetime, dt.datetime]]) -> RawSQL:
    """A condition for `.filter()`: `flag = f AND low <= column <= high` for one of the (f, low, high)
    ranges; the database uses an index on `column` for each. Equivalent to OR-ing `Q(flag=f,
    column__range=(low, high))`, built as plain SQL in microseconds instead of `Q` objects in milliseconds."""
    ops = connection.ops
    quoted_flag, quoted_column = ops.quote_name(flag), ops.quote_name(column)
    term = f"({quoted_flag} = %s AND {quoted_column} >= %s AND {quoted_column} <= %s)"
    params: list[Any] = []
    for value, low, high in ranges:
        params += [value, ops.adapt_datetimefield_value(low), ops.adapt_datetimefield_value(high)]
    if not params:
        return RawSQL("1 = 0", [], output_field=BooleanField())
    sql = "(" + " OR ".join([term] * (len(params) // 3)) + ")"  # quoted names; values are parameters
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611
