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
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import icalendar
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from crosscluster.core.bilingual import all_texts, plain_name, translated_fields
from crosscluster.core.bilingual import column as text_column
from crosscluster.core.memo import for_short_texts
from crosscluster.core.sanitize import clean_html, clean_text
from crosscluster.core.services import log_action
from crosscluster.core.signals import texts_changed
from crosscluster.directory.access import is_coordinator, organizations_managed_by
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.search import build_search_text

from . import dedup
from .feeds.ical import REFUSED_FREQUENCIES, parse_ical
from .listing import refresh_listed
from .models import Event, FeedSubscription
from .queries import invalidate_filter_choices
from .recurrence import parse_dates, rule_dates
from .times import all_day_dates, local, midnight


class EventError(Exception):
    """A change the calendar refuses; the message is translated and meant for the user."""


EVENT_FIELDS = (
    "title",
    "description",
    # The plain names are the German texts (core/bilingual.py), so are the _de names; _en the English ones.
    "title_de",
    "description_de",
    "title_en",
    "description_en",
    "start",
    "end",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "venue",
    "address",
    "city",
    "online_url",
    "format",
    "is_free",
    "price_text",
    "registration_url",
    "language",
    "status",
    "published",
)
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


def _managed_ids(actor: Any) -> set[int] | None:
    """Ids of the organisations the actor manages; None means all (system or coordination office)."""
    if actor is None or is_coordinator(actor):
        return None
    return set(organizations_managed_by(actor).values_list("pk", flat=True))


def _check_organizers(actor: Any, old: set[int], new: set[int]) -> None:
    if not new:
        raise EventError(_("Name at least one organiser."))
    managed = _managed_ids(actor)
    if managed is None:
        return
    if not new & managed:
        raise PermissionDenied(_("At least one organiser must be an organisation you manage."))
    if (new - old) - managed:
        raise PermissionDenied(_("You can only add organisations you manage as organisers."))


def _ensure_can_manage(actor: Any, event: Event) -> None:
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


def _normalize_times(event: Event) -> None:
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
    _normalize_times(event)
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


def event_search_text(event: Event) -> str:
    # German and English texts, whatever the language of the request (core/bilingual.py).
    parts = [all_texts(event, "title"), strip_tags(all_texts(event, "description")), event.venue, event.city]
    parts += [all_texts(topic, "name") for topic in event.topics.all()]
    parts += [all_texts(organization, "name") for organization in event.organizers.all()]
    return build_search_text(parts)


def refresh_search_text(event: Event) -> None:
    text = event_search_text(event)
    if text != event.search_text:
        event.search_text = text
        Event.objects.filter(pk=event.pk).update(search_text=text)
    texts_changed.send(sender=Event, ids=[event.pk])


def _imported(actor: Any, event: Event) -> bool:
    """The feed import regroups duplicates once at its end (dedup.refresh_feed_duplicates), not per event."""
    return actor is None and event.feed_id is not None


def _log_organization(event: Event) -> Organization | None:
    """The audit entry is filed under the first organiser, so it shows in that organisation's history."""
    return event.organizers.order_by("pk").first()


@transaction.atomic
def create_event(
    *,
    actor: Any,
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
    if not _imported(actor, event):
        dedup.refresh_duplicates(event)
    if event.rrule or event.rdates:
        expand_series(event)
    log_action("event.created", actor=actor, obj=event, organization=_log_organization(event))
    return event


@transaction.atomic
def update_event(
    event: Event,
    *,
    actor: Any,
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
    if changes.keys() & MATCH_FIELDS and not _imported(actor, event):
        dedup.refresh_duplicates(event)
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
def delete_event(event: Event, *, actor: Any) -> None:
    """Gone for good. Events from a feed come back on the next fetch: unpublish those instead.

    A date of an entered series is left out of its series (an EXDATE), or the rule would bring it back
    the next time the series is expanded.
    """
    _ensure_can_manage(actor, event)
    log_action("event.deleted", actor=actor, obj=event, organization=_log_organization(event))
    if event.series_id is not None and event.source == Event.Source.ENTERED:
        _leave_out_of_series(event)
    duplicates = list(event.duplicates.all())
    event.delete()
    for duplicate in duplicates:  # the group of a deleted canonical event forms again around a new one
        duplicate.refresh_from_db(fields=["duplicate_of"])
        dedup.refresh_duplicates(duplicate)


def _leave_out_of_series(occurrence: Event) -> None:
    """Add the occurrence's original date (its RECURRENCE-ID) to its series' left-out dates (Berlin time)."""
    series = Event.objects.select_for_update().get(pk=occurrence.series_id)
    key = occurrence.source_uid  # 20270107T170000Z for a timed series, 20270107 for an all-day one
    if "T" in key:
        original = dt.datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        key = f"{local(original):%Y%m%dT%H%M%S}"
    series.exdates = parse_dates(f"{series.exdates} {key}").stored()
    series.save(update_fields=["exdates", "updated_at"])


# The bulk path of the feed import ---------------------------------------------------------------------
#
# A feed of a few hundred events would cost thousands of queries through `create_event` (a full_clean with
# its uniqueness queries, the relations, the search text and a duplicate check per event). The import
# instead validates each event in plain Python, compares with the stored events in one query, writes with
# bulk statements and regroups duplicates once (dedup.refresh_events). The audit log gets one summary
# entry per import (`event.feed_imported`, written by the importer), not one per event.

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
    _normalize_times(times)
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


_SEARCH_PARTS = ("title", "description", "venue", "city")
_SEARCH_DEFAULTS = {name: Event._meta.get_field(name).get_default() for name in _SEARCH_PARTS}


def _search_text_of(fields: Mapping[str, Any], organizer_names: list[str], topic_names: list[str]) -> str:
    """The search text of an event with these fields (those not given at their defaults)."""
    title, description, venue, city = (fields.get(name, _SEARCH_DEFAULTS[name]) for name in _SEARCH_PARTS)
    return build_search_text([title, _plain_text(description), venue, city, *topic_names, *organizer_names])


# A feed repeats descriptions (the occurrences of a series share theirs, and so do many events of a
# network); these keep the last short ones cleaned and stripped (core.memo).
@for_short_texts()
def _clean_description(html: str) -> str:
    return clean_html(html)


@for_short_texts()
def _plain_text(html: str) -> str:
    return strip_tags(html)


def _insert_rows(model: type[models.Model], common: Mapping[str, Any], rows: list[Mapping[str, Any]]) -> None:
    """INSERT `rows` into the model's table, every column as `bulk_create` would write it: by COPY on
    PostgreSQL (psycopg 3), else in one `executemany`; the database returns no ids (read them back by a
    unique key).

    A row maps attnames to values; a field it lacks takes its default, as a new instance would. A column
    that no row has takes its value from `common`, else the value its field gives a new instance (its
    default; `auto_now` and `auto_now_add` fields the time of writing), prepared for the database once for
    all rows: `bulk_create` compiles every value of every row, which for a feed's new events costs more
    than their statement. All values are prepared by their field (`get_db_prep_save`).
    """
    if not rows:
        return
    # A translated text's plain name (`title`) is written to its German column too (core/bilingual.py).
    german = {name: text_column(model, name) for name in translated_fields(model)}
    rows = [{**row, **{german[k]: v for k, v in row.items() if k in german}} for row in rows]
    given: dict[str, None] = {}
    for row in rows:
        given.update(dict.fromkeys(row))
    template = model(**common)
    varying: list[models.Field] = []
    fixed: list[models.Field] = []
    for field in model._meta.concrete_fields:
        if field.generated or isinstance(field, models.AutoField):
            continue  # the database fills these, as for `bulk_create` of instances without a pk
        if hasattr(field, "get_placeholder"):
            raise TypeError(f"{field.name} needs an SQL placeholder of its own; use bulk_create")
        if field.attname in given or (
            field.attname not in common and field.has_default() and callable(field.default)
        ):
            varying.append(field)  # a callable default is called per row, as per instance
        else:
            fixed.append(field)
    unknown = set(given) - {field.attname for field in varying}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with connection.cursor() as cursor:
        db = cursor.db  # the connection itself: `connection` looks it up per use
        fixed_values = [field.get_db_prep_save(field.pre_save(template, add=True), db) for field in fixed]
        params = [
            [
                *(
                    field.get_db_prep_save(
                        row[field.attname] if field.attname in row else field.get_default(), db
                    )
                    for field in varying
                ),
                *fixed_values,
            ]
            for row in rows
        ]
        quote = db.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(field.column) for field in [*varying, *fixed])
        if db.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):
            # psycopg 3: COPY writes rows several times faster than INSERT statements on PostgreSQL.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
            return
        placeholders = ", ".join(["%s"] * (len(varying) + len(fixed)))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params)  # noqa: S608


@dataclass
class _NewEvent:
    """An event the import creates: its UID in the feed and its fields; `pk` once it is written."""

    source_uid: str
    fields: dict[str, Any]
    search_text: str
    pk: int | None = None


def _create_feed_events(
    subscription: FeedSubscription, organization: Organization, new: list[_NewEvent]
) -> None:
    """Write the feed's new events, organised by `organization`, and set their `pk`s: two `executemany`
    and a query for the ids per few hundred events."""
    if not new:
        return
    # New events are their own group until dedup regroups them, so the flag is known from the organiser
    # (listing.refresh_listed after the regrouping then finds it right and writes nothing).
    listed = organization.published
    _insert_rows(
        Event,
        {"source": Event.Source.FEED, "feed_id": subscription.pk, "listed": listed},
        [{**event.fields, "source_uid": event.source_uid, "search_text": event.search_text} for event in new],
    )
    keys = [event.source_uid for event in new]
    ids: dict[str, int] = {}
    for i in range(0, len(keys), _BATCH):
        found = Event.objects.filter(feed=subscription, source_uid__in=keys[i : i + _BATCH]).order_by()
        ids.update(found.values_list("source_uid", "pk"))
    for event in new:
        event.pk = ids[event.source_uid]  # (feed, source_uid) is unique
    Link = Event.organizers.through
    _insert_rows(Link, {"organization_id": organization.pk}, [{"event_id": event.pk} for event in new])


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
            new.append(_NewEvent(key, values, _search_text_of(values, [organization.name], [])))
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
    if research:
        # Co-organisers and topics the office added to an imported event belong in its search text too.
        relations = (
            Event.objects.filter(pk__in=[event.pk for event in research])
            .order_by()
            .prefetch_related("organizers", "topics")
        )
        names = {
            event.pk: ([o.name for o in event.organizers.all()], [t.name for t in event.topics.all()])
            for event in relations
        }
        for event in research:
            fields = {name: getattr(event, name) for name in _SEARCH_PARTS}
            event.search_text = _search_text_of(fields, *names.get(event.pk, ([], [])))
    check()
    for fields, events in changed.items():
        extra = ["search_text"] if _SEARCH_FIELDS & set(fields) else []
        Event.objects.bulk_update(events, [*fields, *extra, "updated_at"], batch_size=_BATCH)
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
        dedup.refresh_feed_duplicates(subscription, since=remove_ending_after, check=check)
        # New events were written with their flag, and dedup refreshed those it moved into groups.
        refresh_listed([*(e.pk for es in changed.values() for e in es), *gone])
        invalidate_filter_choices()
    return result


# Recurring entered events ---------------------------------------------------------------------------
#
# An entered event with a rule (RRULE, RDATE, EXDATE) is the first occurrence of its series; the further
# occurrences within `SERIES_AHEAD` are rows of their own (`series` points to the event, `source_uid` is the
# RECURRENCE-ID), exactly like the occurrences of a feed's series. They are expanded by the same code as a
# feed's: the rule is written as an iCalendar VEVENT in Europe/Berlin (so 10:00 stays 10:00 across the
# change to summer time) and read by feeds.ical.parse_ical with recurring-ical-events, within a horizon,
# so a rule without an end yields a year of occurrences, not an endless loop. Saving the event expands it
# again; the `extend-event-series` command moves the horizon along every day.

SERIES_BEFORE = dt.timedelta(days=1)
SERIES_AHEAD = dt.timedelta(days=365)
# Copied from the event to each occurrence; start, end and the rule itself are not.
# Columns: `title_de`, not `title`, which would read and write the active language's (core/bilingual.py).
_OCCURRENCE_FIELDS = tuple(
    dict.fromkeys(
        text_column(Event, f) for f in EVENT_FIELDS if f not in {"start", "end", "rrule", "rdates", "exdates"}
    )
)
_SERIES_DATES = re.compile(r"[\s,;]+")


def _series_dates(text: str, event: Event) -> list[str]:
    """RDATE/EXDATE values in Berlin time: each a day (`2026-12-24` or `20261224`), which for a timed event
    means the event's time on that day, or a day and time (`20261224T100000`)."""
    values = []
    start = local(event.start)
    for item in _SERIES_DATES.split(text.strip()):
        item = item.replace("-", "").replace(":", "").upper().removesuffix("Z")
        if not item:
            continue
        if "T" not in item and not event.all_day:
            item = f"{item}T{start:%H%M%S}"
        values.append(item)
    return values


def series_ics(event: Event) -> bytes:
    """The event and its rule as an iCalendar file in Europe/Berlin, for `feeds.ical.parse_ical`."""
    zone = settings.DISPLAY_TIME_ZONE
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", f"UID:series-{event.pk}"]
    if event.all_day:
        first, end = all_day_dates(event.start, event.end)
        lines += [f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
        kind = ";VALUE=DATE"
    else:
        lines += [
            f"DTSTART;TZID={zone}:{local(event.start):%Y%m%dT%H%M%S}",
            f"DTEND;TZID={zone}:{local(event.end):%Y%m%dT%H%M%S}",
        ]
        kind = f";TZID={zone}"
    if event.rrule:
        lines.append("RRULE:" + event.rrule.strip().removeprefix("RRULE:"))
    for name, text in (("RDATE", event.rdates), ("EXDATE", event.exdates)):
        dates = _series_dates(text, event)
        if dates:
            lines.append(f"{name}{kind}:{','.join(dates)}")
    lines += ["SUMMARY:series", "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def series_occurrences(
    event: Event, *, now: dt.datetime | None = None
) -> tuple[dict[str, tuple[dt.datetime, dt.datetime]], list[str]]:
    """{RECURRENCE-ID: (start, end)} of the further occurrences within the horizon, and warnings."""
    if not (event.rrule or event.rdates):
        return {}, []
    now = now or timezone.now()
    parsed = parse_ical(series_ics(event), horizon_start=now - SERIES_BEFORE, horizon_end=now + SERIES_AHEAD)
    found = {
        occurrence.recurrence_id: (occurrence.start, occurrence.end)
        for occurrence in parsed.events
        if occurrence.start != event.start  # the event itself is the first occurrence
    }
    return found, [str(warning) for warning in parsed.warnings]


_SERIES_DATE = re.compile(r"^\d{8}(T\d{6})?$")


def check_series(event: Event) -> None:
    """EventError when the repetition cannot be expanded: checked before the event is saved."""
    if event.rrule:
        text = event.rrule.strip().removeprefix("RRULE:")
        try:
            rule = icalendar.vRecur.from_ical(text)
            # As iCalendar allows: an UNTIL in UTC (what the form writes) or floating, or a date.
            rule_dates(text, start=event.start, all_day=event.all_day)
        except (ValueError, TypeError) as exc:
            raise EventError(
                _("The repetition rule cannot be read: %(error)s") % {"error": str(exc) or text}
            ) from exc
        if str((rule.get("FREQ") or [""])[0]).upper() in REFUSED_FREQUENCIES:
            raise EventError(_("An event cannot repeat more often than hourly."))
    for text in (event.rdates, event.exdates):
        if any(not _SERIES_DATE.match(value) for value in _series_dates(text, event)):
            raise EventError(_("Write the dates of a repetition as 2026-12-24 or 20261224T100000."))


@transaction.atomic
def expand_series(event: Event, *, now: dt.datetime | None = None) -> int:
    """Bring the occurrence rows of an entered recurring event up to date; returns how many there are.

    New occurrences are created, existing ones (by RECURRENCE-ID) updated to the event's fields, those the
    rule no longer has deleted (they are derived rows; the past ones outside the horizon stay as a record).
    An occurrence edited on its own (`detached`) keeps its fields, organisers and topics while the rule
    still has its date. The system acts: whoever may change the event has changed its rule.
    """
    if event.series_id is not None or event.pk is None:
        return 0
    now = now or timezone.now()
    wanted, _warnings = series_occurrences(event, now=now)
    existing = {occurrence.source_uid: occurrence for occurrence in event.occurrences.order_by()}
    values = {name: getattr(event, name) for name in _OCCURRENCE_FIELDS}
    saved_at = timezone.now()
    new, changed = [], []
    for key, (start, end) in wanted.items():
        occurrence = existing.get(key)
        if occurrence is None:
            occurrence = Event(
                series=event, source=Event.Source.ENTERED, source_uid=key, start=start, end=end
            )
            new.append(occurrence)
        elif occurrence.detached or (
            all(getattr(occurrence, n) == v for n, v in values.items())
            and (occurrence.start, occurrence.end, occurrence.search_text) == (start, end, event.search_text)
        ):
            continue  # edited on its own, or already as the series says
        else:
            occurrence.start, occurrence.end, occurrence.updated_at = start, end, saved_at
            changed.append(occurrence)
        for name, value in values.items():
            setattr(occurrence, name, value)
        occurrence.search_text = event.search_text
    horizon_start = now - SERIES_BEFORE
    gone = [o.pk for key, o in existing.items() if key not in wanted and o.end > horizon_start]
    Event.objects.filter(pk__in=gone).delete()
    Event.objects.bulk_create(new, batch_size=_BATCH)
    fields = [*_OCCURRENCE_FIELDS, "start", "end", "search_text", "updated_at"]
    Event.objects.bulk_update(changed, fields, batch_size=_BATCH)
    # Organisers and topics as the event has them, in four statements for the whole series.
    occurrences = [
        o.pk for o in [*new, *existing.values()] if o.pk is not None and o.pk not in gone and not o.detached
    ]
    for relation, column in ((Event.organizers, "organization_id"), (Event.topics, "topic_id")):
        Link = relation.through
        Link.objects.filter(event_id__in=occurrences).delete()
        ids = list(getattr(event, relation.field.name).values_list("pk", flat=True))
        Link.objects.bulk_create(
            [Link(event_id=pk, **{column: value}) for pk in occurrences for value in ids], batch_size=_BATCH
        )
    refresh_listed(occurrences)  # their organisers were written by bulk statements
    texts_changed.send(sender=Event, ids=occurrences)
    if new or changed or gone:
        dedup.refresh_events([o for o in [*new, *changed] if o.pk is not None])
        invalidate_filter_choices()
    return len(wanted)
