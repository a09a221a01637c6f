"""Publishing the calendar: iCalendar subscriptions, RSS and Atom, the "Subscribe" links."""

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import feedparser
import icalendar
import pytest
import recurring_ical_events
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from crosscluster.events import export, publishing
from crosscluster.events.access import public_events
from crosscluster.events.demo import create_demo_events
from crosscluster.events.feeds.ical import parse_ical
from crosscluster.events.feeds.rss import parse_rss
from crosscluster.events.models import Event
from crosscluster.events.services import create_event, update_event
from crosscluster.events.times import local
from tests.factories import EventFactory, OrganizationFactory, TopicFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def entries(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def listed(entries_):
    return [(str(e["UID"]), str(e["SUMMARY"]), e.decoded("DTSTART")) for e in entries_]


@pytest.fixture
def week_of_events(organization, other_organization, topic):
    now = timezone.now().replace(microsecond=0)
    other_topic = TopicFactory(slug="wasserstoff", name="Wasserstoff")
    return [
        EventFactory(
            organizers=[organization], topics=[topic], title="Kunststofftag", start=now + dt.timedelta(days=3)
        ),
        EventFactory(
            organizers=[organization],
            topics=[other_topic],
            title="H2-Forum",
            start=now + dt.timedelta(days=1),
        ),
        EventFactory(
            organizers=[other_organization],
            topics=[topic],
            title="Polymerabend",
            city="Jena",
            is_free=False,
            start=now + dt.timedelta(days=2),
        ),
        EventFactory(organizers=[other_organization], title="Entwurf", published=False),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "topic=kunststoffe",
        "organizer=polymer-netz",
        "city=Jena",
        "free=on",
        "topic=kunststoffe&organizer=andere-org",
        "q=Polymerabend",
    ],
)
def test_subscription_has_the_events_of_the_filtered_list(client, week_of_events, query):
    page = client.get(f"{reverse('events:list')}?{query}")
    expected = [(f"event-{event.pk}@127.0.0.1", event.title, event.start) for event in page.context["events"]]

    response = client.get(f"{reverse('events:calendar')}?{query}")

    assert listed(entries(response)) == expected
    assert expected  # every filter above matches something


def test_subscription_calendar_properties(client, week_of_events):
    response = client.get(reverse("events:calendar"))

    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Veranstaltungen – Crosscluster Thüringen"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT6H"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT6H"
    assert response["Content-Disposition"] == 'inline; filename="veranstaltungen.ics"'
    entry = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == "Kunststofftag")
    event = week_of_events[0]
    assert entry.decoded("LAST-MODIFIED") == event.updated_at.replace(microsecond=0)
    assert entry["CATEGORIES"].cats == ["Kunststoffe und Polymere"]
    assert str(entry["URL"]) == f"http://testserver/veranstaltungen/{event.pk}/"


def test_subscription_uids_are_stable(client, week_of_events):
    first = listed(entries(client.get(reverse("events:calendar"))))
    EventFactory(organizers=[week_of_events[0].organizers.get()], title="Neu")

    second = listed(entries(client.get(reverse("events:calendar"))))

    assert set(first) < set(second)


def test_subscription_all_day_end_is_exclusive_and_cancelled_is_marked(before_2030, client, organization):
    EventFactory(
        organizers=[organization],
        all_day=True,
        status=Event.Status.CANCELLED,
        start=berlin(2030, 6, 3),
        end=berlin(2030, 6, 5),
    )

    [entry] = entries(client.get(reverse("events:calendar")))

    assert entry.decoded("DTSTART") == dt.date(2030, 6, 3)
    assert entry.decoded("DTEND") == dt.date(2030, 6, 5)
    assert str(entry["STATUS"]) == "CANCELLED"


def test_subscription_keeps_the_last_30_days_and_is_bounded(client, organization, monkeypatch):
    now = timezone.now()
    EventFactory(organizers=[organization], title="Vor 40 Tagen", start=now - dt.timedelta(days=40))
    EventFactory(organizers=[organization], title="Vor 10 Tagen", start=now - dt.timedelta(days=10))
    EventFactory(organizers=[organization], title="Morgen", start=now + dt.timedelta(days=1))
    EventFactory(organizers=[organization], title="Übermorgen", start=now + dt.timedelta(days=2))

    titles = [str(e["SUMMARY"]) for e in entries(client.get(reverse("events:calendar")))]
    assert titles == ["Vor 10 Tagen", "Morgen", "Übermorgen"]

    monkeypatch.setattr(publishing, "MAX_EVENTS", 2)
    titles = [str(e["SUMMARY"]) for e in entries(client.get(reverse("events:calendar")))]
    assert titles == ["Vor 10 Tagen", "Morgen"]


def test_organization_and_topic_subscriptions(client, week_of_events, organization, topic):
    by_org = entries(client.get(reverse("events:organization-calendar", kwargs={"slug": "polymer-netz"})))
    by_topic = entries(client.get(reverse("events:topic-calendar", kwargs={"slug": "kunststoffe"})))

    assert [str(e["SUMMARY"]) for e in by_org] == ["H2-Forum", "Kunststofftag"]
    assert [str(e["SUMMARY"]) for e in by_topic] == ["Polymerabend", "Kunststofftag"]
    calendar = icalendar.Calendar.from_ical(
        client.get(reverse("events:organization-calendar", kwargs={"slug": "polymer-netz"})).content
    )
    assert str(calendar["X-WR-CALNAME"]) == "Veranstaltungen – PolymerNetz Thüringen"


def test_organization_subscription_of_unknown_or_unpublished_organization_is_404(client, db):
    hidden = OrganizationFactory(slug="versteckt", published=False)
    EventFactory(organizers=[hidden])

    assert client.get("/organisationen/versteckt/veranstaltungen.ics").status_code == 404
    assert client.get("/organisationen/gibts-nicht/veranstaltungen.ics").status_code == 404
    assert client.get("/themen/gibts-nicht/veranstaltungen.ics").status_code == 404


def test_subscription_query_count_does_not_grow_with_events(
    client, organization, topic, django_assert_num_queries
):
    def add_events(count):
        for _number in range(count):
            EventFactory(organizers=[organization, OrganizationFactory()], topics=[topic])

    url = f"{reverse('events:calendar')}?topic=kunststoffe"
    add_events(2)
    # cities and longest duration (cached after the first request); the filter form's topic lookup; the
    # events, their duplicates, the topics of both (publishing.subscription_events)
    with django_assert_num_queries(6):
        client.get(url)
    with django_assert_num_queries(4):
        client.get(url)
    add_events(8)
    with django_assert_num_queries(6):
        client.get(url)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(entries(response)) == 10


@pytest.mark.parametrize("name", ["rss", "atom"])
def test_feeds_list_upcoming_events_with_the_filters(client, week_of_events, name):
    response = client.get(f"{reverse(f'events:{name}')}?topic=kunststoffe")

    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == ("rss20" if name == "rss" else "atom10")
    assert feed.feed.title == "Veranstaltungen – Crosscluster Thüringen"
    assert feed.feed.link == "http://testserver/veranstaltungen/?topic=kunststoffe"
    kunststofftag, polymerabend = week_of_events[0], week_of_events[2]
    assert [entry.link for entry in feed.entries] == [
        f"http://testserver/veranstaltungen/{polymerabend.pk}/",
        f"http://testserver/veranstaltungen/{kunststofftag.pk}/",
    ]
    assert [entry.title for entry in feed.entries] == ["Polymerabend", "Kunststofftag"]
    # When and where first, then the description as HTML (feed readers render it).
    assert feed.entries[0].summary.endswith("<p>Vorträge und Austausch für Unternehmen.</p>")
    assert feed.entries[0].summary.startswith("<p><strong>")
    assert [tag.term for tag in feed.entries[0].tags] == ["Kunststoffe und Polymere"]


def test_feeds_leave_out_past_events(client, organization):
    EventFactory(organizers=[organization], title="Vorbei", start=timezone.now() - dt.timedelta(days=3))
    EventFactory(organizers=[organization], title="Bald")

    feed = feedparser.parse(client.get(reverse("events:rss")).content)

    assert [entry.title for entry in feed.entries] == ["Bald"]


def test_list_page_offers_subscriptions_with_its_filters(client, week_of_events):
    response = client.get(f"{reverse('events:list')}?topic=kunststoffe&page=1&free=on")

    html = response.content.decode()
    assert 'value="http://testserver/veranstaltungen/kalender.ics?topic=kunststoffe&amp;free=on"' in html
    assert 'value="http://testserver/veranstaltungen/rss.xml?topic=kunststoffe&amp;free=on"' in html
    assert 'value="http://testserver/veranstaltungen/atom.xml?topic=kunststoffe&amp;free=on"' in html


def test_exports_carry_a_sequence_that_grows_with_every_change(client, organization):
    event = EventFactory(organizers=[organization], title="Kunststofftag")
    url = reverse("events:calendar")

    def exported():
        calendar = icalendar.Calendar.from_ical(client.get(url).content)
        (entry,) = calendar.walk("VEVENT")
        return str(entry["UID"]), entry.decoded("SEQUENCE"), entry.decoded("LAST-MODIFIED")

    uid, first, _modified = exported()
    Event.objects.filter(pk=event.pk).update(
        created_at=event.created_at - dt.timedelta(hours=2),
        updated_at=event.created_at - dt.timedelta(hours=1),
    )
    uid_before, before, _modified = exported()
    event.refresh_from_db()
    update_event(event, actor=None, title="Kunststofftag 2030")
    uid_after, after, modified = exported()

    assert uid == uid_before == uid_after == f"event-{event.pk}@127.0.0.1"
    assert first == 0 < before == 3600 < 7200 <= after
    assert modified == event.updated_at.replace(microsecond=0)
    single = icalendar.Calendar.from_ical(client.get(reverse("events:ics", args=[event.pk])).content)
    assert single.walk("VEVENT")[0].decoded("SEQUENCE") == after


# A series as calendar programs read it -------------------------------------------------------------------
#
# The demo's "Stammtisch" (events.demo: FREQ=MONTHLY;BYDAY=1TH;COUNT=6, a holiday left out by EXDATE, the
# further dates stored as rows) across a change to or from summer time, with one occurrence edited on its
# own and one cancelled. Two independent readers must list exactly the dates, local times, titles and
# statuses the site lists: icalendar + recurring-ical-events (Python) and ical.js (Mozilla's parser, run
# with node). The download is the series with its rule; the subscription lists every occurrence.

REPO_DIR = Path(__file__).resolve().parents[2]
ICALJS_SCRIPT = Path(__file__).with_name("clients") / "icaljs_occurrences.mjs"


def _missing(reason):
    """Skip with the reason; under CI=true a missing client fails the run (as the browser tests do)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def _local_text(value):
    if isinstance(value, dt.datetime):
        return local(value).replace(tzinfo=None).isoformat(timespec="minutes")
    return value.isoformat()


def site_occurrences(series):
    """What the site lists of the series: (local start, local end, title, iCalendar status)."""
    rows = public_events().filter(Q(pk=series.pk) | Q(series=series)).order_by("start")
    return [
        (_local_text(row.start), _local_text(row.end), row.title, export.ICAL_STATUS[row.status])
        for row in rows
    ]


def icalendar_occurrences(data, until):
    calendar = icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(calendar).between(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), until)
    return sorted(
        (
            _local_text(o.decoded("DTSTART")),
            _local_text(o.decoded("DTEND") if "DTEND" in o else o.decoded("DTSTART")),
            str(o["SUMMARY"]),
            str(o["STATUS"]),
        )
        for o in found
    )


def icaljs_occurrences(data, until):
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed (ical.js needs it)")
    if not (REPO_DIR / "node_modules" / "ical.js").is_dir():
        _missing("ical.js is not installed (make browser-deps installs it with npm)")
    result = subprocess.run(
        [node, str(ICALJS_SCRIPT), until.isoformat()],
        input=data,
        capture_output=True,
        cwd=REPO_DIR,
        timeout=60,
        check=True,
    )
    found = json.loads(result.stdout)

    # ical.js computes the instants from the file's own VTIMEZONE; shown in Berlin, as the site shows them.
    # All-day events are days, in no zone.
    def moment(o, name):
        return o[name] if o["allDay"] else _local_text(dt.datetime.fromisoformat(o[f"{name}Utc"]))

    return sorted((moment(o, "start"), moment(o, "end"), o["summary"], o["status"]) for o in found)


READERS = {"icalendar": icalendar_occurrences, "ical.js": icaljs_occurrences}


@pytest.fixture(
    params=[
        dt.date(2027, 2, 10),  # March 4 in winter time, April 1 in summer time; May 6 is Ascension Day
        dt.date(2027, 8, 20),  # October 7 in summer time, November 4 in winter time
    ],
    ids=["into-summer-time", "into-winter-time"],
)
def stammtisch(request, organization, other_organization, time_machine):
    """The demo's series, with its third date edited on its own and its fifth cancelled (rows of the site)."""
    today = request.param
    time_machine.move_to(dt.datetime.combine(today, dt.time(12), tzinfo=BERLIN), tick=False)
    create_demo_events(today)
    (series,) = Event.objects.filter(rrule__contains="BYDAY=1TH")
    if not series.exdates:  # no holiday among these Thursdays: a manager leaves out the last one
        last = local(Event.objects.filter(series=series).latest("start").start).date()
        update_event(series, actor=None, exdates=last.isoformat())
    rows = list(Event.objects.filter(series=series).order_by("start"))
    moved = rows[1]
    update_event(
        moved,
        actor=None,
        title="Stammtisch spezial",
        start=moved.start + dt.timedelta(hours=1),
        end=moved.end + dt.timedelta(hours=1, minutes=30),
    )
    update_event(rows[3], actor=None, status=Event.Status.CANCELLED)
    return series


def _crosses_a_change_of_time(occurrences):
    offsets = {
        local(dt.datetime.fromisoformat(start).replace(tzinfo=BERLIN)).utcoffset()
        for start, *_ in occurrences
    }
    return len(offsets) == 2


@pytest.mark.parametrize("reader", READERS)
def test_series_download_shows_what_the_site_shows(client, stammtisch, reader):
    site = site_occurrences(stammtisch)
    assert _crosses_a_change_of_time(site)
    assert any(title == "Stammtisch spezial" for _s, _e, title, _st in site)
    assert any(status == "CANCELLED" for *_rest, status in site)
    assert stammtisch.exdates  # a date left out: a holiday, or by a manager

    response = client.get(reverse("events:ics", kwargs={"pk": stammtisch.pk}))

    until = timezone.now() + dt.timedelta(days=800)
    assert READERS[reader](response.content, until) == site
    text = response.content.decode()
    assert "DTSTART;TZID=Europe/Berlin:" in text and "BEGIN:VTIMEZONE" in text
    assert "RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=1TH" in text and "EXDATE;TZID=Europe/Berlin:" in text
    assert text.count("RECURRENCE-ID;TZID=Europe/Berlin:") == 2  # the edited and the cancelled date


def test_series_page_says_the_download_is_the_series(client, stammtisch):
    occurrence = Event.objects.filter(series=stammtisch).first()

    first = client.get(reverse("events:detail", kwargs={"pk": stammtisch.pk})).content.decode()
    other = client.get(reverse("events:detail", kwargs={"pk": occurrence.pk})).content.decode()

    assert "Serie in meinen Kalender übernehmen (.ics)" in first
    assert "Serie in meinen" not in other and "In meinen Kalender übernehmen (.ics)" in other


@pytest.mark.parametrize("reader", READERS)
def test_subscription_of_a_series_shows_what_the_site_shows(client, stammtisch, organization, reader):
    site = site_occurrences(stammtisch)
    url = reverse("events:calendar") + "?q=Stammtisch"

    response = client.get(url)

    until = timezone.now() + dt.timedelta(days=800)
    assert READERS[reader](response.content, until) == site


# Text and times as RFC 5545 wants them --------------------------------------------------------------------


def test_dtstamp_is_when_the_file_was_written_and_last_modified_the_last_change(
    client, organization, time_machine
):
    """RFC 5545 3.8.7.2: in a published calendar, DTSTAMP is when the iCalendar object was created."""
    time_machine.move_to(berlin(2030, 3, 1, 9, 0), tick=False)
    event = EventFactory(organizers=[organization], title="Kunststofftag", start=berlin(2030, 6, 3, 9, 0))
    time_machine.move_to(berlin(2030, 5, 20, 14, 30, 15), tick=False)

    for url in (reverse("events:calendar"), reverse("events:ics", kwargs={"pk": event.pk})):
        [entry] = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
        assert entry.decoded("DTSTAMP") == berlin(2030, 5, 20, 14, 30, 15), url
        assert entry.decoded("LAST-MODIFIED") == berlin(2030, 3, 1, 9, 0), url


def test_zero_length_event_has_no_invented_end(before_2030, client, organization):
    """RFC 5545 3.6.1: without DTEND a timed event ends when it starts (a DTEND must lie after DTSTART)."""
    start = berlin(2030, 6, 3, 18, 0)
    event = EventFactory(organizers=[organization], title="Fristende", start=start, end=start)

    for url in (reverse("events:calendar"), reverse("events:ics", kwargs={"pk": event.pk})):
        data = client.get(url).content
        [entry] = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert "DTEND" not in entry and "DURATION" not in entry, url
        assert entry.decoded("DTSTART") == start
        [occurrence] = recurring_ical_events.of(icalendar.Calendar.from_ical(data)).between(
            berlin(2030, 6, 1), berlin(2030, 6, 30)
        )
        assert occurrence.decoded("DTEND") == start  # the reference library reads no duration either


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>A.</p><p>B<br>C</p>", "A.\n\nB\nC"),
        (
            "<p>Programm:</p><ul><li>Vortrag</li><li>Rundgang<ul><li>Halle 2</li></ul></li></ul><p>Ende</p>",
            "Programm:\n\n- Vortrag\n- Rundgang\n  - Halle 2\n\nEnde",
        ),
        ("<ol><li>Anmelden</li><li>Kommen</li></ol>", "1. Anmelden\n2. Kommen"),
        (
            "<h3>Ablauf</h3><p>Start   um\n 9 Uhr</p><blockquote>Zitat</blockquote>",
            "Ablauf\n\nStart um 9 Uhr\n\nZitat",
        ),
        (
            '<p>Zur <a href="https://anmeldung.example.org/x">Anmeldung</a>.</p>',
            "Zur Anmeldung (https://anmeldung.example.org/x).",
        ),
        ('<p><a href="https://example.org/">https://example.org/</a></p>', "https://example.org/"),
        ("<p>Tom &amp; Jerry &lt;3 &quot;Kunststoff&quot;</p>", 'Tom & Jerry <3 "Kunststoff"'),
        ("Schon Text", "Schon Text"),
    ],
)
def test_plain_text_keeps_paragraphs_line_breaks_and_list_items(html, text):
    assert export.html_to_text(html) == text


TRICKY = "Kosten: 10,50 €; Ort: C:\\Halle\\2 – „Tom & Jerry“ <3"


def test_text_exports_keep_paragraphs_and_are_escaped_exactly_once(client, organization):
    """Each writer escapes once for its format and each reader gets back the text, paragraphs kept."""
    event = EventFactory(
        organizers=[organization],
        title=TRICKY,
        description="<p>A.</p><p>B<br>C</p>"
        "<p>Kosten: 10,50 €; Ort: C:\\Halle\\2 – „Tom &amp; Jerry“ &lt;3</p>",
        venue="Halle 2; Eingang B, Tor 3",
    )
    text = f"A.\n\nB\nC\n\n{TRICKY}"

    single = icalendar.Calendar.from_ical(client.get(reverse("events:ics", kwargs={"pk": event.pk})).content)
    listed = icalendar.Calendar.from_ical(client.get(reverse("events:calendar")).content)
    for entry in (single.walk("VEVENT")[0], listed.walk("VEVENT")[0]):
        assert str(entry["SUMMARY"]) == TRICKY
        assert str(entry["DESCRIPTION"]) == text
        assert str(entry["LOCATION"]) == "Halle 2; Eingang B, Tor 3, Futterstraße 15/16, 99084 Erfurt, Erfurt"
    api = client.get(f"/api/v1/events/{event.pk}").json()
    assert (api["title"], api["description"]) == (TRICKY, text)
    page = client.get(reverse("events:detail", kwargs={"pk": event.pk})).content.decode()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert (data["name"], data["description"]) == (TRICKY, text)
    assert '<meta name="description" content="A. B C Kosten: 10,50 €; Ort:' in page  # not "A.BCKosten"


# Feeds that programs read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rss", "atom"])
def test_feeds_carry_dates_place_organisers_and_status_in_their_own_fields(
    before_2030, client, organization, name
):
    """The RSS Event module (ev:) and schema.org's eventStatus, as feedparser hands them to programs."""
    EventFactory(
        organizers=[organization],
        title="Kunststofftag",
        start=berlin(2030, 6, 3, 9, 0),
        end=berlin(2030, 6, 3, 17, 0),
        status=Event.Status.POSTPONED,
    )
    EventFactory(
        organizers=[organization],
        title="Messe",
        all_day=True,
        start=berlin(2030, 6, 4),
        end=berlin(2030, 6, 7),
    )

    content = client.get(reverse(f"events:{name}")).content
    feed = feedparser.parse(content)

    assert not feed.bozo, feed.get("bozo_exception")
    root = content.split(b">", 2)[1]  # the <rss> or <feed> element declares the namespaces
    assert b'xmlns:ev="http://purl.org/rss/1.0/modules/event/"' in root
    assert b'xmlns:schema="https://schema.org/"' in root
    timed, all_day = feed.entries
    assert (timed.ev_startdate, timed.ev_enddate) == (
        "2030-06-03T09:00:00+02:00",
        "2030-06-03T17:00:00+02:00",
    )
    assert (all_day.ev_startdate, all_day.ev_enddate) == ("2030-06-04", "2030-06-06")  # the last day
    assert timed.ev_location == "Kaisersaal, Futterstraße 15/16, 99084 Erfurt, Erfurt"
    assert timed.ev_organizer == "PolymerNetz Thüringen"
    assert timed.schema_eventstatus == "https://schema.org/EventPostponed"
    assert all_day.schema_eventstatus == "https://schema.org/EventScheduled"
    assert "Verschoben" in timed.summary


ROUND_TRIP = [
    {"title": "Kunststofftag", "start": berlin(2030, 6, 3, 9, 0), "end": berlin(2030, 6, 3, 17, 0)},
    {"title": "Messe", "all_day": True, "start": berlin(2030, 6, 4), "end": berlin(2030, 6, 7)},
    {"title": "Abgesagt", "status": Event.Status.CANCELLED, "start": berlin(2030, 6, 5, 18)},
    {"title": "Verschoben", "status": Event.Status.POSTPONED, "start": berlin(2030, 6, 6, 18)},
    {"title": "Fristende", "start": berlin(2030, 6, 7, 12), "end": berlin(2030, 6, 7, 12)},
    {"title": "Nach der Zeitumstellung", "start": berlin(2030, 11, 7, 18), "end": berlin(2030, 11, 7, 20)},
    {"title": TRICKY, "start": berlin(2030, 6, 8, 10), "venue": "Halle 2; Tor 3, Eingang B"},
]


@pytest.fixture
def round_trip_events(organization, time_machine):
    time_machine.move_to(berlin(2030, 5, 1, 12), tick=False)
    events = []
    for fields in ROUND_TRIP:
        fields = {"end": fields["start"] + dt.timedelta(hours=2), **fields}
        events.append(EventFactory(organizers=[organization], description="<p>A.</p><p>B<br>C</p>", **fields))
    return sorted(events, key=lambda event: event.start)


def as_listed(event):
    return (event.title, event.start, event.end, event.all_day, event.status)


@pytest.mark.parametrize("name", ["rss", "atom"])
def test_own_feeds_import_back_as_they_are_listed(client, round_trip_events, name):
    """Our RSS import (events.feeds.rss) reads every item of our own feeds with its dates and status."""
    parsed = parse_rss(client.get(reverse(f"events:{name}")).content)

    assert parsed.warnings == []
    assert [as_listed(item) for item in parsed.events] == [as_listed(event) for event in round_trip_events]
    assert len(parsed.events) == len(ROUND_TRIP)
    for item, event in zip(parsed.events, round_trip_events, strict=True):
        assert item.location == export.location_text(event)
        assert item.url == f"http://testserver/veranstaltungen/{event.pk}/"
        assert export.html_to_text(item.description).endswith("A.\n\nB\nC")


@pytest.mark.parametrize("url", ["calendar", "ics"])
def test_own_calendars_import_back_as_they_are_listed(client, round_trip_events, url):
    """Statuses survive our .ics: STATUS, and X-EVENT-STATUS for postponed (iCalendar has no such status)."""
    if url == "calendar":
        datas = [client.get(reverse("events:calendar")).content]
    else:
        datas = [
            client.get(reverse("events:ics", kwargs={"pk": event.pk})).content for event in round_trip_events
        ]
    items = []
    for data in datas:
        parsed = parse_ical(data, horizon_start=berlin(2030, 1, 1), horizon_end=berlin(2031, 1, 1))
        assert parsed.warnings == []
        items += parsed.events
    # The zero-length "Fristende" has no DTEND (RFC 5545) and comes back without length.
    assert "Fristende" in [item.title for item in items]
    assert [as_listed(item) for item in items] == [as_listed(event) for event in round_trip_events]
    assert [item.location for item in items] == [export.location_text(event) for event in round_trip_events]


def feed_links(response):
    """The <link rel="alternate"> elements of a page's <head>: [(type, title, href)]."""
    head = response.content.decode().split("</head>")[0]
    found = re.findall(r'<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)">', head)
    return [(kind, title, href.replace("&amp;", "&")) for kind, title, href in found]


@pytest.mark.parametrize(
    "path",
    [
        reverse("events:list"),
        reverse("events:month", kwargs={"year": 2030, "month": 6}),
        reverse("events:week", kwargs={"year": 2030, "week": 23}),
    ],
)
def test_calendar_pages_name_their_feeds_with_the_filters(client, week_of_events, path):
    response = client.get(f"{path}?topic=kunststoffe&free=on&page=2")

    base = "http://testserver/veranstaltungen/"
    name = "Veranstaltungen – Crosscluster Thüringen"
    assert feed_links(response) == [
        ("application/rss+xml", f"{name} (RSS)", f"{base}rss.xml?topic=kunststoffe&free=on"),
        ("application/atom+xml", f"{name} (Atom)", f"{base}atom.xml?topic=kunststoffe&free=on"),
        ("text/calendar", f"{name} (iCalendar)", f"{base}kalender.ics?topic=kunststoffe&free=on"),
    ]
    for _kind, _title, href in feed_links(response):
        assert client.get(href).status_code == 200


def test_organisation_and_topic_pages_name_their_feeds(client, week_of_events, organization, topic):
    by_organization = feed_links(client.get(organization.get_absolute_url()))
    by_topic = feed_links(client.get(topic.get_absolute_url()))

    base = "http://testserver/veranstaltungen/"
    assert by_organization == [
        (
            "application/rss+xml",
            "Veranstaltungen – PolymerNetz Thüringen (RSS)",
            f"{base}rss.xml?organizer=polymer-netz",
        ),
        (
            "application/atom+xml",
            "Veranstaltungen – PolymerNetz Thüringen (Atom)",
            f"{base}atom.xml?organizer=polymer-netz",
        ),
        (
            "text/calendar",
            "Veranstaltungen – PolymerNetz Thüringen (iCalendar)",
            "http://testserver/organisationen/polymer-netz/veranstaltungen.ics",
        ),
    ]
    assert [href for _kind, _title, href in by_topic] == [
        f"{base}rss.xml?topic=kunststoffe",
        f"{base}atom.xml?topic=kunststoffe",
        "http://testserver/themen/kunststoffe/veranstaltungen.ics",
    ]
    titles = [entry.title for entry in feedparser.parse(client.get(by_organization[0][2]).content).entries]
    assert titles == ["H2-Forum", "Kunststofftag"]


def test_subscription_links_read_oeffnen_not_the_inquiry_state_offen(client, week_of_events):
    """ "Open" is also an inquiry state ("Offen"); the link has its own context and German text."""
    html = client.get(reverse("events:list")).content.decode()
    section = html.split('id="subscribe-heading"')[1].split("</section>")[0]

    assert section.count(">Öffnen</a>") == 3
    assert "Offen" not in section


@pytest.mark.parametrize("reader", READERS)
def test_all_day_series_download_shows_the_days_of_the_site(client, organization, time_machine, reader):
    time_machine.move_to(berlin(2030, 3, 1, 12), tick=False)
    series = create_event(
        actor=None,
        organizers=[organization],
        title="Messetage",
        all_day=True,
        start=berlin(2030, 3, 18),
        end=berlin(2030, 3, 20),  # two days: 18 and 19 March
        rrule="FREQ=WEEKLY;COUNT=4",
        exdates="2030-04-01",
    )
    rows = public_events().filter(Q(pk=series.pk) | Q(series=series)).order_by("start")
    site = [(local(row.start).date().isoformat(), local(row.end).date().isoformat()) for row in rows]
    assert site == [("2030-03-18", "2030-03-20"), ("2030-03-25", "2030-03-27"), ("2030-04-08", "2030-04-10")]

    data = client.get(reverse("events:ics", kwargs={"pk": series.pk})).content

    found = READERS[reader](data, berlin(2031, 1, 1))
    assert [(start[:10], end[:10]) for start, end, _title, _status in found] == site
    assert b"EXDATE;VALUE=DATE:20300401" in data and b"VTIMEZONE" not in data
