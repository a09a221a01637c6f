"""Grouping duplicates: which events form one group, written as `duplicate_of`.

Candidates are found by start and by title key, never by comparing all pairs (`_Grouper`): only events
within `START_TOLERANCE` (timed) or on the same day (all-day) that share a key of their titles are compared
(dedup.similarity). A title's keys are the whole folded title, each of its words, and the first and last four
letters of its words run together (`Wasserstoff-Forum` and `Wasserstoffforum` share those). A word or letter
key that more than `KEY_LIMIT` events near an event share is not used for it (like a stop word: "Workshop"
at a busy hour); the whole title always is. So a feed's duplicate check stays near-linear in its size; a
pair alike enough but sharing no used key (a one-word title misspelt at both ends, or titles that share only
words that crowd the hour) is not merged automatically, and the office can still merge it by hand.

Moved events are announced (core.signals.events_changed): their `listed` flag and the filter facts follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable
from operator import attrgetter
from typing import Any

from django.db.models import Q, QuerySet

from crosscluster.core.db import any_range, fetch_rows
from crosscluster.core.signals import announce, events_changed
from crosscluster.events.models import DuplicateDecision, Event, FeedSubscription
from crosscluster.events.times import from_utc_text, midnight, utc_text

from .similarity import (
    AUTO_MERGE,
    START_TOLERANCE,
    analyse_title,
    canonical_of,
    different_cities,
    is_live,
    pair,
    place_words,
    same_start,
    title_similarity,
)

# A safety bound on one group; real groups have two or three events.
MAX_GROUP = 20
# A word or letter key of a title shared by more events than this near an event is not used to find its
# candidates (see the module docstring); the whole title always is.
KEY_LIMIT = 64


def _live(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.filter(published=True, removed_at__isnull=True)


def _identity_condition(keys: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for key in keys:
        kind, _sep, rest = key.partition(":")
        if kind == "event":
            condition |= Q(pk=int(rest))
        else:
            feed_id, _sep, uid = rest.partition(":")
            condition |= Q(feed_id=int(feed_id), source_uid=uid)
    return condition


# The fields that grouping reads; candidates are loaded with only these.
_FIELDS = (
    "id",
    "title",
    "start",
    "all_day",
    "venue",
    "address",
    "city",
    "format",
    "published",
    "removed_at",
    "feed_id",
    "source_uid",
    "source",
    "created_at",
    "duplicate_of_id",
)
# The German title, whatever language is active (core/bilingual.py).
_COLUMNS = {"title": "title_de"}
# The datetime fields among them: read as UTC text (times.utc_text).
_TIMES = ("start", "removed_at", "created_at")
_DAY = dt.timedelta(days=1)
_INSTANT = dt.timedelta(microseconds=1)  # windows include both ends: a day ends just before the next midnight
# Timed candidates are kept in buckets of this size, so a lookup reads three buckets.
_BUCKET = START_TOLERANCE
_BUCKET_SECONDS = _BUCKET.total_seconds()
_BY_START = attrgetter("start", "pk")  # the order of the calendar
# Queries are split so that no statement has more than a few hundred parameters.
_CHUNK = 200


class _Row:
    """The fields of an event that grouping reads: much cheaper to make than a model instance.

    `created_at` is parsed only when it is read (choosing a group's canonical event), and `first_day`
    computed once: most candidates are compared and dropped without them.
    """

    __slots__ = (*(name for name in _FIELDS if name != "created_at"), "pk", "_created_at", "_first_day")

    def __init__(self, *values: Any) -> None:
        (
            self.id,
            self.title,
            self.start,
            self.all_day,
            self.venue,
            self.address,
            self.city,
            self.format,
            self.published,
            self.removed_at,
            self.feed_id,
            self.source_uid,
            self.source,
            self._created_at,
            self.duplicate_of_id,
        ) = values
        self.pk = self.id  # a slot, not a property: read millions of times
        self._first_day: dt.date | None = None

    @property
    def created_at(self) -> dt.datetime | None:
        return from_utc_text(self._created_at)

    @property
    def first_day(self) -> dt.date:
        if self._first_day is None:
            self._first_day = Event.first_day.fget(self)
        return self._first_day

    identity = Event.identity


def _rows(events: QuerySet[Event], *, skip: Container[int] = ()) -> list[_Row]:
    """The events as `_Row`s, but those with an id in `skip` (already known), read by the cursor directly:
    grouping an import reads hundreds of thousands of candidate rows, and Django's per-value converters
    cost more than the rest of a row (core.db.fetch_rows); datetimes are read as text (`times.utc_text`)."""
    events = events.annotate(**{f"{name}_text": utc_text(name) for name in _TIMES})
    fields = tuple(f"{name}_text" if name in _TIMES else _COLUMNS.get(name, name) for name in _FIELDS)
    # Without modeltranslation's rewriting, which would select the columns in another order than listed.
    rows = fetch_rows(events.rewrite(False).values_list(*fields))
    return [
        _Row(
            pk,
            title,
            from_utc_text(start),
            bool(all_day),
            venue,
            address,
            city,
            event_format,
            bool(published),
            from_utc_text(removed),
            feed_id,
            uid,
            source,
            created,
            duplicate_of,
        )
        for (
            pk,
            title,
            start,
            all_day,
            venue,
            address,
            city,
            event_format,
            published,
            removed,
            feed_id,
            uid,
            source,
            created,
            duplicate_of,
        ) in rows
        if pk not in skip
    ]


class _Grouper:
    """Regroups many events at once: the candidates near all of them are loaded in a few queries.

    Candidates of an event can only be live events that start within `START_TOLERANCE` (timed) or on the
    same day (all-day), plus those the office merged with it by hand; only these are read, by start, and
    compared in Python. Every manual decision is read once (the office decides a handful per week).
    """

    def __init__(self, check: Callable[[], None] | None = None) -> None:
        self.check = check or (lambda: None)  # called for each group formed; raises to stop (feeds.limits)
        self.decisions: dict[tuple[str, str], str] = {}
        self.decided: set[str] = set()  # the identities with a decision: most events have none
        self.same: dict[str, set[str]] = {}
        for key_a, key_b, decision in DuplicateDecision.objects.values_list("key_a", "key_b", "decision"):
            self.decisions[(key_a, key_b)] = decision
            self.decided.update((key_a, key_b))
            if decision == DuplicateDecision.Decision.SAME:
                self.same.setdefault(key_a, set()).add(key_b)
                self.same.setdefault(key_b, set()).add(key_a)
        self.events: dict[int, Event] = {}
        self._identities: dict[str, Event] | None = None  # see by_identity
        # Live events by time (half-hour bucket or day), then by title key (`Title.keys`).
        self.timed: dict[int, dict[str, list[Event]]] = {}
        self.all_day: dict[dt.date, dict[str, list[Event]]] = {}
        self.expanded: set[int] = set()
        self.matches: dict[tuple[int, int], bool] = {}
        self.place: dict[int, frozenset[str]] = {}

    def _remember(self, event: Event) -> Event:
        known = self.events.get(event.pk)
        if known is not None:
            return known
        self.events[event.pk] = event
        if self._identities is not None:
            self._identities[event.identity] = event
        if is_live(event):
            if event.all_day:
                by_key = self.all_day.setdefault(event.first_day, {})
            else:
                by_key = self.timed.setdefault(self._bucket(event.start), {})
            for key in analyse_title(event.title).keys:
                by_key.setdefault(key, []).append(event)
        return event

    @property
    def by_identity(self) -> dict[str, Event]:
        """The known events by identity, for the events merged by hand; made when first needed, since the
        events of most imports have no manual decision."""
        if self._identities is None:
            self._identities = {event.identity: event for event in self.events.values()}
        return self._identities

    @staticmethod
    def _bucket(start: dt.datetime) -> int:
        return int(start.timestamp() // _BUCKET_SECONDS)

    def add(self, events: Iterable[Event]) -> list[Event]:
        """Take these events as known (the same instances come back for the same ids) and load near them."""
        known = [self._remember(event) for event in events]
        self._load_near(known)
        return known

    def _load_near(self, events: list[Event]) -> None:
        todo = [event for event in events if event.pk not in self.expanded and is_live(event)]
        if not todo:
            return
        self.expanded.update(event.pk for event in todo)
        windows: list[tuple[bool, dt.datetime, dt.datetime]] = []
        # Candidates are looked up by start (indexed), then compared in Python: timed events within
        # START_TOLERANCE, all-day events on the same day (Europe/Berlin), from its midnight to the next.
        timed = [(e.start - START_TOLERANCE, e.start + START_TOLERANCE) for e in todo if not e.all_day]
        days = {e.first_day for e in todo if e.all_day}
        all_day = [(midnight(day), midnight(day + _DAY) - _INSTANT) for day in days]
        for is_all_day, spans in ((False, sorted(timed)), (True, sorted(all_day))):
            merged: list[list[dt.datetime]] = []
            for low, high in spans:
                if merged and low <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], high)
                else:
                    merged.append([low, high])
            windows += [(is_all_day, low, high) for low, high in merged]
        merged_by_hand = {key for e in todo for key in self.same.get(e.identity, ())} if self.same else set()
        keys = sorted(merged_by_hand - self.by_identity.keys()) if merged_by_hand else []
        live = _live(Event.objects.order_by())  # unordered: SQLite then searches the index per window
        queries = [
            live.filter(_identity_condition(keys[i : i + _CHUNK])) for i in range(0, len(keys), _CHUNK)
        ]
        queries += [
            live.filter(any_range("all_day", "start", windows[i : i + _CHUNK]))
            for i in range(0, len(windows), _CHUNK)
        ]
        for query in queries:
            for row in _rows(query, skip=self.events):
                self._remember(row)

    def place_words(self, event: Event) -> frozenset[str]:
        words = self.place.get(event.pk)
        if words is None:
            words = self.place[event.pk] = place_words(event)
        return words

    def _match(self, a: Event, b: Event) -> bool:
        """compare(a, b) == "same", with the cheap conditions first and the answer kept."""
        pair = (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)
        found = self.matches.get(pair)
        if found is None:
            words_a, words_b = self.place_words(a), self.place_words(b)
            found = (
                same_start(a, b)
                and bool(words_a and words_b and not words_a.isdisjoint(words_b))
                and not different_cities(a, b)
                and title_similarity(a.title, b.title, at_least=AUTO_MERGE) >= AUTO_MERGE
            )
            self.matches[pair] = found
        return found

    def neighbours(self, event: Event) -> list[Event]:
        """The live events that are the same as this one: matched automatically or merged by hand."""
        if not is_live(event):
            return []
        self._load_near([event])
        if event.all_day:
            places = [self.all_day.get(event.first_day)]
        else:
            bucket = self._bucket(event.start)
            places = [self.timed.get(b) for b in (bucket - 1, bucket, bucket + 1)]
        by_key = [place for place in places if place]
        nearby: list[Event] = []
        for title_key in analyse_title(event.title).keys:
            lists = [place[title_key] for place in by_key if title_key in place]
            if title_key[0] != "=" and sum(map(len, lists)) > KEY_LIMIT:
                continue  # a crowded word: the events that share it are found by their other keys
            for found_here in lists:
                nearby.extend(found_here)
        key = event.identity
        same = (
            [self.by_identity[k] for k in self.same[key] if k in self.by_identity] if key in self.same else []
        )
        decided = key in self.decided
        found, seen = [], {event.pk}
        # In the order of the calendar, as one query by start would return them; merged by hand last.
        for candidate in [*sorted(nearby, key=_BY_START), *same]:
            if candidate.pk in seen or not is_live(candidate):
                continue
            seen.add(candidate.pk)
            decision = self.decisions.get(pair(key, candidate.identity)) if decided else None
            if decision == "same" or (decision is None and self._match(event, candidate)):
                found.append(candidate)
        return found

    def components(self, seeds: list[Event]) -> list[list[Event]]:
        visited: set[int] = set()
        components = []
        for seed in seeds:
            if seed.pk in visited:
                continue
            self.check()
            visited.add(seed.pk)
            component, queue = [seed], [seed]
            while queue and len(component) < MAX_GROUP:
                node = queue.pop(0)
                for candidate in self.neighbours(node):
                    if candidate.pk in visited:
                        continue
                    if any(
                        self.decisions.get(pair(candidate.identity, m.identity)) == "different"
                        for m in component
                    ):
                        continue  # the office split these two: a third event does not join them again
                    visited.add(candidate.pk)
                    component.append(candidate)
                    queue.append(candidate)
            components.append(component)
        return components


def _apply(components: list[list[Event]]) -> None:
    """Point every member at its group's canonical event, in one UPDATE per canonical event."""
    moves: dict[int | None, list[int]] = {}
    touched: set[int | None] = set()  # whose `listed` may change: moved events, old and new canonicals
    for component in components:
        canonical = canonical_of(component) if all(map(is_live, component)) else None
        for member in component:
            wanted = None if canonical is None or member.pk == canonical.pk else canonical.pk
            if member.duplicate_of_id != wanted:
                moves.setdefault(wanted, []).append(member.pk)
                touched.update((member.pk, member.duplicate_of_id, wanted))
                member.duplicate_of_id = wanted
    for wanted, pks in moves.items():
        for i in range(0, len(pks), _CHUNK * 4):
            Event.objects.filter(pk__in=pks[i : i + _CHUNK * 4]).update(duplicate_of=wanted)
    # Moved events, their old and new canonical events: their `listed` flag, and the filter facts (a merge
    # can hide the only event of a city).
    announce(events_changed, Event, touched)


def refresh_events(events: Iterable[Event], *, check: Callable[[], None] | None = None) -> None:
    """Regroup these events and their current groups after they changed (created, edited, imported,
    removed), in one pass: the groups are read in one query, the candidates near them in a few.
    `check` is called for each group formed, and may raise to stop (an import's processing time)."""
    grouper = _Grouper(check)
    events = grouper.add(events)
    roots = sorted({event.duplicate_of_id or event.pk for event in events})
    members: dict[int, list[Event]] = {}
    for i in range(0, len(roots), _CHUNK * 4):
        chunk = roots[i : i + _CHUNK * 4]
        rows = _rows(Event.objects.filter(Q(pk__in=chunk) | Q(duplicate_of_id__in=chunk)).order_by())
        for member in grouper.add(rows):
            members.setdefault(member.duplicate_of_id or member.pk, []).append(member)
    seeds: list[Event] = []
    for event in events:
        seeds.append(event)
        seeds += [m for m in members.get(event.duplicate_of_id or event.pk, []) if m.pk != event.pk]
    _apply(grouper.components(seeds))


def refresh_duplicates(event: Event) -> None:
    """Regroup the event and its current group after it changed (created, edited, imported, removed)."""
    refresh_events([event])


def refresh_feed_duplicates(
    subscription: FeedSubscription, *, since: dt.datetime, check: Callable[[], None] | None = None
) -> None:
    """After an import: regroup the feed's events that still run after `since`, in one pass."""
    # Sorted here, not by the database: ordered by start, SQLite would walk the whole start index
    # instead of looking up the feed's events.
    rows = _rows(Event.objects.filter(feed=subscription, end__gt=since).order_by())
    refresh_events(sorted(rows, key=lambda row: (row.start, row.id)), check=check)
