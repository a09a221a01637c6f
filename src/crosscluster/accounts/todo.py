"""The manager's to-do list: what needs someone now, across the apps (the home of the manager area).

- `todo_for(user)`: new and overdue inquiries with their deadlines, feeds with errors, (for the coordination
  office) suspected duplicate events to decide, and notices that expire soon. A fixed number of queries.
- `nav_counts(request)`: the numbers on the manager navigation, in one database query (cached on the
  request; the home page hands over the numbers it has counted anyway).

What counts as "to do":
- Inquiries: for a manager those assigned to their organisations and not yet accepted (each has its response
  deadline; past it, overdue); for the coordination office those waiting for it (submitted) and every
  overdue one.
- Feeds: active feeds of their organisations whose last import failed or skipped something.
- Duplicates (coordination office): pairs of upcoming events that look alike and were not decided.
- Expiring: published notices they may edit whose "valid until" falls within `EXPIRING_DAYS`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from crosscluster.directory.access import is_coordinator, organizations_managed_by

# How many inquiries the home page lists (the inbox has them all).
INQUIRY_LIMIT = 10
# Notices whose validity ends within this many days are listed as expiring.
EXPIRING_DAYS = 14
REQUEST_ATTRIBUTE = "_manage_nav_counts"


@dataclass
class NavCounts:
    """The numbers on the manager navigation."""

    inquiries: int = 0
    overdue: int = 0
    feeds: int = 0
    expiring: int = 0

    @property
    def total(self) -> int:
        return self.inquiries + self.feeds + self.expiring


@dataclass
class ToDo:
    inquiries: list[Any] = field(default_factory=list)  # Inquiry, annotated `overdue`
    inquiry_count: int = 0
    overdue_count: int = 0
    feeds: list[Any] = field(default_factory=list)  # FeedSubscription with its organisation
    duplicates: int | None = None  # None: not the coordination office's
    expiring: list[Any] = field(default_factory=list)  # Notice with its organisation

    @property
    def empty(self) -> bool:
        return not (self.inquiries or self.feeds or self.duplicates or self.expiring)

    def nav_counts(self) -> NavCounts:
        return NavCounts(self.inquiry_count, self.overdue_count, len(self.feeds), len(self.expiring))


def inquiries_to_do(user: Any, now: dt.datetime) -> QuerySet:
    from crosscluster.inquiries import stats
    from crosscluster.inquiries.models import Inquiry

    if not user.is_authenticated or not user.is_active:
        return Inquiry.objects.none()
    if is_coordinator(user):
        wanted = Q(state=Inquiry.State.SUBMITTED) | stats.overdue_filter(now)
        return Inquiry.objects.filter(wanted)
    managed = organizations_managed_by(user)
    return Inquiry.objects.filter(organization__in=managed, state=Inquiry.State.ASSIGNED)


def _overdue(now: dt.datetime) -> Q:
    from crosscluster.inquiries import stats

    return stats.overdue_filter(now)


def feeds_to_fix(user: Any) -> QuerySet:
    from crosscluster.events.feeds.subscriptions import feeds_with_problems

    return feeds_with_problems(user)


def expiring_notices(user: Any, now: dt.datetime) -> QuerySet:
    from crosscluster.news.access import notices_editable_by

    return notices_editable_by(user).filter(
        published=True, valid_until__gt=now, valid_until__lte=now + dt.timedelta(days=EXPIRING_DAYS)
    )


def todo_for(user: Any, now: dt.datetime | None = None) -> ToDo:
    """Everything on the user's to-do list, most urgent first in each part."""
    from django.db.models import BooleanField, Case, Value, When

    now = now or timezone.now()
    inquiries = list(
        inquiries_to_do(user, now)
        .select_related("organization")
        .annotate(
            overdue=Case(
                When(_overdue(now), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by("-overdue", F("due_at").asc(nulls_last=True), "created_at", "pk")[: INQUIRY_LIMIT + 1]
    )
    todo = ToDo(inquiries=inquiries[:INQUIRY_LIMIT])
    if len(inquiries) > INQUIRY_LIMIT:  # only then are more queries needed for the counts
        todo.inquiry_count = inquiries_to_do(user, now).count()
        todo.overdue_count = inquiries_to_do(user, now).filter(_overdue(now)).count()
    else:
        todo.inquiry_count = len(inquiries)
        todo.overdue_count = sum(1 for inquiry in inquiries if inquiry.overdue)
    todo.feeds = list(feeds_to_fix(user).select_related("organization"))
    todo.expiring = list(expiring_notices(user, now).select_related("organization").order_by("valid_until"))
    if is_coordinator(user):
        from crosscluster.events.dedup import queries as dedup_queries

        todo.duplicates = len(dedup_queries.suspected_duplicates())
    return todo


def count_all(*querysets: QuerySet) -> list[int]:
    """The number of rows of each queryset, in one query (scalar subqueries; SQLite and PostgreSQL alike)."""
    parts, params = [], []
    for number, queryset in enumerate(querysets):
        try:
            sql, values = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # `.none()`: nothing to ask the database
            parts.append("0")
            continue
        # Django's SQL of the queryset with its values as parameters: nothing of the user's in the text.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")  # noqa: S608
        params.extend(values)
    if all(part == "0" for part in parts):
        return [0] * len(parts)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(value) for value in cursor.fetchone()]


def remember_nav_counts(request: HttpRequest, counts: NavCounts) -> None:
    setattr(request, REQUEST_ATTRIBUTE, counts)


def nav_counts(request: HttpRequest) -> NavCounts:
    """The numbers on the manager navigation for the request's user; one query, once per request."""
    counts = getattr(request, REQUEST_ATTRIBUTE, None)
    if counts is None:
        user, now = request.user, timezone.now()
        if not user.is_authenticated:
            counts = NavCounts()
        else:
            counts = NavCounts(
                *count_all(
                    inquiries_to_do(user, now),
                    inquiries_to_do(user, now).filter(_overdue(now)),
                    feeds_to_fix(user),
                    expiring_notices(user, now),
                )
            )
        remember_nav_counts(request, counts)
    return counts
