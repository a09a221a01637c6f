"""The querysets of the public calendar pages, all starting from `access.public_events()`.

Prefetches live here, next to the queries, so that the views stay free of N+1 queries. Only published
organisers are prefetched: an unpublished organisation never shows up through an event. A listed event
stands for its group of duplicates (events.dedup): pages show `event.listed_organizers` and
`event.listed_topics`, the union over the group, and the organiser and topic filters look at the group.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet

from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.search import filter_by_text

from .access import public_events
from .models import Event
from .times import midnight


def _published_organizers() -> Prefetch:
    return Prefetch("organizers", queryset=Organization.objects.filter(published=True).order_by("name"))


def with_relations(events: QuerySet[Event]) -> QuerySet[Event]:
    """One query more for the duplicates; their organisers and topics only when a page has duplicates."""
    duplicates = Event.objects.filter(published=True, removed_at__isnull=True).prefetch_related(
        _published_organizers(), "topics"
    )
    return events.prefetch_related(
        _published_organizers(), "topics", Prefetch("duplicates", queryset=duplicates)
    )


def _in_group(events: QuerySet[Event], **condition) -> QuerySet[Event]:
    """Events that match the condition themselves or through one of their duplicates."""
    through_duplicate = Event.objects.filter(duplicate_of__isnull=False, **condition).values("duplicate_of")
    return events.filter(
        Q(pk__in=Event.objects.filter(**condition).values("pk")) | Q(pk__in=through_duplicate)
    )


def filter_events(
    *,
    text: str = "",
    topic: Topic | None = None,
    organizer: Organization | None = None,
    format: str = "",
    city: str = "",
    free_only: bool = False,
) -> QuerySet[Event]:
    """Public events narrowed by each filter that is set; the time range is up to the caller."""
    events = public_events()
    if topic is not None:
        events = _in_group(events, topics=topic)
    if organizer is not None:
        events = _in_group(events, organizers=organizer)
    if format:
        events = events.filter(format=format)
    if city:
        events = events.filter(city=city)
    if free_only:
        events = events.filter(is_free=True)
    if text:
        events = filter_by_text(events, text)
    return events


def in_range(events: QuerySet[Event], start: dt.datetime | None, end: dt.datetime | None) -> QuerySet[Event]:
    """Events that overlap [start, end): running at some moment in it, or starting in it."""
    if start is not None:
        events = events.filter(Q(end__gt=start) | Q(start__gte=start, end=start))
    if end is not None:
        events = events.filter(start__lt=end)
    return events


def upcoming(events: QuerySet[Event], now: dt.datetime) -> QuerySet[Event]:
    """Not over yet: an event is listed until its end."""
    return events.filter(end__gte=now)


# The cities of the filter form change rarely but cost a scan of all public events: they are cached, and
# every write to events or organisations drops the cache (events.signals for single saves, the bulk import
# and dedup for their bulk statements). The timeout only bounds what a missed path could leave stale.
CITIES_CACHE_KEY = "events:public-cities"
CITIES_CACHE_TIMEOUT = 60 * 60


def invalidate_filter_choices() -> None:
    cache.delete(CITIES_CACHE_KEY)


def public_cities() -> list[str]:
    cities = cache.get(CITIES_CACHE_KEY)
    if cities is None:
        cities = list(
            public_events().exclude(city="").order_by("city").values_list("city", flat=True).distinct()
        )
        cache.set(CITIES_CACHE_KEY, cities, CITIES_CACHE_TIMEOUT)
    return cities


@dataclass
class Day:
    date: dt.date
    events: list[Event] = field(default_factory=list)
    in_month: bool = True


def days_with_events(events: list[Event], first: dt.date, last: dt.date) -> list[Day]:
    """One entry per day from `first` to `last`, each with the events that run on that day (Berlin time)."""
    days = []
    day = first
    while day <= last:
        start, end = midnight(day), midnight(day + dt.timedelta(days=1))
        running = [e for e in events if e.start < end and (e.end > start or (e.end == e.start >= start))]
        days.append(Day(date=day, events=running))
        day += dt.timedelta(days=1)
    return days


def event_for_page(pk: int) -> Event | None:
    return with_relations(public_events()).filter(pk=pk).first()


def canonical_for_duplicate(pk: int) -> Event | None:
    """The public event a merged duplicate is listed under, so that links to the duplicate still work."""
    return public_events().filter(duplicates__pk=pk).first()
