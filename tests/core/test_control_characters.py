"""Control characters from outside break no feed, calendar or page (issue 12, point 3).

A notice with a vertical tab (Word's manual line break) made `/hinweise/rss.xml` and `atom.xml` answer 500
for everyone, and so did an imported event with `\\x01` for the events' feeds. Two defences, each tested on
its own: text is cleaned where it enters (the services of notices, organisations and events, the RSS and
iCalendar import, the directory import: tests/directory/test_importing.py), and every writer of XML,
iCalendar and JSON-LD cleans once more, so that text stored before (or written by a path that forgot)
cannot break a feed. Every output is read back by a strict parser.
"""

import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET

import icalendar
import pytest
from django.db import connection
from django.utils import timezone
from django.utils.feedgenerator import Enclosure

from crosscluster.core.syndication import AtomFeed, RssFeed
from crosscluster.directory.models import Organization, Topic
from crosscluster.directory.services import update_organization, update_topic
from crosscluster.events import export
from crosscluster.events.feeds.importing import import_feed
from crosscluster.events.models import Event, FeedSubscription
from crosscluster.events.services import create_event
from crosscluster.news.models import Notice
from crosscluster.news.services import create_notice
from tests.documents import document_text
from tests.events.feeds.conftest import LoopbackServer
from tests.factories import EventFactory, NoticeFactory

pytestmark = pytest.mark.django_db

# Every character XML 1.0 forbids (its Char production): the C0 controls but tab, LF and CR; DEL, which
# iCalendar forbids; lone surrogates; U+FFFE and U+FFFF.
CONTROLS = "".join(chr(code) for code in range(0x20) if chr(code) not in "\t\n\r") + "\x7f"
SURROGATES = "\ud800\udbff\udc00\udfff"
NONCHARACTERS = "\ufffe\uffff"
NOT_TEXT = CONTROLS + SURROGATES + NONCHARACTERS
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def dirty(word: str) -> str:
    """`word` with every forbidden character in its middle."""
    return f"{word[:2]}{NOT_TEXT}{word[2:]}"


def storable(text: str) -> str:
    """What the database can hold at all: no surrogates (not UTF-8), and no NUL on PostgreSQL."""
    text = re.sub("[\ud800-\udfff]", "", text)
    return text.replace("\x00", "") if connection.vendor == "postgresql" else text


def assert_clean(*values: str) -> None:
    for value in values:
        assert not FORBIDDEN.search(value), f"forbidden character left in {value!r}"


def parsed_xml(response) -> ET.Element:
    """The body read by expat, which refuses any character (or character reference) XML forbids."""
    assert response.status_code == 200, response.content[:500]
    return ET.fromstring(response.content)


def parsed_ical(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content[:500]
    assert_clean(response.content.decode("utf-8"))
    return icalendar.Calendar.from_ical(response.content)


def json_ld(response) -> dict:
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.DOTALL)
    assert match is not None
    data = json.loads(match.group(1))
    assert_clean(json.dumps(data, ensure_ascii=False))
    return data


def texts(element: ET.Element) -> str:
    return " ".join(element.itertext())


# --- Where text enters ---


def test_services_store_notices_organisations_topics_and_events_without_forbidden_characters(
    organization, topic
):
    notice = create_notice(
        actor=None, organization=organization, title=dirty("Hinweis"), body=dirty("Text des Hinweises")
    )
    update_organization(organization, actor=None, name=dirty("PolymerNetz"), description=dirty("Über uns"))
    update_topic(topic, actor=None, introduction=dirty("Einführung"))
    event = create_event(
        actor=None,
        organizers=[organization],
        title=dirty("Kunststofftag"),
        description=dirty("<p>Vorträge</p>"),
        venue=dirty("Kaisersaal"),
        start=timezone.now() + dt.timedelta(days=3),
        end=timezone.now() + dt.timedelta(days=3, hours=2),
    )

    notice.refresh_from_db()
    organization.refresh_from_db()
    topic.refresh_from_db()
    event.refresh_from_db()
    assert (notice.title, organization.name, event.title, event.venue) == (
        "Hi\n\nnweis",  # the vertical tab and the form feed are line breaks
        "Po\n\nlymerNetz",
        "Ku\n\nnststofftag",
        "Ka\n\nisersaal",
    )
    assert_clean(
        notice.body,
        notice.body_html,
        document_text(notice),
        organization.description,
        topic.introduction,
        event.description,
        document_text(event),
    )
    assert "Vorträge" in event.description


@pytest.fixture
def feed_server(settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feed lives on this loopback server
    server = LoopbackServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _feed_text() -> str:
    """The characters a feed can carry in UTF-8 at all (no surrogates); NUL too, which XML never allows."""
    return CONTROLS + NONCHARACTERS


def _rss_feed(start: dt.datetime) -> bytes:
    title = f"Ro{_feed_text()}bottag"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>T</title>'
        f"<item><guid>ro&#0;bo&#1;ts</guid><title>{title}</title>"
        f"<description>Mit{_feed_text()} Vorführung</description>"
        f"<ev:startdate>{start.isoformat()}</ev:startdate><ev:location>Je{_feed_text()}na</ev:location>"
        "</item></channel></rss>"
    ).encode()


def test_rss_import_stores_events_without_forbidden_characters(organization, feed_server):
    start = (timezone.now() + dt.timedelta(days=5)).replace(microsecond=0)
    feed_server.serve("/termine.rss", _rss_feed(start), content_type="application/rss+xml")
    subscription = FeedSubscription.objects.create(
        organization=organization, url=feed_server.url("/termine.rss"), kind=FeedSubscription.Kind.RSS
    )

    result = import_feed(subscription)

    assert (result.status, result.created, result.error) == ("ok", 1, "")
    event = Event.objects.get(feed=subscription)
    assert event.source_uid == "robots"  # a NUL in the key made PostgreSQL refuse the whole import
    assert_clean(event.title, event.description, event.venue, document_text(event))
    assert event.title.startswith("Ro") and event.title.endswith("bottag")
    assert "Vorführung" in event.description


def test_ical_import_stores_events_without_forbidden_characters(organization, feed_server):
    """The same through the iCalendar parser: the import's own cleaning (events.services) removes them."""
    start = (timezone.now() + dt.timedelta(days=5)).astimezone(dt.UTC)
    # VT, FF, FS, GS and RS included: str.splitlines would end a content line at them; RFC 5545 does not.
    text = _feed_text()
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:robots\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:Ro{text}bottag\r\nDESCRIPTION:Mit{text} Vorführung\r\n"
        f"LOCATION:Je{text}na\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    feed_server.serve("/termine.ics", body)
    subscription = FeedSubscription.objects.create(
        organization=organization, url=feed_server.url("/termine.ics")
    )

    result = import_feed(subscription)

    assert (result.status, result.created, result.error) == ("ok", 1, "")
    event = Event.objects.get(feed=subscription)
    assert_clean(event.title, event.description, event.venue, document_text(event))
    assert event.title.replace(" ", "") == "Robottag"  # some controls count as spaces to split()
    assert "Vorführung" in event.description


# --- Every writer, with forbidden characters already stored ---


@pytest.fixture
def stored_dirt(organization, topic):
    """A notice, an event, its organiser and topic with every forbidden character the database can hold,
    written around the services (as data from before the cleaning would be)."""
    Organization.objects.filter(pk=organization.pk).update(name=storable(dirty("PolymerNetz")))
    Topic.objects.filter(pk=topic.pk).update(name=storable(dirty("Kunststoffe")))
    notice = NoticeFactory(organization=organization, topics=[topic])
    Notice.objects.filter(pk=notice.pk).update(
        title=storable(dirty("Hinweis")), body_html=f"<p>{storable(dirty('Text'))}</p>"
    )
    event = EventFactory(organizers=[organization], topics=[topic], online_url="https://example.org/x")
    Event.objects.filter(pk=event.pk).update(
        title=storable(dirty("Kunststofftag")),
        description=f"<p>{storable(dirty('Vorträge'))}</p>",
        venue=storable(dirty("Kaisersaal")),
        address=storable(dirty("Futterstraße 15")),
        city=storable(dirty("Erfurt")),
        format=Event.Format.HYBRID,
        price_text=storable(dirty("40 €")),
    )
    return notice, event


@pytest.mark.parametrize("path", ["/hinweise/rss.xml", "/hinweise/atom.xml", "/en/hinweise/rss.xml"])
def test_notice_feeds_stay_well_formed(client, stored_dirt, path):
    root = parsed_xml(client.get(path))

    assert "Hinweis" in texts(root).replace("\n", "")
    assert "PolymerNetz" in texts(root).replace("\n", "")


@pytest.mark.parametrize("path", ["/veranstaltungen/rss.xml", "/veranstaltungen/atom.xml"])
def test_event_feeds_stay_well_formed(client, stored_dirt, path):
    root = parsed_xml(client.get(path))

    assert "Kunststofftag" in texts(root).replace("\n", "")
    assert "Kaisersaal" in texts(root).replace("\n", "")


def test_event_calendars_stay_readable(client, stored_dirt):
    _notice, event = stored_dirt
    organization = event.organizers.get()
    topic = event.topics.get()

    for path in (
        "/veranstaltungen/kalender.ics",
        f"/veranstaltungen/{event.pk}/kalender.ics",
        f"/organisationen/{organization.slug}/veranstaltungen.ics",
        f"/themen/{topic.slug}/veranstaltungen.ics",
        "/api/v1/events.ics",
    ):
        calendar = parsed_ical(client.get(path))
        (entry,) = calendar.walk("VEVENT")
        assert str(entry["SUMMARY"]).replace("\n", "") == "Kunststofftag", path
        assert "Vorträge" in re.sub(r"\s", "", str(entry["DESCRIPTION"])), path


def test_event_page_json_ld_stays_readable(client, stored_dirt):
    _notice, event = stored_dirt

    data = json_ld(client.get(f"/veranstaltungen/{event.pk}/"))

    assert data["name"].replace("\n", "") == "Kunststofftag"
    assert data["organizer"][0]["name"].replace("\n", "") == "PolymerNetz"


def test_api_reads_stay_valid_json(client, stored_dirt):
    _notice, event = stored_dirt

    for path in (f"/api/v1/events/{event.pk}", "/api/v1/events", "/api/v1/notices", "/api/v1/organizations"):
        response = client.get(path)
        assert response.status_code == 200, path
        json.loads(response.content)


# --- The writers on their own, with what no database can hold (lone surrogates) ---


@pytest.mark.parametrize("feed_type", [RssFeed, AtomFeed])
def test_feed_writers_clean_every_string(feed_type):
    feed = feed_type(title=dirty("Feed"), link="https://example.org/", description=dirty("Beschreibung"))
    feed.add_item(
        title=dirty("Eintrag"),
        link="https://example.org/1",
        description=dirty("<p>Text</p>"),
        author_name=dirty("Autor"),
        categories=[dirty("Thema")],
        enclosures=[Enclosure("https://example.org/a.pdf", "3", "application/pdf")],
    )
    out = io.StringIO()
    feed.write(out, "utf-8")

    root = ET.fromstring(out.getvalue().encode("utf-8"))
    assert "Ei\n\nntrag" in texts(root)


def test_ical_text_and_json_ld_writers_clean_every_string():
    assert export.escape_text(dirty("Kunststofftag")) == "Ku\\n\\nnststofftag"
    text = export.json_ld_script({"name": dirty("Kunststofftag"), "list": [dirty("ab")]})
    assert json.loads(str(text)) == {"name": "Ku\n\nnststofftag", "list": ["ab\n\n"]}
