"""The coordination office's dashboard: the figures of `inquiries.stats` and their accessible charts."""

import re
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crosscluster.inquiries import services, stats
from crosscluster.inquiries.models import Inquiry
from tests.factories import InquiryFactory, OrganizationFactory, TopicFactory

State = Inquiry.State
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = zoneinfo.ZoneInfo("UTC")
DASHBOARD_URL = reverse("manage:inquiry-dashboard")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def make(organization=None, created_at=None, **fields):
    region = organization.region if organization else fields.pop("region")
    inquiry = InquiryFactory(region=region, organization=organization, **fields)
    if created_at is not None:  # auto_now_add: set afterwards
        Inquiry.objects.filter(pk=inquiry.pk).update(created_at=created_at)
    return inquiry


@pytest.fixture
def third_organization(region):
    return OrganizationFactory(region=region, slug="dritte-org", name="Drittes Netzwerk")


# The figures ----------------------------------------------------------------------------------------------


def test_stats_by_state_and_overdue(region, organization, other_organization):
    now = timezone.now()
    make(region=region)
    late = make(organization, state=State.ASSIGNED, due_at=now - timedelta(hours=1))
    later = make(other_organization, state=State.ASSIGNED, due_at=now - timedelta(days=1))
    make(organization, state=State.ASSIGNED, due_at=now + timedelta(hours=1))
    make(organization, state=State.ACCEPTED)
    make(organization, state=State.RESOLVED)

    figures = stats.dashboard(now)

    assert [(state, count) for state, _label, count in figures.by_state] == [
        ("submitted", 1),
        ("assigned", 3),
        ("accepted", 1),
        ("resolved", 1),
        ("no_fit", 0),
        ("withdrawn", 0),
    ]
    assert figures.open_total == 5
    assert figures.overdue == [later, late]  # longest overdue first


def test_stats_per_month_in_berlin_time_over_twelve_months(region):
    now = berlin(2026, 6, 15, 12)
    # 31 Jan 12:00 UTC is 13:00 in Berlin (January) but already 1 Feb in Auckland, the test TIME_ZONE;
    # 31 Jan 23:30 UTC is 1 Feb in Berlin.
    make(region=region, created_at=datetime(2026, 1, 31, 12, tzinfo=UTC))
    make(region=region, created_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    make(region=region, created_at=berlin(2025, 7, 1, 0, 30))  # first moment of the period
    make(region=region, created_at=berlin(2025, 6, 30, 23, 30))  # before it
    make(region=region, created_at=berlin(2026, 6, 15, 11))

    figures = stats.dashboard(now)

    assert figures.since == berlin(2025, 7, 1)
    months = dict(figures.by_month)
    assert list(months) == [date(2025, 7, 1)] + [date(2025, month, 1) for month in range(8, 13)] + [
        date(2026, month, 1) for month in range(1, 7)
    ]
    assert {month: count for month, count in months.items() if count} == {
        date(2025, 7, 1): 1,
        date(2026, 1, 1): 1,
        date(2026, 2, 1): 1,
        date(2026, 6, 1): 1,
    }
    assert figures.submitted == 4


def test_stats_period_start_crosses_the_year():
    assert stats.period_start(berlin(2026, 11, 30, 23)) == berlin(2025, 12, 1)
    assert stats.period_start(berlin(2026, 1, 1, 0, 30)) == berlin(2025, 2, 1)
    # 31 Dec 23:30 UTC is already January in Berlin.
    assert stats.period_start(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == berlin(2025, 2, 1)


def test_stats_first_try_right_rate(region, organization, other_organization):
    make(organization, state=State.RESOLVED, first_organization=organization, resolved_by=organization)
    make(organization, state=State.RESOLVED, first_organization=organization, resolved_by=organization)
    make(
        other_organization,
        state=State.RESOLVED,
        first_organization=organization,
        resolved_by=other_organization,
    )
    make(organization, state=State.ACCEPTED, first_organization=organization)  # not resolved: not counted

    figures = stats.dashboard()

    assert (figures.first_try_right, figures.resolved) == (2, 3)
    assert figures.first_try_right_rate == pytest.approx(2 / 3)
    assert figures.first_try_right_rate_percent == 67


def test_stats_first_try_right_without_resolved_inquiries(region):
    make(region=region)

    figures = stats.dashboard()

    assert (figures.first_try_right_rate, figures.first_try_right_rate_percent) == (None, None)
    assert figures.median_response_days is None


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        pytest.param(berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 16), 0.25, id="same-day"),
        pytest.param(berlin(2026, 3, 6, 15), berlin(2026, 3, 9, 15), 1.0, id="over-the-weekend"),
        pytest.param(berlin(2026, 3, 7, 10), berlin(2026, 3, 8, 10), 0.0, id="within-the-weekend"),
        pytest.param(berlin(2025, 10, 30, 10), berlin(2025, 11, 3, 10), 1.0, id="over-reformationstag"),
        pytest.param(berlin(2026, 10, 23, 15), berlin(2026, 10, 27, 15), 2.0, id="over-the-dst-change"),
        pytest.param(berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 9), 0.0, id="backwards"),
    ],
)
def test_stats_working_days_between(start, end, days):
    assert stats.working_days_between(start, end, "DE-TH") == pytest.approx(days)


def test_stats_working_days_between_agrees_with_deadlines():
    from crosscluster.inquiries.deadlines import add_working_days

    start = berlin(2026, 3, 6, 15, 20)
    assert stats.working_days_between(start, add_working_days(start, 3, "DE-TH"), "DE-TH") == pytest.approx(3)


def test_stats_median_time_to_first_response_in_working_days(region, organization):
    now = berlin(2026, 3, 20, 12)
    for start, end in [
        (berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 16)),  # 0.25
        (berlin(2026, 3, 6, 15), berlin(2026, 3, 9, 15)),  # 1.0
        (berlin(2026, 3, 10, 9), berlin(2026, 3, 11, 21)),  # 1.5
        (berlin(2026, 3, 12, 9), berlin(2026, 3, 18, 9)),  # 4.0
        (berlin(2026, 3, 2, 9), berlin(2026, 3, 10, 9)),  # 6.0
    ]:
        make(organization, state=State.ACCEPTED, created_at=start, first_response_at=end)
    make(organization, state=State.ASSIGNED, created_at=berlin(2026, 3, 13, 9))  # no response yet

    figures = stats.dashboard(now)

    assert figures.responded == 5
    assert figures.median_response_days == 1.5


def test_stats_per_organisation_from_the_history(
    region, organization, other_organization, third_organization, manager, coordinator
):
    chosen, _token = services.create_inquiry(
        region=region,
        text="Frage",
        company_name="A",
        contact_name="B",
        email="a@example.com",
        consent=True,
        organization=organization,
    )
    services.forward_inquiry(chosen, other_organization, actor=manager, note="Passt besser")
    services.resolve_inquiry(chosen, actor=coordinator)
    assigned, _token = services.create_inquiry(
        region=region, text="Frage", company_name="A", contact_name="B", email="a@example.com", consent=True
    )
    services.assign_inquiry(assigned, organization, actor=coordinator)
    services.hand_back_inquiry(assigned, actor=manager, note="Passt nicht")
    services.assign_inquiry(assigned, organization, actor=coordinator)  # received again: still one inquiry
    Inquiry.objects.filter(pk=assigned.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    open_one = make(third_organization, state=State.ACCEPTED)

    rows = {row.name: row for row in stats.dashboard().by_organization}

    assert list(rows) == ["PolymerNetz Thüringen", "Anderes Netzwerk", "Drittes Netzwerk"]
    assert vars(rows["PolymerNetz Thüringen"]) == {
        "name": "PolymerNetz Thüringen",
        "received": 2,
        "forwarded": 1,
        "handed_back": 1,
        "resolved": 0,
        "open_now": 1,
        "overdue_now": 1,
    }
    assert (rows["Anderes Netzwerk"].received, rows["Anderes Netzwerk"].resolved) == (1, 1)
    assert (rows["Drittes Netzwerk"].received, rows["Drittes Netzwerk"].open_now) == (0, 1)
    assert open_one.organization == third_organization


def test_stats_per_topic_in_taxonomy_order(region, organization):
    first = TopicFactory(slug="a-thema", name="Erstes Thema", position=1)
    second = TopicFactory(slug="b-thema", name="Zweites Thema", position=2)
    TopicFactory(slug="c-thema", name="Ohne Anfragen", position=3)
    make(organization, topics=[second])
    make(organization, topics=[second, first])
    old = make(organization, topics=[first], created_at=timezone.now() - timedelta(days=400))

    figures = stats.dashboard()

    assert figures.by_topic == [("Erstes Thema", 1), ("Zweites Thema", 2)]
    assert old.topics.count() == 1


def test_stats_dashboard_takes_eight_queries(
    django_assert_num_queries, region, organization, other_organization
):
    for index in range(5):
        inquiry = make(
            organization if index % 2 else other_organization,
            state=State.ASSIGNED,
            due_at=timezone.now() - timedelta(hours=index + 1),
            topics=[TopicFactory()],
            first_response_at=timezone.now(),
        )
        inquiry.involved.add(organization)

    with django_assert_num_queries(8):
        stats.dashboard()


# Charts -----------------------------------------------------------------------------------------------


def test_bar_chart_geometry_and_summary():
    long_name = "Ein sehr langer Organisationsname, länger als dreißig Zeichen"
    chart = stats.BarChart("chart-x", "Anfragen", [("A", 4), (long_name, 3), ("C", 0)])

    assert [(bar.label, bar.top, bar.width) for bar in chart.bars] == [
        ("A", 0, 85.0),
        (long_name, 46, 63.75),
        ("C", 92, 0.0),
    ]
    assert chart.height == 3 * 46 + 4
    assert chart.summary == f"Anfragen. A: 4; {long_name}: 3; C: 0"


def test_bar_chart_widths_keep_the_decimal_point_in_german(
    client, coordinator, organization, other_organization
):
    for _i in range(3):
        make(organization, state=State.ASSIGNED)
    make(other_organization, state=State.ACCEPTED)
    client.force_login(coordinator)

    html = client.get(DASHBOARD_URL).content.decode()

    assert 'width="85.0%"' in html
    assert 'width="28.33%"' in html
    assert not re.search(r'width="\d+,\d+%"', html)


def test_bar_chart_without_rows():
    chart = stats.BarChart("chart-x", "Anfragen", [])

    assert chart.bars == []
    assert chart.summary.startswith("Anfragen. ")


# The page ---------------------------------------------------------------------------------------------


@pytest.fixture
def some_inquiries(region, organization, other_organization, coordinator, manager):
    topic = TopicFactory(slug="recycling", name="Recycling")
    organization.topics.add(topic)
    inquiry, _token = services.create_inquiry(
        region=region, text="Frage", company_name="A", contact_name="B", email="a@example.com", consent=True
    )
    services.assign_inquiry(inquiry, organization, actor=coordinator)
    services.accept_inquiry(inquiry, actor=manager)
    services.resolve_inquiry(inquiry, actor=manager)
    make(other_organization, state=State.ASSIGNED, due_at=timezone.now() - timedelta(hours=3))


def test_dashboard_page_draws_accessible_charts_with_the_same_numbers_as_tables(
    client, coordinator, some_inquiries
):
    client.force_login(coordinator)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    html = response.content.decode()
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", html, flags=re.S)
    assert len(svgs) == 4  # state, month, organisation, topic
    for svg in svgs:
        assert 'role="img"' in svg
        assert re.search(r'aria-label="[^"]+: \d', svg)
        assert "<title>" in svg
    figures = response.context["figures"]
    state_svg = svgs[0]
    for _state, label, count in figures.by_state:
        assert f"{label}: {count}" in state_svg.split('aria-label="')[1].split('"')[0]
    tables = re.findall(r'<table class="data-table">.*?</table>', html, flags=re.S)
    state_table = tables[1]  # after the overdue list
    for _state, label, count in figures.by_state:
        assert re.search(rf">{re.escape(str(label))}</a></th><td>{count}</td>", state_table)
    assert "<script" not in html.split("<main")[1]
    assert "Recycling" in html


def test_dashboard_page_lists_overdue_inquiries(client, coordinator, some_inquiries):
    client.force_login(coordinator)

    response = client.get(DASHBOARD_URL)

    overdue = response.context["figures"].overdue
    assert len(overdue) == 1
    assert f'href="{reverse("manage:inquiry", kwargs={"pk": overdue[0].pk})}"' in response.content.decode()


def test_dashboard_page_query_count(client, coordinator, some_inquiries, django_assert_num_queries):
    client.force_login(coordinator)

    # session, user, the eight of stats.dashboard and the five of core.workers.background_health, the
    # navigation's counts (accounts.todo.nav_counts)
    with django_assert_num_queries(16):
        assert client.get(DASHBOARD_URL).status_code == 200


def test_dashboard_page_empty(client, coordinator):
    client.force_login(coordinator)

    response = client.get(DASHBOARD_URL)

    assert response.status_code == 200
    assert response.context["figures"].submitted == 0


# Background work: tasks and mails (core.workers) ------------------------------------------------------------


def test_dashboard_page_says_when_all_background_work_is_well(client, coordinator):
    client.force_login(coordinator)

    html = client.get(DASHBOARD_URL).content.decode()

    assert "Hintergrundarbeit" in html
    assert "Keine Aufgabe hängt oder ist fehlgeschlagen" in html


def test_dashboard_page_shows_stuck_and_failed_tasks_and_undelivered_mail(client, coordinator, settings):
    from django_tasks_db.models import DBTaskResult

    from crosscluster.core.models import OutgoingMail
    from crosscluster.core.tasks import deliver_mail

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    orphan = deliver_mail.enqueue(41).db_result
    DBTaskResult.objects.filter(pk=orphan.pk).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=10), worker_ids=["dead"]
    )
    failed = deliver_mail.enqueue(42).db_result
    DBTaskResult.objects.filter(pk=failed.pk).update(
        status="FAILED",
        finished_at=timezone.now(),
        exception_class_path="smtplib.SMTPServerDisconnected",
        worker_ids=["w"],
    )
    OutgoingMail.objects.create(
        to="firma@example.org",
        subject="Ihre Anfrage",
        body_text="…",
        attempts=4,
        last_error="SMTPException: 451",
    )
    client.force_login(coordinator)

    html = client.get(DASHBOARD_URL).content.decode()

    assert "Einige Hintergrundarbeiten brauchen Aufmerksamkeit" in html
    assert re.search(r"<caption>\s*Hängende Aufgaben\s*</caption>", html)
    assert "Eine E-Mail senden (41)" in html
    assert "Ihr Worker ist ausgefallen; sie wird erneut eingereiht." in html
    assert "Eine E-Mail senden (42)" in html and "SMTPServerDisconnected" in html
    assert "Ihre Anfrage" in html and "firma@example.org" in html and "SMTPException: 451" in html


def test_dashboard_page_background_work_is_for_the_coordination_office_only(client, manager):
    client.force_login(manager)

    assert client.get(DASHBOARD_URL).status_code == 403
