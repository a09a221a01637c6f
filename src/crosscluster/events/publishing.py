"""Publishing the Netzwerktimer: iCalendar subscriptions, RSS/Atom and the embeddable widget.

Every one of them takes the public list's filters, parsed by the same `EventFilterForm`, and starts from
`queries.filter_events` (so from `access.public_events()`), so what a subscriber sees is what the list shows.
A subscription is bounded: the last `PAST_DAYS` days and everything upcoming, at most `MAX_EVENTS` events,
in one query plus one per prefetched relation.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import icalendar
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.bounds import limit_dates

from . import export, queries
from .forms import EventFilterForm
from .models import Event
from .times import midnight

PAST_DAYS = 30
MAX_EVENTS = 1000
# How often a calendar program should fetch the subscription again.
REFRESH_INTERVAL = dt.timedelta(hours=6)
# The filters a subscription URL keeps; paging and anything else is dropped.
FILTER_NAMES = ("q", "topic", "organizer", "format", "city", "date_from", "date_to", "free")


def filter_form(data: QueryDict | dict[str, Any]) -> EventFilterForm:
    """The public list's filter form, bound and validated; invalid filters are left out, as on the list."""
    form = EventFilterForm(data, cities=queries.public_cities())
    form.is_valid()
    return limit_dates(form)


def filtered_events(form: EventFilterForm, **overrides: Any) -> QuerySet[Event]:
    """The public events matching the form's valid filters (and `overrides`, e.g. the organiser of a URL)."""
    events = queries.filter_events(**{**form.filters(), **overrides})
    date_from, date_to = form.date_range()
    return queries.in_range(
        events,
        midnight(date_from) if date_from else None,
        midnight(date_to + dt.timedelta(days=1)) if date_to else None,
    )


def subscription_events(events: QuerySet[Event], now: dt.datetime, *, keep_past: bool = False) -> list[Event]:
    """A subscription's events: recent and upcoming (or all, with `keep_past`), soonest first, bounded.

    Each carries the topics of its group of duplicates (`listed_topics`, the calendar's CATEGORIES), read
    in two queries as plain rows: Django's prefetching costs about a millisecond per event at 1,000
    events. Only the fields the calendar writes are loaded (`export.ICS_FIELDS`); organisers are not
    loaded, the calendar does not show them.
    """
    if not keep_past:
        events = queries.upcoming(events, now - dt.timedelta(days=PAST_DAYS))
    listed = list(events.order_by("start", "pk").only(*export.ICS_FIELDS)[:MAX_EVENTS])
    queries.attach_topics(listed)
    return listed


def upcoming_events(events: QuerySet[Event], now: dt.datetime, limit: int) -> list[Event]:
    return list(queries.with_relations(queries.upcoming(events, now).order_by("start", "pk"))[:limit])


def calendar_name(name: str = "") -> str:
    return _("Events – %(name)s") % {"name": name or settings.SITE_NAME}


def calendar_ics(events: list[Event], *, name: str, request: HttpRequest) -> bytes:
    refresh = icalendar.vDuration(REFRESH_INTERVAL).to_ical().decode()
    header = [
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + export.escape_text(name),
        "X-WR-TIMEZONE:" + settings.DISPLAY_TIME_ZONE,
        f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}",
        f"X-PUBLISHED-TTL:{refresh}",
    ]
    base = request.build_absolute_uri("/").rstrip("/")
    detail_url = queries.detail_url_maker()  # reversing 1,000 URLs one by one cost 15 ms
    # Every occurrence is an event of its own, with UTC times: the calendar program expands nothing, so
    # what it shows is what the site lists, across changes to summer time too. DTSTAMP is now, the time
    # the file is written (RFC 5545 3.8.7.2).
    now = timezone.now()
    return export.calendar_text(
        header,
        [
            export.event_lines(
                event, base + detail_url(event.pk), [topic.name for topic in event.listed_topics], stamp=now
            )
            for event in events
        ],
    )


def filter_query(data: QueryDict) -> str:
    """The filter part of a URL's query string, for links to the subscriptions of the current list."""
    pairs = [(name, value) for name in FILTER_NAMES for value in data.getlist(name) if value]
    return urlencode(pairs)
