"""Every change to an event goes through one of these functions.

Views, the feed import and management commands all call them. Each checks that the actor may manage the
event (the coordination office manages all; a network manager the events of its organisations), validates,
sanitises the description, saves in one transaction, keeps the search text current and writes the audit log.
`actor=None` means the system itself (the feed import, the demo loader).

Organisers: a manager may add only organisations they manage (so nobody can put another network's name on
an event) and must keep at least one of them (so nobody locks themselves out). Co-organisers that somebody
else added stay untouched.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crosscluster.core.bilingual import column as text_column
from crosscluster.core.bilingual import plain_name
from crosscluster.core.sanitize import clean_html, clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import announce, events_changed, texts_changed
from crosscluster.core.types import Actor
from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization, Topic

from .dedup.grouping import refresh_duplicates
from .errors import EventError
from .models import EVENT_FIELDS, Event
from .recurrence import parse_dates
from .series import check_series, expand_series
from .times import all_day_dates, local, midnight

__all__ = ["EVENT_FIELDS", "EventError", "create_event", "delete_event", "update_event"]

# Only the system (the feed import) sets where an event came from.
SOURCE_FIELDS = ("source", "feed", "source_uid", "removed_at")
# The fields of an event that make a series; a date of a series has none of its own.
REPETITION_FIELDS = {"rrule", "rdates", "exdates"}
# Changes to these fields can make an event the duplicate of another one, or no longer.
MATCH_FIELDS = {
    "title",
    "title_de",
    "start",
    "end",
    "all_day",
    "venue",
    "address",
    "city",
    "format",
    "published",
    "removed_at",
}


def _managed_ids(actor: Actor) -> set[int] | None:
    """Ids of the organisations the actor manages; None means all (system or coordination office)."""
    if actor is None or is_coordinator(actor):
        return None
    return set(organizations_managed_by(actor).values_list("pk", flat=True))


def _check_organizers(actor: Actor, old: set[int], new: set[int]) -> None:
    if not new:
        raise EventError(_("Name at least one organiser."))
    managed = _managed_ids(actor)
    if managed is None:
        return
    if not new & managed:
        raise PermissionDenied(_("At least one organiser must be an organisation you manage."))
    if (new - old) - managed:
        raise PermissionDenied(_("You can only add organisations you manage as organisers."))


def _ensure_can_manage(actor: Actor, event: Event) -> None:
    managed = _managed_ids(actor)
    if managed is None:
        return
    if not set(event.organizers.values_list("pk", flat=True)) & managed:
        raise PermissionDenied(_("You do not manage this event."))


def _apply(event: Event, values: dict[str, Any], allowed: Iterable[str]) -> dict[str, list[str]]:
    """Set the given fields and return what changed as {field: [old, new]} for the audit log."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    values = {name: clean_text(value) if isinstance(value, str) else value for name, value in values.items()}
    for name in ("description", "description_de", "description_en"):
        if name in values:
            values[name] = clean_html(values[name] or "")
    changes: dict[str, list[str]] = {}
    for field, value in values.items():
        attribute = text_column(Event, field)
        old = getattr(event, attribute)
        if (old or "") != value if isinstance(value, str) else old != value:
            changes[plain_name(Event, field)] = [str(old or ""), str(value)]
            setattr(event, attribute, value)
    return changes


def normalize_times(event: Event) -> None:
    """Aware times only; all-day events are snapped to midnights with an exclusive end."""
    for value in (event.start, event.end):
        if value is None or not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise EventError(_("Start and end need a date, a time and a time zone."))
    if event.end < event.start:
        raise EventError(_("The event cannot end before it starts."))
    if event.all_day:
        first, end_day = all_day_dates(event.start, event.end)
        event.start, event.end = midnight(first), midnight(end_day)
    event.start = event.start.astimezone(dt.UTC)
    event.end = event.end.astimezone(dt.UTC)


def _save_validated(event: Event) -> None:
    normalize_times(event)
    if event.series_id is None:
        check_series(event)
    try:
        event.full_clean()
    except ValidationError as exc:
        raise EventError("; ".join(exc.messages)) from exc
    event.save()


def _set_relations(
    event: Event,
    organizers: Iterable[Organization] | None,
    topics: Iterable[Topic] | None,
    changes: dict[str, Any],
) -> None:
    if organizers is not None:
        new = {org.pk for org in organizers}
        if new != set(event.organizers.values_list("pk", flat=True)):
            event.organizers.set(new)
            changes["organizers"] = sorted(
                Organization.objects.filter(pk__in=new).values_list("slug", flat=True)
            )
    if topics is not None:
        new = {topic.pk for topic in topics}
        if new != set(event.topics.values_list("pk", flat=True)):
            event.topics.set(new)
            changes["topics"] = sorted(Topic.objects.filter(pk__in=new).values_list("slug", flat=True))


def refresh_search_text(event: Event) -> None:
    """After a change of the event's text, topics or organisers: its search document is rewritten in this
    transaction (core.signals.texts_changed, search.documents)."""
    texts_changed.send(sender=Event, ids=[event.pk])


def announce_changed(events: Iterable[Event | int]) -> None:
    """After a change of these events (or their organisers): whatever derives from them is recomputed in
    this transaction (core.signals.events_changed: the `listed` flag, the filter facts)."""
    announce(events_changed, Event, [e if isinstance(e, int) else e.pk for e in events])


def _imported(actor: Actor, event: Event) -> bool:
    """The feed import regroups duplicates once at its end (dedup.grouping.refresh_feed_duplicates)."""
    return actor is None and event.feed_id is not None


def _log_organization(event: Event) -> Organization | None:
    """The audit entry is filed under the first organiser, so it shows in that organisation's history."""
    return event.organizers.order_by("pk").first()


@transaction.atomic
def create_event(
    *,
    actor: Actor,
    organizers: Iterable[Organization],
    topics: Iterable[Topic] = (),
    **fields: Any,
) -> Event:
    organizers = list(organizers)
    if actor is not None and set(fields) & set(SOURCE_FIELDS):
        raise PermissionDenied(_("Only the feed import sets the source of an event."))
    _check_organizers(actor, set(), {org.pk for org in organizers})
    event = Event()
    _apply(event, fields, EVENT_FIELDS + SOURCE_FIELDS)
    _save_validated(event)
    _set_relations(event, organizers, list(topics), {})
    refresh_search_text(event)
    announce_changed([event])
    if not _imported(actor, event):
        refresh_duplicates(event)
    if event.rrule or event.rdates:
        expand_series(event)
    log_action("event.created", actor=actor, obj=event, organization=_log_organization(event))
    return event


@transaction.atomic
def update_event(
    event: Event,
    *,
    actor: Actor,
    organizers: Iterable[Organization] | None = None,
    topics: Iterable[Topic] | None = None,
    **fields: Any,
) -> Event:
    _ensure_can_manage(actor, event)
    if actor is not None and set(fields) & set(SOURCE_FIELDS):
        raise PermissionDenied(_("Only the feed import sets the source of an event."))
    if organizers is not None:
        organizers = list(organizers)
        old = set(event.organizers.values_list("pk", flat=True))
        _check_organizers(actor, old, {org.pk for org in organizers})
    if event.series_id is not None and set(fields) & REPETITION_FIELDS:
        if any(fields[name] != getattr(event, name) for name in set(fields) & REPETITION_FIELDS):
            raise EventError(_("A date of a series repeats with its series: change the repetition there."))
        fields = {name: value for name, value in fields.items() if name not in REPETITION_FIELDS}
    changes = _apply(event, fields, EVENT_FIELDS + SOURCE_FIELDS)
    if event.series_id is not None and event.source == Event.Source.ENTERED and changes:
        event.detached = True  # edited on its own: the series keeps this date as it is now
    _save_validated(event)
    _set_relations(event, organizers, topics, changes)
    if changes:
        announce_changed([event])
    if changes.keys() & MATCH_FIELDS and not _imported(actor, event):
        refresh_duplicates(event)
    if changes:
        refresh_search_text(event)
        if event.rrule or event.rdates or event.occurrences.exists():
            expand_series(event)
        log_action(
            "event.updated",
            actor=actor,
            obj=event,
            organization=_log_organization(event),
            data={"changes": changes},
        )
    return event


@transaction.atomic
def delete_event(event: Event, *, actor: Actor) -> None:
    """Gone for good. Events from a feed come back on the next fetch: unpublish those instead.

    A date of an entered series is left out of its series (an EXDATE), or the rule would bring it back
    the next time the series is expanded.
    """
    _ensure_can_manage(actor, event)
    log_action("event.deleted", actor=actor, obj=event, organization=_log_organization(event))
    if event.series_id is not None and event.source == Event.Source.ENTERED:
        _leave_out_of_series(event)
    duplicates = list(event.duplicates.all())
    event.delete()  # announced with its group by events.signals, as every deletion
    for duplicate in duplicates:  # the group of a deleted canonical event forms again around a new one
        duplicate.refresh_from_db(fields=["duplicate_of"])
        refresh_duplicates(duplicate)


def _leave_out_of_series(occurrence: Event) -> None:
    """Add the occurrence's original date (its RECURRENCE-ID) to its series' left-out dates (Berlin time)."""
    series = Event.objects.select_for_update().get(pk=occurrence.series_id)
    key = occurrence.source_uid  # 20270107T170000Z for a timed series, 20270107 for an all-day one
    if "T" in key:
        original = dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        key = f"{local(original):%Y%m%dT%H%M%S}"
    series.exdates = parse_dates(f"{series.exdates} {key}").stored()
    series.save(update_fields=["exdates", "updated_at"])
