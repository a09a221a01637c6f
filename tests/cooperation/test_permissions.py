"""Who may do what in the Kooperationsbörse's manager area: every role against every view and step.

The profile waits for review, assigned to `network`. Decisions:

- anonymous visitors are sent to the login page;
- people who may not see the profile (no organisation, or another network) get 404 on its URLs, as for a
  profile that does not exist; the queue is open to everyone logged in (it may be empty);
- the assigned network's managers review it; the coordination office reviews everything;
- a manager who entered a profile for another network sees it but cannot approve it (403);
- the board, introducing and dismissing belong to the coordination office (403 for everyone else);
- entering a profile on a company's behalf needs an organisation (or the office).

Whenever a request is refused, nothing in the database changes.
"""

import pytest
from django.urls import reverse

from crosscluster.cooperation.models import CooperationProfile, DismissedPair, Introduction
from crosscluster.core.models import AuditLogEntry
from tests.factories import CooperationProfileFactory

ROLES = ["anonymous", "outsider", "reviewer", "other_reviewer", "coordinator"]
State = CooperationProfile.State


@pytest.fixture
def waiting(network, topic):
    return CooperationProfileFactory(
        title="Wartet auf Prüfung", state=State.SUBMITTED, reviewing_organization=network, topics=[topic]
    )


@pytest.fixture
def pair(network):
    offer = CooperationProfileFactory(
        kind=CooperationProfile.Kind.TECHNOLOGY_OFFER, reviewing_organization=network
    )
    wanted = CooperationProfileFactory(
        kind=CooperationProfile.Kind.TECHNOLOGY_REQUEST, reviewing_organization=network
    )
    return offer, wanted


def login(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))


def snapshot():
    return (
        list(CooperationProfile.objects.order_by("pk").values_list("pk", "state", "title")),
        Introduction.objects.count(),
        DismissedPair.objects.count(),
        AuditLogEntry.objects.count(),
    )


EXPECTED_PAGE = {
    "anonymous": 302,
    "outsider": 404,
    "reviewer": 200,
    "other_reviewer": 404,
    "coordinator": 200,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["manage:cooperation-profile", "manage:cooperation-profile-edit"])
def test_profile_pages_by_role(client, request, waiting, role, name):
    login(client, request, role)
    response = client.get(reverse(name, kwargs={"pk": waiting.pk}))
    assert response.status_code == EXPECTED_PAGE[role]
    if role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("decision", ["approve", "changes", "reject"])
def test_review_steps_by_role(client, request, waiting, role, decision):
    login(client, request, role)
    before = snapshot()
    url = reverse("manage:cooperation-profile-review", kwargs={"pk": waiting.pk, "decision": decision})
    response = client.post(url, {"reason": "Bitte den Text kürzen."})
    waiting.refresh_from_db()
    if role in ("reviewer", "coordinator"):
        assert response.status_code == 302
        expected = {"approve": State.PUBLISHED, "changes": State.CHANGES_REQUESTED, "reject": State.REJECTED}
        assert waiting.state == expected[decision]
        assert AuditLogEntry.objects.filter(actor=request.getfixturevalue(role)).exists()
    else:
        assert response.status_code == EXPECTED_PAGE[role]
        assert snapshot() == before


def test_manager_who_entered_a_profile_for_another_network_sees_it_but_cannot_approve(
    client, network, other_reviewer, topic
):
    profile = CooperationProfileFactory(
        state=State.SUBMITTED, reviewing_organization=network, created_by=other_reviewer
    )
    client.force_login(other_reviewer)
    assert client.get(reverse("manage:cooperation-profile", kwargs={"pk": profile.pk})).status_code == 200
    before = snapshot()
    url = reverse("manage:cooperation-profile-review", kwargs={"pk": profile.pk, "decision": "approve"})
    assert client.post(url).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", ROLES)
def test_queue_lists_what_the_role_reviews(client, request, waiting, role):
    login(client, request, role)
    response = client.get(reverse("manage:cooperation-profiles"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    listed = [profile.pk for profile in response.context["profiles"]]
    assert listed == ([waiting.pk] if role in ("reviewer", "coordinator") else [])


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 403), ("reviewer", 200), ("other_reviewer", 200), ("coordinator", 200)],
)
def test_enter_profile_form_by_role(client, request, network, other_network, role, status):
    login(client, request, role)
    assert client.get(reverse("manage:cooperation-profile-create")).status_code == status


def test_manager_enters_a_profile_for_their_network(client, reviewer, network, topic):
    client.force_login(reviewer)
    response = client.post(
        reverse("manage:cooperation-profile-create"),
        {
            "kind": "business-offer",
            "title": "Vertriebspartner gesucht",
            "text": "Ein Mitglied bietet Vertrieb in Osteuropa an.",
            "language": "de",
            "company_name": "Mitglied GmbH",
            "contact_name": "Mia Mitglied",
            "email": "mia@mitglied.example",
            "reviewing_organization": network.pk,
            "topics": [topic.pk],
        },
    )
    assert response.status_code == 302
    profile = CooperationProfile.objects.get()
    assert (profile.state, profile.reviewing_organization, profile.created_by) == (
        State.SUBMITTED,
        network,
        reviewer,
    )


def test_manager_cannot_enter_a_profile_for_another_network(client, reviewer, other_network):
    client.force_login(reviewer)
    response = client.post(
        reverse("manage:cooperation-profile-create"),
        {
            "kind": "business-offer",
            "title": "X",
            "text": "Y",
            "language": "de",
            "company_name": "Z",
            "contact_name": "Q",
            "email": "q@example.org",
            "reviewing_organization": other_network.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not CooperationProfile.objects.exists()


BOARD = {"anonymous": 302, "outsider": 403, "reviewer": 403, "other_reviewer": 403, "coordinator": 200}


@pytest.mark.parametrize("role", ROLES)
def test_board_by_role(client, request, pair, role, stand_in_matcher):
    login(client, request, role)
    assert client.get(reverse("manage:cooperation-board")).status_code == BOARD[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", ["manage:cooperation-introduce", "manage:cooperation-dismiss"])
def test_board_steps_by_role(client, request, pair, role, step):
    offer, wanted = pair
    login(client, request, role)
    before = snapshot()
    response = client.post(reverse(step), {"first": offer.pk, "second": wanted.pk, "note": "Bitte sprechen."})
    if role == "coordinator":
        assert response.status_code == 302
        assert snapshot() != before
        if step == "manage:cooperation-introduce":
            assert Introduction.objects.get().profile == offer
        else:
            assert DismissedPair.objects.filter(first=offer, second=wanted).exists()
    else:
        assert response.status_code == BOARD[role] if role != "anonymous" else response.status_code == 302
        assert snapshot() == before


def test_board_page_shows_pairs_with_reasons(client, coordinator, pair, stand_in_matcher):
    from crosscluster.cooperation.matches import store_matches

    store_matches()
    client.force_login(coordinator)
    body = client.get(reverse("manage:cooperation-board")).content.decode()
    assert pair[0].reference in body and pair[1].reference in body
    assert "gleiche Begriffe: Kunststoff" in body
