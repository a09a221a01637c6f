"""`limit`/`offset` pagination answering `{"count": N, "items": [...]}`, as Wagtail's API does.

Explicit per-list output schemas (see schemas.py) instead of ninja's `@paginate` keep the OpenAPI names
and the queries of each list endpoint in plain sight.
"""

from typing import Any, TypedDict

from django.db.models import QuerySet
from ninja import Field, Schema

from crosscluster.core.bounds import DB_INT_MAX

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many items to return (1 to 100).")
    # Bounded by the database's integer: a larger OFFSET overflows it (SQLite) or is refused (PostgreSQL).
    offset: int = Field(0, ge=0, le=DB_INT_MAX, description="How many items to skip.")


class Page(TypedDict):
    count: int
    items: list[Any]


def paginate(queryset: QuerySet[Any], page: PageParams) -> Page:
    """One COUNT and one query for the slice; the queryset must already be in a stable order."""
    assert queryset.ordered, "order the queryset so pages neither overlap nor skip rows"
    return {
        "count": queryset.count(),
        "items": list(queryset[page.offset : page.offset + page.limit]),
    }
