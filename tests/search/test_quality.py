"""The examples of issue 13 on the demo directory, with the real encoder: each finds the fitting member
first, and a need finds the organisations the router suggests. (The labelled set of bench/search-queries.jsonl
is measured by bench/search_quality.py.)"""

from pathlib import Path

import pytest
from django.core.management import call_command

from crosscluster.directory.models import Organization
from crosscluster.routing import services as routing_services
from crosscluster.search import services

DEMO = Path(__file__).resolve().parents[2] / "src/crosscluster/directory/demo/thueringen.json"
NEED = "Wir suchen Fördermittel für die Digitalisierung unserer Fertigung"

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    """The demo directory with its embeddings under the real encoder (remembered across tests)."""
    settings.ROUTING_ENCODER = "tests.routing.conftest.RealEncoder"
    routing_services.clear_index_cache()
    call_command("import-directory", str(DEMO), verbosity=0)
    yield
    routing_services.clear_index_cache()


def organizations(query):
    result = services.search(query, kinds=["organization"], per_group=10)
    return [item.slug for item in result.groups[0].items]


# The examples of the issue, each with the members that fit it. One test: the directory is imported once.
EXAMPLES = [
    (NEED, {"foerderinstitut", "digitalzentrum"}),
    ("Digitalisierung", {"digitalzentrum"}),
    ("Patent", {"patentzentrum"}),
    ("Wasserstoffspeicher", {"ee-netz"}),
    ("Exportberatung", {"ihk-aussenwirtschaft"}),
    ("hydrogen", {"ee-netz"}),
    ("skilled workers", {"fachkraefteservice"}),
    ("digitalisation", {"digitalzentrum"}),
]


def test_search_finds_the_fitting_member_first_and_nothing_unrelated(demo):
    first = {query: (organizations(query) or ["(none)"])[0] for query, _fitting in EXAMPLES}
    assert {query: found for query, found in first.items() if found not in dict(EXAMPLES)[query]} == {}
    # "Patent" lists the patent centre's offers, not those of forestry market reports.
    result = services.search("Patent", kinds=["offer"], per_group=50)
    titles = [offer.title for offer in result.groups[0].items]
    assert "Recherche zum Stand der Technik" in titles
    assert "Marktinformationen Rohholz" not in titles
    assert result.groups[0].count == len(titles) < 10
    # Gibberish has no fitting member, in words or in meaning.
    assert organizations("Xylophonquartett") == []


def test_search_and_router_agree_on_a_need(demo):
    region = Organization.objects.get(slug="foerderinstitut").region
    suggested = [
        item.organization.slug
        for item in routing_services.suggest(NEED, region=region, top=5).results
        if item.organization.kind != Organization.Kind.COORDINATION
    ]
    found = organizations(NEED)
    assert set(suggested[:2]) <= set(found[:3])
    assert found[0] in suggested[:2]
