"""Importing calendars as real programs write them (tests/events/feeds/data/), end to end on a stopped clock.

The feed is served from the loopback test server, so the subscription allows private addresses (the SSRF
guard refuses 127.0.0.1 otherwise, see test_fetch.py).
"""

import datetime as dt
import logging
from pathlib import Path

import pytest

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.feeds import importing
from crosscluster.events.feeds.importing import import_feed
from crosscluster.events.models import Event, FeedSubscription
from tests.documents import document_text

DATA = Path(__file__).parent / "data"
UTC = dt.UTC
NOW = dt.datetime(2027, 1, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _stopped_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def subscription(organization, feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feed lives on the loopback test server
    return FeedSubscription.objects.create(organization=organization, url=feed_server.url("/cal.ics"))


def serve(feed_server, name, body=None):
    feed_server.serve("/cal.ics", body if body is not None else (DATA / name).read_bytes())


def stored(subscription):
    return Event.objects.filter(feed=subscription, removed_at__isnull=True).order_by("start", "source_uid")


def test_import_broken_line_imports_the_good_event_and_tells_the_managers(subscription, feed_server):
    serve(feed_server, "broken-line.ics")

    result = import_feed(subscription)

    assert (result.status, result.created) == ("ok", 1)
    assert [event.title for event in stored(subscription)] == ["Gutes Event"]
    subscription.refresh_from_db()
    assert (subscription.last_status, subscription.last_error, subscription.failures) == ("ok", "", 0)
    assert subscription.last_fetched_at == NOW
    assert len(subscription.last_warnings) == 1
    assert subscription.last_warnings[0].startswith(
        "UID bad-line@example.org (“Event mit kaputtem Zeilenumbruch”), line 16: Skipped: The line “zweite"
    )
    entry = AuditLogEntry.objects.get(action="event.feed_imported")
    assert entry.data["warnings"] == subscription.last_warnings


def test_import_broken_event_keeps_its_stored_version(subscription, feed_server):
    """An event that is still in the feed but cannot be read now is not taken for removed."""
    body = (DATA / "broken-line.ics").read_bytes()
    serve(feed_server, "", body.replace(b"\r\nzweite Zeile", b"\r\n zweite Zeile"))  # the same, repaired
    import_feed(subscription)
    serve(feed_server, "broken-line.ics")

    result = import_feed(subscription)

    assert (result.removed, result.unchanged) == (0, 1)
    assert [event.source_uid for event in stored(subscription)] == [
        "good-1@example.org",
        "bad-line@example.org",
    ]


def test_import_mixed_floating_and_utc_times(subscription, feed_server):
    serve(feed_server, "mixed-floating-utc.ics")

    result = import_feed(subscription)

    assert (result.status, result.created, result.warnings) == ("ok", 2, [])
    mixed = Event.objects.get(feed=subscription, source_uid="mixed@example.org")
    assert (mixed.start, mixed.end) == (
        dt.datetime(2027, 1, 22, 8, tzinfo=UTC),
        dt.datetime(2027, 1, 22, 10, tzinfo=UTC),
    )


def test_import_outlook_stores_every_occurrence_with_its_own_key(subscription, feed_server):
    serve(feed_server, "outlook.ics")

    result = import_feed(subscription)

    events = list(stored(subscription))
    assert (result.created, len(events), len({event.source_uid for event in events})) == (14, 14, 14)
    series = [event for event in events if event.title == "Jour fixe Vorstand"]
    assert {event.description for event in series} == {
        "<p>Liebe Mitglieder,</p><p>wir laden ein: Vorträge, Diskussion; Imbiss.</p>"
    }
    assert {event.venue for event in series} == {"Raum 2.14, Haus B"}
    assert not any("\\" in event.description + event.venue + document_text(event) for event in events)


def test_import_corrects_descriptions_stored_with_outlooks_escapes(subscription, feed_server):
    """Events imported before the fix carry `\\,` `\\;`: the next import rewrites those still in the feed."""
    serve(feed_server, "outlook.ics")
    import_feed(subscription)
    escaped = r"<p>Liebe Mitglieder\,</p><p>wir laden ein: Vorträge\, Diskussion\; Imbiss.</p>\n"
    Event.objects.filter(feed=subscription, title="Jour fixe Vorstand").update(description=escaped)

    result = import_feed(subscription)

    assert (result.updated, result.unchanged) == (11, 3)
    assert not Event.objects.filter(feed=subscription, description__contains="\\").exists()


def test_import_thisandfuture_stores_all_twenty_dates(subscription, feed_server):
    serve(feed_server, "thisandfuture.ics")

    result = import_feed(subscription)

    events = list(stored(subscription))
    assert (result.created, len(events)) == (20, 20)
    assert [event.start.hour for event in events] == [9] * 8 + [13] * 12


def test_import_sequence_keeps_the_newest_version(subscription, feed_server):
    serve(feed_server, "sequence.ics")

    import_feed(subscription)

    assert [(event.title, event.start.day) for event in stored(subscription)] == [
        ("Neue Fassung", 11),
        ("Neue Fassung", 25),
        ("Neue Fassung", 1),
    ]


def test_import_a_start_without_end_is_stored_without_length(subscription, feed_server):
    serve(feed_server, "calendarize.ics")

    import_feed(subscription)

    talk = Event.objects.get(feed=subscription, source_uid="calendarize-812")
    assert talk.start == talk.end == dt.datetime(2027, 3, 4, 17, tzinfo=UTC)


def test_import_an_error_of_ours_marks_the_feed_failing_and_backs_off(
    subscription, feed_server, monkeypatch, caplog
):
    serve(feed_server, "google.ics")

    def broken(*args, **kwargs):
        raise TypeError("can't compare offset-naive and offset-aware datetimes")

    monkeypatch.setattr(importing, "parse_ical", broken)

    with caplog.at_level(logging.ERROR, logger="crosscluster.events.feeds.importing"):
        first = import_feed(subscription)
        second = import_feed(subscription)

    assert (first.status, first.crashed, second.status) == ("failing", True, "failing")
    assert "can't compare" in caplog.text  # the traceback is in the log, not on the manager's page
    subscription.refresh_from_db()
    assert (subscription.last_status, subscription.failures, subscription.last_fetched_at) == (
        "failing",
        2,
        NOW,
    )
    assert "error on our side" in subscription.last_error
    assert Event.objects.filter(feed=subscription).count() == 0

    monkeypatch.undo()
    result = import_feed(subscription)

    subscription.refresh_from_db()
    assert (result.status, result.created, subscription.failures, subscription.last_error) == ("ok", 9, 0, "")


def test_import_a_failing_fetch_counts_the_failures(subscription, feed_server):
    result = import_feed(subscription)  # nothing served: 404

    assert (result.status, result.crashed) == ("failing", False)
    subscription.refresh_from_db()
    assert subscription.failures == 1
    assert AuditLogEntry.objects.get(action="event.feed_failed").data["failures"] == 1
