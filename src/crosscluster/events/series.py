"""Series of entered events: the further occurrences of an event with a rule, as rows of their own.

An entered event with a rule (RRULE, RDATE, EXDATE) is the first occurrence of its series; the further
occurrences within `SERIES_AHEAD` are rows of their own (`series` points to the event, `source_uid` is the
RECURRENCE-ID), exactly like the occurrences of a feed's series. They are expanded by the same code as a
feed's: the rule is written as an iCalendar VEVENT in Europe/Berlin (so 10:00 stays 10:00 across the
change to summer time) and read by feeds.ical.parse_ical with recurring-ical-events, within a horizon,
so a rule without an end yields a year of occurrences, not an endless loop. Saving the event expands it
again (events.services); the `extend-event-series` command moves the horizon along every day.

The editor's side of a rule (what the form offers, in words) is events.recurrence.
"""

import datetime as dt
import re

import icalendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crosscluster.core.bilingual import column as text_column
from crosscluster.core.signals import announce, events_changed, texts_changed

from .dedup.grouping import refresh_events
from .errors import EventError
from .feeds.ical import REFUSED_FREQUENCIES, parse_ical
from .models import EVENT_FIELDS, Event
from .recurrence import rule_dates
from .times import all_day_dates, local

_BATCH = 500

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
            and (occurrence.start, occurrence.end) == (start, end)
        ):
            continue  # edited on its own, or already as the series says
        else:
            occurrence.start, occurrence.end, occurrence.updated_at = start, end, saved_at
            changed.append(occurrence)
        for name, value in values.items():
            setattr(occurrence, name, value)
    horizon_start = now - SERIES_BEFORE
    gone = [o.pk for key, o in existing.items() if key not in wanted and o.end > horizon_start]
    Event.objects.filter(pk__in=gone).delete()
    Event.objects.bulk_create(new, batch_size=_BATCH)
    fields = [*_OCCURRENCE_FIELDS, "start", "end", "updated_at"]
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
    # Their organisers were written by bulk statements (deletions announce themselves: events.signals).
    announce(events_changed, Event, occurrences)
    texts_changed.send(sender=Event, ids=occurrences)
    if new or changed or gone:
        refresh_events([o for o in [*new, *changed] if o.pk is not None])
    return len(wanted)
