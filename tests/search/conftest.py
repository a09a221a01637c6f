"""A small world for the search: published and hidden content of every kind, topics with synonyms."""

import datetime as dt

import pytest
from django.utils import timezone

from crosscluster.directory.search import refresh_search_text as refresh_organization
from crosscluster.routing.services import ensure_embeddings
from tests.factories import (
    EventFactory,
    NoticeFactory,
    OfferFactory,
    OrganizationFactory,
    RegionFactory,
    TopicFactory,
)

FAKE_ENCODER = "tests.routing.conftest.FakeEncoder"


@pytest.fixture(autouse=True)
def fresh_index(settings):
    yield from isolated_index(settings)


def isolated_index(settings):
    """Routing and the query's embedding are instant (the fake encoder); no test sees another's routing
    index."""
    settings.ROUTING_ENCODER = FAKE_ENCODER
    settings.ROUTING_SYNC_EMBED_MAX = 10_000
    from crosscluster.routing import services as routing_services

    routing_services.clear_index_cache()
    yield
    routing_services.clear_index_cache()


def organization(**fields):
    offers = fields.pop("offers", [])
    org = OrganizationFactory(**fields)
    for title, description in offers:
        OfferFactory(organization=org, title=title, description=description)
    refresh_organization(org)
    return org


@pytest.fixture
def world(db):
    return make_world()


def make_world():
    """Published and hidden content of every kind about Fördermittel, and two topics with synonyms."""
    region = RegionFactory()
    digital = TopicFactory(
        slug="digitalisierung", name="Digitalisierung", synonyms="Digitalisation\nIndustrie 4.0"
    )
    ai = TopicFactory(slug="ki", name="Künstliche Intelligenz", synonyms="KI\nMaschinelles Lernen")
    agency = organization(
        region=region,
        slug="digitalagentur",
        name="Digitalagentur Thüringen",
        summary="Fördermittelberatung für die Digitalisierung im Mittelstand.",
        topics=[digital],
        offers=[("Fördermittelberatung", "Wir beraten zu Förderprogrammen für die Digitalisierung.")],
    )
    lab = organization(
        region=region,
        slug="ki-labor",
        name="Labor für Künstliche Intelligenz",
        summary="Anwendungen der künstlichen Intelligenz in der Produktion.",
        topics=[ai],
        offers=[("Sprechstunde Bilderkennung", "Erste Schritte mit neuronalen Netzen.")],
    )
    hidden = organization(
        region=region,
        slug="geheim",
        name="Geheimnetz Fördermittel",
        summary="Fördermittel und Digitalisierung, aber unveröffentlicht.",
        published=False,
        offers=[("Geheime Fördermittelberatung", "Digitalisierung")],
    )
    now = timezone.now()
    events = {
        "upcoming": EventFactory(
            title="Workshop Fördermittel für die Digitalisierung", organizers=[agency], topics=[digital]
        ),
        "later": EventFactory(
            title="Fördermittel-Sprechstunde",
            organizers=[agency],
            start=now + dt.timedelta(days=30),
            end=now + dt.timedelta(days=30, hours=1),
        ),
        "recent": EventFactory(
            title="Rückblick Fördermittel",
            organizers=[agency],
            start=now - dt.timedelta(days=10),
            end=now - dt.timedelta(days=10) + dt.timedelta(hours=2),
        ),
        "old": EventFactory(
            title="Alte Fördermittel-Messe",
            organizers=[agency],
            start=now - dt.timedelta(days=90),
            end=now - dt.timedelta(days=90) + dt.timedelta(hours=2),
        ),
        "unpublished": EventFactory(title="Fördermittel intern", organizers=[agency], published=False),
        "hidden_organizer": EventFactory(title="Fördermittel im Geheimnetz", organizers=[hidden]),
        "removed": EventFactory(title="Fördermittel entfernt", organizers=[agency], removed_at=now),
    }
    notices = {
        "current": NoticeFactory(
            organization=agency,
            title="Neue Fördermittel für die Digitalisierung",
            body="Das Land fördert Digitalisierungsprojekte kleiner Unternehmen.",
            topics=[digital],
        ),
        "unpublished": NoticeFactory(organization=agency, title="Fördermittel Entwurf", published=False),
        "expired": NoticeFactory(
            organization=agency,
            title="Abgelaufene Fördermittel",
            valid_from=now - dt.timedelta(days=10),
            valid_until=now - dt.timedelta(days=1),
        ),
        "future": NoticeFactory(
            organization=agency, title="Künftige Fördermittel", valid_from=now + dt.timedelta(days=2)
        ),
        "hidden_organization": NoticeFactory(organization=hidden, title="Fördermittel geheim"),
    }
    # As the embedding task does after commit: the organisations' and offers' vectors (hybrid ranking).
    ensure_embeddings()
    return {
        "region": region,
        "digital": digital,
        "ai": ai,
        "agency": agency,
        "lab": lab,
        "hidden": hidden,
        "events": events,
        "notices": notices,
    }


def titles(result, kind):
    group = next(group for group in result.groups if group.kind == kind)
    return [getattr(item, "title", None) or item.name for item in group.items]
