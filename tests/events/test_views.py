"""The public calendar: list filters, month and week pages, the event page with JSON-LD and .ics."""

import datetime as dt
import json
import re
import zoneinfo

import icalendar
import pytest
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from crosscluster.events.models import Event
from crosscluster.events.services import update_event
from tests.factories import EventFactory, OrganizationFactory, TopicFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def titles(response):
    return [event.title for event in response.context["events"]]


@pytest.fixture
def upcoming(organization):
    return EventFactory(organizers=[organization], title="Kunststofftag")


# The list ---------------------------------------------------------------------------------------------


def test_event_list_shows_published_upcoming_events_in_order(client, organization):
    now = timezone.now()
    EventFactory(organizers=[organization], title="Später", start=now + dt.timedelta(days=9))
    EventFactory(organizers=[organization], title="Bald", start=now + dt.timedelta(days=2))
    EventFactory(
        organizers=[organization],
        title="Läuft gerade",
        start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(hours=1),
    )
    EventFactory(organizers=[organization], title="Vorbei", start=now - dt.timedelta(days=2))
    EventFactory(organizers=[organization], title="Entwurf", published=False)
    EventFactory(organizers=[organization], title="Aus dem Feed entfernt", removed_at=now)
    EventFactory(organizers=[OrganizationFactory(published=False)], title="Unveröffentlichter Veranstalter")

    response = client.get(reverse("events:list"))

    assert response.status_code == 200
    assert titles(response) == ["Läuft gerade", "Bald", "Später"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("topic=kunststoffe", ["Kunststofftag"]),
        ("organizer=andere-org", ["Wasserstoffforum"]),
        ("format=online", ["Wasserstoffforum"]),
        ("city=Jena", ["Wasserstoffforum"]),
        ("free=on", ["Kunststofftag"]),
        ("q=Wasserstoffs", ["Wasserstoffforum"]),  # another word form finds the same stem
        ("q=Förderungen", ["Kunststofftag"]),
        ("q=Förderungen+Wasserstoff", []),
        ("topic=gibt-es-nicht", ["Kunststofftag", "Wasserstoffforum"]),  # invalid: reported, not applied
    ],
)
def test_event_list_filters(client, organization, other_organization, topic, query, expected):
    now = timezone.now()
    EventFactory(
        organizers=[organization],
        topics=[topic],
        title="Kunststofftag",
        description="<p>Fördermittel für Recycling</p>",
        start=now + dt.timedelta(days=1),
    )
    EventFactory(
        organizers=[other_organization],
        title="Wasserstoffforum",
        description="",
        format=Event.Format.ONLINE,
        city="Jena",
        is_free=False,
        start=now + dt.timedelta(days=2),
    )

    response = client.get(f"{reverse('events:list')}?{query}")

    assert titles(response) == expected


def test_event_list_filters_by_date_range_in_berlin_days(client, organization):
    EventFactory(organizers=[organization], title="Vorher", start=berlin(2030, 3, 9, 23, 30))
    EventFactory(organizers=[organization], title="Erster Tag", start=berlin(2030, 3, 10, 0, 0))
    EventFactory(organizers=[organization], title="Letzter Tag", start=berlin(2030, 3, 12, 23, 0))
    EventFactory(organizers=[organization], title="Danach", start=berlin(2030, 3, 13, 0, 0))

    response = client.get(reverse("events:list"), {"date_from": "2030-03-10", "date_to": "2030-03-12"})

    # "Vorher" runs until 01:30 on the 10th, so it is still on.
    assert titles(response) == ["Vorher", "Erster Tag", "Letzter Tag"]


def test_event_list_paginates_and_keeps_the_filters(client, organization):
    for number in range(27):
        EventFactory(organizers=[organization], title=f"Termin {number}", city="Gera")

    response = client.get(reverse("events:list"), {"city": "Gera"})

    assert len(response.context["events"]) == 25
    assert "?city=Gera&amp;page=2" in response.content.decode()


def test_event_list_query_count_does_not_grow_with_events(
    client, organization, topic, django_assert_num_queries
):
    for number in range(5):
        EventFactory(organizers=[organization], topics=[topic], title=f"Termin {number}")

    # count, events, organisers, topics, duplicates (events.dedup); after a write also the cached facts
    # (cities, longest duration) and the filter form's organiser and topic choices
    with django_assert_num_queries(9):
        client.get(reverse("events:list"))
    with django_assert_num_queries(5):
        client.get(reverse("events:list"))
    for number in range(5, 10):
        EventFactory(
            organizers=[organization, OrganizationFactory()], topics=[topic], title=f"Termin {number}"
        )
    with django_assert_num_queries(9):
        client.get(reverse("events:list"))
    with django_assert_num_queries(5):
        client.get(reverse("events:list"))


def test_event_list_escapes_titles(client, organization):
    EventFactory(organizers=[organization], title="<script>alert(1)</script>")

    html = client.get(reverse("events:list")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_event_list_shows_berlin_time(before_2030, client, organization):
    """The test settings run in Pacific/Auckland; pages must still say 18:00 for 18:00 in Berlin."""
    EventFactory(organizers=[organization], start=berlin(2030, 7, 1, 18, 0), end=berlin(2030, 7, 1, 20, 0))

    html = client.get(reverse("events:list")).content.decode()

    assert "1. Juli 2030, 18:00</time>–<time" in html
    assert ">20:00</time>" in html


# Month and week ---------------------------------------------------------------------------------------


def test_month_lists_events_on_each_of_their_days(client, organization):
    EventFactory(
        organizers=[organization],
        title="Messe",
        all_day=True,
        start=berlin(2030, 3, 30),
        end=berlin(2030, 4, 2),  # 30 and 31 March and 1 April
    )
    EventFactory(organizers=[organization], title="Aprilabend", start=berlin(2030, 4, 10, 22, 30))

    response = client.get(reverse("events:month", kwargs={"year": 2030, "month": 4}))

    assert response.status_code == 200
    days = {day.date: [e.title for e in day.events] for week in response.context["weeks"] for day in week}
    assert min(days) == dt.date(2030, 4, 1)  # a Monday: the grid starts with whole weeks
    assert days[dt.date(2030, 4, 1)] == ["Messe"]
    assert days[dt.date(2030, 4, 2)] == []  # the end is exclusive
    assert days[dt.date(2030, 4, 10)] == ["Aprilabend"]  # 22:30 Berlin is the 11th in Auckland
    html = response.content.decode()
    assert '<h2 id="month-caption" class="visually-hidden">April 2030</h2>' in html
    assert '<span><abbr title="Montag">Mo</abbr></span>' in html  # the columns start on Monday
    # every day says its full date to screen readers (the number is for the eye)
    assert '<span class="day-long">Montag, 1. April 2030</span>' in html


def test_month_links_keep_the_filters(client):
    response = client.get(reverse("events:month", kwargs={"year": 2030, "month": 1}), {"city": "Jena"})

    html = response.content.decode()
    assert f'href="{reverse("events:month", kwargs={"year": 2029, "month": 12})}?city=Jena"' in html
    assert f'href="{reverse("events:month", kwargs={"year": 2030, "month": 2})}?city=Jena"' in html


def test_month_applies_filters(client, organization, other_organization):
    EventFactory(organizers=[organization], title="Eigene", start=berlin(2030, 5, 5, 10))
    EventFactory(organizers=[other_organization], title="Andere", start=berlin(2030, 5, 6, 10))

    response = client.get(
        reverse("events:month", kwargs={"year": 2030, "month": 5}), {"organizer": organization.slug}
    )

    found = [e.title for week in response.context["weeks"] for day in week for e in day.events]
    assert found == ["Eigene"]


@pytest.mark.parametrize(
    ("year", "month"), [(2030, 13), (2030, 0), (1500, 1), (2026, 99999999999), (2026, 2**63), (2**63, 1)]
)
def test_month_unknown_is_404(client, year, month):
    assert client.get(reverse("events:month", kwargs={"year": year, "month": month})).status_code == 404


def test_week_lists_seven_days_and_links_keep_filters(client, organization):
    EventFactory(organizers=[organization], title="Mittwochstermin", start=berlin(2030, 1, 2, 9))

    response = client.get(reverse("events:week", kwargs={"year": 2030, "week": 1}), {"free": "on"})

    days = response.context["days"]
    assert [day.date for day in days] == [dt.date(2029, 12, 31) + dt.timedelta(days=n) for n in range(7)]
    assert [e.title for e in days[2].events] == ["Mittwochstermin"]
    html = response.content.decode()
    assert f'href="{reverse("events:week", kwargs={"year": 2029, "week": 52})}?free=on"' in html
    assert f'href="{reverse("events:week", kwargs={"year": 2030, "week": 2})}?free=on"' in html
    assert (
        '<span class="cal-weekday">Mittwoch<span class="visually-hidden">,</span></span> '
        '<span class="cal-daynum">2. Januar 2030</span>'
    ) in html


@pytest.mark.parametrize(("year", "week"), [(2030, 54), (2030, 0), (2027, 53), (2026, 99999999999)])
def test_week_unknown_is_404(client, year, week):
    assert client.get(reverse("events:week", kwargs={"year": year, "week": week})).status_code == 404


# Days a filter may name: 1900-01-01 to 2200-12-31 (core.bounds). Days of year 1 or 9999 overflowed the
# date arithmetic (issue 12, point 4).
OUT_OF_RANGE_DAYS = ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"]


@pytest.mark.parametrize("day", OUT_OF_RANGE_DAYS)
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_list_reports_a_day_out_of_range_and_leaves_it_out(client, organization, name, day):
    EventFactory(organizers=[organization], title="Kunststofftag")

    response = client.get(reverse("events:list"), {name: day})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        name: ["Geben Sie einen Tag zwischen dem 01.01.1900 und dem 31.12.2200 an."]
    }
    assert [event.title for event in response.context["events"]] == ["Kunststofftag"]


@pytest.mark.parametrize("day", ["1900-01-01", "2200-12-31"])
def test_list_accepts_the_first_and_last_day_of_the_range(client, day):
    response = client.get(reverse("events:list"), {"date_from": day, "date_to": day})

    assert response.status_code == 200
    assert response.context["form"].errors == {}


@pytest.mark.parametrize("day", OUT_OF_RANGE_DAYS)
@pytest.mark.parametrize(
    "url",
    ["events:calendar", "events:rss", "events:atom", "events:widget"],
)
def test_exports_leave_out_a_day_out_of_range(client, organization, url, day):
    EventFactory(organizers=[organization], title="Kunststofftag")

    for name in ("date_from", "date_to"):
        response = client.get(reverse(url), {name: day})
        assert response.status_code == 200
        assert "Kunststofftag" in response.content.decode()


@pytest.mark.parametrize(
    ("moment", "this_month", "this_week"),
    [
        (berlin(2026, 12, 13, 0, 30), (2026, 12), (2026, 50)),  # Sunday in Berlin, Saturday in UTC
        (berlin(2026, 12, 31, 23, 30), (2026, 12), (2026, 53)),  # 2026 has an ISO week 53
        (berlin(2027, 1, 1, 0, 30), (2027, 1), (2026, 53)),  # New Year in Berlin, still 2026 in UTC
        (berlin(2027, 1, 3, 23, 30), (2027, 1), (2026, 53)),  # Sunday night: Monday, week 1, in Auckland
        (berlin(2027, 3, 28, 3, 30), (2027, 3), (2027, 12)),  # the hour after the clocks went forward
    ],
)
def test_calendar_links_go_to_this_month_and_week_in_berlin(
    client, time_machine, moment, this_month, this_week
):
    time_machine.move_to(moment, tick=False)

    response = client.get(reverse("events:list"))

    assert (response.context["this_month"], response.context["this_week"]) == (this_month, this_week)
    html = response.content.decode()
    assert f'href="{reverse("events:month", args=this_month)}"' in html
    assert f'href="{reverse("events:week", args=this_week)}"' in html


def test_week_53_links_across_the_year_end(client):
    response = client.get(reverse("events:week", kwargs={"year": 2026, "week": 53}))

    assert [day.date for day in response.context["days"]][::6] == [dt.date(2026, 12, 28), dt.date(2027, 1, 3)]
    html = response.content.decode()
    assert f'href="{reverse("events:week", kwargs={"year": 2026, "week": 52})}"' in html
    assert f'href="{reverse("events:week", kwargs={"year": 2027, "week": 1})}"' in html
    previous = client.get(reverse("events:week", kwargs={"year": 2027, "week": 1})).content.decode()
    assert f'href="{reverse("events:week", kwargs={"year": 2026, "week": 53})}"' in previous


def test_month_links_across_the_year_end(client):
    html = client.get(reverse("events:month", kwargs={"year": 2026, "month": 12})).content.decode()

    assert f'href="{reverse("events:month", kwargs={"year": 2026, "month": 11})}"' in html
    assert f'href="{reverse("events:month", kwargs={"year": 2027, "month": 1})}"' in html


# The event page ---------------------------------------------------------------------------------------


def json_ld(response):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_event_detail_has_schema_org_json_ld(client, organization, topic):
    event = EventFactory(
        organizers=[organization],
        topics=[topic],
        title="Kunststofftag",
        description="<p>Vorträge</p>",
        start=berlin(2030, 6, 3, 9, 0),
        end=berlin(2030, 6, 3, 17, 0),
        venue="Volkshaus",
        address="Carl-Zeiß-Platz 15",
        city="Jena",
        registration_url="https://anmeldung.example.org/",
    )

    response = client.get(reverse("events:detail", kwargs={"pk": event.pk}))

    assert json_ld(response) == {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Kunststofftag",
        "url": f"http://testserver/veranstaltungen/{event.pk}/",
        "startDate": "2030-06-03T09:00:00+02:00",
        "endDate": "2030-06-03T17:00:00+02:00",
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "inLanguage": "de",
        "isAccessibleForFree": True,
        "description": "Vorträge",
        "location": {
            "@type": "Place",
            "name": "Volkshaus",
            "address": {
                "@type": "PostalAddress",
                "addressCountry": "DE",
                "streetAddress": "Carl-Zeiß-Platz 15",
                "addressLocality": "Jena",
            },
        },
        "organizer": [
            {"@type": "Organization", "name": "PolymerNetz Thüringen", "url": "https://netzwerk.example.org"}
        ],
        "offers": {
            "@type": "Offer",
            "url": "https://anmeldung.example.org/",
            "price": "0",
            "priceCurrency": "EUR",
        },
    }
    html = response.content.decode()
    assert "https://www.openstreetmap.org/search?query=Carl-Zei%C3%9F-Platz+15%2C+Jena" in html
    assert reverse("events:ics", kwargs={"pk": event.pk}) in html


# What Google's event rich result requires and recommends (developers.google.com/search/docs/appearance/
# structured-data/event), as rules: a page whose JSON-LD breaks one is not shown as an event.
SCHEMA = "https://schema.org/"
EVENT_STATUSES = {
    SCHEMA + name
    for name in ("EventScheduled", "EventCancelled", "EventPostponed", "EventRescheduled", "EventMovedOnline")
}
ATTENDANCE = {
    SCHEMA + "OfflineEventAttendanceMode": {"Place"},
    SCHEMA + "OnlineEventAttendanceMode": {"VirtualLocation"},
    SCHEMA + "MixedEventAttendanceMode": {"Place", "VirtualLocation"},
}


def _moment(value):
    """A date or a date-time with its UTC offset (Google: ISO 8601, the offset given)."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    moment = dt.datetime.fromisoformat(value)
    assert moment.tzinfo is not None, f"{value} has no UTC offset"
    return moment


def google_event_problems(data):
    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)

    check(data.get("@context") in ("https://schema.org", "http://schema.org"), "@context")
    check(data.get("@type") == "Event", "@type")
    check(isinstance(data.get("name"), str) and data["name"].strip(), "name is required")
    try:
        start = _moment(data["startDate"])
        if "endDate" in data:
            end = _moment(data["endDate"])
            check(type(end) is type(start), "startDate and endDate are both dates or both times")
            check(end >= start, "endDate before startDate")
    except (KeyError, ValueError, AssertionError) as exc:
        problems.append(f"startDate/endDate: {exc}")
    locations = data.get("location")
    locations = locations if isinstance(locations, list) else [locations] if locations else []
    check(locations, "location is required")
    for location in locations:
        if location.get("@type") == "Place":
            address = location.get("address")
            if isinstance(address, dict):
                check(address.get("@type") == "PostalAddress", "address is a PostalAddress")
                check(
                    any(address.get(key) for key in ("streetAddress", "addressLocality", "addressRegion")),
                    "the address names a street, a place or a region",
                )
            else:
                check(isinstance(address, str) and address.strip(), "Place.address is required")
            check(location.get("name"), "Place.name")
        elif location.get("@type") == "VirtualLocation":
            check(str(location.get("url", "")).startswith(("https://", "http://")), "VirtualLocation.url")
        else:
            problems.append(f"location type {location.get('@type')}")
    mode = data.get("eventAttendanceMode")
    check(mode in ATTENDANCE, "eventAttendanceMode")
    check(
        {location.get("@type") for location in locations} == ATTENDANCE.get(mode), "mode and location agree"
    )
    check(data.get("eventStatus") in EVENT_STATUSES, "eventStatus")
    offers = data.get("offers", [])
    for offer in offers if isinstance(offers, list) else [offers]:
        check(offer.get("@type") == "Offer", "Offer")
        check(re.fullmatch(r"\d+(\.\d{1,2})?", str(offer.get("price", ""))), "Offer.price is a number")
        check(re.fullmatch(r"[A-Z]{3}", str(offer.get("priceCurrency", ""))), "Offer.priceCurrency")
        check(str(offer.get("url", "")).startswith("http"), "Offer.url")
    for organizer in data.get("organizer", []):
        check(
            organizer.get("name") and str(organizer.get("url", "")).startswith("http"), "organizer name/url"
        )
    return problems


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # A feed event: its LOCATION is one line in `venue`.
        (
            {"venue": "Volkshaus, Carl-Zeiß-Platz 15, 07743 Jena", "address": "", "city": ""},
            {
                "location": {
                    "@type": "Place",
                    "name": "Volkshaus, Carl-Zeiß-Platz 15, 07743 Jena",
                    "address": "Volkshaus, Carl-Zeiß-Platz 15, 07743 Jena",
                }
            },
        ),
        # A feed event without LOCATION: the page names no place; the organisers' region.
        (
            {"venue": "", "address": "", "city": ""},
            {
                "location": {
                    "@type": "Place",
                    "name": "Der Ort wird noch bekannt gegeben",
                    "address": {
                        "@type": "PostalAddress",
                        "addressCountry": "DE",
                        "addressRegion": "Thüringen",
                    },
                }
            },
        ),
        # Online without a link yet: the event page, where it will be announced.
        (
            {"format": Event.Format.ONLINE, "venue": "", "address": "", "city": ""},
            {
                "location": {"@type": "VirtualLocation", "url": "EVENT_URL"},
                "eventAttendanceMode": SCHEMA + "OnlineEventAttendanceMode",
            },
        ),
        (
            {
                "format": Event.Format.HYBRID,
                "online_url": "https://meet.example.org/x",
                "address": "",
                "city": "",
                "venue": "Halle 2",
            },
            {
                "location": [
                    {"@type": "Place", "name": "Halle 2", "address": "Halle 2"},
                    {"@type": "VirtualLocation", "url": "https://meet.example.org/x"},
                ],
                "eventAttendanceMode": SCHEMA + "MixedEventAttendanceMode",
            },
        ),
        ({"status": Event.Status.CANCELLED}, {"eventStatus": SCHEMA + "EventCancelled"}),
        ({"status": Event.Status.POSTPONED}, {"eventStatus": SCHEMA + "EventPostponed"}),
        # A price that names amounts: an Offer each; one that names none: no offers.
        (
            {"is_free": False, "price_text": "40 € für Mitglieder, 80 € für Gäste"},
            {
                "offers": [
                    {
                        "@type": "Offer",
                        "url": "EVENT_URL",
                        "price": "40",
                        "priceCurrency": "EUR",
                        "name": "40 € für Mitglieder",
                    },
                    {
                        "@type": "Offer",
                        "url": "EVENT_URL",
                        "price": "80",
                        "priceCurrency": "EUR",
                        "name": "80 € für Gäste",
                    },
                ]
            },
        ),
        (
            {"is_free": False, "price_text": "12,50 EUR", "registration_url": "https://tickets.example.org/"},
            {
                "offers": {
                    "@type": "Offer",
                    "url": "https://tickets.example.org/",
                    "price": "12.50",
                    "priceCurrency": "EUR",
                }
            },
        ),
        ({"is_free": False, "price_text": "auf Anfrage"}, {"offers": None}),
        (
            {"is_free": True},
            {"offers": {"@type": "Offer", "url": "EVENT_URL", "price": "0", "priceCurrency": "EUR"}},
        ),
        # Zero length: it ends when it starts.
        ({"end": berlin(2030, 6, 3, 9, 0)}, {"endDate": "2030-06-03T09:00:00+02:00"}),
    ],
)
def test_every_event_page_is_a_valid_google_event(client, organization, fields, expected):
    times = {"start": berlin(2030, 6, 3, 9, 0), "end": berlin(2030, 6, 3, 17, 0)}
    event = EventFactory(organizers=[organization], **{**times, **fields})
    url = f"http://testserver/veranstaltungen/{event.pk}/"

    data = json_ld(client.get(reverse("events:detail", kwargs={"pk": event.pk})))

    assert google_event_problems(data) == []
    for key, value in expected.items():
        value = json.loads(json.dumps(value).replace("EVENT_URL", url))
        assert data.get(key) == value, key


def test_google_event_rules_catch_what_was_wrong():
    """The rules above fail the JSON-LD the pages had: no location, an inclusive all-day end given as the
    exclusive one would still pass, so that is checked by value; offers without a price fail."""
    base = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": "Termin",
        "startDate": "2030-06-03T09:00:00+02:00",
        "eventStatus": SCHEMA + "EventScheduled",
        "eventAttendanceMode": SCHEMA + "OnlineEventAttendanceMode",
    }
    assert "location is required" in google_event_problems(base)
    offer = {"offers": {"@type": "Offer", "url": "https://x.example/", "description": "40 €"}}
    assert "Offer.price is a number" in google_event_problems({**base, **offer})


def test_event_without_duration_shows_its_moment_only(client, organization):
    start = berlin(2030, 6, 3, 18, 0)
    event = EventFactory(organizers=[organization], title="Bewerbungsschluss", start=start, end=start)

    html = client.get(reverse("events:detail", kwargs={"pk": event.pk})).content.decode()

    assert '<time datetime="2030-06-03T18:00:00+02:00">Mo, 3. Juni 2030, 18:00</time>' in html
    assert "18:00–" not in html and "18:00</time>–" not in html


def test_event_detail_json_ld_cannot_close_the_script(client, organization):
    event = EventFactory(organizers=[organization], title="</script><script>alert(1)</script>")

    response = client.get(reverse("events:detail", kwargs={"pk": event.pk}))

    html = response.content.decode()
    assert "</script><script>alert(1)" not in html
    assert json_ld(response)["name"] == "</script><script>alert(1)</script>"
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html


def test_event_detail_all_day_json_ld_uses_dates(client, organization):
    event = EventFactory(
        organizers=[organization], all_day=True, start=berlin(2030, 6, 3), end=berlin(2030, 6, 5)
    )

    data = json_ld(client.get(reverse("events:detail", kwargs={"pk": event.pk})))

    # schema.org's endDate is the last day; the stored (iCalendar) end is the day after it.
    assert (data["startDate"], data["endDate"]) == ("2030-06-03", "2030-06-04")
    assert google_event_problems(data) == []


@pytest.mark.parametrize(
    "hidden", [{"published": False}, {"removed_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}]
)
def test_event_detail_hides_unpublished_and_removed_events(client, organization, hidden):
    event = EventFactory(organizers=[organization], **hidden)

    assert client.get(reverse("events:detail", kwargs={"pk": event.pk})).status_code == 404
    assert client.get(reverse("events:ics", kwargs={"pk": event.pk})).status_code == 404


def test_event_detail_shows_only_published_organizers(client, organization):
    hidden = OrganizationFactory(published=False, name="Geheimes Netzwerk")
    event = EventFactory(organizers=[organization, hidden])

    html = client.get(reverse("events:detail", kwargs={"pk": event.pk})).content.decode()

    assert "PolymerNetz Thüringen" in html
    assert "Geheimes Netzwerk" not in html


def test_event_ics_round_trips(client, organization):
    event = EventFactory(
        organizers=[organization],
        title="Kunststofftag",
        description="<p>Vorträge &amp; Austausch</p>",
        start=berlin(2030, 6, 3, 9, 0),
        end=berlin(2030, 6, 3, 17, 0),
        venue="Volkshaus",
        address="Carl-Zeiß-Platz 15",
        city="Jena",
    )

    response = client.get(reverse("events:ics", kwargs={"pk": event.pk}))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="veranstaltung-{event.pk}.ics"'
    calendar = icalendar.Calendar.from_ical(response.content)
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == f"event-{event.pk}@127.0.0.1"
    assert str(entry["SUMMARY"]) == "Kunststofftag"
    assert str(entry["DESCRIPTION"]) == "Vorträge & Austausch"
    assert str(entry["LOCATION"]) == "Volkshaus, Carl-Zeiß-Platz 15, Jena"
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert entry.decoded("DTSTART") == berlin(2030, 6, 3, 9, 0)
    assert entry.decoded("DTEND") == berlin(2030, 6, 3, 17, 0)
    assert str(entry["URL"]) == f"http://testserver/veranstaltungen/{event.pk}/"
    # Downloading again gives the same UID, so calendars update instead of doubling.
    again = icalendar.Calendar.from_ical(client.get(reverse("events:ics", kwargs={"pk": event.pk})).content)
    assert str(again.walk("VEVENT")[0]["UID"]) == str(entry["UID"])


def test_event_ics_all_day_has_an_exclusive_date_end(client, organization):
    event = EventFactory(
        organizers=[organization],
        all_day=True,
        status=Event.Status.CANCELLED,
        start=berlin(2030, 6, 3),
        end=berlin(2030, 6, 5),
    )

    calendar = icalendar.Calendar.from_ical(
        client.get(reverse("events:ics", kwargs={"pk": event.pk})).content
    )

    [entry] = calendar.walk("VEVENT")
    assert entry.decoded("DTSTART") == dt.date(2030, 6, 3)
    assert entry.decoded("DTEND") == dt.date(2030, 6, 5)
    assert str(entry["STATUS"]) == "CANCELLED"


def test_event_description_keeps_safe_html_only(client, manager, organization):
    from crosscluster.events.services import create_event

    event = create_event(
        actor=manager,
        organizers=[organization],
        title="Termin",
        description='<p>Gut <a href="javascript:alert(1)">Link</a><img src=x onerror=alert(1)></p>',
        start=berlin(2030, 1, 1, 10),
        end=berlin(2030, 1, 1, 11),
    )

    html = client.get(reverse("events:detail", kwargs={"pk": event.pk})).content.decode()

    assert "<p>Gut <a rel=" in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_main_navigation_links_to_the_calendar(client, db):
    html = client.get(reverse("events:list")).content.decode()

    assert f'<a href="{reverse("events:list")}" aria-current="page">Veranstaltungen</a>' in html


def test_unused_topic_filter_choices_exist(client, db):
    TopicFactory(slug="wasserstoff", name="Wasserstoff")

    assert "wasserstoff" in client.get(reverse("events:list")).content.decode()


def test_event_pages_render_in_english(before_2030, client, organization):
    event = EventFactory(
        organizers=[organization],
        title="Plastics day",
        start=berlin(2030, 7, 1, 18),
        end=berlin(2030, 7, 1, 20),
    )

    list_html = client.get("/en/veranstaltungen/").content.decode()
    detail_html = client.get(f"/en/veranstaltungen/{event.pk}/").content.decode()
    month_html = client.get("/en/veranstaltungen/monat/2030/7/").content.decode()

    assert "Mon, July 1, 2030, 18:00</time>–<time" in list_html
    assert "Add to my calendar (.ics)" in detail_html
    assert '<h2 id="month-caption" class="visually-hidden">July 2030</h2>' in month_html


@pytest.mark.parametrize(
    "url",
    [
        reverse_lazy("events:month", kwargs={"year": 2030, "month": 4}),
        reverse_lazy("events:week", kwargs={"year": 2030, "week": 15}),
    ],
)
def test_calendar_query_count_does_not_grow_with_events(
    client, organization, topic, url, django_assert_num_queries
):
    def add_events(count):
        for number in range(count):
            EventFactory(
                organizers=[organization, OrganizationFactory()],
                topics=[topic],
                start=berlin(2030, 4, 8 + number % 5, 10),
            )

    add_events(3)
    # the events' times and titles, and for the week (not the month grid, which shows titles only) the
    # shown events with their organisers, topics and duplicates (events.dedup); after a write also the
    # cached facts (cities, longest duration) and the filter form's organiser and topic choices
    queries = 1 if "monat" in str(url) else 5
    with django_assert_num_queries(queries + 4):
        client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)
    add_events(6)
    with django_assert_num_queries(queries + 4):
        client.get(url)
    with django_assert_num_queries(queries):
        client.get(url)


def test_event_list_counts_up_to_a_limit(client, organization, monkeypatch):
    from crosscluster.events.views import public as views

    monkeypatch.setattr(views, "COUNT_LIMIT", 4)
    for number in range(5):
        EventFactory(organizers=[organization], title=f"Termin {number}")

    response = client.get(reverse("events:list"))
    html = response.content.decode()

    assert (response.context["page"].paginator.count, response.context["page"].paginator.more) == (4, True)
    assert "Mehr als 4 Veranstaltungen gefunden" in html
    Event.objects.filter(title="Termin 4").delete()
    response = client.get(reverse("events:list"))
    assert (response.context["page"].paginator.count, response.context["page"].paginator.more) == (4, False)
    assert "4 Veranstaltungen gefunden" in response.content.decode()


def test_month_cell_shows_a_few_events_and_links_to_the_rest(client, organization, topic):
    for hour in range(8, 14):
        EventFactory(
            organizers=[organization], topics=[topic], title=f"Termin {hour}", start=berlin(2030, 4, 9, hour)
        )
    EventFactory(organizers=[organization], title="Anderer Tag", start=berlin(2030, 4, 10, 9))

    response = client.get(reverse("events:month", kwargs={"year": 2030, "month": 4}), {"topic": topic.slug})
    html = response.content.decode()

    (day,) = [d for week in response.context["weeks"] for d in week if d.date == dt.date(2030, 4, 9)]
    assert [event.title for event in day.visible] == ["Termin 8", "Termin 9", "Termin 10", "Termin 11"]
    assert day.more == 2
    assert "2 weitere Veranstaltungen" in html
    assert f"?topic={topic.slug}&amp;date_from=2030-04-09&amp;date_to=2030-04-09" in html
    assert "Anderer Tag" not in html  # the topic filter applies


def test_week_day_shows_ten_events_in_full_and_links_to_the_rest(client, organization, other_organization):
    for minute in range(12):
        EventFactory(
            organizers=[organization, other_organization],
            title=f"Termin {minute:02d}",
            start=berlin(2030, 4, 9, 10, minute),
        )

    response = client.get(reverse("events:week", kwargs={"year": 2030, "week": 15}), {"city": "Erfurt"})
    html = response.content.decode()

    (day,) = [d for d in response.context["days"] if d.date == dt.date(2030, 4, 9)]
    assert [event.title for event in day.visible] == [f"Termin {minute:02d}" for minute in range(10)]
    assert [o.slug for o in day.visible[0].listed_organizers] == ["andere-org", "polymer-netz"]
    assert "Termin 10" not in html
    assert "2 weitere Veranstaltungen" in html
    assert "?city=Erfurt&amp;date_from=2030-04-09&amp;date_to=2030-04-09" in html


def test_days_with_events_puts_each_event_on_every_day_it_touches():
    from crosscluster.events.queries import days_with_events

    def event(start, end):
        return Event(title="x", start=start, end=end)

    overnight = event(berlin(2030, 4, 8, 22), berlin(2030, 4, 9, 2))
    earlier = event(berlin(2030, 4, 1, 10), berlin(2030, 4, 8, 0, 30))  # from before the range
    all_day = event(berlin(2030, 4, 9), berlin(2030, 4, 11))  # 9 and 10 April, exclusive end
    instant = event(berlin(2030, 4, 10, 0), berlin(2030, 4, 10, 0))  # zero length at midnight
    ended = event(berlin(2030, 4, 1, 10), berlin(2030, 4, 8, 0))  # ends as the range begins

    days = days_with_events(
        [earlier, ended, overnight, all_day, instant], dt.date(2030, 4, 8), dt.date(2030, 4, 11)
    )

    assert [[e for e in day.events] for day in days] == [
        [earlier, overnight],
        [overnight, all_day],
        [all_day, instant],
        [],
    ]


def test_filter_form_selects_show_the_current_choice_and_escape_names(client, organization, topic):
    OrganizationFactory(slug="zz-netz", name='Netz "Z" & <Partner>')

    html = client.get(reverse("events:list"), {"organizer": organization.slug, "topic": topic.slug}).content
    html = html.decode()

    assert f'<option value="{organization.slug}" selected>{organization.name}</option>' in html
    assert f'<option value="{topic.slug}" selected>{topic.name}</option>' in html
    assert '<option value="zz-netz">Netz &quot;Z&quot; &amp; &lt;Partner&gt;</option>' in html
    assert '<option value="" selected>Alle Formate</option>' in html


def test_filter_form_choices_follow_renamed_topics_and_unpublished_organisations(
    client, organization, other_organization, topic, coordinator
):
    from crosscluster.directory.services import update_organization

    client.get(reverse("events:list"))  # fills the cache
    topic.name = "Polymere"
    topic.save()
    update_organization(other_organization, actor=coordinator, published=False)

    html = client.get(reverse("events:list")).content.decode()

    assert f'<option value="{topic.slug}">Polymere</option>' in html
    assert other_organization.slug not in html


def test_month_cells_label_events_in_berlin_time_with_their_status(client, organization):
    event = EventFactory(organizers=[organization], title="Abendtermin", start=berlin(2030, 4, 9, 19, 30))
    EventFactory(organizers=[organization], title="Ganzer Tag", all_day=True, start=berlin(2030, 4, 9))
    update_event(event, actor=None, status=Event.Status.CANCELLED)

    html = client.get(reverse("events:month", kwargs={"year": 2030, "month": 4})).content.decode()
    english = client.get("/en" + reverse("events:month", kwargs={"year": 2030, "month": 4})).content.decode()

    cell = '<a href="{prefix}/veranstaltungen/{pk}/"><span class="event-time">19:30</span> Abendtermin</a> '
    status = '<span class="event-status">({label})'
    assert cell.format(prefix="", pk=event.pk) + status.format(label="Abgesagt") in html
    assert ">Ganzer Tag</a>" in html
    english_cell = (
        '<a href="/en/veranstaltungen/{pk}/" lang="de"><span class="event-time">19:30</span> Abendtermin</a> '
    )
    assert english_cell.format(pk=event.pk) + status.format(label="Cancelled") in english
