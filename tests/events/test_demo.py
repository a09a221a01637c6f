"""The demo events of `make run` (events.demo, entered by load-demo)."""

import datetime as dt
import io
import zoneinfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from django.core.management import call_command
from django.utils import timezone

from crosscluster.core.working_days import is_working_day
from crosscluster.directory.models import Organization
from crosscluster.events.access import public_events
from crosscluster.events.demo import create_demo_events, first_thursdays
from crosscluster.events.models import Event
from crosscluster.events.times import local

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def test_load_demo_enters_a_calendar_dated_from_today(db, client, settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"  # the embeddings are not the point
    out = io.StringIO()

    call_command("load-demo", stdout=out)

    today = local(timezone.now()).date()
    listed = list(public_events().prefetch_related("organizers"))
    assert "demo events entered, dated from today" in out.getvalue()
    assert len(listed) >= Organization.objects.count()
    assert all(local(event.start).date() > today for event in listed)
    assert all(is_working_day(local(event.start).date(), "DE-TH") for event in listed)
    assert {event.format for event in listed} == set(Event.Format.values)
    (forum,) = [event for event in listed if event.title.startswith("Thüringer Innovationsforum")]
    assert forum.title.endswith(str(local(forum.start).year))
    assert len(forum.listed_organizers) == 2  # announced by two networks, listed once
    calendar = icalendar.Calendar.from_ical(client.get("/veranstaltungen/kalender.ics").content)
    assert len(calendar.walk("VEVENT")) == len(listed)


def test_demo_series_is_what_calendar_programs_show(db, settings):
    """A series of the first Thursdays: DTSTART is one of them (RFC 5545 counts it as an occurrence)."""
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"
    call_command("load-demo", stdout=io.StringIO())

    today = local(timezone.now()).date()
    (event,) = Event.objects.filter(rrule__contains="BYDAY=1TH")
    dates = [local(event.start).date()] + [
        local(row.start).date() for row in Event.objects.filter(series=event).order_by("start")
    ]
    expected = first_thursdays(dates[0] - dt.timedelta(days=1), 6)
    assert dates == [day for day in expected if is_working_day(day, "DE-TH")]
    assert dates[0] == next(d for d in first_thursdays(today, 12) if is_working_day(d, "DE-TH"))
    assert all(day.weekday() == 3 and day.day <= 7 for day in dates)
    # What a calendar program reads from our export: the same dates, no more.
    rule = rrulestr(event.rrule, dtstart=local(event.start).replace(tzinfo=None))
    exdates = {dt.date.fromisoformat(day) for day in event.exdates.split()}
    assert [moment.date() for moment in rule if moment.date() not in exdates] == dates


@pytest.mark.parametrize(
    "today",
    [
        dt.date(2025, 12, 10),  # the next first Thursday is New Year's Day
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 31),
        dt.date(2027, 3, 28),
        dt.date(2028, 2, 29),
    ],
)
def test_demo_events_fall_on_working_days(organization, other_organization, today, time_machine):
    time_machine.move_to(dt.datetime.combine(today, dt.time(12), tzinfo=BERLIN), tick=False)

    create_demo_events(today)

    days = [local(event.start).date() for event in Event.objects.all()]
    assert len(days) > 5 and all(day > today and is_working_day(day, "DE-TH") for day in days)
    assert not {(day.month, day.day) for day in days} & {(12, 24), (12, 31)}
    (series,) = Event.objects.filter(rrule__contains="BYDAY=1TH")
    thursdays = first_thursdays(local(series.start).date() - dt.timedelta(days=1), 6)
    assert series.occurrences.count() + 1 == sum(is_working_day(day, "DE-TH") for day in thursdays)
    assert local(series.start).date() == next(day for day in first_thursdays(today, 6) if day in days)


def test_first_thursdays_start_after_the_day():
    assert first_thursdays(dt.date(2026, 12, 7), 3) == [
        dt.date(2027, 1, 7),
        dt.date(2027, 2, 4),
        dt.date(2027, 3, 4),
    ]
    assert first_thursdays(dt.date(2027, 1, 6), 1) == [dt.date(2027, 1, 7)]
    assert first_thursdays(dt.date(2027, 1, 7), 1) == [dt.date(2027, 2, 4)]


def test_demo_events_are_entered_only_into_an_empty_calendar(organization):
    assert create_demo_events(dt.date(2030, 1, 1)) > 0
    count = Event.objects.count()

    assert create_demo_events(dt.date(2030, 1, 1)) == 0
    assert Event.objects.count() == count
