"""A network manager subscribes the calendar of their network, one of whose events has a broken line: the
other event is imported and shown in the calendar, and the feed list tells the manager which event was
skipped and why.

The feed is served from the loopback test server of tests/events/feeds/, so the SSRF guard is told to allow
private addresses for this test (`FEEDS_ALLOW_PRIVATE_ADDRESSES`, as the feed tests do).
"""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from crosscluster.events.models import Event, FeedSubscription
from tests.browser.pages import log_in
from tests.events.feeds.conftest import feed_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser

BROKEN_LINE = Path(__file__).parents[1] / "events" / "feeds" / "data" / "broken-line.ics"


@pytest.fixture
def mbz_manager(mbz_manager, settings):
    settings.FEEDS_ALLOW_PRIVATE_ADDRESSES = True  # the feed lives on the loopback test server
    return mbz_manager


@pytest.fixture
def broken_feed(feed_server):  # noqa: F811
    """broken-line.ics as the hand-edited export has it, its two events moved to next week."""
    first = (timezone.now() + dt.timedelta(days=7)).strftime("%Y%m%d").encode()
    second = (timezone.now() + dt.timedelta(days=8)).strftime("%Y%m%d").encode()
    body = BROKEN_LINE.read_bytes().replace(b"20270120", first).replace(b"20270121", second)
    feed_server.serve("/netzwerk.ics", body)
    return feed_server.url("/netzwerk.ics")


def test_manager_subscribes_a_feed_with_a_broken_event_and_sees_what_was_skipped(
    page, mbz_manager, broken_feed, axe
):
    log_in(page, mbz_manager.email)
    page.get_by_role("navigation", name="Verwaltungsbereich").get_by_role(
        "link", name="Veranstaltungen"
    ).click()
    page.get_by_role("link", name="Abonnierte Feeds").click()
    page.wait_for_url("**/manage/veranstaltungen/feeds/")
    page.get_by_label("Feed-URL").fill(broken_feed)
    page.get_by_role("button", name="Abonnieren").click()
    page.wait_for_url("**/manage/veranstaltungen/feeds/")
    assert page.get_by_role("cell", name="Noch nicht abgerufen").is_visible()

    # "Import now" queues the import; the tests' immediate task backend runs it when the request commits.
    page.get_by_role("button", name=f"Jetzt importieren {broken_feed}").click()
    page.wait_for_url("**/manage/veranstaltungen/feeds/")

    status = page.locator(".feed-status")
    assert "Mit Problemen importiert" in status.inner_text()
    problem = page.locator(".feed-problems li").inner_text()
    assert "UID bad-line@example.org" in problem
    assert "„Event mit kaputtem Zeilenumbruch“" in problem
    assert "Zeile 16" in problem
    assert "„zweite Zeile ohne Leerzeichen am Anfang“" in problem
    assert page.get_by_role("row", name=broken_feed).get_by_role("cell", name="1", exact=True).is_visible()
    assert axe(page) == []

    feed = FeedSubscription.objects.get(url=broken_feed)
    assert (feed.last_status, feed.failures) == ("ok", 0)
    assert list(Event.objects.filter(feed=feed).values_list("title", flat=True)) == ["Gutes Event"]

    # The manager's events page, where they work, names the feed and leads to what went wrong.
    page.get_by_role("navigation", name="Verwaltungsbereich").get_by_role(
        "link", name="Veranstaltungen"
    ).click()
    page.wait_for_url("**/manage/veranstaltungen/")
    warning = page.get_by_role("region", name="1 abonnierter Feed hatte beim letzten Import Probleme")
    assert broken_feed in warning.inner_text() and "1 Problem beim letzten Import" in warning.inner_text()
    assert axe(page) == []
    warning.get_by_role("link", name="Zu den Feeds und dem, was schiefging").click()
    page.wait_for_url("**/manage/veranstaltungen/feeds/")

    page.goto("/veranstaltungen/")
    assert page.get_by_role("link", name="Gutes Event").is_visible()
    assert page.get_by_role("link", name="Event mit kaputtem Zeilenumbruch").count() == 0
