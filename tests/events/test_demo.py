"""The demo events of `make run` (events.demo, entered by load-demo)."""

import datetime as dt
import io

import icalendar
from django.core.management import call_command
from django.utils import timezone

from crosscluster.directory.models import Organization
from crosscluster.events.access import public_events
from crosscluster.events.demo import create_demo_events
from crosscluster.events.models import Event


def test_load_demo_enters_a_calendar_dated_from_today(db, client, settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"  # the embeddings are not the point
    out = io.StringIO()

    call_command("load-demo", stdout=out)

    today = timezone.localdate()
    listed = list(public_events().prefetch_related("organizers"))
    assert "demo events entered, dated from today" in out.getvalue()
    assert len(listed) >= Organization.objects.count()
    assert all(event.start.date() >= today for event in listed)
    assert {event.format for event in listed} == set(Event.Format.values)
    assert Event.objects.filter(series__isnull=False).count() == 5  # a series of six, the first is the event
    (forum,) = [event for event in listed if event.title == "Thüringer Innovationsforum 2027"]
    assert len(forum.listed_organizers) == 2  # announced by two networks, listed once
    calendar = icalendar.Calendar.from_ical(client.get("/veranstaltungen/kalender.ics").content)
    assert len(calendar.walk("VEVENT")) == len(listed)


def test_demo_events_are_entered_only_into_an_empty_calendar(organization):
    assert create_demo_events(dt.date(2030, 1, 1)) > 0
    count = Event.objects.count()

    assert create_demo_events(dt.date(2030, 1, 1)) == 0
    assert Event.objects.count() == count
