"""Reading RSS and Atom feeds: items with event dates become events, the others are reported."""

import datetime as dt

import pytest

from crosscluster.events.feeds.rss import FeedError, parse_rss

UTC = dt.UTC


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_parse_rss_reads_the_event_module_under_any_prefix(corpus):
    parsed = parse_rss(corpus("events.rss"))
    events = {event.uid: event for event in parsed.events}

    assert parsed.name == "PolymerNetz Termine"
    day = events["polymer-2026-12-01"]
    assert (day.title, day.start, day.end, day.all_day) == (
        "Kunststofftag Thüringen",
        at(2026, 12, 1, 9),
        at(2026, 12, 1, 15),
        False,
    )
    assert day.location == "Rudolstadt, Heinepark"
    assert day.url == "https://polymer.example.org/termine/kunststofftag"
    assert day.categories == ["Kunststoffe", "Fachtag"]
    assert day.description == "<p>Fachtag <strong>Recycling</strong></p>"
    fair = events["https://polymer.example.org/termine/messe"]
    assert (fair.start, fair.end, fair.all_day) == (at(2026, 12, 8, 23), at(2026, 12, 10, 23), True)
    assert events["stammtisch"].start == at(2026, 7, 1, 17)  # no offset: Europe/Berlin
    assert events["stammtisch"].end == at(2026, 7, 1, 18)


def test_parse_rss_reports_items_without_event_dates(corpus):
    parsed = parse_rss(corpus("events.rss"))

    assert "news-1" not in {event.uid for event in parsed.events}
    assert [(w.uid, w.message) for w in parsed.warnings] == [
        ("news-1", "Item 4 (Pressemitteilung) has no event date (ev:startdate); skipped."),
        ("bad-date", "Item 5 (Kaputtes Datum): the start nächsten Dienstag cannot be read; skipped."),
    ]


def test_parse_rss_reads_atom_with_xcal_dates(corpus):
    parsed = parse_rss(corpus("events.atom"))

    assert len(parsed.events) == 1
    workshop = parsed.events[0]
    assert (workshop.uid, workshop.start, workshop.end) == (
        "urn:uuid:laser-workshop",
        at(2026, 12, 4, 9),
        at(2026, 12, 4, 12),
    )
    assert workshop.location == "Jena"
    assert workshop.description == "<p>Hands-on</p>"
    assert [w.uid for w in parsed.warnings] == ["urn:uuid:blog"]


@pytest.mark.parametrize(
    "data", [b"", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", b"<html><body>Hallo</body></html>"]
)
def test_parse_rss_refuses_what_is_not_a_feed(data):
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_rss(data)


def test_parse_rss_never_reads_a_local_file_named_by_the_data(tmp_path, corpus):
    path = tmp_path / "events.rss"
    path.write_bytes(corpus("events.rss"))

    with pytest.raises(FeedError):
        parse_rss(str(path).encode())


STATUS_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/" xmlns:s="http://schema.org/"
     xmlns:xCal="urn:ietf:params:xml:ns:xcal">
<channel><title>Termine</title>
<item><guid>a</guid><title>Abgesagt</title><ev:startdate>2026-12-01T10:00:00+01:00</ev:startdate>
  <s:eventStatus>http://schema.org/EventCancelled</s:eventStatus></item>
<item><guid>b</guid><title>Verschoben</title><ev:startdate>2026-12-02T10:00:00+01:00</ev:startdate>
  <xCal:status>POSTPONED</xCal:status></item>
<item><guid>c</guid><title>Frist</title><ev:startdate>2026-12-03T10:00:00+01:00</ev:startdate>
  <ev:enddate>2026-12-03T10:00:00+01:00</ev:enddate><xCal:status>CONFIRMED</xCal:status></item>
</channel></rss>"""


def test_parse_rss_reads_the_status_and_an_end_equal_to_the_start():
    """schema.org's eventStatus (any prefix, http or https) or xCal's status; a zero-length event stays so."""
    parsed = parse_rss(STATUS_FEED.encode())

    assert parsed.warnings == []
    assert [(event.title, event.status) for event in parsed.events] == [
        ("Abgesagt", "cancelled"),
        ("Verschoben", "postponed"),
        ("Frist", "scheduled"),
    ]
    frist = parsed.events[2]
    assert frist.start == frist.end == at(2026, 12, 3, 9)


def test_parse_rss_removes_what_xml_forbids_from_every_text():
    """Character references to control characters pass feedparser; the parser's text never has them."""
    parsed = parse_rss(
        b'<?xml version="1.0"?><rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/">'
        b"<channel><title>T&#1;</title><item><guid>a&#0;b&#1;</guid><title>Ro&#1;bot&#11;tag&#x7f;</title>"
        b"<description>Mit&#2; Vorf&#xfc;hrung</description><category>Ro&#3;boter</category>"
        b"<ev:startdate>2026-12-01T10:00:00+01:00</ev:startdate><ev:location>Je&#4;na</ev:location>"
        b"</item></channel></rss>"
    )

    (event,) = parsed.events
    assert (parsed.name, event.uid, event.title, event.location, event.categories) == (
        "T",
        "ab",
        "Robot tag",
        "Jena",
        ["Roboter"],
    )
    assert event.description == "Mit Vorführung"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><export><items><item><name>A</name></item><item><name>B</name></item>'
        b"</items></export>",
        b'<?xml version="1.0"?><entries><entry><title>A</title></entry></entries>',
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://example.org/</loc></url></urlset>",
    ],
    ids=["items", "entries", "sitemap"],
)
def test_parse_rss_refuses_xml_that_is_not_a_feed(data):
    """XML with <item> or <entry> elements is no feed without an <rss>, <feed> or RDF root: it used to
    import as "ok, 0 events", each item skipped for want of a date (issue 12, point 11)."""
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        parse_rss(data)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Leer</title></channel></rss>',
        b'<?xml version="1.0"?><rss><channel><title>Ohne Version</title></channel></rss>',
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Leer</title></feed>',
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel><title>RSS 1.0</title></channel></rdf:RDF>',
    ],
    ids=["rss-2.0", "rss-without-version", "atom", "rss-1.0"],
)
def test_parse_rss_accepts_empty_feeds(data):
    assert parse_rss(data).events == []
