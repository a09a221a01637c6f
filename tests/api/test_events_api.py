"""Events in the API: whole payloads, filters, errors as problems, the iCalendar export, query counts."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crosscluster.events.listing import refresh_listed
from crosscluster.events.models import Event
from tests.factories import EventFactory, OrganizationFactory, TopicFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def payload(event: Event, **overrides) -> dict:
    """The API payload of an event made by EventFactory with its defaults."""
    data = {
        "id": event.pk,
        "title": event.title,
        "title_en": None,
        "url": f"http://testserver/veranstaltungen/{event.pk}/",
        "ical_url": f"http://testserver/veranstaltungen/{event.pk}/kalender.ics",
        "description": "Vorträge und Austausch für Unternehmen.",
        "description_en": None,
        "start": event.start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "end": event.end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "all_day": False,
        "first_day": event.first_day.isoformat(),
        "last_day": event.last_day.isoformat(),
        "status": "scheduled",
        "format": "on_site",
        "venue": "Kaisersaal",
        "address": "Futterstraße 15/16, 99084 Erfurt",
        "city": "Erfurt",
        "online_url": "",
        "is_free": True,
        "price_text": "",
        "registration_url": "",
        "language": "de",
        "organizers": [],
        "topics": [],
    }
    return data | overrides


def problem_422(path: str, field: str, detail: str, code: str) -> dict:
    return {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The request is not valid.",
        "instance": path,
        "errors": [{"location": "query", "field": field, "detail": detail, "code": code}],
    }


@pytest.fixture
def events(before_2030, organization, other_organization, topic):
    wasserstoff = TopicFactory(slug="wasserstoff", name="Wasserstoff")
    hidden = OrganizationFactory(slug="versteckt", published=False)
    return {
        "joint": EventFactory(
            organizers=[organization, other_organization, hidden],
            topics=[topic, wasserstoff],
            title="Gemeinsamer Kunststofftag",
            start=berlin(2030, 6, 3, 9, 0),
            end=berlin(2030, 6, 3, 17, 0),
        ),
        "online": EventFactory(
            organizers=[other_organization],
            title="H2-Webinar",
            format=Event.Format.ONLINE,
            venue="",
            address="",
            city="",
            online_url="https://meet.example.org/h2",
            is_free=False,
            price_text="20 €",
            start=berlin(2030, 6, 1, 10, 0),
            end=berlin(2030, 6, 1, 11, 0),
        ),
        "all_day": EventFactory(
            organizers=[organization],
            title="Messe",
            all_day=True,
            status=Event.Status.CANCELLED,
            city="Jena",
            start=berlin(2030, 6, 10),
            end=berlin(2030, 6, 12),
        ),
        "past": EventFactory(
            organizers=[organization], title="Vorbei", start=timezone.now() - dt.timedelta(days=3)
        ),
        "unpublished": EventFactory(organizers=[organization], title="Entwurf", published=False),
        "hidden": EventFactory(organizers=[hidden], title="Versteckt"),
    }


def test_events_list_returns_upcoming_public_events_whole(api_client, events):
    response = api_client.get("/api/v1/events")

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "items": [
            payload(
                events["online"],
                format="online",
                venue="",
                address="",
                city="",
                online_url="https://meet.example.org/h2",
                is_free=False,
                price_text="20 €",
                organizers=["andere-org"],
            ),
            payload(
                events["joint"],
                organizers=["andere-org", "polymer-netz"],
                topics=["kunststoffe", "wasserstoff"],
            ),
            payload(
                events["all_day"],
                all_day=True,
                status="cancelled",
                city="Jena",
                first_day="2030-06-10",
                last_day="2030-06-11",
                organizers=["polymer-netz"],
            ),
        ],
    }


def test_events_list_query_count_does_not_grow_with_rows(
    api_client, organization, topic, django_assert_num_queries
):
    for _number in range(12):
        EventFactory(organizers=[organization, OrganizationFactory()], topics=[topic])

    url = "/api/v1/events?organizer=polymer-netz&topic=kunststoffe&limit=100"
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(url).json()["count"] == 12
    for _number in range(8):
        EventFactory(organizers=[organization, OrganizationFactory()], topics=[topic])

    # organiser and topic lookups, count, page and one per prefetched relation, however many events;
    # after a write, the cached calendar facts (cities, longest duration) once more
    with django_assert_num_queries(len(few.captured_queries)):
        assert api_client.get(url).json()["count"] == 20
    assert len(few.captured_queries) == 9
    with django_assert_num_queries(7):
        assert api_client.get(url).json()["count"] == 20


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("organizer=polymer-netz", ["Gemeinsamer Kunststofftag", "Messe"]),
        ("topic=wasserstoff", ["Gemeinsamer Kunststofftag"]),
        ("format=online", ["H2-Webinar"]),
        ("city=Jena", ["Messe"]),
        ("free=true", ["Gemeinsamer Kunststofftag", "Messe"]),
        ("q=Webinar", ["H2-Webinar"]),
        ("from=2030-06-02&to=2030-06-10", ["Gemeinsamer Kunststofftag", "Messe"]),
        ("from=2030-06-11", ["Messe"]),
        ("to=2030-06-02", ["H2-Webinar"]),
        ("from=2000-01-01&organizer=polymer-netz", ["Vorbei", "Gemeinsamer Kunststofftag", "Messe"]),
    ],
)
def test_events_list_filters(api_client, events, query, titles):
    response = api_client.get(f"/api/v1/events?{query}")

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == titles


@pytest.mark.parametrize(
    ("query", "field", "detail", "code"),
    [
        ("organizer=versteckt", "organizer", "There is no organisation with this slug.", "unknown_slug"),
        ("topic=nichts", "topic", "There is no topic with this slug.", "unknown_slug"),
        ("from=2030-06-10&to=2030-06-01", "to", "The end day lies before the start day.", "to_before_from"),
        (
            "from=morgen",
            "from",
            "Input should be a valid date or datetime, input is too short",
            "date_from_datetime_parsing",
        ),
        ("format=zirkus", "format", "Input should be 'on_site', 'online' or 'hybrid'", "literal_error"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events.ics"])
def test_events_bad_filters_are_problems(api_client, db, path, query, field, detail, code):
    response = api_client.get(f"{path}?{query}")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == problem_422(path, field, detail, code)


def test_event_detail_returns_the_event_or_404(api_client, events):
    response = api_client.get(f"/api/v1/events/{events['joint'].pk}")

    assert response.json() == payload(
        events["joint"], organizers=["andere-org", "polymer-netz"], topics=["kunststoffe", "wasserstoff"]
    )
    for hidden in ("unpublished", "hidden"):
        path = f"/api/v1/events/{events[hidden].pk}"
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": f"There is no event {events[hidden].pk}.",
            "instance": path,
        }


def test_event_description_is_text_with_paragraphs_line_breaks_and_items(api_client, organization):
    """Not "A.BC": the structure of the HTML description survives as plain text, escaped once (JSON)."""
    start = berlin(2030, 6, 3, 18)
    event = EventFactory(
        organizers=[organization],
        title="Kosten: 10,50 €; Ort: C:\\Halle",
        description="<p>A.</p><p>B<br>C</p><ul><li>Eins &amp; zwei</li><li>Drei</li></ul>",
        start=start,
        end=start,
    )

    response = api_client.get(f"/api/v1/events/{event.pk}")

    assert response.json() == payload(
        event,
        title="Kosten: 10,50 €; Ort: C:\\Halle",
        description="A.\n\nB\nC\n\n- Eins & zwei\n- Drei",
        start="2030-06-03T16:00:00Z",
        end="2030-06-03T16:00:00Z",  # without duration: it ends when it starts
        organizers=["polymer-netz"],
    )


def test_events_ics_has_the_filtered_events(api_client, events):
    response = api_client.get("/api/v1/events.ics?organizer=polymer-netz")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    entries = calendar.walk("VEVENT")
    assert [(str(e["UID"]), str(e["SUMMARY"])) for e in entries] == [
        (f"event-{events['past'].pk}@127.0.0.1", "Vorbei"),
        (f"event-{events['joint'].pk}@127.0.0.1", "Gemeinsamer Kunststofftag"),
        (f"event-{events['all_day'].pk}@127.0.0.1", "Messe"),
    ]
    messe = entries[2]
    assert messe.decoded("DTEND") == dt.date(2030, 6, 12)
    assert str(messe["STATUS"]) == "CANCELLED"


def test_events_ics_query_count_does_not_grow_with_rows(
    api_client, organization, topic, django_assert_num_queries
):
    for _number in range(3):
        EventFactory(organizers=[organization, OrganizationFactory()], topics=[topic])
    with CaptureQueriesContext(connection) as few:
        api_client.get("/api/v1/events.ics?topic=kunststoffe")
    for _number in range(9):
        EventFactory(organizers=[organization, OrganizationFactory()], topics=[topic])

    with django_assert_num_queries(len(few.captured_queries)):
        response = api_client.get("/api/v1/events.ics?topic=kunststoffe")
    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == 12
    # topic lookup, events, their duplicates, the topics of both; after a write, the cached calendar facts
    assert len(few.captured_queries) == 6
    with django_assert_num_queries(4):
        api_client.get("/api/v1/events.ics?topic=kunststoffe")


def test_merged_duplicate_lists_every_organiser_in_api_ics_and_feeds(client, db):
    """One event announced by two networks: every export names both organisers and their topics, once."""
    first_org = OrganizationFactory(slug="netz-a", name="Netz A")
    second_org = OrganizationFactory(slug="netz-b", name="Netz B")
    topic = TopicFactory(slug="wasserstoff", name="Wasserstoff")
    canonical = EventFactory(title="Wasserstoff-Forum", organizers=[first_org])
    EventFactory(
        title="Wasserstoffforum",
        organizers=[second_org],
        topics=[topic],
        start=canonical.start,
        end=canonical.end,
    )
    Event.objects.exclude(pk=canonical.pk).update(duplicate_of=canonical)
    refresh_listed([canonical.pk])  # the bulk update passed by the services that keep the flag current

    items = client.get("/api/v1/events").json()["items"]
    assert [(item["title"], item["organizers"], item["topics"]) for item in items] == [
        ("Wasserstoff-Forum", ["netz-a", "netz-b"], ["wasserstoff"])
    ]
    calendar = icalendar.Calendar.from_ical(client.get("/api/v1/events.ics").content)
    [component] = calendar.walk("VEVENT")
    assert [str(c) for c in component["CATEGORIES"].cats] == ["Wasserstoff"]
    rss = client.get("/veranstaltungen/rss.xml").content.decode()
    assert "Netz A, Netz B" in rss
