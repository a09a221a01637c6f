"""The Netzwerktimer's calendar as a visitor sees it: the month grid on a laptop, the same month as an agenda
on a phone (no horizontal scrolling, the footer in reach), the week, and an event page's facts."""

import datetime as dt
import zoneinfo

import pytest

from crosscluster.directory.models import Organization
from tests.factories import EventFactory

pytestmark = pytest.mark.browser

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
MONTH = "/veranstaltungen/monat/2030/4/"


def berlin(*args):
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def april(demo_directory):
    """A busy April 2030: six events on the 9th (two behind "more"), one with a very long title."""
    organizer = Organization.objects.order_by("name").first()
    for hour in range(8, 14):
        EventFactory(organizers=[organizer], title=f"Sprechstunde {hour} Uhr", start=berlin(2030, 4, 9, hour))
    EventFactory(
        organizers=[organizer],
        title="Fachtag Technologietransfer und Forschungskooperation zwischen Hochschulen und Mittelstand",
        start=berlin(2030, 4, 17, 10),
        venue="Kulturhaus",
        city="Jena",
        is_free=False,
        price_text="40 Euro",
        registration_url="https://anmeldung.example.org/fachtag",
    )
    return organizer


# Elements reaching past the page's right edge. The document's scrollWidth alone misses them: the site frame
# keeps a scrollbar gutter and clips what sticks out, so overflow is measured on the elements themselves.
OVERFLOW_JS = """() => {
  const edge = Math.min(document.documentElement.clientWidth, document.body.getBoundingClientRect().right);
  return Array.from(document.querySelectorAll('main *, footer *'))
    .filter(el => !el.closest('.visually-hidden, .day-long, .nav-list'))
    .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > edge + 1)
    .map(el => el.tagName.toLowerCase() + '.' + String(el.className).split(' ').join('.'))
    .slice(0, 5);
}"""


def overflow(page) -> list[str]:
    return page.evaluate(OVERFLOW_JS)


def test_month_is_a_seven_column_grid_on_a_laptop(page, april, request_log, axe):
    page.set_viewport_size(LAPTOP)
    page.goto(MONTH)

    assert overflow(page) == []
    assert page.locator(".month-weekdays span").all_inner_texts() == [
        "Mo",
        "Di",
        "Mi",
        "Do",
        "Fr",
        "Sa",
        "So",
    ]
    days = page.locator(".month-grid > li")
    assert days.count() == 35  # 1 April 2030 is a Monday; the grid ends with Sunday 5 May
    first, eighth = days.nth(0).bounding_box(), days.nth(7).bounding_box()
    assert abs(first["x"] - eighth["x"]) < 1 and eighth["y"] > first["y"]  # seven columns, Monday first
    assert days.nth(1).bounding_box()["x"] > first["x"]
    ninth = page.locator(".month-day", has=page.locator('time[datetime="2030-04-09"]'))
    assert ninth.locator(".month-events a").count() == 5  # four events and "2 weitere Veranstaltungen"
    assert ninth.get_by_role("link", name="2 weitere Veranstaltungen").is_visible()
    assert page.locator(".month-day.is-other-month").count() == 5
    # the long title stays inside its cell
    cell = page.locator(".month-day", has=page.locator('time[datetime="2030-04-17"]')).bounding_box()
    link = page.get_by_role("link", name="Fachtag Technologietransfer").bounding_box()
    assert link["x"] + link["width"] <= cell["x"] + cell["width"] + 1
    switch = page.get_by_role("navigation", name="Kalenderansichten")
    assert switch.locator('[aria-current="page"]').inner_text() == "Monat"
    assert page.locator("footer").is_visible()
    assert axe(page) == []
    assert request_log.external == []


def test_month_becomes_an_agenda_on_a_phone(page, april, request_log, axe):
    page.set_viewport_size(PHONE)
    page.goto(MONTH)

    assert overflow(page) == []
    assert not page.locator(".month-weekdays").is_visible()
    visible_days = [day for day in page.locator(".month-day").all() if day.is_visible()]
    # only this month's days with events, each with its full date
    assert [day.locator(".day-long").inner_text() for day in visible_days] == [
        "Dienstag, 9. April 2030",
        "Mittwoch, 17. April 2030",
    ]
    assert visible_days[0].get_by_role("link", name="08:00 Sprechstunde 8 Uhr").is_visible()
    footer = page.locator("footer")
    footer.scroll_into_view_if_needed()
    assert footer.is_visible()
    assert footer.bounding_box()["width"] <= PHONE["width"]
    assert axe(page) == []

    # The agenda leads on to the day's list and to the event page.
    visible_days[0].get_by_role("link", name="2 weitere Veranstaltungen").click()
    page.wait_for_url("**/veranstaltungen/?*date_from=2030-04-09*")
    assert overflow(page) == []
    assert request_log.external == []


def test_week_and_event_page_fit_a_phone(page, april, request_log, axe):
    page.set_viewport_size(PHONE)
    page.goto("/veranstaltungen/woche/2030/16/")

    assert overflow(page) == []
    assert page.locator(".cal-day:visible").count() == 1  # empty days are hidden on phones
    page.get_by_role("link", name="Fachtag Technologietransfer", exact=False).first.click()
    page.wait_for_url("**/veranstaltungen/*/")

    assert overflow(page) == []
    facts = page.locator(".event-facts")
    assert "Deutsche Zeit (MESZ)" in facts.inner_text()
    assert "Kulturhaus" in facts.inner_text() and "40 Euro" in facts.inner_text()
    assert page.get_by_role("link", name="Anmelden", exact=True).get_attribute("href") == (
        "https://anmeldung.example.org/fachtag"
    )
    assert page.get_by_role("link", name="In meinen Kalender übernehmen (.ics)").is_visible()
    google = page.get_by_role("link", name="Google Kalender").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert axe(page) == []
    assert request_log.external == []  # the online-calendar links are only links
