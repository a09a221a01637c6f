"""Duplicates: the same event announced by several networks appears once publicly, with all organisers.

Two live events (published, still in their feed) are the same when

- their titles are alike: casefolded, umlauts and ß folded (`ä` → `ae`, `ß` → `ss`), punctuation and
  stopwords dropped, then compared as token sets (the best `difflib` ratio of the shared words against the
  shared words plus each side's rest, as `rapidfuzz.fuzz.token_set_ratio` does, but only when at least two
  words are shared, and with the words run together (`Wasserstoff-Forum` is `Wasserstoffforum`);
  `difflib` is enough for titles and needs no extra dependency);
- they start at the same time: both timed and at most `START_TOLERANCE` apart, or both all-day on the same
  day;
- they happen at the same place: both online, or the words of venue, address and city share a word (a city
  name is enough).

A score of at least `AUTO_MERGE` with matching start and place merges them automatically. A score of at least
`SUSPECT` on the same day (and no contradicting place) only lists them as suspected duplicates for the
coordination office. Its manual decisions (`DuplicateDecision`, keyed by `Event.identity`) beat both.

A group has one canonical event (`duplicate_of` is null); the others point to it. The canonical event is the
entered one over a feed one (a network's manager keeps it up to date by hand), then the earliest created.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.services import log_action
from crosscluster.directory.access import is_coordinator
from crosscluster.directory.search import STOPWORDS

from .models import DuplicateDecision, Event, FeedSubscription
from .times import local

AUTO_MERGE = 0.85
SUSPECT = 0.6
START_TOLERANCE = dt.timedelta(minutes=30)
# Candidates are looked up by start (indexed) in this window, then compared in Python.
WINDOW = dt.timedelta(days=1)
# A safety bound on one group; real groups have two or three events.
MAX_GROUP = 20

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    text = text.casefold().translate(_FOLD)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_STOPWORDS = frozenset(fold(word) for word in STOPWORDS)


def tokens(text: str) -> list[str]:
    return [word for word in _WORD.findall(fold(text)) if word not in _STOPWORDS]


def title_similarity(a: str, b: str) -> float:
    """Token-set similarity of two titles in [0, 1]."""
    list_a, list_b = tokens(a), tokens(b)
    words_a, words_b = set(list_a), set(list_b)
    if not words_a or not words_b:
        return 0.0
    shared = " ".join(sorted(words_a & words_b))
    rest_a = " ".join([shared, *sorted(words_a - words_b)]).strip()
    rest_b = " ".join([shared, *sorted(words_b - words_a)]).strip()
    # The words run together too, so that `Wasserstoff-Forum` meets `Wasserstoffforum`.
    pairs = [(rest_a, rest_b), ("".join(list_a), "".join(list_b))]
    if len(words_a & words_b) >= 2:  # one title is the other plus words; a single shared word is too little
        pairs += [(shared, rest_a), (shared, rest_b)]
    return max(SequenceMatcher(None, x, y).ratio() for x, y in pairs)


def _same_start(a: Event, b: Event) -> bool:
    if a.all_day and b.all_day:
        return a.first_day == b.first_day
    if a.all_day or b.all_day:
        return False
    return abs(a.start - b.start) <= START_TOLERANCE


def _place_words(event: Event) -> set[str]:
    words = set(tokens(" ".join([event.venue, event.address, event.city])))
    if event.format != Event.Format.ON_SITE:
        words.add("online")
    return words


def place_match(a: Event, b: Event) -> bool | None:
    """True or False when both events say where they happen; None when one of them does not."""
    words_a, words_b = _place_words(a), _place_words(b)
    if not words_a or not words_b:
        return None
    return bool(words_a & words_b)


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


def _events_by_keys(keys: Iterable[str]) -> list[Event]:
    condition = Q(pk__in=[])
    for key in keys:
        kind, _sep, rest = key.partition(":")
        if kind == "event":
            condition |= Q(pk=int(rest))
        else:
            feed_id, _sep, uid = rest.partition(":")
            condition |= Q(feed_id=int(feed_id), source_uid=uid)
    return list(_live(Event.objects.filter(condition)))


def _is_live(event: Event) -> bool:
    return event.published and event.removed_at is None


def find_duplicates(event: Event) -> list[Event]:
    """The live events that are the same as this one: matched automatically or merged by hand."""
    if not _is_live(event):
        return []
    key = event.identity
    candidates = list(
        _live(Event.objects.filter(start__gte=event.start - WINDOW, start__lte=event.start + WINDOW)).exclude(
            pk=event.pk
        )
    )
    decisions = _decisions([key])
    same_keys = {a if b == key else b for (a, b), decision in decisions.items() if decision == "same"}
    known = {candidate.identity for candidate in candidates}
    if same_keys - known:
        candidates += [e for e in _events_by_keys(same_keys - known) if e.pk != event.pk]
    found = []
    for candidate in candidates:
        decision = decisions.get(_pair(key, candidate.identity))
        if decision == "same" or (decision is None and compare(event, candidate)[0] == "same"):
            found.append(candidate)
    return found


def canonical_of(events: Iterable[Event]) -> Event:
    """Entered before imported, then the earliest created."""
    return min(events, key=lambda e: (e.source != Event.Source.ENTERED, e.created_at, e.pk))


def _group_members(event: Event) -> list[Event]:
    root = event.duplicate_of_id or event.pk
    return list(Event.objects.filter(Q(pk=root) | Q(duplicate_of_id=root)))


def _components(seeds: list[Event]) -> list[list[Event]]:
    visited: set[int] = set()
    components = []
    for seed in seeds:
        if seed.pk in visited:
            continue
        visited.add(seed.pk)
        component, queue = [seed], [seed]
        while queue and len(component) < MAX_GROUP:
            node = queue.pop(0)
            for candidate in find_duplicates(node):
                if candidate.pk in visited:
                    continue
                decisions = _decisions([candidate.identity])
                if any(
                    decisions.get(_pair(candidate.identity, m.identity)) == "different" for m in component
                ):
                    continue  # the office split these two: a third event does not join them again
                visited.add(candidate.pk)
                component.append(candidate)
                queue.append(candidate)
        components.append(component)
    return components


def _apply(component: list[Event]) -> None:
    canonical = canonical_of(component) if all(map(_is_live, component)) else None
    for member in component:
        wanted = None if canonical is None or member.pk == canonical.pk else canonical.pk
        if member.duplicate_of_id != wanted:
            Event.objects.filter(pk=member.pk).update(duplicate_of=wanted)
            member.duplicate_of_id = wanted


def refresh_duplicates(event: Event) -> None:
    """Regroup the event and its current group after it changed (created, edited, imported, removed)."""
    seeds = [event, *(m for m in _group_members(event) if m.pk != event.pk)]
    for component in _components(seeds):
        _apply(component)


def refresh_feed_duplicates(subscription: FeedSubscription, *, since: dt.datetime) -> None:
    """After an import: regroup the feed's events that still run after `since`, in one pass."""
    for event in Event.objects.filter(feed=subscription, end__gt=since).order_by("start", "pk"):
        event.refresh_from_db(fields=["duplicate_of"])
        refresh_duplicates(event)


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
