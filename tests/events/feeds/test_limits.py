"""Caps on one feed's import: events, occurrences of series, processing time (issue 12, point 2).

A feed over a cap fails with a message its managers read on the feeds page, and the events stay exactly as
the last complete import left them (the storing is one transaction, rolled back as a whole).
"""

import datetime as dt
import time

import pytest
import recurring_ical_events
from django.utils import translation

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.dedup import grouping
from crosscluster.events.feeds import ical, sync
from crosscluster.events.feeds.ical import parse_ical
from crosscluster.events.feeds.importing import import_feed
from crosscluster.events.feeds.limits import FeedLimits
from crosscluster.events.models import Event, FeedSubscription

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def ics(*events):
    body = "".join(
        "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n" for lines in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode()


def single(n, *, day=1, title=None, location="Jena"):
    return (
        f"UID:event-{n}",
        f"DTSTART:202612{day:02d}T100000Z",
        f"DTEND:202612{day:02d}T110000Z",
        f"SUMMARY:{title or f'Vortrag {n}'}",
        f"LOCATION:{location}",
    )


def hourly(n):
    return (
        f"UID:hourly-{n}",
        "DTSTART:20261201T080000Z",
        "DURATION:PT30M",
        "RRULE:FREQ=HOURLY",
        f"SUMMARY:Sprechstunde {n}",
    )


@pytest.fixture
def subscription(organization, feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feed lives on the loopback test server
    return FeedSubscription.objects.create(organization=organization, url=feed_server.url("/cal.ics"))


def stored(subscription):
    return {
        event.source_uid: (event.title, event.removed_at)
        for event in Event.objects.filter(feed=subscription).order_by("source_uid")
    }


def assert_failed_keeping(subscription, before, message):
    subscription.refresh_from_db()
    assert subscription.last_status == FeedSubscription.Status.FAILING
    assert subscription.last_error == message
    assert stored(subscription) == before
    entry = AuditLogEntry.objects.filter(action="event.feed_failed").latest("pk")
    assert entry.data["error"] == message


def test_import_feed_refuses_more_events_than_the_cap_and_keeps_the_stored_ones(
    subscription, feed_server, settings
):
    settings.FEEDS_MAX_EVENTS = 3
    feed_server.serve("/cal.ics", ics(single(1), single(2)))
    assert import_feed(subscription, now=NOW).created == 2
    before = stored(subscription)

    feed_server.serve("/cal.ics", ics(single(1, title="Neu"), single(2), single(3), single(4)))
    result = import_feed(subscription, now=NOW)

    message = (
        "The feed has more than 3 events in the import window (a year ahead), so it was not imported; "
        "its events stay as they were."
    )
    assert (result.status, result.error, result.created) == ("failing", message, 0)
    assert_failed_keeping(subscription, before, message)


def test_import_feed_caps_the_occurrences_of_open_ended_hourly_series(subscription, feed_server, settings):
    """20 hourly series without end: before, 1000 events each (20,000) were stored."""
    settings.FEEDS_MAX_OCCURRENCES = 5000
    feed_server.serve("/cal.ics", ics(*(hourly(n) for n in range(20))))

    started = time.process_time()  # this process's CPU: a busy machine does not count, 20,000 dates would
    result = import_feed(subscription, now=NOW)

    assert result.status == "failing"
    assert result.error == (
        "The feed's recurring events have more than 5000 dates in the import window (a year ahead), so it "
        "was not imported; its events stay as they were."
    )
    assert not Event.objects.filter(feed=subscription).exists()
    assert time.process_time() - started < 10


def test_import_feed_stops_when_the_processing_time_is_used_up_while_storing(
    subscription, feed_server, settings, monkeypatch
):
    """The cap is checked while duplicates are grouped, inside the import's transaction: all of it is
    rolled back, the events updated or created before are not kept."""
    settings.FEEDS_MAX_PROCESSING_SECONDS = 1
    feed_server.serve("/cal.ics", ics(single(1), single(2)))
    assert import_feed(subscription, now=NOW).status == "ok"
    before = stored(subscription)
    real_refresh = grouping.refresh_feed_duplicates

    def slow_refresh(*args, **kwargs):
        time.sleep(1.1)  # as a feed whose duplicates take long to group
        return real_refresh(*args, **kwargs)

    monkeypatch.setattr(sync, "refresh_feed_duplicates", slow_refresh)
    feed_server.serve("/cal.ics", ics(single(1, title="Geändert"), single(3)))

    result = import_feed(subscription, now=NOW)

    message = (
        "Reading and storing the feed took longer than 1 seconds, so it was stopped; its events stay as "
        "they were."
    )
    assert (result.status, result.error) == ("failing", message)
    assert_failed_keeping(subscription, before, message)


def test_import_feed_limit_messages_are_german_for_managers(subscription, feed_server, settings):
    settings.FEEDS_MAX_EVENTS = 1
    feed_server.serve("/cal.ics", ics(single(1), single(2)))

    with translation.override("de"):
        result = import_feed(subscription, now=NOW)

    assert result.error == (
        "Der Feed hat mehr als 1 Veranstaltungen im Importzeitraum (ein Jahr voraus); er wurde deshalb nicht "
        "importiert, seine Veranstaltungen bleiben, wie sie waren."
    )


def test_parse_ical_expands_an_open_ended_hourly_series_only_as_far_as_it_keeps():
    """The windows give exactly the first 1000 occurrences a full expansion gives, and stop early."""
    data = ics(hourly(0))
    horizon_end = NOW + dt.timedelta(days=365)
    limits = FeedLimits()

    parsed = parse_ical(data, horizon_start=NOW, horizon_end=horizon_end, limits=limits)

    full = recurring_ical_events.of(ical.icalendar.Calendar.from_ical(data)).between(NOW, horizon_end)
    expected = sorted(occurrence.decoded("DTSTART") for occurrence in full)[: ical.MAX_OCCURRENCES_PER_SERIES]
    assert [event.start for event in parsed.events] == expected
    assert len(full) > 8000
    assert limits.occurrences < 2000  # 8 + 16 + 32 days of hours, not the year's 8,760


def test_duplicate_check_of_a_crowded_hour_is_near_linear(subscription, feed_server, monkeypatch):
    """640 events at one time, titles sharing their first word and (by 80) their last letters: compared by
    title key, not all pairs (before: every pair, over 200,000 comparisons). A true duplicate in the crowd
    is still merged."""
    calls = []
    real_match = grouping._Grouper._match

    def counting(self, a, b):
        calls.append(1)
        return real_match(self, a, b)

    monkeypatch.setattr(grouping._Grouper, "_match", counting)
    endings = ("rast", "lind", "mont", "berg", "feld", "horn", "stein", "wald")
    words = [f"{a}{b}{c}" for a in "bcdfghjklmnprstw" for b in "aeiou" for c in endings]
    # Titles one letter apart, each at a place of its own: alike, but not the same event.
    crowd = [single(n, title=f"Vortrag {word}", location=f"{word}hausen") for n, word in enumerate(words)]
    twin = single("twin", title=f"Vortrag {words[7]}", location=f"{words[7]}hausen")
    feed_server.serve("/cal.ics", ics(*crowd, twin))

    result = import_feed(subscription, now=NOW)

    assert (result.status, result.created) == ("ok", len(words) + 1)
    assert len(calls) < 5 * len(words)
    twins = Event.objects.filter(feed=subscription, source_uid__in=["event-7", "event-twin"])
    assert sorted(event.duplicate_of_id is None for event in twins) == [False, True]
