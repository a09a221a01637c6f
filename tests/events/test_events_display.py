"""How an event's time reads (`{% event_when %}`): shown in Europe/Berlin, whatever the server's zone."""

import datetime as dt

from django.utils import timezone, translation

from crosscluster.events.models import Event
from crosscluster.events.templatetags.events_display import event_when

UTC = dt.UTC


def when(start, end, all_day=False):
    with translation.override("de"), timezone.override("Europe/Berlin"):
        return str(event_when(Event(title="x", start=start, end=end, all_day=all_day)))


def test_event_when_shows_start_and_end():
    start = dt.datetime(2027, 3, 4, 17, tzinfo=UTC)

    assert when(start, start + dt.timedelta(hours=2)) == (
        '<time datetime="2027-03-04T18:00:00+01:00">Do, 4. März 2027, 18:00</time>'
        '–<time datetime="2027-03-04T20:00:00+01:00">20:00</time>'
    )


def test_event_when_shows_no_end_for_an_event_without_length():
    """RFC 5545: a DTSTART without DTEND or DURATION ends when it begins; there is no end time to show."""
    start = dt.datetime(2027, 3, 4, 17, tzinfo=UTC)

    assert when(start, start) == '<time datetime="2027-03-04T18:00:00+01:00">Do, 4. März 2027, 18:00</time>'
