"""Counting page views: a middleware that adds one to a page's counter for the day, in one upsert.

What is counted: a successful (200) GET of an organisation's, an event's or a notice's public page, found by
the URL name of the view that answered. Nothing about the visitor is stored: no cookie is set, and the IP
address and the user agent are only read in memory (the user agent to leave out robots) and then forgotten.
What is left out, and why, is in docs/analytics.md.

Views are added up in the process and written every `ANALYTICS_FLUSH_SECONDS` (10 by default; 0 writes each
view at once, as the tests do): under a rush of cached pages a write per view would make the counter the
slowest part of a page (SQLite takes one writer at a time), while one write per page and flush costs nothing.
The price: a process killed without a chance to clean up loses the views of its last seconds (a normal stop
writes them, `atexit`). Statistics may lose that; inquiries and events never go this way.

One flush costs one query per page: an `INSERT … SELECT … ON CONFLICT DO UPDATE SET count = count + n`,
which SQLite (3.24+) and PostgreSQL both run atomically, so two servers counting the same page at the same
moment never lose a view or fail on the unique constraint. `bulk_create(update_conflicts=True)` cannot add
to the stored value (it can only overwrite it with the new row's), and get-or-create needs two or three
queries and a retry.
The SELECT looks up the page's id and region from the URL's slug or id in the same statement, and counts
nothing if the object is gone.
"""

import atexit
import contextlib
import logging
import threading
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from crosscluster.directory.models import Organization
from crosscluster.events.models import Event

from .models import PageViewCount

logger = logging.getLogger(__name__)

Kind = PageViewCount.Kind


@dataclass(frozen=True)
class CountedPage:
    kind: str
    url_kwarg: str
    # The object the URL names, as a query of at most one row with the columns `object_key` and `region_key`.
    source: Callable[[object], QuerySet]


def _organization(slug: object) -> QuerySet:
    return Organization.objects.filter(slug=slug).annotate(object_key=F("pk"), region_key=F("region_id"))


def _event(pk: object) -> QuerySet:
    # An event has no region of its own: its first organiser's counts (an event may have several).
    first_region = Organization.objects.filter(events=OuterRef("pk")).order_by("pk").values("region_id")[:1]
    return Event.objects.filter(pk=pk).annotate(object_key=F("pk"), region_key=Subquery(first_region))


def _notice(slug: object) -> QuerySet:
    # The news app is looked up by name, so that counting works with and without it.
    notice_model = apps.get_model("news", "Notice")
    return notice_model.objects.filter(slug=slug).annotate(object_key=F("pk"), region_key=F("region_id"))


# The pages that are counted, by the URL name of their view.
COUNTED_PAGES: dict[str, CountedPage] = {
    "directory:organization": CountedPage(Kind.ORGANIZATION, "slug", _organization),
    "events:detail": CountedPage(Kind.EVENT, "pk", _event),
    "news:notice": CountedPage(Kind.NOTICE, "slug", _notice),
}

# A user agent with one of these (lower-cased) is a robot: search engines, link checkers, previews.
ROBOT_MARKERS = ("bot", "crawl", "spider", "slurp", "headless")


def today() -> date:
    """The day a view counts for: the date in the display time zone (the retention rule counts in it too)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE)).date()


def is_countable(request: HttpRequest, response: HttpResponse) -> bool:
    """A person's successful visit: not HEAD, not a prefetch, not a robot, not someone of the initiative.

    Logged-in users are all managers of organisations or the coordination office; their own visits (checking
    an edit) would inflate the figures they read, so they are not counted.
    """
    if request.method != "GET" or response.status_code != 200 or response.streaming:
        return False
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
    ).lower()
    if "prefetch" in purpose or "preview" in purpose:
        return False
    agent = request.headers.get("User-Agent", "").lower()
    if not agent or any(marker in agent for marker in ROBOT_MARKERS):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def record_view(page: CountedPage, key: object, day: date, views: int = 1) -> None:
    """Add `views` views of the page with this URL key (slug or id) on `day`. One query.

    Not a service with an audit entry: a view is not a change anyone made, and the audit log must not grow
    with every visit.
    """
    source_sql, source_params = (
        page.source(key).order_by().values("object_key", "region_key").query.sql_with_params()
    )
    quote = connection.ops.quote_name
    table = quote(PageViewCount._meta.db_table)
    kind, object_id, region_id, day_column, count = (
        quote(PageViewCount._meta.get_field(name).column)
        for name in ("kind", "object_id", "region", "day", "count")
    )
    # Only quoted names and the ORM's own SQL are put into the text; every value is a parameter.
    # `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT (its documented ambiguity).
    sql = (
        f"INSERT INTO {table} ({kind}, {object_id}, {region_id}, {day_column}, {count}) "  # noqa: S608
        f"SELECT %s, source.object_key, source.region_key, %s, %s FROM ({source_sql}) source WHERE true "
        f"ON CONFLICT ({kind}, {object_id}, {day_column}) "
        f"DO UPDATE SET {count} = {table}.{count} + excluded.{count}"
    )
    params = (str(page.kind), connection.ops.adapt_datefield_value(day), views, *source_params)
    # Inside a transaction (a test, a view under atomic) a savepoint keeps a failure from breaking it;
    # outside, the statement is its own transaction and needs nothing around it.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(sql, params)


class _PendingViews:
    """The views this process has seen and not yet written, by page, URL key and day."""

    # At most this many distinct pages wait; more and the flush comes early (a crawl of every page).
    MAX_PAGES = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._views: Counter[tuple[str, object, date]] = Counter()
        self._flushed_at = time.monotonic()

    def add(self, view_name: str, key: object, day: date) -> None:
        with self._lock:
            self._views[(view_name, key, day)] += 1
        self.flush_if_due()

    def flush_if_due(self) -> None:
        """Flush when the interval is over (checked on every request, so a quiet page is not left waiting
        for its next view) or when many pages wait."""
        with self._lock:
            due = bool(self._views) and (
                time.monotonic() - self._flushed_at >= settings.ANALYTICS_FLUSH_SECONDS
                or len(self._views) >= self.MAX_PAGES
            )
        if due:
            self.flush()

    def flush(self) -> None:
        """Write what waits, one upsert per page; what fails to be written waits for the next flush."""
        with self._lock:
            views, self._views = self._views, Counter()
            self._flushed_at = time.monotonic()
        failed: Counter[tuple[str, object, date]] = Counter()
        for (view_name, key, day), count in views.items():
            try:
                record_view(COUNTED_PAGES[view_name], key, day, count)
            except Exception:  # counting must never cost a visitor the page
                logger.exception("%d page views of %s not counted yet", count, view_name)
                failed[(view_name, key, day)] = count
        if failed:
            with self._lock:
                if len(self._views) + len(failed) <= self.MAX_PAGES:
                    self._views.update(failed)


pending_views = _PendingViews()
atexit.register(pending_views.flush)


def count_page_views(get_response: Callable[[HttpRequest], HttpResponse]):
    """After the page is rendered, count it if it is one of COUNTED_PAGES; errors are logged, never raised."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        page = COUNTED_PAGES.get(match.view_name) if match is not None else None
        if page is not None:
            try:
                if is_countable(request, response):
                    pending_views.add(match.view_name, match.kwargs[page.url_kwarg], today())
            except Exception:  # counting must never cost a visitor the page
                logger.exception("page view of %s not counted", match.view_name)
        else:
            pending_views.flush_if_due()
        return response

    return middleware
