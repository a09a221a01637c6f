"""Fixtures of the Kooperationsbörse tests: networks that review, their managers, and a stand-in matcher.

The matching engine is built elsewhere (`cooperation.matching`); these tests check what the app does with
its answers, so `stand_in_matcher` replaces `match_batch` with a plain rule: complementary kinds match.
"""

import pytest

from crosscluster.cooperation import matching
from crosscluster.cooperation.models import CooperationProfile
from tests.factories import MembershipFactory, OrganizationFactory, TopicFactory, UserFactory

COMPLEMENT = {
    matching.TECHNOLOGY_OFFER: matching.TECHNOLOGY_REQUEST,
    matching.TECHNOLOGY_REQUEST: matching.TECHNOLOGY_OFFER,
    matching.BUSINESS_OFFER: matching.BUSINESS_REQUEST,
    matching.BUSINESS_REQUEST: matching.BUSINESS_OFFER,
    matching.RESEARCH_PARTNER: matching.RESEARCH_PARTNER,
}


def stand_in_match_batch(profiles, *, top=5, **kwargs):
    proposals = []
    for profile in profiles:
        found = [
            matching.Match(other.id, 0.8, (f"{profile.kind} ↔ {other.kind}", "gleiche Begriffe: Kunststoff"))
            for other in profiles
            if other.id != profile.id and COMPLEMENT[profile.kind] == other.kind
        ][:top]
        proposals.append(matching.Proposal(profile.id, tuple(found), not found))
    return proposals


@pytest.fixture
def stand_in_matcher(monkeypatch):
    monkeypatch.setattr(matching, "match_batch", stand_in_match_batch)
    monkeypatch.setattr(matching, "stored_vectors", lambda profiles, **kwargs: None)
    monkeypatch.setattr(matching, "match_organizations", lambda profile, **kwargs: None)
    monkeypatch.setattr(matching, "match_texts", lambda profile, items, **kwargs: [])
    return stand_in_match_batch


@pytest.fixture
def network(region, topic):
    """The network that reviews profiles about `topic`."""
    return OrganizationFactory(
        region=region, slug="kunststoff-netz", name="Kunststoff-Netzwerk", topics=[topic]
    )


@pytest.fixture
def other_network(region):
    other_topic = TopicFactory(slug="optik", name="Optik")
    return OrganizationFactory(region=region, slug="optik-netz", name="Optik-Netzwerk", topics=[other_topic])


@pytest.fixture
def reviewer(network):
    user = UserFactory(email="pruefer@example.org", first_name="Rita", last_name="Prüfer")
    MembershipFactory(user=user, organization=network)
    return user


@pytest.fixture
def other_reviewer(other_network):
    user = UserFactory(email="anderer@example.org")
    MembershipFactory(user=user, organization=other_network)
    return user


PROFILE_VALUES = {
    "kind": CooperationProfile.Kind.TECHNOLOGY_REQUEST,
    "title": "Gesucht: Recycling für Mischkunststoffe",
    "text": "Wir suchen ein Verfahren, um Mischkunststoffe aus unserer Spritzgussproduktion zu recyceln.",
    "language": "de",
    "partner_wanted": "Technologieanbieter oder Institut",
    "contact_name": "Klara Kunde",
    "email": "Klara@Kunde.example",
    "company_name": "Kunde Kunststofftechnik GmbH",
}
