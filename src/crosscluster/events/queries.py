"""The querysets of the public calendar pages, all starting from `access.public_events()`.

Prefetches live here, next to the queries, so that the views stay free of N+1 queries. Only published
organisers are prefetched: an unpublished organisation never shows up through an event. A listed event
stands for its group of duplicates (events.dedup): pages show `event.listed_organizers` and
`event.listed_topics`, the union over the group, and the organiser and topic filters look at the group.
"""

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.urls import reverse

from crosscluster.core.bilingual import GERMAN, page_language
from crosscluster.core.db import fetch_rows
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.queries import published_organizations
from crosscluster.directory.search import filter_by_text

from .access import public_events
from .models import Event, _union
from .times import display_zone, from_utc_text, midnight, utc_text


def _published_organizers() -> Prefetch:
    return Prefetch("organizers", queryset=published_organizations().order_by("name"))


def with_relations(events: QuerySet[Event]) -> QuerySet[Event]:
    """One query more for the duplicates; their organisers and topics only when a page has duplicates."""
    # Unordered: ordered by start, SQLite would walk the start index instead of looking up duplicate_of.
    duplicates = (
        Event.objects.filter(published=True, removed_at__isnull=True)
        .order_by()
        .prefetch_related(_published_organizers(), "topics")
    )
    return events.prefetch_related(
        _published_organizers(), "topics", Prefetch("duplicates", queryset=duplicates)
    )


def attach_topics(events: list[Event]) -> None:
    """Set `listed_topics` of each event (its own and its live duplicates' topics) in two queries."""
    group = {event.pk: [event.pk] for event in events}
    duplicates = Event.objects.filter(
        duplicate_of_id__in=list(group), published=True, removed_at__isnull=True
    ).order_by()
    for pk, canonical in duplicates.values_list("pk", "duplicate_of_id"):
        group[canonical].append(pk)
    links = Event.topics.through.objects.filter(event_id__in=[pk for pks in group.values() for pk in pks])
    topics: dict[int, Topic] = {}
    of_event: dict[int, list[Topic]] = {}
    for event_id, topic_id, slug, name in links.values_list(
        "event_id", "topic_id", "topic__slug", "topic__name"
    ):
        topic = topics.setdefault(topic_id, Topic(pk=topic_id, slug=slug, name=name))
        of_event.setdefault(event_id, []).append(topic)
    for event in events:
        event.listed_topics = _union([of_event.get(pk, []) for pk in group[event.pk]])


def _in_group(events: QuerySet[Event], links: QuerySet) -> QuerySet[Event]:
    """Events that have one of these link rows (organiser or topic) themselves or through a duplicate.

    Two EXISTS looked up per event by the link table's (event, …) index: with `pk IN (…)` lists, the
    database read every event of a popular topic first and only then the requested month.
    """
    own = links.filter(event_id=OuterRef("pk"))
    # `isnull=False` adds nothing to the equality, but lets PostgreSQL read the duplicates from their partial
    # index when it hashes this subquery, instead of joining every event to the links (bench/events.py).
    through_duplicate = links.filter(event__duplicate_of=OuterRef("pk"), event__duplicate_of__isnull=False)
    return events.filter(Exists(own) | Exists(through_duplicate))


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
        events = _in_group(events, Event.topics.through.objects.filter(topic=topic))
    if organizer is not None:
        events = _in_group(events, Event.organizers.through.objects.filter(organization=organizer))
    if format:
        events = events.filter(format=format)
    if city:
        events = events.filter(city=city)
    if free_only:
        events = events.filter(is_free=True)
    if text:
        events = filter_by_text(events, text, kind="event")
    return events


def in_range(events: QuerySet[Event], start: dt.datetime | None, end: dt.datetime | None) -> QuerySet[Event]:
    """Events that overlap [start, end): running at some moment in it, or starting in it.

    The condition on `end` alone would make the database walk the start index from the first event ever;
    the bound by the longest duration (the same events) lets it start near `start`.
    """
    if start is not None:
        events = events.filter(
            Q(end__gt=start) | Q(start__gte=start, end=start), start__gte=start - longest_duration()
        )
    if end is not None:
        events = events.filter(start__lt=end)
    return events


def upcoming(events: QuerySet[Event], now: dt.datetime) -> QuerySet[Event]:
    """Not over yet: an event is listed until its end (bounded by start as in `in_range`)."""
    return events.filter(end__gte=now, start__gte=now - longest_duration())


# Two facts about all events change rarely but cost a scan of the whole table: the cities of the filter
# form, and the longest duration of any event (which bounds every time-range query by start, below). They
# are cached together with the filter form's organisers and topics, and every write to events,
# organisations or topics drops the cache (events.signals for
# single saves; the bulk import, dedup and feed removal for their bulk statements). The timeout only
# bounds what a missed path could leave stale.
# Versioned: a release that changes what is cached changes the key, so it never reads an older entry.
FACTS_CACHE_KEY = "events:calendar-facts:2"
CHOICES_CACHE_KEY = "events:filter-choices:1"
FACTS_CACHE_TIMEOUT = 60 * 60


def invalidate_filter_choices() -> None:
    cache.delete_many([FACTS_CACHE_KEY, CHOICES_CACHE_KEY])


def _facts() -> dict:
    facts = cache.get(FACTS_CACHE_KEY)
    if facts is None:
        cities = public_events().exclude(city="").order_by("city").values_list("city", flat=True).distinct()
        longest = Event.objects.aggregate(longest=Max(F("end") - F("start")))["longest"]
        facts = {"cities": list(cities), "longest": longest or dt.timedelta(0)}
        cache.set(FACTS_CACHE_KEY, facts, FACTS_CACHE_TIMEOUT)
    return facts


def public_cities() -> list[str]:
    return _facts()["cities"]


def filter_choices() -> dict[str, list]:
    """The choices of the public filter form (`EventFilterForm`'s keyword arguments): listing a few hundred
    organisers from the cache instead of as model instances saves more than a page of events costs.
    Cached apart from the facts, which the exports and the API need without the form."""
    choices = cache.get(CHOICES_CACHE_KEY)
    if choices is None:
        organizers = published_organizations().order_by("name").values_list("slug", "name")
        topics = Topic.objects.order_by("position", "name").values_list("slug", "name")
        choices = {"organizers": list(organizers), "topics": list(topics)}
        cache.set(CHOICES_CACHE_KEY, choices, FACTS_CACHE_TIMEOUT)
    return {"cities": public_cities(), **choices}


def longest_duration() -> dt.timedelta:
    """No event lasts longer: an event that ends after T started after T minus this."""
    return _facts()["longest"]


@dataclass
class Day:
    date: dt.date
    events: list[Event] = field(default_factory=list)
    in_month: bool = True
    is_today: bool = False
    # At most `shown` events are listed in a calendar cell; the rest are behind a link to the day's list.
    shown: int | None = None
    more_url: str = ""

    @property
    def visible(self) -> list[Event]:
        return self.events if self.shown is None else self.events[: self.shown]

    @property
    def iso(self) -> str:
        return self.date.isoformat()

    @property
    def more(self) -> int:
        return len(self.events) - len(self.visible)


def days_with_events(
    events: list[Event], first: dt.date, last: dt.date, *, shown: int | None = None
) -> list[Day]:
    """One entry per day from `first` to `last`, each with the events that run on that day (Berlin time).

    Each event is put into the days it touches (not each day tested against every event: a busy month has
    thousands); an event running on a day is one that starts before its end and ends after its start, or a
    zero-length event at or after its start.
    """
    one_day = dt.timedelta(days=1)
    dates = [first + one_day * n for n in range((last - first).days + 1)]
    days = [Day(date=date, shown=shown) for date in dates]
    # bounds[i] is the start of days[i]; in UTC like the events, so comparing them needs no zone lookups
    bounds = [midnight(date).astimezone(dt.UTC) for date in [*dates, last + one_day]]
    for event in events:
        index = max(0, bisect_right(bounds, event.start) - 1)  # the day it starts on, or the first
        while index < len(days):
            start, end = bounds[index], bounds[index + 1]
            if event.start >= end:
                break
            if event.end > start or event.end == event.start >= start:
                days[index].events.append(event)
            elif event.end <= start:
                break
            index += 1
    return days


@dataclass(slots=True)
class CalendarEntry:
    """An event as a calendar cell shows it: much cheaper to load by the thousand than a model instance.

    The month grid shows a few per day of the thousands it loads; only those get their link and label
    (`label_month_cells`), written in Python rather than by template filters.
    """

    pk: int
    title: str
    start: dt.datetime
    end: dt.datetime
    all_day: bool
    status: str
    url: str = ""
    time_label: str = ""  # "09:30" in the display zone; empty for all-day events
    status_label: str = ""  # empty while scheduled
    title_lang: str = ""  # "de" when an English page shows the German title for want of an English one


def detail_url_maker() -> Callable[[int], str]:
    """A function pk -> the event page's URL (in the active language): `reverse` costs about 20 µs, and a
    month page links almost two hundred events, so it is reversed once and the id filled in."""
    marker = "2147483647"
    head, _marker, tail = reverse("events:detail", kwargs={"pk": int(marker)}).partition(marker)
    return lambda pk: f"{head}{pk}{tail}"


def link_days(days: list[Day], query: QueryDict) -> None:
    """Set the link of each day that has more events than it shows: the list page with the current
    filters, for that day (what `{% querystring page=None date_from=… date_to=… %}` would write)."""
    list_url = reverse("events:list")
    for day in days:
        if day.more:
            params = query.copy()
            params.pop("page", None)
            params["date_from"] = params["date_to"] = day.iso
            day.more_url = f"{list_url}?{params.urlencode()}"


def label_month_cells(days: list[Day], query: QueryDict) -> None:
    """Set the link and labels of the entries a month cell shows, and the days' links to their lists."""
    detail_url = detail_url_maker()
    zone = display_zone()
    for day in days:
        for entry in day.visible:
            entry.url = detail_url(entry.pk)
            entry.time_label = "" if entry.all_day else entry.start.astimezone(zone).strftime("%H:%M")
            status = Event.Status(entry.status)
            entry.status_label = "" if status == Event.Status.SCHEDULED else str(status.label)
    link_days(days, query)


def load_visible(days: list[Day]) -> None:
    """Replace the entries the days show by full events with their organisers and topics (one query and
    its prefetches for the whole page); the entries they only count stay entries."""
    visible = {entry.pk for day in days for entry in day.visible}
    full = {event.pk: event for event in with_relations(Event.objects.filter(pk__in=visible).order_by())}
    for day in days:
        shown = len(day.visible)
        day.events = [full[entry.pk] for entry in day.events[:shown]] + day.events[shown:]


def calendar_entries(events: QuerySet[Event]) -> list[CalendarEntry]:
    """The rows without Django's converters (core.db.fetch_rows), times as text (`times.utc_text`): a busy
    month has thousands."""
    events = events.annotate(start_text=utc_text("start"), end_text=utc_text("end"))
    # Both titles, in the order listed (modeltranslation's rewriting would reorder the columns).
    rows = fetch_rows(
        events.rewrite(False).values_list(
            "pk", "title_de", "title_en", "start_text", "end_text", "all_day", "status"
        )
    )
    english = page_language() != GERMAN
    return [
        CalendarEntry(
            pk,
            (title_en if english and title_en else title_de) or "",
            from_utc_text(start),
            from_utc_text(end),
            bool(all_day),
            status,
            title_lang=GERMAN if english and not title_en else "",
        )
        for pk, title_de, title_en, start, end, all_day, status in rows
    ]


def event_for_page(pk: int) -> Event | None:
    return with_relations(public_events()).filter(pk=pk).first()


def canonical_for_duplicate(pk: int) -> Event | None:
    """The public event a merged duplicate is listed under, so that links to the duplicate still work."""
    return public_events().filter(duplicates__pk=pk).first()
