"""Publishing the calendar: iCalendar subscriptions, RSS and Atom, the "Subscribe" links."""

import datetime as dt
import zoneinfo

import feedparser
import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from crosscluster.events import publishing
from crosscluster.events.models import Event
from crosscluster.events.services import update_event
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
    assert entry.decoded("DTSTAMP") == event.updated_at.replace(microsecond=0)
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
    assert [entry.title.split(": ", 1)[1] for entry in feed.entries] == ["Polymerabend", "Kunststofftag"]
    assert feed.entries[0].summary == "Vorträge und Austausch für Unternehmen."
    assert [tag.term for tag in feed.entries[0].tags] == ["Kunststoffe und Polymere"]


def test_feeds_leave_out_past_events(client, organization):
    EventFactory(organizers=[organization], title="Vorbei", start=timezone.now() - dt.timedelta(days=3))
    EventFactory(organizers=[organization], title="Bald")

    feed = feedparser.parse(client.get(reverse("events:rss")).content)

    assert [entry.title.split(": ", 1)[1] for entry in feed.entries] == ["Bald"]


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
