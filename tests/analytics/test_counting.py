"""Counting page views: which requests count, what is stored (and what is not), one query, never an error."""

import logging
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crosscluster.analytics import counting
from crosscluster.analytics.models import PageViewCount
from tests.factories import EventFactory, NoticeFactory, OrganizationFactory, RegionFactory

Kind = PageViewCount.Kind
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
DAY = date(2026, 11, 26)
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def browser(client):
    """A visitor's browser: a user agent, no session."""
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    return client


@pytest.fixture(autouse=True)
def no_views_waiting(monkeypatch):
    """Each test starts with nothing waiting in the process (a failed flush keeps its views)."""
    monkeypatch.setattr(counting, "pending_views", counting._PendingViews())


@pytest.fixture
def fixed_day(time_machine):
    time_machine.move_to(datetime.combine(DAY, time(12), tzinfo=BERLIN), tick=False)
    return DAY


def counts() -> list[tuple[str, int, int | None, date, int]]:
    return list(
        PageViewCount.objects.order_by("kind", "object_id", "day").values_list(
            "kind", "object_id", "region_id", "day", "count"
        )
    )


def test_counting_organization_page_counts_each_view_per_day(browser, organization, fixed_day, time_machine):
    url = organization.get_absolute_url()

    assert browser.get(url).status_code == 200
    assert browser.get(url).status_code == 200
    time_machine.move_to(datetime.combine(DAY + timedelta(days=1), time(0, 5), tzinfo=BERLIN), tick=False)
    assert browser.get(url).status_code == 200

    assert counts() == [
        (Kind.ORGANIZATION, organization.pk, organization.region_id, DAY, 2),
        (Kind.ORGANIZATION, organization.pk, organization.region_id, DAY + timedelta(days=1), 1),
    ]


def test_counting_event_page_counts_with_first_organisers_region(browser, organization, fixed_day):
    other_region = RegionFactory(slug="sachsen", name="Sachsen")
    later_organizer = OrganizationFactory(region=other_region)
    event = EventFactory(organizers=[later_organizer, organization])

    assert browser.get(event.get_absolute_url()).status_code == 200
    assert browser.get(event.get_absolute_url()).status_code == 200

    first = min([organization, later_organizer], key=lambda org: org.pk)
    assert counts() == [(Kind.EVENT, event.pk, first.region_id, DAY, 2)]


def test_counting_notice_page_counts_with_its_region(browser, region, organization, fixed_day):
    notice = NoticeFactory(region=region, organization=organization, slug="hochwasser")
    office_notice = NoticeFactory(region=region, organization=None, slug="hinweis-des-buros")

    assert browser.get(notice.get_absolute_url()).status_code == 200
    assert browser.get(notice.get_absolute_url()).status_code == 200
    assert browser.get(office_notice.get_absolute_url()).status_code == 200

    assert counts() == [
        (Kind.NOTICE, notice.pk, region.pk, DAY, 2),
        (Kind.NOTICE, office_notice.pk, region.pk, DAY, 1),
    ]


def test_counting_expired_notice_is_not_counted(browser, organization, fixed_day):
    expired = NoticeFactory(organization=organization, valid_until=timezone.now() - timedelta(minutes=1))

    assert browser.get(expired.get_absolute_url()).status_code == 404
    assert counts() == []


def test_counting_is_one_query(browser, organization, fixed_day):
    counting.record_view(
        counting.COUNTED_PAGES["directory:organization"], organization.slug, DAY
    )  # the row exists

    with CaptureQueriesContext(connection) as first_of_day:
        counting.record_view(
            counting.COUNTED_PAGES["directory:organization"], organization.slug, DAY + timedelta(1)
        )
    with CaptureQueriesContext(connection) as again:
        counting.record_view(counting.COUNTED_PAGES["directory:organization"], organization.slug, DAY)

    # One statement each; inside the test's transaction a savepoint pair wraps it (not so in production).
    statements = [q["sql"] for q in first_of_day.captured_queries + again.captured_queries]
    assert [s for s in statements if "SAVEPOINT" not in s.upper()] == [statements[1], statements[4]]
    assert all(s.startswith("INSERT INTO") for s in (statements[1], statements[4]))
    assert counts()[0][-1] == 2


def test_counting_a_missing_object_counts_nothing(db):
    counting.record_view(counting.COUNTED_PAGES["directory:organization"], "gibt-es-nicht", DAY)
    counting.record_view(counting.COUNTED_PAGES["events:detail"], 999999, DAY)

    assert counts() == []


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        pytest.param("head", {}, id="HEAD"),
        pytest.param("get", {"HTTP_SEC_PURPOSE": "prefetch"}, id="Sec-Purpose prefetch"),
        pytest.param("get", {"HTTP_SEC_PURPOSE": "prefetch;prerender"}, id="Sec-Purpose prerender"),
        pytest.param("get", {"HTTP_PURPOSE": "prefetch"}, id="Purpose prefetch"),
        pytest.param("get", {"HTTP_X_MOZ": "prefetch"}, id="X-Moz prefetch"),
        pytest.param("get", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"}, id="Googlebot"),
        pytest.param("get", {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; bingbot/2.0)"}, id="bingbot"),
        pytest.param("get", {"HTTP_USER_AGENT": "SomeCrawler/1.0"}, id="crawler"),
        pytest.param("get", {"HTTP_USER_AGENT": "Baiduspider"}, id="spider"),
        pytest.param("get", {"HTTP_USER_AGENT": ""}, id="no user agent"),
    ],
)
def test_counting_skips_robots_prefetches_and_head(browser, organization, fixed_day, method, headers):
    response = getattr(browser, method)(organization.get_absolute_url(), **headers)

    assert response.status_code == 200
    assert counts() == []


def test_counting_skips_other_pages_and_failures(browser, organization, fixed_day):
    event = EventFactory(organizers=[organization])
    assert browser.get(reverse("directory:list")).status_code == 200
    assert browser.get(reverse("events:ics", kwargs={"pk": event.pk})).status_code == 200
    assert browser.get(reverse("directory:organization", kwargs={"slug": "gibt-es-nicht"})).status_code == 404
    assert browser.post(organization.get_absolute_url()).status_code in (200, 405)

    assert counts() == []


def test_counting_skips_unpublished_organisation(browser, region, fixed_day):
    hidden = OrganizationFactory(region=region, published=False)

    assert browser.get(hidden.get_absolute_url()).status_code == 404
    assert counts() == []


def test_counting_skips_logged_in_managers_and_office(browser, organization, manager, coordinator, fixed_day):
    for user in (manager, coordinator):
        browser.force_login(user)
        assert browser.get(organization.get_absolute_url()).status_code == 200
        browser.logout()

    assert counts() == []


def test_counting_sets_no_cookie_and_stores_no_visitor_data(browser, organization, fixed_day):
    response = browser.get(organization.get_absolute_url(), REMOTE_ADDR="203.0.113.7")

    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers
    row = PageViewCount.objects.values().get()
    assert set(row) == {"id", "kind", "object_id", "region_id", "day", "count"}
    assert "203.0.113" not in str(row)


def test_counting_error_is_logged_and_the_page_still_served(
    browser, organization, fixed_day, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(counting, "record_view", broken)
    with caplog.at_level(logging.ERROR, logger="crosscluster.analytics.counting"):
        response = browser.get(organization.get_absolute_url())

    assert response.status_code == 200
    assert organization.name in response.content.decode()
    assert "1 page views of directory:organization not counted yet" in caplog.text


def test_counting_views_wait_in_the_process_until_the_interval_is_over(
    browser, organization, fixed_day, settings
):
    settings.ANALYTICS_FLUSH_SECONDS = 3600
    for _ in range(3):
        assert browser.get(organization.get_absolute_url()).status_code == 200

    assert counts() == []
    with CaptureQueriesContext(connection) as queries:
        counting.pending_views.flush()
    # One upsert for the page, however many views (a test's transaction adds a savepoint around it).
    assert [query["sql"].split()[0] for query in queries if "SAVEPOINT" not in query["sql"]] == ["INSERT"]
    assert counts() == [(Kind.ORGANIZATION, organization.pk, organization.region_id, DAY, 3)]


def test_counting_views_are_written_by_the_next_request_after_the_interval(
    browser, organization, fixed_day, settings
):
    settings.ANALYTICS_FLUSH_SECONDS = 3600
    assert browser.get(organization.get_absolute_url()).status_code == 200
    assert counts() == []

    settings.ANALYTICS_FLUSH_SECONDS = 0  # the interval is over: any next request writes them
    assert browser.get(reverse("directory:list")).status_code == 200

    assert counts() == [(Kind.ORGANIZATION, organization.pk, organization.region_id, DAY, 1)]


def test_counting_views_that_could_not_be_written_wait_for_the_next_flush(
    organization, fixed_day, monkeypatch, caplog
):
    record_view = counting.record_view
    monkeypatch.setattr(counting, "record_view", lambda *args: (_ for _ in ()).throw(RuntimeError("gone")))
    with caplog.at_level(logging.ERROR, logger="crosscluster.analytics.counting"):
        counting.pending_views.add("directory:organization", organization.slug, DAY)
    assert counts() == []
    assert "not counted yet" in caplog.text

    monkeypatch.setattr(counting, "record_view", record_view)
    counting.pending_views.add("directory:organization", organization.slug, DAY)

    assert counts() == [(Kind.ORGANIZATION, organization.pk, organization.region_id, DAY, 2)]


def test_counting_database_error_keeps_the_request_transaction_usable(organization, fixed_day, monkeypatch):
    """A failing statement inside a transaction is rolled back to its savepoint, not the whole transaction."""
    page = counting.CountedPage(
        Kind.ORGANIZATION, "slug", lambda key: counting._organization(key).extra(where=["no_such_column = 1"])
    )
    with pytest.raises(Exception):  # the database error class differs per backend
        counting.record_view(page, organization.slug, DAY)

    counting.record_view(counting.COUNTED_PAGES["directory:organization"], organization.slug, DAY)
    assert counts()[0][-1] == 1


def test_counting_day_is_the_display_time_zone_date(settings, time_machine):
    settings.DISPLAY_TIME_ZONE = "Europe/Berlin"
    # 23:30 UTC on 25 November is already 26 November in Berlin (and 27 November in the test server's zone).
    time_machine.move_to(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), tick=False)

    assert counting.today() == date(2026, 11, 26)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time anyway")
def test_counting_concurrent_views_are_never_lost():
    """Threads on their own connections count the same page at once: every view arrives, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    organization = OrganizationFactory()
    page = counting.COUNTED_PAGES["directory:organization"]

    def view_many(_worker: int) -> None:
        try:
            for _ in range(25):
                counting.record_view(page, organization.slug, DAY)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(view_many, range(8)))

    assert PageViewCount.objects.get().count == 200
