"""The list filters' text box (directory, calendar, notices, the API's `q`) on the search's documents.

A filter keeps the rows whose search document contains every word of the text in some form: the same
terms, word forms, prefixes and compound parts as the site search (core.text, search.query), answered by
the database's full-text index. No typo correction or synonyms here: a filter narrows a list the visitor
is looking at, and should narrow it by what was typed.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .backends import get_backend
from .query import clauses, tokens


def filter_by_text(queryset: QuerySet, text: str, kind: str) -> QuerySet:
    """The rows of `queryset` (objects of `kind`) whose document matches every word of `text`."""
    parsed = clauses(tokens(text))
    if not parsed:
        return queryset
    sql, params = get_backend().ids(kind, parsed)
    # The SQL is the backend's own (table names of known kinds); the terms travel as parameters.
    return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611
