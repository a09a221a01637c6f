"""Storing a feed's events: the bulk path of the feed import (`importing.import_feed` calls it).

A feed of a few hundred events would cost thousands of queries through `services.create_event` (a
full_clean with its uniqueness queries, the relations, the search text and a duplicate check per event).
The import instead validates each event in plain Python (`clean_feed_fields`), compares with the stored
events in one query, writes with bulk statements (`core.db.insert_rows` for the new rows) and regroups
duplicates once (`dedup.grouping.refresh_feed_duplicates`). What derives from the events is announced once
per feed: `texts_changed` for the search documents, `events_changed` for the `listed` flag and the filter
facts. The audit log gets one summary entry per import (`event.feed_imported`, written by the importer), not
one per event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crosscluster.core.bilingual import column as text_column
from crosscluster.core.db import insert_rows
from crosscluster.core.memo import for_short_texts
from crosscluster.core.sanitize import clean_html, clean_text
from crosscluster.core.signals import announce, events_changed, texts_changed
from crosscluster.directory.models import Organization
from crosscluster.events.dedup.grouping import refresh_feed_duplicates
from crosscluster.events.errors import EventError
from crosscluster.events.models import EVENT_FIELDS, Event, FeedSubscription
from crosscluster.events.services import normalize_times

FEED_FIELDS = ("title", "description", "start", "end", "all_day", "venue", "status")
_FIELD = {name: Event._meta.get_field(name) for name in EVENT_FIELDS}
_SEARCH_FIELDS = {"title", "description", "venue", "city"}
_BATCH = 500


def clean_feed_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an imported event as they will be stored, or EventError saying what is wrong.

    The same checks as `full_clean` (lengths, choices, blank values, URLs) field by field, without its
    uniqueness queries: the import keys events by (feed, source_uid) itself. Times are normalised like
    every other path does (aware, UTC, all-day snapped to midnights).
    """
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    values = {name: clean_text(value) if isinstance(value, str) else value for name, value in fields.items()}
    if "description" in values:
        values["description"] = _clean_description(values["description"] or "")
    times = SimpleNamespace(start=values.get("start"), end=values.get("end"), all_day=values.get("all_day"))
    normalize_times(times)
    values["start"], values["end"] = times.start, times.end
    errors = []
    for name, value in values.items():
        try:
            _FIELD[name].clean(value, None)
        except ValidationError as exc:
            errors += exc.messages
    if errors:
        raise EventError("; ".join(errors))
    # Feeds are German: the bulk paths write `title` and its German column alike (core/bilingual.py).
    for name in ("title", "description"):
        if name in values:
            values[text_column(Event, name)] = values[name]
    return values


@dataclass
class FeedSync:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


# A feed repeats descriptions (the occurrences of a series share theirs, and so do many events of a
# network); these keep the last short ones cleaned and stripped (core.memo).
@for_short_texts()
def _clean_description(html: str) -> str:
    return clean_html(html)


@dataclass
class _NewEvent:
    """An event the import creates: its UID in the feed and its fields; `pk` once it is written."""

    source_uid: str
    fields: dict[str, Any]
    pk: int | None = None


def _create_feed_events(
    subscription: FeedSubscription, organization: Organization, new: list[_NewEvent]
) -> None:
    """Write the feed's new events, organised by `organization`, and set their `pk`s: two `executemany`
    and a query for the ids per few hundred events."""
    if not new:
        return
    insert_rows(
        Event,
        {"source": Event.Source.FEED, "feed_id": subscription.pk},
        [{**event.fields, "source_uid": event.source_uid} for event in new],
    )
    keys = [event.source_uid for event in new]
    ids: dict[str, int] = {}
    for i in range(0, len(keys), _BATCH):
        found = Event.objects.filter(feed=subscription, source_uid__in=keys[i : i + _BATCH]).order_by()
        ids.update(found.values_list("source_uid", "pk"))
    for event in new:
        event.pk = ids[event.source_uid]  # (feed, source_uid) is unique
    Link = Event.organizers.through
    insert_rows(Link, {"organization_id": organization.pk}, [{"event_id": event.pk} for event in new])


@transaction.atomic
def sync_feed_events(
    subscription: FeedSubscription,
    wanted: Mapping[str, dict[str, Any]],
    *,
    keep: Iterable[str] = (),
    remove_ending_after: dt.datetime,
    now: dt.datetime | None = None,
    check: Callable[[], None] | None = None,
) -> FeedSync:
    """Make the feed's stored events match `wanted` ({source_uid: fields from `clean_feed_fields`}).

    `check` is called between steps and while duplicates are grouped; it raises to stop (the import's
    processing time, `feeds.limits`), and the caller's transaction then rolls everything back.

    New UIDs are created (organised by the feed's organisation), changed ones updated in the changed
    fields only, a removed event that is back is restored, and stored events missing from `wanted` and
    `keep` (UIDs the feed still has but that could not be read) are marked removed, unless they ended
    before `remove_ending_after` (they left the feed's window, not the feed). All in bulk statements:
    a handful of queries per feed, whatever its size. The system acts (`actor=None`).
    """
    now = now or timezone.now()
    check = check or (lambda: None)
    saved_at = timezone.now()  # `updated_at` as `auto_now` would set it (bulk_update does not)
    result = FeedSync()
    # Unordered: ordered by start, SQLite would walk the whole start index instead of the feed's index.
    existing = {event.source_uid: event for event in Event.objects.filter(feed=subscription).order_by()}
    organization = subscription.organization
    new: list[_NewEvent] = []
    changed: dict[tuple[str, ...], list[Event]] = {}
    research: list[Event] = []
    for number, (key, values) in enumerate(wanted.items()):
        if number % 256 == 0:
            check()
        event = existing.get(key)
        if event is None:
            new.append(_NewEvent(key, values))
            continue
        fields = [name for name, value in values.items() if getattr(event, name) != value]
        if event.removed_at is not None:
            fields.append("removed_at")
        if not fields:
            result.unchanged += 1
            continue
        for name in fields:
            setattr(event, name, values.get(name))
        event.updated_at = saved_at
        if _SEARCH_FIELDS & set(fields):
            research.append(event)
        changed.setdefault(tuple(sorted(fields)), []).append(event)
        result.updated += 1
    check()
    for fields, events in changed.items():
        Event.objects.bulk_update(events, [*fields, "updated_at"], batch_size=_BATCH)
    check()
    _create_feed_events(subscription, organization, new)
    check()
    result.created = len(new)
    texts_changed.send(sender=Event, ids=[*(e.pk for e in new), *(e.pk for e in research)])
    kept = set(wanted) | set(keep)
    gone = [
        event.pk
        for key, event in existing.items()
        if key not in kept and event.removed_at is None and event.end > remove_ending_after
    ]
    for i in range(0, len(gone), _BATCH):
        Event.objects.filter(pk__in=gone[i : i + _BATCH]).update(removed_at=now, updated_at=saved_at)
    result.removed = len(gone)
    if result.created or result.updated or result.removed:
        refresh_feed_duplicates(subscription, since=remove_ending_after, check=check)
        # Regrouping announced the events it moved; these may have changed on their own.
        updated = [event.pk for events in changed.values() for event in events]
        announce(events_changed, Event, [*(event.pk for event in new), *updated, *gone])
    return result
