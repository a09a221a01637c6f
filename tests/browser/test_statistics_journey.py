"""Visits are counted without a cookie; the organisation's manager reads them in the manager area."""

import re

import pytest

from crosscluster.analytics.models import PageViewCount
from crosscluster.directory.models import Organization
from tests.browser.pages import log_in

pytestmark = pytest.mark.browser

# Headless Chromium says "HeadlessChrome", which the counter takes for a robot; a visitor's browser does not.
DESKTOP_BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def test_visits_are_counted_without_cookies_and_shown_to_the_manager(
    browser, live_server, page, mbz_manager, axe
):
    visitor = browser.new_context(base_url=live_server.url, locale="de-DE", user_agent=DESKTOP_BROWSER)
    visit = visitor.new_page()
    for _ in range(2):
        assert visit.goto("/organisationen/mbz/").status == 200
    assert visitor.cookies() == []
    visitor.close()
    assert PageViewCount.objects.get(object_id=Organization.objects.get(slug="mbz").pk).count == 2

    log_in(page, mbz_manager.email)
    page.get_by_role("link", name="Statistik der Seitenaufrufe").click()

    page.wait_for_url("**/manage/statistiken/")
    chart = page.get_by_role("img", name=re.compile(r"^Seitenaufrufe pro Tag, .*: insgesamt 2 Aufrufe"))
    assert chart.is_visible()
    row = page.get_by_role("row", name="Maschinenbau-Zentrum Thüringen (MBZ)")
    assert row.get_by_role("cell").last.inner_text() == "2"
    assert axe(page) == []

    page.get_by_label("Zeitraum", exact=True).select_option("90")
    page.get_by_role("button", name="Anzeigen").press("Enter")
    page.wait_for_url("**/manage/statistiken/?tage=90*")
    assert page.get_by_text("letzte 90 Tage").count() == 1
