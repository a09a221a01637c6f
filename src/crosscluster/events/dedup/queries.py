"""What the coordination office and the organisers see of duplicates: groups, suspected pairs, requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import strip_tags

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.models import DuplicateDecision, Event
from crosscluster.events.times import local

from .similarity import compare, pair


def _live(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.filter(published=True, removed_at__isnull=True)


def _decisions(keys: Iterable[str]) -> dict[tuple[str, str], str]:
    keys = list(keys)
    rows = DuplicateDecision.objects.filter(Q(key_a__in=keys) | Q(key_b__in=keys))
    return {(row.key_a, row.key_b): row.decision for row in rows}


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
    pairs = [p for p in pairs if pair(p[0].identity, p[1].identity) not in decided]
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
