"""A network manager enters a monthly series through the recurrence editor, with the keyboard where it
matters: every first Thursday, six times, except one date. The preview, the manager's list and the public
calendar then show the same five dates."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from crosscluster.events.models import Event
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
GERMAN_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def first_thursday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(3 - day.weekday()) % 7)


def first_thursdays(count: int) -> list[dt.date]:
    """The first Thursdays of the `count` months after this one (Berlin): always ahead, whatever the day."""
    today = timezone.localdate(timezone=BERLIN)
    year, month = today.year, today.month
    days = []
    for _number in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        days.append(first_thursday(year, month))
    return days


def german(day: dt.date) -> str:
    return f"{day.day}. {GERMAN_MONTHS[day.month - 1]} {day.year}"


def test_manager_enters_a_monthly_series_through_the_editor(page, mbz_manager, axe, request_log):
    days = first_thursdays(6)
    skipped = days[2]
    expected = [day for day in days if day != skipped]
    log_in(page, mbz_manager.email)

    page.get_by_role("navigation", name="Verwaltungsbereich").get_by_role(
        "link", name="Veranstaltungen"
    ).click()
    page.get_by_role("link", name="Veranstaltung hinzufügen").click()
    page.get_by_label("Titel (Deutsch)").fill("Stammtisch Fertigung")
    page.get_by_label("Beginn").fill(f"{days[0]:%Y-%m-%d}T18:00")
    page.get_by_label("Ende (Pflichtfeld)", exact=True).fill(f"{days[0]:%Y-%m-%d}T20:00")
    # The only organisation is ticked already: nothing to do.
    assert page.get_by_label("Maschinenbau-Zentrum Thüringen (MBZ)").is_checked()

    # The repetition by keyboard: from "Nie" three steps down to "Monatlich".
    editor = page.get_by_role("group", name="Wiederholung", exact=True)
    assert not editor.get_by_label("Woche im Monat").is_visible()  # only what applies is shown
    editor.get_by_label("Nie (ein einzelner Termin)").focus()
    for _step in range(3):
        page.keyboard.press("ArrowDown")
    assert editor.get_by_label("Monatlich").is_checked()
    # The week and weekday of the month follow the start.
    assert editor.get_by_label("Woche im Monat").input_value() == "1"
    assert editor.get_by_label("Wochentag", exact=True).input_value() == "TH"
    assert editor.get_by_label("An einem Wochentag").is_checked()
    editor.get_by_label("Nach einer Anzahl von Terminen").check()
    editor.get_by_label("Anzahl der Termine").fill("6")
    editor.get_by_label("Diese Termine auslassen").fill(f"{skipped:%d.%m.%Y}")
    assert axe(page) == []

    page.get_by_role("button", name="Erst die Termine anzeigen").click()
    preview = page.locator("#series-dates")
    preview.wait_for()
    shown = preview.locator("li time:first-child").evaluate_all("nodes => nodes.map(n => n.dateTime)")
    assert [value[:10] for value in shown] == [day.isoformat() for day in expected]
    summary = f"Jeden 1. Donnerstag im Monat, 6-mal, außer am {german(skipped)}"
    assert page.locator(".repetition-summary").inner_text() == f"In Worten: {summary}"
    assert not Event.objects.exists()  # the preview saves nothing

    page.get_by_role("button", name="Hinzufügen").click()
    page.wait_for_url("**/manage/veranstaltungen/")
    assert "Stammtisch Fertigung" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row").filter(has_text="Stammtisch Fertigung")
    assert row.locator(".series-summary").inner_text() == summary
    listed = row.locator(".series-dates li time:first-child").evaluate_all(
        "nodes => nodes.map(n => n.dateTime)"
    )
    assert [value[:10] for value in listed] == [day.isoformat() for day in expected]
    assert all(value[11:16] == "18:00" for value in listed)
    assert axe(page) == []

    event = Event.objects.get(series__isnull=True)
    assert (event.rrule, event.exdates) == ("FREQ=MONTHLY;BYDAY=1TH;COUNT=6", skipped.isoformat())
    assert [o.slug for o in event.organizers.all()] == ["mbz"]

    page.goto("/veranstaltungen/?q=Stammtisch+Fertigung")
    public = page.locator(".event-card time:first-child").evaluate_all("nodes => nodes.map(n => n.dateTime)")
    assert [value[:16] for value in public] == [f"{day.isoformat()}T18:00" for day in expected]
    assert request_log.external == []
