"""/api/v1/cooperation-profiles: public reads without the owner, the stored matches, and token-authenticated
entry and change by managers, by role (anonymous, manager of the reviewing network, of another, office)."""

import pytest
from django.test import Client

from crosscluster.cooperation.matches import store_matches
from crosscluster.cooperation.models import CooperationProfile
from crosscluster.core.models import AuditLogEntry
from tests.api.conftest import bearer
from tests.factories import CooperationProfileFactory

Kind = CooperationProfile.Kind
State = CooperationProfile.State


@pytest.fixture
def api_client() -> Client:
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def offer(topic, region, network):
    return CooperationProfileFactory(
        title="Recyclingverfahren",
        topics=[topic],
        region=region,
        reviewing_organization=network,
        company_name="Geheim AG",
        contact_name="Gerda Geheim",
    )


@pytest.fixture
def wanted(network):
    return CooperationProfileFactory(
        kind=Kind.TECHNOLOGY_REQUEST, title="Gesuch", reviewing_organization=network
    )


def test_list_shows_public_profiles_without_the_owner(api_client, offer, wanted):
    CooperationProfileFactory(state=State.SUBMITTED)
    response = api_client.get("/api/v1/cooperation-profiles?kind=technology-offer")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item == {
        "id": offer.pk,
        "reference": offer.reference,
        "kind": "technology-offer",
        "title": "Recyclingverfahren",
        "text": offer.text,
        "partner_wanted": "",
        "call": "",
        "roles": "",
        "call_deadline": None,
        "topics": ["kunststoffe"],
        "region": offer.region.slug,
        "language": "de",
        "published_at": item["published_at"],
        "expires_at": offer.expires_at.isoformat(),
        "company_name": None,
        "contact_name": None,
        "url": f"http://testserver/kooperationen/{offer.pk}/",
    }


@pytest.mark.parametrize(
    ("query", "count"),
    [("topic=kunststoffe", 1), ("language=de", 2), ("kind=research-partner", 0), ("region=nirgends", 0)],
)
def test_list_filters(api_client, offer, wanted, query, count):
    assert api_client.get(f"/api/v1/cooperation-profiles?{query}").json()["count"] == count


def test_list_refuses_an_unknown_kind(api_client, offer):
    assert api_client.get("/api/v1/cooperation-profiles?kind=nonsense").status_code == 422


def test_detail_of_a_profile_that_is_not_public_is_404(api_client, db):
    hidden = CooperationProfileFactory(state=State.SUBMITTED)
    response = api_client.get(f"/api/v1/cooperation-profiles/{hidden.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_matches_list_stored_proposals_with_reasons(api_client, offer, wanted, stand_in_matcher):
    store_matches()
    data = api_client.get(f"/api/v1/cooperation-profiles/{offer.pk}/matches").json()
    assert data == {
        "count": 1,
        "items": [
            {
                "profile": wanted.pk,
                "score": 0.8,
                "reasons": ["technology-offer ↔ technology-request", "gleiche Begriffe: Kunststoff"],
            }
        ],
        "no_good_match": False,
    }


def test_matches_say_no_good_match_when_nothing_fits(api_client, offer):
    data = api_client.get(f"/api/v1/cooperation-profiles/{offer.pk}/matches").json()
    assert data == {"count": 0, "items": [], "no_good_match": True}


BODY = {
    "kind": "research-partner",
    "title": "Partner für Horizon-Projekt",
    "text": "Konsortium sucht ein KMU für Demonstratoren.",
    "call": "Horizon Europe CL4",
    "roles": "Demonstrator, Endanwender",
    "topics": ["kunststoffe"],
    "company_name": "Institut X",
    "contact_name": "Ina Institut",
    "email": "ina@institut.example",
}


@pytest.mark.parametrize(
    ("role", "status"),
    [("reviewer", 201), ("other_reviewer", 403), ("coordinator", 201), ("outsider", 403)],
)
def test_create_by_role(api_client, request, network, other_network, role, status):
    user = request.getfixturevalue(role)
    body = {**BODY, "reviewing_organization": network.slug}
    response = api_client.post(
        "/api/v1/cooperation-profiles", body, content_type="application/json", headers=bearer(user)
    )
    assert response.status_code == status, response.json()
    if status == 201:
        data = response.json()
        assert data["state"] == "submitted"
        assert data["reviewing_organization"] == network.slug
        assert data["email"] == "ina@institut.example"
        assert AuditLogEntry.objects.filter(action="cooperation.profile.entered", actor=user).exists()
    else:
        assert not CooperationProfile.objects.exists()


def test_create_without_token_is_401(api_client, db):
    response = api_client.post("/api/v1/cooperation-profiles", BODY, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "status"),
    [("reviewer", 200), ("other_reviewer", 404), ("coordinator", 200), ("outsider", 404)],
)
def test_update_by_role(api_client, request, offer, role, status):
    user = request.getfixturevalue(role)
    response = api_client.patch(
        f"/api/v1/cooperation-profiles/{offer.pk}",
        {"title": "Neuer Titel", "show_identity": True},
        content_type="application/json",
        headers=bearer(user),
    )
    assert response.status_code == status
    offer.refresh_from_db()
    assert (offer.title == "Neuer Titel") is (status == 200)


def test_update_refuses_unknown_fields(api_client, offer, reviewer):
    response = api_client.patch(
        f"/api/v1/cooperation-profiles/{offer.pk}",
        {"state": "published"},
        content_type="application/json",
        headers=bearer(reviewer),
    )
    assert response.status_code == 422


def test_create_refuses_an_invalid_email(api_client, reviewer, network):
    body = {**BODY, "email": "kein-at-zeichen", "reviewing_organization": network.slug}
    response = api_client.post(
        "/api/v1/cooperation-profiles", body, content_type="application/json", headers=bearer(reviewer)
    )
    assert response.status_code == 422
    assert not CooperationProfile.objects.exists()
