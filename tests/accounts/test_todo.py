"""The manager home as a to-do list (issue 14): new and overdue inquiries with their deadlines, feeds with
errors, duplicates to decide, notices that expire; counts on the navigation; the tools as cards."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from crosscluster.events.models import FeedSubscription
from crosscluster.inquiries.models import Inquiry
from tests.factories import EventFactory, InquiryFactory, NoticeFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)  # a Monday
HOME = reverse("manage:dashboard")
State = Inquiry.State


@pytest.fixture
def monday(time_machine):
    time_machine.move_to(NOW, tick=False)


def text(response) -> str:
    """The page's text without tags and with single spaces, as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def assigned(organization, *, due, state=State.ASSIGNED, **fields):
    return InquiryFactory(
        region=organization.region,
        organization=organization,
        state=state,
        assigned_at=NOW - dt.timedelta(days=3),
        due_at=due,
        **fields,
    )


@pytest.fixture
def inquiries(monday, organization, other_organization, region):
    return {
        "due": assigned(
            organization, due=dt.datetime(2026, 12, 9, 12, tzinfo=BERLIN), company_name="Fällig GmbH"
        ),
        "overdue": assigned(
            organization, due=dt.datetime(2026, 12, 4, 12, tzinfo=BERLIN), company_name="Spät GmbH"
        ),
        "accepted": assigned(organization, due=None, state=State.ACCEPTED, company_name="Angenommen GmbH"),
        "other": assigned(
            other_organization, due=dt.datetime(2026, 12, 3, 12, tzinfo=BERLIN), company_name="Andere GmbH"
        ),
        "submitted": InquiryFactory(region=region, state=State.SUBMITTED, company_name="Neu GmbH"),
    }


def test_manager_home_lists_new_and_overdue_inquiries_with_their_deadlines(client, manager, inquiries):
    client.force_login(manager)

    response = client.get(HOME)

    page = text(response)
    assert response.status_code == 200
    assert "<h1>Zu erledigen</h1>" in response.content.decode()
    assert "2 Anfragen warten auf Sie 1 überfällig" in page
    assert [inquiry.company_name for inquiry in response.context["todo"].inquiries] == [
        "Spät GmbH",  # overdue first
        "Fällig GmbH",
    ]
    assert "Spät GmbH" in page and "überfällig seit 04.12." in page
    assert "Fällig GmbH" in page and "fällig am 09.12." in page
    for elsewhere in ("Angenommen GmbH", "Andere GmbH", "Neu GmbH"):
        assert elsewhere not in page
    assert f'href="{reverse("manage:inquiry", args=[inquiries["overdue"].pk])}"' in response.content.decode()


def test_coordination_office_sees_waiting_and_every_overdue_inquiry(client, coordinator, inquiries):
    client.force_login(coordinator)

    response = client.get(HOME)

    names = [inquiry.company_name for inquiry in response.context["todo"].inquiries]
    assert names == ["Andere GmbH", "Spät GmbH", "Neu GmbH"]  # overdue by deadline, then the waiting one
    page = text(response)
    assert "eingegangen am 07.12.: bitte weiterleiten" in page
    assert "3 Anfragen warten auf Sie 2 überfällig" in page


def test_home_shows_feeds_with_errors_duplicates_and_expiring_notices(
    client, coordinator, manager, organization, other_organization, monday
):
    FeedSubscription.objects.create(
        organization=organization,
        url="https://kalender.example.org/feed.ics",
        last_status=FeedSubscription.Status.FAILING,
        last_error="HTTP 500",
    )
    start = NOW + dt.timedelta(days=3)
    EventFactory(title="Kunststofftag Thüringen 2026", start=start, organizers=[organization])
    EventFactory(title="Kunststofftag Thüringen 2026", start=start, organizers=[other_organization])
    NoticeFactory(
        organization=organization,
        title="Förderaufruf endet",
        valid_until=NOW + dt.timedelta(days=5),
        pinned=True,
    )
    NoticeFactory(
        organization=organization, title="Läuft noch lange", valid_until=NOW + dt.timedelta(days=60)
    )

    client.force_login(manager)
    page = text(client.get(HOME))

    assert "1 Kalender-Feed hat Probleme" in page
    assert "https://kalender.example.org/feed.ics" in page and "Der letzte Import ist fehlgeschlagen." in page
    assert "1 Hinweis läuft in den nächsten 14 Tagen ab" in page
    assert "Förderaufruf endet dringend sichtbar bis 12.12." in page
    assert "Läuft noch lange" not in page
    assert "Doppelung" not in page  # the office decides duplicates

    client.force_login(coordinator)
    response = client.get(HOME)

    assert response.context["todo"].duplicates == 1
    assert "1 mögliche Doppelung zu entscheiden" in text(response)
    assert f'href="{reverse("manage:event-duplicates")}"' in response.content.decode()


def test_home_says_when_there_is_nothing_to_do(client, manager, monday):
    client.force_login(manager)

    response = client.get(HOME)

    assert response.context["todo"].empty
    assert "Gerade nichts zu erledigen" in text(response)


def test_navigation_shows_the_counts_with_words_for_screen_readers(client, manager, inquiries):
    client.force_login(manager)

    html = client.get(reverse("manage:inquiries")).content.decode()

    nav = html.split('<ul class="manage-nav">')[1].split("</ul>")[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", nav)).count("2 zu erledigen") == 2  # home and inquiries
    assert (
        'Anfragen<span class="badge badge-urgent"><span class="visually-hidden"> (</span>2'
        '<span class="visually-hidden"> zu erledigen, 1 überfällig)</span></span>'
    ) in nav
    assert 'Veranstaltungen<span class="badge' not in nav  # nothing there: no badge


def test_office_tools_are_cards_not_a_link_list(client, coordinator, organization):
    client.force_login(coordinator)

    html = client.get(HOME).content.decode()

    tools = html.split('<ul class="tool-cards">')[1].split("</ul>")[0]
    for name in ("manage:inquiry-dashboard", "manage:event-duplicates", "manage:topics", "manage:digest"):
        assert f'href="{reverse(name)}"' in tools
    assert f'href="{reverse("manage:export-organizations")}" download' in tools
    assert tools.count('<li class="tool-card">') == 11


@pytest.mark.parametrize(("role", "queries"), [("manager", 6), ("coordinator", 9)])
def test_home_query_count_is_fixed(
    client, request, django_assert_num_queries, organization, other_organization, monday, role, queries
):
    def content(number):
        for index in range(number):
            assigned(organization, due=NOW + dt.timedelta(days=index - 1))
            FeedSubscription.objects.create(
                organization=organization,
                url=f"https://kalender.example.org/{number}-{index}.ics",
                last_status=FeedSubscription.Status.FAILING,
            )
            NoticeFactory(organization=organization, valid_until=NOW + dt.timedelta(days=2))
            start = NOW + dt.timedelta(days=3 + index)
            EventFactory(title=f"Tag der Technik {number} {index}", start=start, organizers=[organization])
            EventFactory(
                title=f"Tag der Technik {number} {index}", start=start, organizers=[other_organization]
            )

    client.force_login(request.getfixturevalue(role))
    content(1)
    # session, user, organisations, inquiries, feeds, notices; the office also: events, their organisers,
    # the decisions on duplicates. The navigation's counts come from the lists (no query of their own).
    with django_assert_num_queries(queries):
        client.get(HOME)
    content(4)
    with django_assert_num_queries(queries):
        response = client.get(HOME)
    # The manager's assigned ones; the office sees only the overdue ones of them (due yesterday).
    assert len(response.context["todo"].inquiries) == (5 if role == "manager" else 2)
    assert len(response.context["todo"].feeds) == 5
