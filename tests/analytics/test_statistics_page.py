"""The statistics page: who sees which figures (roles × actions), the figures, a fixed query count."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse

from crosscluster.analytics import stats
from crosscluster.analytics.access import can_see_statistics_of, page_views_visible_to
from crosscluster.analytics.models import PageViewCount
from tests.factories import EventFactory, NoticeFactory, UserFactory

Kind = PageViewCount.Kind
URL = reverse("manage:statistics")
TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def fixed_today(time_machine):
    noon = datetime.combine(TODAY, time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    time_machine.move_to(noon, tick=False)


def views(kind: str, obj, count: int, day: date = TODAY, region=None) -> PageViewCount:
    return PageViewCount.objects.create(kind=kind, object_id=obj.pk, day=day, count=count, region=region)


@pytest.fixture
def pages(region, organization, other_organization):
    """Views of each organisation's page, event and notice, plus an office notice and a deleted event."""
    own_event = EventFactory(title="Kunststofftag", organizers=[organization])
    other_event = EventFactory(title="Fremde Messe", organizers=[other_organization])
    own_notice = NoticeFactory(organization=organization, title="Eigener Hinweis")
    other_notice = NoticeFactory(organization=other_organization, title="Fremder Hinweis")
    office_notice = NoticeFactory(region=region, organization=None, title="Hinweis des Büros")
    return {
        "own": [
            views(Kind.ORGANIZATION, organization, 7),
            views(Kind.ORGANIZATION, organization, 2, TODAY - timedelta(days=1)),
            views(Kind.EVENT, own_event, 5),
            views(Kind.NOTICE, own_notice, 3),
        ],
        "other": [
            views(Kind.ORGANIZATION, other_organization, 11),
            views(Kind.EVENT, other_event, 13),
            views(Kind.NOTICE, other_notice, 17),
        ],
        "office": [views(Kind.NOTICE, office_notice, 19)],
    }


def ids(rows) -> set[int]:
    return {row.pk for row in rows}


# Access: the choke point and the page, roles × actions ---------------------------------------------------


def test_access_anonymous_sees_nothing_and_is_sent_to_login(client, pages, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not page_views_visible_to(AnonymousUser()).exists()
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_access_manager_sees_own_pages_events_and_notices_only(client, manager, pages):
    assert ids(page_views_visible_to(manager)) == ids(pages["own"])

    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.total == 17
    assert [(row.title, row.views) for row in figures.top] == [
        ("PolymerNetz Thüringen", 9),
        ("Kunststofftag", 5),
        ("Eigener Hinweis", 3),
    ]
    body = response.content.decode()
    assert "Fremde Messe" not in body and "Anderes Netzwerk" not in body and "Hinweis des Büros" not in body


def test_access_manager_filter_own_organisation(client, manager, organization, pages):
    client.force_login(manager)
    response = client.get(URL, {"organisation": organization.slug})

    assert response.status_code == 200
    assert response.context["figures"].total == 17


def test_access_manager_of_other_organisation_is_refused(client, manager, other_organization, pages):
    assert not can_see_statistics_of(manager, other_organization)
    client.force_login(manager)

    response = client.get(URL, {"organisation": other_organization.slug})

    assert response.status_code == 403
    assert "Fremde Messe" not in response.content.decode()


def test_access_manager_of_other_organisation_sees_only_theirs(client, other_organization, pages):
    other_manager = UserFactory(email="andere@example.org")
    other_manager.memberships.create(organization=other_organization)
    client.force_login(other_manager)

    response = client.get(URL)

    assert response.context["figures"].total == 11 + 13 + 17
    assert ids(page_views_visible_to(other_manager)) == ids(pages["other"])


def test_access_user_without_organisation_sees_nothing(client, pages):
    nobody = UserFactory(email="niemand@example.org")
    client.force_login(nobody)

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["figures"].total == 0
    assert "Keine Seitenaufrufe in diesem Zeitraum." in response.content.decode()


def test_access_coordinator_sees_everything_and_can_filter(client, coordinator, other_organization, pages):
    assert ids(page_views_visible_to(coordinator)) == ids(pages["own"] + pages["other"] + pages["office"])
    client.force_login(coordinator)

    everything = client.get(URL).context["figures"]
    one = client.get(URL, {"organisation": other_organization.slug}).context["figures"]

    assert everything.total == 17 + 41 + 19
    assert everything.top[0].title == "Hinweis des Büros"
    assert one.total == 41


def test_access_unknown_organisation_is_404(client, coordinator, pages):
    client.force_login(coordinator)
    assert client.get(URL, {"organisation": "gibt-es-nicht"}).status_code == 404


def test_access_post_is_not_allowed(client, coordinator):
    client.force_login(coordinator)
    assert client.post(URL).status_code == 405


def test_access_merged_duplicate_counts_for_its_organisers(manager, organization, other_organization):
    canonical = EventFactory(organizers=[other_organization])
    EventFactory(organizers=[organization], duplicate_of=canonical)
    row = views(Kind.EVENT, canonical, 4)

    assert ids(page_views_visible_to(manager)) == {row.pk}


# The figures ---------------------------------------------------------------------------------------------


def test_figures_per_day_kind_and_period(coordinator, organization, pages):
    views(Kind.ORGANIZATION, organization, 100, TODAY - timedelta(days=30))  # one day before the 30 days
    views(Kind.ORGANIZATION, organization, 1, TODAY - timedelta(days=29))  # the first of them

    last30 = stats.figures(page_views_visible_to(coordinator), today=TODAY, days=30)
    last90 = stats.figures(page_views_visible_to(coordinator), today=TODAY, days=90)

    assert (last30.since, last30.until) == (TODAY - timedelta(days=29), TODAY)
    assert len(last30.by_day) == 30 and len(last90.by_day) == 90
    assert last30.by_day[0] == (TODAY - timedelta(days=29), 1)
    assert last30.by_day[-2:] == [(TODAY - timedelta(days=1), 2), (TODAY, 7 + 5 + 3 + 11 + 13 + 17 + 19)]
    assert last30.total == 1 + 2 + 75
    assert last90.total == last30.total + 100
    assert [(kind, views) for kind, _label, views in last30.by_kind] == [
        (Kind.ORGANIZATION, 7 + 2 + 11 + 1),
        (Kind.EVENT, 18),
        (Kind.NOTICE, 39),
    ]


def test_figures_deleted_page_keeps_its_count(coordinator, organization):
    event = EventFactory(organizers=[organization])
    views(Kind.EVENT, event, 3)
    event_id = event.pk
    event.delete()

    figures = stats.figures(page_views_visible_to(coordinator), today=TODAY, days=30)

    assert [(row.title, row.url, row.views) for row in figures.top] == [
        (f"(gelöscht, Nr. {event_id})", "", 3)
    ]


def test_figures_column_chart_is_scaled_and_described():
    chart = stats.ColumnChart("c", "Views", [(TODAY - timedelta(days=1), 2), (TODAY, 4)])

    first, second = chart.columns
    assert (first.height, second.height) == (80, 160)
    assert (first.y, second.y) == (chart.TOP + 80, chart.TOP)
    assert (first.x, first.width, second.x) == (5.0, 40.0, 55.0)
    assert "6" in chart.summary and "4" in chart.summary


def test_page_period_choice_and_chart(client, coordinator, pages):
    client.force_login(coordinator)

    response = client.get(URL, {"tage": "90"})
    body = response.content.decode()

    assert response.context["figures"].days == 90
    assert body.count("<rect") >= 90
    assert 'role="img"' in body
    assert client.get(URL, {"tage": "7"}).context["figures"].days == 30  # not offered: the default


def test_page_query_count_does_not_grow_with_pages(
    client, coordinator, organization, pages, django_assert_num_queries
):
    for number in range(10):
        views(Kind.EVENT, EventFactory(organizers=[organization]), number + 1)
    client.force_login(coordinator)
    client.get(URL)  # warm the session

    # session, user, organisations of the filter, per day, per kind, top pages, one per kind among them, the
    # navigation's counts (accounts.todo.nav_counts)
    with django_assert_num_queries(10):
        client.get(URL)


def test_dashboard_links_the_statistics(client, manager):
    client.force_login(manager)

    assert URL in client.get(reverse("manage:dashboard")).content.decode()


def test_privacy_page_explains_the_counting(client):
    body = client.get(reverse("directory:privacy")).content.decode()

    assert 'id="privacy-page-views"' in body
    assert "keine IP-Adresse" in body
