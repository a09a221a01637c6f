"""Importing a subscribed feed: upsert by UID, vanished events marked removed, failures keep everything."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crosscluster.core.models import AuditLogEntry
from crosscluster.events.errors import EventError
from crosscluster.events.feeds.ical import parse_ical
from crosscluster.events.feeds.importing import detect_kind, import_feed
from crosscluster.events.feeds.sync import clean_feed_fields
from crosscluster.events.models import Event, FeedSubscription
from crosscluster.events.queries import public_cities
from crosscluster.search.documents import index_events
from tests.documents import document_text

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def ics(*events):
    body = "".join(
        "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n" for lines in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode()


TALK = ("UID:talk", "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z", "SUMMARY:Vortrag", "LOCATION:Jena")
FAIR = ("UID:fair", "DTSTART;VALUE=DATE:20261210", "SUMMARY:Messe")
WEEKLY = ("UID:weekly", "DTSTART:20261130T170000Z", "RRULE:FREQ=WEEKLY;COUNT=2", "SUMMARY:Treff")


@pytest.fixture
def subscription(organization, feed_server, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feed lives on the loopback test server
    return FeedSubscription.objects.create(organization=organization, url=feed_server.url("/cal.ics"))


def stored(subscription):
    return {
        event.source_uid: (event.title, event.start, event.end, event.removed_at)
        for event in Event.objects.filter(feed=subscription)
    }


def test_import_feed_creates_events_of_the_organisation(subscription, feed_server, organization):
    feed_server.serve("/cal.ics", ics(TALK, FAIR, WEEKLY), etag='"v1"')

    result = import_feed(subscription, now=NOW)

    assert (result.status, result.created, result.updated, result.removed) == ("ok", 4, 0, 0)
    assert stored(subscription) == {
        "talk": (
            "Vortrag",
            dt.datetime(2026, 12, 1, 10, tzinfo=UTC),
            dt.datetime(2026, 12, 1, 11, tzinfo=UTC),
            None,
        ),
        "fair": (
            "Messe",
            dt.datetime(2026, 12, 9, 23, tzinfo=UTC),
            dt.datetime(2026, 12, 10, 23, tzinfo=UTC),
            None,
        ),
        # No DTEND: the occurrences end when they begin (RFC 5545 3.6.1).
        "weekly#20261130T170000Z": (
            "Treff",
            dt.datetime(2026, 11, 30, 17, tzinfo=UTC),
            dt.datetime(2026, 11, 30, 17, tzinfo=UTC),
            None,
        ),
        "weekly#20261207T170000Z": (
            "Treff",
            dt.datetime(2026, 12, 7, 17, tzinfo=UTC),
            dt.datetime(2026, 12, 7, 17, tzinfo=UTC),
            None,
        ),
    }
    talk = Event.objects.get(feed=subscription, source_uid="talk")
    assert (talk.source, talk.venue, talk.rrule) == ("feed", "Jena", "")
    assert list(talk.organizers.all()) == [organization]
    subscription.refresh_from_db()
    assert (subscription.last_status, subscription.etag, subscription.last_fetched_at) == ("ok", '"v1"', NOW)
    assert AuditLogEntry.objects.filter(action="event.feed_imported").count() == 1


def test_import_feed_updates_changed_and_removes_vanished_events(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK, FAIR))
    import_feed(subscription, now=NOW)
    moved = ("UID:talk", "DTSTART:20261201T140000Z", "DTEND:20261201T150000Z", "SUMMARY:Vortrag (neu)")
    feed_server.serve("/cal.ics", ics(moved))

    result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 1, 0, 1)
    events = stored(subscription)
    assert events["talk"][:2] == ("Vortrag (neu)", dt.datetime(2026, 12, 1, 14, tzinfo=UTC))
    assert events["fair"][3] == NOW


def test_import_feed_brings_back_a_removed_event(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK))
    import_feed(subscription, now=NOW)
    feed_server.serve("/cal.ics", ics())
    import_feed(subscription, now=NOW)
    feed_server.serve("/cal.ics", ics(TALK))

    result = import_feed(subscription, now=NOW)

    assert (result.updated, stored(subscription)["talk"][3]) == (1, None)


def test_import_feed_leaves_unchanged_events_alone(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK))
    import_feed(subscription, now=NOW)

    result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_import_feed_not_modified_changes_nothing(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK), etag='"v1"')
    import_feed(subscription, now=NOW)

    result = import_feed(subscription, now=NOW + dt.timedelta(hours=1))

    assert result.status == "not_modified"
    assert feed_server.requests[-1]["headers"]["If-None-Match"] == '"v1"'
    assert stored(subscription)["talk"][3] is None


@pytest.mark.parametrize(
    "serve",
    [
        lambda server: server.serve("/cal.ics", b"<html>Wartungsarbeiten</html>", content_type="text/html"),
        lambda server: server.route("/other", lambda request: None),  # /cal.ics answers 404
    ],
    ids=["not-ical", "http-404"],
)
def test_import_feed_keeps_everything_when_the_feed_fails(subscription, feed_server, serve):
    feed_server.serve("/cal.ics", ics(TALK, FAIR))
    import_feed(subscription, now=NOW)
    before = stored(subscription)
    feed_server.httpd.routes.clear()
    serve(feed_server)

    result = import_feed(subscription, now=NOW)

    assert result.status == "failing"
    assert stored(subscription) == before
    subscription.refresh_from_db()
    assert subscription.last_status == "failing"
    assert subscription.last_error == result.error != ""
    assert AuditLogEntry.objects.filter(action="event.feed_failed").count() == 1


def test_import_feed_refuses_private_addresses_by_default(organization, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    subscription = FeedSubscription.objects.create(
        organization=organization, url="http://127.0.0.1:9/cal.ics"
    )

    result = import_feed(subscription, now=NOW)

    assert result.status == "failing"
    assert "non-public address" in result.error


def test_import_feed_reads_rss_subscriptions(subscription, feed_server, corpus):
    subscription.kind = FeedSubscription.Kind.RSS
    subscription.save()
    feed_server.serve("/cal.ics", corpus("events.rss"), content_type="application/rss+xml")

    result = import_feed(subscription, now=NOW)

    assert result.created == 2  # the July event lies before the horizon; news and a broken date are reported
    assert len(result.warnings) == 2
    assert set(stored(subscription)) == {"polymer-2026-12-01", "https://polymer.example.org/termine/messe"}


def test_import_feed_keeps_past_events_that_left_the_horizon(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK))
    import_feed(subscription, now=NOW)
    feed_server.serve("/cal.ics", ics())

    result = import_feed(subscription, now=NOW + dt.timedelta(days=30))

    assert result.removed == 0
    assert stored(subscription)["talk"][3] is None


def test_import_feed_leaves_an_event_with_cleaned_html_unchanged(subscription, feed_server):
    """The stored description is cleaned; comparing it with the raw one re-saved the event on every fetch."""
    html = ("UID:html", "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z", "SUMMARY:Vortrag")
    description = 'DESCRIPTION:<p onclick="steal()">Hallo</p><script>alert(1)</script>'
    feed_server.serve("/cal.ics", ics((*html, description)))
    import_feed(subscription, now=NOW)
    saved_at = Event.objects.get(feed=subscription).updated_at

    result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    event = Event.objects.get(feed=subscription)
    assert (event.updated_at, "script" in event.description) == (saved_at, False)
    assert AuditLogEntry.objects.filter(action="event.updated").count() == 0


def test_import_feed_compares_the_cleaned_description(subscription, feed_server, monkeypatch):
    """Even a parser that hands over uncleaned HTML must not make every fetch re-save the event."""
    from dataclasses import replace

    from crosscluster.events.feeds import importing

    raw = '<p onclick="steal()">Hallo</p><script>alert(1)</script>'

    def parse_raw(data, **kwargs):
        parsed = parse_ical(data, **kwargs)
        return replace(parsed, events=[replace(event, description=raw) for event in parsed.events])

    monkeypatch.setattr(importing, "parse_ical", parse_raw)
    feed_server.serve("/cal.ics", ics(TALK))
    import_feed(subscription, now=NOW)

    result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Event.objects.get(feed=subscription).description == "<p>Hallo</p>"


def test_import_feed_takes_the_kind_from_the_content(subscription, feed_server, corpus):
    """A feed added as iCalendar (guessed from its URL) that serves RSS is read as RSS, and remembered so."""
    feed_server.serve("/cal.ics", corpus("events.rss"), content_type="application/rss+xml")

    result = import_feed(subscription, now=NOW)

    subscription.refresh_from_db()
    assert (result.status, subscription.kind) == ("ok", "rss")


@pytest.mark.parametrize(
    ("body", "kind", "expected"),
    [
        (b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n", "rss", "ical"),
        (b'  <?xml version="1.0"?><rss>', "ical", "rss"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'>", "ical", "rss"),
        (b"<!DOCTYPE html><html>", "ical", "ical"),
        (b"", "rss", "rss"),
    ],
)
def test_detect_kind(body, kind, expected):
    assert detect_kind(body, kind) == expected


# The bulk path ------------------------------------------------------------------------------------------


def test_import_feed_writes_one_summary_audit_entry(subscription, feed_server):
    feed_server.serve("/cal.ics", ics(TALK, FAIR, WEEKLY))

    import_feed(subscription, now=NOW)

    assert AuditLogEntry.objects.filter(action__in=["event.created", "event.updated"]).count() == 0
    entry = AuditLogEntry.objects.get(action="event.feed_imported")
    assert entry.data == {"created": 4, "updated": 0, "removed": 0, "unchanged": 0, "warnings": []}


def test_import_feed_writes_the_search_documents_like_the_service(subscription, feed_server, organization):
    feed_server.serve("/cal.ics", ics(TALK, (*FAIR, "DESCRIPTION:Kunststoffe <b>und</b> Recycling")))
    import_feed(subscription, now=NOW)
    changed = ("UID:talk", "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z", "SUMMARY:Vorträge")
    feed_server.serve("/cal.ics", ics(changed, (*FAIR, "DESCRIPTION:Kunststoffe <b>und</b> Recycling")))

    import_feed(subscription, now=NOW)

    events = list(Event.objects.filter(feed=subscription))
    written = {event.pk: document_text(event) for event in events}
    index_events([event.pk for event in events])  # as the service would write them
    assert written == {event.pk: document_text(event) for event in events}
    assert "" not in written.values()
    assert "recycling" in document_text(Event.objects.get(source_uid="fair"))


def test_import_feed_query_count_does_not_grow_with_the_feed(
    subscription, feed_server, django_assert_max_num_queries
):
    def talks(count, hour):
        return [
            (
                f"UID:t{n}",
                f"DTSTART:202612{n + 1:02d}T{hour}0000Z",
                f"DTEND:202612{n + 1:02d}T{hour}3000Z",
                f"SUMMARY:Vortrag Nummer {n} über Thema {n * 7}",
                "LOCATION:Jena",
            )
            for n in range(count)
        ]

    feed_server.serve("/cal.ics", ics(*talks(2, 10)))
    import_feed(subscription, now=NOW)
    feed_server.serve("/cal.ics", ics(*talks(4, 12)))  # 2 updated, 2 new
    with CaptureQueriesContext(connection) as few:
        import_feed(subscription, now=NOW)
    feed_server.serve("/cal.ics", ics(*talks(25, 14)))  # 4 updated, 21 new

    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated) == (21, 4)


def test_import_feed_keeps_a_stored_event_that_cannot_be_read(subscription, feed_server, monkeypatch):
    from dataclasses import replace

    from crosscluster.events.feeds import importing

    feed_server.serve("/cal.ics", ics(TALK, FAIR))
    import_feed(subscription, now=NOW)

    def parse_broken(data, **kwargs):
        parsed = parse_ical(data, **kwargs)
        broken = [
            replace(e, end=e.start - dt.timedelta(hours=1)) if e.uid == "talk" else e for e in parsed.events
        ]
        return replace(parsed, events=broken)

    monkeypatch.setattr(importing, "parse_ical", parse_broken)

    result = import_feed(subscription, now=NOW)

    assert (result.created, result.updated, result.unchanged, result.removed) == (0, 0, 1, 0)
    assert result.warnings == ["UID talk: The event cannot end before it starts."]
    assert stored(subscription)["talk"][1:] == (
        dt.datetime(2026, 12, 1, 10, tzinfo=UTC),
        dt.datetime(2026, 12, 1, 11, tzinfo=UTC),
        None,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": ""}, "cannot be blank"),
        ({"status": "maybe"}, "is not a valid choice"),
        ({"end": dt.datetime(2026, 12, 1, 9, tzinfo=UTC)}, "cannot end before it starts"),
        ({"start": dt.datetime(2026, 12, 1, 10)}, "time zone"),
    ],
)
def test_clean_feed_fields_refuses_what_full_clean_refuses(fields, message):
    values = {
        "title": "Vortrag",
        "start": dt.datetime(2026, 12, 1, 10, tzinfo=UTC),
        "end": dt.datetime(2026, 12, 1, 11, tzinfo=UTC),
        "status": "scheduled",
        **fields,
    }

    with pytest.raises(EventError, match=message):
        clean_feed_fields(values)


def test_clean_feed_fields_cleans_and_normalises():
    berlin = dt.timezone(dt.timedelta(hours=1))
    values = clean_feed_fields(
        {
            "title": "Messe",
            "description": "<p>Hallo<script>x()</script></p>",
            "start": dt.datetime(2026, 12, 10, 0, tzinfo=berlin),
            "end": dt.datetime(2026, 12, 11, 0, tzinfo=berlin),
            "all_day": True,
        }
    )

    assert values["description"] == "<p>Hallo</p>"
    assert (values["start"], values["end"]) == (
        dt.datetime(2026, 12, 9, 23, tzinfo=UTC),
        dt.datetime(2026, 12, 10, 23, tzinfo=UTC),
    )
    assert values["start"].tzinfo is UTC


def test_import_feed_drops_the_cached_filter_choices(subscription, feed_server, client):
    client.get("/veranstaltungen/")  # fills the cache of cities
    feed_server.serve("/cal.ics", ics(TALK))

    import_feed(subscription, now=NOW)

    assert "Jena" not in public_cities()  # the venue is no city: the import sets no city…
    Event.objects.filter(feed=subscription).update(city="Jena")  # …a bulk update bypasses the signals
    assert "Jena" not in public_cities()
    feed_server.serve("/cal.ics", ics((*TALK[:3], "SUMMARY:Vortrag (neu)", "LOCATION:Jena")))
    import_feed(subscription, now=NOW)
    assert "Jena" in public_cities()


def test_import_feed_stores_uids_with_characters_a_database_refuses(subscription, feed_server):
    """A NUL in a UID made PostgreSQL refuse the row; UIDs that differ only in such characters stay apart."""
    events = [
        (f"UID:talk{suffix}", "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z", f"SUMMARY:Vortrag {n}")
        for n, suffix in enumerate(["", "\x00", "\x00\x01", "\x0bx"])
    ]
    feed_server.serve("/cal.ics", ics(*events))

    first = import_feed(subscription, now=NOW)
    again = import_feed(subscription, now=NOW)

    assert (first.status, first.created) == ("ok", 4)
    assert (again.created, again.updated) == (0, 0)
    keys = list(Event.objects.filter(feed=subscription).values_list("source_uid", flat=True))
    assert len(set(keys)) == 4 and "talk" in keys
    assert not any(character in key for key in keys for character in "\x00\x01\x0b")
