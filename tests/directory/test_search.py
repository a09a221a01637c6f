"""Text search in the public directory understands German word forms and sees only published entries."""

import pytest

from crosscluster.directory.models import Organization
from crosscluster.directory.search import filter_by_text, refresh_search_text
from tests.factories import OfferFactory, OrganizationFactory


@pytest.fixture
def funding_agency(region):
    organization = OrganizationFactory(
        region=region,
        slug="foerderinstitut",
        name="Förderinstitut",
        summary="Wir beraten zu Zuschüssen und Darlehen.",
        description="",
    )
    OfferFactory(
        organization=organization,
        title="Fördermittel-Sprechstunde",
        description="Antrag Schritt für Schritt.",
    )
    refresh_search_text(organization)
    return organization


@pytest.fixture
def plastics_network(region):
    organization = OrganizationFactory(
        region=region,
        slug="polymer",
        name="PolymerNetz",
        summary="Das Netzwerk der Thüringer Kunststoff-Verarbeiter.",
        description="",
    )
    refresh_search_text(organization)
    return organization


@pytest.fixture
def unrelated(region):
    organization = OrganizationFactory(
        region=region, slug="tourismus", name="Tourismusnetz", summary="Gastgeber digital.", description=""
    )
    refresh_search_text(organization)
    return organization


def found(client, query: str) -> list[str]:
    response = client.get("/verzeichnis/", {"q": query})
    assert response.status_code == 200
    return [organization.slug for organization in response.context["organizations"]]


@pytest.mark.django_db
def test_search_foerderung_finds_foerdermittel(client, funding_agency, plastics_network, unrelated):
    assert "Förderung" not in funding_agency.name + funding_agency.summary
    assert found(client, "Förderung") == ["foerderinstitut"]


@pytest.mark.django_db
def test_search_kunststoffe_finds_kunststoff(client, funding_agency, plastics_network, unrelated):
    assert found(client, "Kunststoffe") == ["polymer"]


@pytest.mark.django_db
def test_search_is_case_insensitive_and_ignores_stop_words(
    client, funding_agency, plastics_network, unrelated
):
    assert found(client, "die KUNSTSTOFFE und der") == ["polymer"]


@pytest.mark.django_db
def test_search_needs_every_meaningful_word(client, funding_agency, plastics_network, unrelated):
    assert found(client, "Kunststoff Förderung") == []
    assert found(client, "Fördermittel Antrag") == ["foerderinstitut"]


@pytest.mark.django_db
def test_search_finds_offers_of_the_organisation(client, funding_agency, unrelated):
    assert found(client, "Sprechstunde") == ["foerderinstitut"]


@pytest.mark.django_db
def test_search_leaves_out_unpublished_organisations(client, funding_agency):
    funding_agency.published = False
    funding_agency.save()
    assert found(client, "Fördermittel") == []


@pytest.mark.django_db
def test_search_with_only_stop_words_lists_everything(client, funding_agency, plastics_network, unrelated):
    assert found(client, "und die") == ["foerderinstitut", "polymer", "tourismus"]


@pytest.mark.django_db
def test_filter_by_text_works_on_the_queryset_directly(funding_agency, plastics_network):
    result = filter_by_text(Organization.objects.all(), "Förderung")
    assert list(result.values_list("slug", flat=True)) == ["foerderinstitut"]
