"""Duplicates: the same event announced by several networks appears once publicly, with all organisers.

Two live events (published, still in their feed) are the same when

- their titles are alike: casefolded, umlauts and ß folded (`ä` → `ae`, `ß` → `ss`), punctuation and
  stopwords dropped, then compared as token sets (the best `difflib` ratio of the shared words against the
  shared words plus each side's rest, as `rapidfuzz.fuzz.token_set_ratio` does, but only when at least two
  words are shared, and with the words run together (`Wasserstoff-Forum` is `Wasserstoffforum`);
  `difflib` decides; rapidfuzz's longest common subsequence, an upper bound of its ratio, only skips the
  pairs that cannot reach a threshold);
- they start at the same time: both timed and at most `START_TOLERANCE` apart, or both all-day on the same
  day;
- they happen at the same place: both online, or the words of venue, address and city share a word (a city
  name is enough) — but never in two different cities (cities whose words are disjoint): venues are often
  named alike ("Geschäftsstelle", "Rathaus"), so a shared venue word alone would join Jena and Ilmenau.

Candidates are found by start and by title key, never by comparing all pairs (`_Grouper`): only events
within `START_TOLERANCE` (timed) or on the same day (all-day) that share a key of their titles are compared.
A title's keys are the whole folded title, each of its words, and the first and last four letters of its
words run together (`Wasserstoff-Forum` and `Wasserstoffforum` share those). A word or letter key that more
than `KEY_LIMIT` events near an event share is not used for it (like a stop word: "Workshop" at a busy
hour); the whole title always is. So a feed's duplicate check stays near-linear in its size; a pair alike
enough but sharing no used key (a one-word title misspelt at both ends, or titles that share only words
that crowd the hour) is not merged automatically, and the office can still merge it by hand.

A score of at least `AUTO_MERGE` with matching start and place merges them automatically. A score of at least
`SUSPECT` on the same day (and no contradicting place) only lists them as suspected duplicates for the
coordination office. Its manual decisions (`DuplicateDecision`, keyed by `Event.identity`) beat both.

A group has one canonical event (`duplicate_of` is null); the others point to it. The canonical event is the
entered one over a feed one (a network's manager keeps it up to date by hand), then the earliest created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from operator import attrgetter
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from rapidfuzz.distance import LCSseq

from crosscluster.core.mail import queue_mail
from crosscluster.core.models import AuditLogEntry
from crosscluster.core.services import log_action
from crosscluster.core.text import folded_words
from crosscluster.directory.access import is_coordinator

from .access import can_manage_event
from .listing import refresh_listed
from .models import DuplicateDecision, Event, FeedSubscription
from .queries import invalidate_filter_choices
from .times import from_utc_text, local, midnight, utc_text

AUTO_MERGE = 0.85
SUSPECT = 0.6
START_TOLERANCE = dt.timedelta(minutes=30)
# A safety bound on one group; real groups have two or three events.
MAX_GROUP = 20
# A word or letter key of a title shared by more events than this near an event is not used to find its
# candidates (see the module docstring); the whole title always is.
KEY_LIMIT = 64
# The letters at each end of a title's words run together that are keys of their own.
KEY_LETTERS = 4


def tokens(text: str) -> list[str]:
    """The words of a title or a place as compared: folded, function words dropped (core.text)."""
    return folded_words(text)


@dataclass(frozen=True, slots=True)
class _Title:
    """What the comparison of a title needs, computed once per title (a few short strings)."""

    unique: frozenset[str]
    chars: str  # the characters of " ".join(unique), sorted: its side of the word-set comparison
    joined: str  # "".join(words): the words run together
    joined_chars: str  # the characters of `joined`, sorted
    keys: tuple[str, ...]  # the title's keys for finding candidates, the whole title first


# Grouping an import reads the titles of every event near the feed's events; this holds the titles of a
# year of events of all feeds, so that importing feed after feed finds them here. Full, it takes about
# 170 MB (1.7 KB per title, measured): `release_caches` empties it after each run of import-feeds.
@lru_cache(maxsize=100_000)
def _title(title: str) -> _Title:
    words = tokens(title)
    unique = frozenset(words)
    joined = "".join(words)
    keys: tuple[str, ...] = ()
    if joined:
        others = {f"w{word}" for word in unique} | {f"^{joined[:KEY_LETTERS]}", f"${joined[-KEY_LETTERS:]}"}
        keys = (f"={joined}", *sorted(others))
    return _Title(unique, "".join(sorted(" ".join(unique))), joined, "".join(sorted(joined)), keys)


def release_caches() -> None:
    """Forget the titles and places read so far: after a batch of imports, not during one."""
    _title.cache_clear()
    _words_of_place.cache_clear()
    _words_of_city.cache_clear()


def _may_reach(x: str, y: str, at_least: float) -> bool:
    """Whether `SequenceMatcher(None, x, y).ratio()` can reach `at_least`, from an upper bound of it: the
    longest common subsequence (difflib's matching blocks are one common subsequence), computed by
    rapidfuzz in C. For the sorted characters of two strings it is their common characters, the bound of
    `SequenceMatcher.quick_ratio`. The bound is computed like the ratio (2 * matches / length), so a ratio
    that reaches `at_least` is never cut off by rounding."""
    length = len(x) + len(y)
    if not at_least or not length:
        return True
    if 2 * min(len(x), len(y)) / length < at_least:
        return False  # even a perfect overlap of the shorter one cannot reach it
    return 2 * LCSseq.similarity(x, y) / length >= at_least


def _ratio(x: str, y: str, at_least: float) -> float:
    """`SequenceMatcher(None, x, y).ratio()`, or 0.0 when it cannot reach `at_least`."""
    if not _may_reach(x, y, at_least):
        return 0.0
    return SequenceMatcher(None, x, y).ratio()


def title_similarity(a: str, b: str, *, at_least: float = 0.0) -> float:
    """Token-set similarity of two titles in [0, 1].

    With `at_least`, comparisons that cannot reach it are skipped by upper bounds (`_may_reach`: first
    the titles' cached sorted characters, then the longest common subsequence of the strings compared),
    without building a `SequenceMatcher`: the result is exact when it reaches `at_least`, and some lower
    score otherwise. Grouping an import compares thousands of pairs; almost all of them fail on a bound.
    """
    ta, tb = _title(a), _title(b)
    words_a, words_b = ta.unique, tb.unique
    if not words_a or not words_b:
        return 0.0
    common = words_a & words_b
    best = 0.0
    # The word sets: the shared words, then each side's rest (the same characters as `chars`).
    if _may_reach(ta.chars, tb.chars, at_least):
        shared = " ".join(sorted(common))
        x = " ".join([shared, *sorted(words_a - words_b)]).strip()
        y = " ".join([shared, *sorted(words_b - words_a)]).strip()
        best = _ratio(x, y, at_least)
    # The words run together too, so that `Wasserstoff-Forum` meets `Wasserstoffforum`.
    if _may_reach(ta.joined_chars, tb.joined_chars, at_least):
        best = max(best, _ratio(ta.joined, tb.joined, at_least))
    if len(common) >= 2:  # one title is the other plus words; a single shared word is too little
        shared = " ".join(sorted(common))
        for words, spelled in ((words_a, len(ta.chars)), (words_b, len(tb.chars))):
            if at_least and 2 * min(len(shared), spelled) / (len(shared) + spelled) < at_least:
                continue  # even a perfect overlap of the shared words cannot reach it
            best = max(best, _ratio(shared, " ".join([shared, *sorted(words - common)]), at_least))
    return best


def _same_start(a: Event, b: Event) -> bool:
    if a.all_day and b.all_day:
        return a.first_day == b.first_day
    if a.all_day or b.all_day:
        return False
    return abs(a.start - b.start) <= START_TOLERANCE


@lru_cache(maxsize=10_000)
def _words_of_place(venue: str, address: str, city: str, online: bool) -> frozenset[str]:
    words = set(tokens(" ".join([venue, address, city])))
    if online:
        words.add("online")
    return frozenset(words)


def _place_words(event: Event) -> frozenset[str]:
    # Kept per place: the events of a region share a few hundred venues.
    return _words_of_place(event.venue, event.address, event.city, event.format != Event.Format.ON_SITE)


@lru_cache(maxsize=1_000)
def _words_of_city(city: str) -> frozenset[str]:
    return frozenset(tokens(city))


def different_cities(a: Event, b: Event) -> bool:
    """Both events name a city, and the two share no word: they cannot be one event on site."""
    city_a, city_b = _words_of_city(a.city), _words_of_city(b.city)
    return bool(city_a and city_b and city_a.isdisjoint(city_b))


def place_match(a: Event, b: Event) -> bool | None:
    """True or False when both events say where they happen; None when one of them does not."""
    words_a, words_b = _place_words(a), _place_words(b)
    if not words_a or not words_b:
        return None
    return bool(words_a & words_b) and not different_cities(a, b)


Match = Literal["same", "suspect"] | None


def compare(a: Event, b: Event) -> tuple[Match, float]:
    """How alike two events are, without the manual decisions: ("same" | "suspect" | None, title score)."""
    score = title_similarity(a.title, b.title)
    place = place_match(a, b)
    if score >= AUTO_MERGE and _same_start(a, b) and place:
        return "same", score
    if score >= SUSPECT and a.first_day == b.first_day and place is not False:
        return "suspect", score
    return None, score


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _live(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.filter(published=True, removed_at__isnull=True)


def _decisions(keys: Iterable[str]) -> dict[tuple[str, str], str]:
    keys = list(keys)
    rows = DuplicateDecision.objects.filter(Q(key_a__in=keys) | Q(key_b__in=keys))
    return {(row.key_a, row.key_b): row.decision for row in rows}


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


def _is_live(event: Event) -> bool:
    return event.published and event.removed_at is None


def find_duplicates(event: Event) -> list[Event]:
    """The live events that are the same as this one: matched automatically or merged by hand."""
    if not _is_live(event):
        return []
    grouper = _Grouper()
    grouper.add([event])
    return [candidate for candidate in grouper.neighbours(event) if candidate.pk != event.pk]


def canonical_of(events: Iterable[Event]) -> Event:
    """Entered before imported, then the earliest created."""
    return min(events, key=lambda e: (e.source != Event.Source.ENTERED, e.created_at, e.pk))


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
    cost more than the rest of a row; the datetimes are read as text (`times.utc_text`)."""
    events = events.annotate(**{f"{name}_text": utc_text(name) for name in _TIMES})
    fields = tuple(f"{name}_text" if name in _TIMES else _COLUMNS.get(name, name) for name in _FIELDS)
    # Without modeltranslation's rewriting, which would select the columns in another order than listed.
    sql, params = events.rewrite(False).values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
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


def _windows_where(windows: list[tuple[bool, dt.datetime, dt.datetime]]) -> dict[str, list]:
    """`extra()` arguments for "starts within one of these windows": hundreds of ranges, built as plain SQL
    in microseconds instead of as `Q` objects in milliseconds (both use the index on start)."""
    ops = connection.ops
    all_day, start = ops.quote_name("all_day"), ops.quote_name("start")
    term = f"({all_day} = %s AND {start} >= %s AND {start} <= %s)"
    params: list = []
    for is_all_day, low, high in windows:
        params += [is_all_day, ops.adapt_datetimefield_value(low), ops.adapt_datetimefield_value(high)]
    return {"where": ["(" + " OR ".join([term] * len(windows)) + ")"], "params": params}


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
        # Live events by time (half-hour bucket or day), then by title key (`_Title.keys`).
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
        if _is_live(event):
            if event.all_day:
                by_key = self.all_day.setdefault(event.first_day, {})
            else:
                by_key = self.timed.setdefault(self._bucket(event.start), {})
            for key in _title(event.title).keys:
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
        todo = [event for event in events if event.pk not in self.expanded and _is_live(event)]
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
            live.extra(**_windows_where(windows[i : i + _CHUNK])) for i in range(0, len(windows), _CHUNK)
        ]
        for query in queries:
            for row in _rows(query, skip=self.events):
                self._remember(row)

    def _place_words(self, event: Event) -> frozenset[str]:
        words = self.place.get(event.pk)
        if words is None:
            words = self.place[event.pk] = _place_words(event)
        return words

    def _match(self, a: Event, b: Event) -> bool:
        """compare(a, b) == "same", with the cheap conditions first and the answer kept."""
        pair = (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)
        found = self.matches.get(pair)
        if found is None:
            words_a, words_b = self._place_words(a), self._place_words(b)
            found = (
                _same_start(a, b)
                and bool(words_a and words_b and not words_a.isdisjoint(words_b))
                and not different_cities(a, b)
                and title_similarity(a.title, b.title, at_least=AUTO_MERGE) >= AUTO_MERGE
            )
            self.matches[pair] = found
        return found

    def neighbours(self, event: Event) -> list[Event]:
        """The live events that are the same as this one: matched automatically or merged by hand."""
        if not _is_live(event):
            return []
        self._load_near([event])
        if event.all_day:
            places = [self.all_day.get(event.first_day)]
        else:
            bucket = self._bucket(event.start)
            places = [self.timed.get(b) for b in (bucket - 1, bucket, bucket + 1)]
        by_key = [place for place in places if place]
        nearby: list[Event] = []
        for title_key in _title(event.title).keys:
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
            if candidate.pk in seen or not _is_live(candidate):
                continue
            seen.add(candidate.pk)
            decision = self.decisions.get(_pair(key, candidate.identity)) if decided else None
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
                        self.decisions.get(_pair(candidate.identity, m.identity)) == "different"
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
        canonical = canonical_of(component) if all(map(_is_live, component)) else None
        for member in component:
            wanted = None if canonical is None or member.pk == canonical.pk else canonical.pk
            if member.duplicate_of_id != wanted:
                moves.setdefault(wanted, []).append(member.pk)
                touched.update((member.pk, member.duplicate_of_id, wanted))
                member.duplicate_of_id = wanted
    for wanted, pks in moves.items():
        for i in range(0, len(pks), _CHUNK * 4):
            Event.objects.filter(pk__in=pks[i : i + _CHUNK * 4]).update(duplicate_of=wanted)
    if moves:
        refresh_listed(touched)
        invalidate_filter_choices()  # a merge can hide the only event of a city


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


def _group_members(event: Event) -> list[Event]:
    root = event.duplicate_of_id or event.pk
    return list(Event.objects.filter(Q(pk=root) | Q(duplicate_of_id=root)))


# Manual decisions ------------------------------------------------------------------------------------


class DuplicateError(Exception):
    """A merge or split the calendar refuses; the message is translated and meant for the user."""


def _decide(a: Event, b: Event, decision: str, actor: Any) -> None:
    key_a, key_b = _pair(a.identity, b.identity)
    DuplicateDecision.objects.update_or_create(
        key_a=key_a, key_b=key_b, defaults={"decision": decision, "actor": actor}
    )


def _check_coordinator(actor: Any) -> None:
    if actor is not None and not is_coordinator(actor):
        raise PermissionDenied(_("Only the coordination office merges and splits events."))


@transaction.atomic
def merge_events(a: Event, b: Event, *, actor: Any) -> Event:
    """Make two events (and their groups) one; returns the canonical event. Sticks across re-imports."""
    _check_coordinator(actor)
    if a.pk == b.pk:
        raise DuplicateError(_("An event cannot be merged with itself."))
    if not (_is_live(a) and _is_live(b)):
        raise DuplicateError(_("Only published events that are still in their feed can be merged."))
    group_a, group_b = _group_members(a), _group_members(b)
    # Earlier splits between the two groups are overruled by this merge.
    for x in group_a:
        for y in group_b:
            key_a, key_b = _pair(x.identity, y.identity)
            DuplicateDecision.objects.filter(key_a=key_a, key_b=key_b, decision="different").delete()
    _decide(a, b, DuplicateDecision.Decision.SAME, actor)
    refresh_duplicates(a)
    a.refresh_from_db()
    canonical = a.duplicate_of or a
    log_action(
        "event.merged",
        actor=actor,
        obj=canonical,
        organization=canonical.organizers.order_by("pk").first(),
        data={"events": sorted([a.pk, b.pk]), "titles": [a.title, b.title]},
    )
    return canonical


@transaction.atomic
def split_event(event: Event, *, actor: Any) -> Event:
    """Take the event out of its group; it stays apart from the others across re-imports."""
    _check_coordinator(actor)
    others = [m for m in _group_members(event) if m.pk != event.pk]
    if not others:
        raise DuplicateError(_("This event is not merged with another one."))
    for other in others:
        _decide(event, other, DuplicateDecision.Decision.DIFFERENT, actor)
    refresh_duplicates(event)
    log_action(
        "event.split",
        actor=actor,
        obj=event,
        organization=event.organizers.order_by("pk").first(),
        data={"from": sorted(other.pk for other in others)},
    )
    event.refresh_from_db()
    return event


# For the coordination office's page --------------------------------------------------------------------


def merged_groups() -> list[tuple[Event, list[Event]]]:
    """Upcoming groups: (canonical event, its duplicates)."""
    duplicates = (
        Event.objects.filter(duplicate_of__isnull=False, end__gte=timezone.now())
        .select_related("duplicate_of", "feed__organization")
        .prefetch_related("organizers", "duplicate_of__organizers")
        .order_by("duplicate_of__start", "duplicate_of_id", "pk")
    )
    groups: dict[int, tuple[Event, list[Event]]] = {}
    for duplicate in duplicates:
        groups.setdefault(duplicate.duplicate_of_id, (duplicate.duplicate_of, []))[1].append(duplicate)
    return list(groups.values())


def suspected_duplicates(limit: int = 100) -> list[tuple[Event, Event, float]]:
    """Pairs of upcoming canonical events on the same day that look alike but were not merged or decided."""
    events = list(
        _live(Event.objects.filter(duplicate_of__isnull=True, end__gte=timezone.now()))
        .prefetch_related("organizers")
        .order_by("start", "pk")
    )
    by_day: dict[dt.date, list[Event]] = {}
    for event in events:
        by_day.setdefault(local(event.start).date(), []).append(event)
    pairs = []
    for day_events in by_day.values():
        for i, a in enumerate(day_events):
            for b in day_events[i + 1 :]:
                match, score = compare(a, b)
                if match is not None:
                    pairs.append((a, b, score))
    decided = _decisions({e.identity for pair in pairs for e in pair[:2]})
    pairs = [p for p in pairs if _pair(p[0].identity, p[1].identity) not in decided]
    return pairs[:limit]


# For the organisers --------------------------------------------------------------------------------------
#
# A merge decides which announcement the public sees: the canonical event's title, time and place stand
# for the group. The organisers of the other announcements must be able to see that and what differs, and
# ask the coordination office to split a wrong merge; only the office merges and splits.

# What the public page shows of an announcement, by aspect; `differences` compares them.
ASPECTS = {
    "title": ("title",),
    "when": ("start", "end", "all_day"),
    "place": ("venue", "address", "city"),
    "format": ("format",),
    "online_url": ("online_url",),
    "registration_url": ("registration_url",),
    "price": ("is_free", "price_text"),
    "status": ("status",),
    "description": ("description",),
}


def group_of(event: Event) -> list[Event]:
    """The announcements the public sees as one event: the canonical one first, then by start; [] when
    the event stands alone. Organisers and feeds are loaded with them."""
    root = event.duplicate_of_id or event.pk
    members = list(
        Event.objects.filter(Q(pk=root) | Q(duplicate_of_id=root))
        .select_related("feed__organization")
        .prefetch_related("organizers")
        .order_by("start", "pk")
    )
    if len(members) < 2:
        return []
    return sorted(members, key=lambda member: member.pk != root)


def differences(a: Event, b: Event) -> list[str]:
    """The aspects (keys of ASPECTS) in which two announcements differ as the public would read them: times
    as instants, text without surrounding space, the description as plain text."""

    def value(event: Event, field: str) -> Any:
        found = getattr(event, field)
        if field == "description":
            return " ".join(strip_tags(found).split())
        return found.strip() if isinstance(found, str) else found

    return [
        aspect
        for aspect, fields in ASPECTS.items()
        if any(value(a, field) != value(b, field) for field in fields)
    ]


MAX_REQUEST_MESSAGE = 2000


def request_split(event: Event, *, actor: Any, message: str = "") -> None:
    """An organiser asks the coordination office to list their announcement on its own again.

    Only who manages the event may ask (PermissionDenied otherwise), only for a merged event; the request is
    an audit entry (`event.split_requested`, listed on the office's duplicates page) and a mail to the office.
    """
    from crosscluster.inquiries.services import coordination_emails

    if actor is None or not can_manage_event(actor, event):
        raise PermissionDenied(_("You do not manage this event."))
    members = group_of(event)
    if not members:
        raise DuplicateError(_("This event is not merged with another one."))
    message = message.strip()[:MAX_REQUEST_MESSAGE]
    canonical = members[0]
    with transaction.atomic():
        log_action(
            "event.split_requested",
            actor=actor,
            obj=event,
            organization=event.organizers.order_by("pk").first(),
            data={"canonical": canonical.pk, "group": [m.pk for m in members], "message": message},
        )
        path = reverse("manage:event-duplicates")
        context = {
            "event": event,
            "canonical": canonical,
            "members": members,
            "message": message,
            "actor": actor,
            "duplicates_url": settings.SITE_URL.rstrip("/") + path,
        }
        for email in coordination_emails():
            queue_mail(email, "events/mail/split_request", context, topic=f"events.event:{event.pk}")


def split_requests(limit: int = 50) -> list[tuple[Any, Event]]:
    """The organisers' open requests, newest first: (audit entry, event) for events still merged."""
    entries = list(
        AuditLogEntry.objects.filter(action="event.split_requested", object_type="events.event")
        .select_related("actor", "organization")
        .order_by("-created_at", "-pk")[: limit * 2]
    )
    ids = {int(entry.object_id) for entry in entries if entry.object_id.isdigit()}
    grouped = Event.objects.filter(pk__in=ids).filter(
        Q(duplicate_of__isnull=False) | Q(duplicates__isnull=False)
    )
    events = {event.pk: event for event in grouped.distinct().prefetch_related("organizers")}
    found, seen = [], set()
    for entry in entries:
        event = events.get(int(entry.object_id)) if entry.object_id.isdigit() else None
        if event is None or event.pk in seen:
            continue
        seen.add(event.pk)
        found.append((entry, event))
    return found[:limit]
