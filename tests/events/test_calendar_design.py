"""The calendar pages as a visitor reads them: today marked, the view switch, the agenda, the event's
facts and its "add to calendar" links (events.export)."""

import datetime as dt
import zoneinfo
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import translation

from crosscluster.events.export import google_calendar_url, outlook_calendar_url, zone_name
from tests.factories import EventFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
pytestmark = pytest.mark.django_db


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


def test_month_marks_today_in_berlin(client, time_machine):
    # Sunday 00:30 in Berlin is still Saturday in UTC and already Sunday noon in Auckland (test settings).
    time_machine.move_to(berlin(2026, 12, 13, 0, 30), tick=False)

    response = client.get(reverse("events:month", kwargs={"year": 2026, "month": 12}))

    today = [day.date for day in response.context["days"] if day.is_today]
    assert today == [dt.date(2026, 12, 13)]
    html = response.content.decode()
    assert html.count('aria-current="date"') == 1
    assert '<time datetime="2026-12-13">' in html.split('aria-current="date"')[1].split("</li>")[0]


def test_month_dims_days_of_other_months_and_marks_days_with_events(client, organization):
    EventFactory(organizers=[organization], title="Frühjahrstreffen", start=berlin(2030, 4, 9, 10))

    html = client.get(reverse("events:month", kwargs={"year": 2030, "month": 4})).content.decode()

    # April 2030 starts on a Monday and ends on a Tuesday: the grid ends with 1 to 5 May
    assert html.count('class="month-day is-other-month"') == 5
    assert html.count("has-events") == 1
    assert "Frühjahrstreffen</a>" in html


def test_view_switch_marks_the_current_view(client):
    pages = {
        "list": reverse("events:list"),
        "month": reverse("events:month", kwargs={"year": 2030, "month": 4}),
        "week": reverse("events:week", kwargs={"year": 2030, "week": 15}),
    }
    for name, url in pages.items():
        html = client.get(url).content.decode()
        switch = html.split('<ul class="segmented">')[1].split("</ul>")[0]
        assert switch.count('aria-current="page"') == 1
        label = {"list": "Demnächst", "month": "Monat", "week": "Woche"}[name]
        assert f'aria-current="page">{label}</a>' in switch


def test_calendar_filters_open_only_while_filtering(client):
    url = reverse("events:month", kwargs={"year": 2030, "month": 4})

    assert '<details class="filter-disclosure">' in client.get(url).content.decode()
    assert '<details class="filter-disclosure" open>' in client.get(url, {"free": "on"}).content.decode()


def test_event_list_groups_events_by_their_first_day(client, organization, time_machine):
    time_machine.move_to(berlin(2030, 4, 1, 8), tick=False)
    EventFactory(organizers=[organization], title="Erster", start=berlin(2030, 4, 9, 10))
    EventFactory(organizers=[organization], title="Zweiter", start=berlin(2030, 4, 9, 14))
    EventFactory(organizers=[organization], title="Dritter", start=berlin(2030, 4, 11, 9))

    html = client.get(reverse("events:list")).content.decode()

    assert html.count('<li class="cal-day">') == 2
    first_day = html.split('id="day-2030-04-09"')[1].split('id="day-2030-04-11"')[0]
    assert "Erster" in first_day and "Zweiter" in first_day and "Dritter" not in first_day


def test_week_marks_today_and_says_when_it_is_empty(client, time_machine):
    time_machine.move_to(berlin(2030, 4, 10, 12), tick=False)

    response = client.get(reverse("events:week", kwargs={"year": 2030, "week": 15}))

    assert [day.date for day in response.context["days"] if day.is_today] == [dt.date(2030, 4, 10)]
    assert "In dieser Woche keine Veranstaltungen." in response.content.decode()


def test_event_page_lays_out_the_facts_with_the_time_zone(client, organization):
    event = EventFactory(
        organizers=[organization],
        title="Sommerforum",
        start=berlin(2030, 7, 1, 18),
        end=berlin(2030, 7, 1, 20),
        venue="Kulturhaus",
        city="Jena",
        is_free=False,
        price_text="25 Euro",
        registration_url="https://anmeldung.example.org/sommerforum",
    )
    winter = EventFactory(organizers=[organization], start=berlin(2030, 1, 8, 9), end=berlin(2030, 1, 8, 10))

    html = client.get(event.get_absolute_url()).content.decode()
    winter_html = client.get(winter.get_absolute_url()).content.decode()
    english = client.get("/en" + event.get_absolute_url()).content.decode()

    assert '<span class="zone">Deutsche Zeit (MESZ)</span>' in html
    assert '<span class="zone">German time (CEST)</span>' in english
    assert "Deutsche Zeit (MEZ)" in winter_html
    assert "Kulturhaus<br>" in html and "Jena<br>" in html
    assert "<dd>25 Euro</dd>" in html
    assert 'href="https://anmeldung.example.org/sommerforum"' in html
    assert f'href="/veranstaltungen/{event.pk}/kalender.ics" download' in html
    # the online calendars are plain links: nothing loads from them before a click
    assert 'href="https://calendar.google.com/calendar/render?action=TEMPLATE' in html
    assert 'href="https://outlook.office.com/calendar/0/deeplink/compose?' in html
    assert "<iframe" not in html and "<script src" not in html


def test_google_and_outlook_links_carry_the_event_in_utc(organization):
    event = EventFactory(
        organizers=[organization],
        title="Sommerforum",
        start=berlin(2030, 7, 1, 18),
        end=berlin(2030, 7, 1, 20),
        venue="Kulturhaus",
        address="Markt 1",
        city="Jena",
        description="<p>Vorträge &amp; Gespräche</p>",
    )
    url = "https://example.org/veranstaltungen/1/"

    google = parse_qs(urlsplit(google_calendar_url(event, url)).query)
    outlook = parse_qs(urlsplit(outlook_calendar_url(event, url)).query)

    assert google["text"] == ["Sommerforum"]
    assert google["dates"] == ["20300701T160000Z/20300701T180000Z"]
    assert google["location"] == ["Kulturhaus, Markt 1, Jena"]
    assert google["details"] == [f"Vorträge & Gespräche\n\n{url}"]
    assert outlook["subject"] == ["Sommerforum"]
    assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (
        ["2030-07-01T16:00:00Z"],
        ["2030-07-01T18:00:00Z"],
        ["false"],
    )


def test_calendar_links_of_an_all_day_event_give_dates_with_an_exclusive_end(organization):
    event = EventFactory(
        organizers=[organization], all_day=True, start=berlin(2030, 3, 30), end=berlin(2030, 4, 2)
    )

    google = parse_qs(urlsplit(google_calendar_url(event, "https://example.org/")).query)
    outlook = parse_qs(urlsplit(outlook_calendar_url(event, "https://example.org/")).query)

    assert google["dates"] == ["20300330/20300402"]
    dates = (outlook["startdt"], outlook["enddt"], outlook["allday"])
    assert dates == (["2030-03-30"], ["2030-04-02"], ["true"])


def test_zone_name_follows_daylight_saving_time(organization):
    summer = EventFactory(organizers=[organization], start=berlin(2030, 7, 1, 18), end=berlin(2030, 7, 1, 19))
    winter = EventFactory(organizers=[organization], start=berlin(2030, 1, 7, 18), end=berlin(2030, 1, 7, 19))

    with translation.override("en"):
        assert (zone_name(summer), zone_name(winter)) == ("CEST", "CET")
    with translation.override("de"):
        assert (zone_name(summer), zone_name(winter)) == ("MESZ", "MEZ")
