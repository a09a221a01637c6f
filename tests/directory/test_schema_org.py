"""The organisation pages' schema.org JSON-LD, read as a search engine's parser reads it: found in the page by
`extruct`, then expanded to RDF with `rdflib`, offline, against schema.org's vocabulary."""

import json
from io import StringIO

import extruct
import pytest
from django.core.management import call_command
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from crosscluster.directory.models import Organization

from .test_exporting import DEMO_FILE

SCHEMA = Namespace("https://schema.org/")
# What schema.org's own context (https://schema.org/docs/jsonldcontext.jsonld) says about the terms the pages
# use: the vocabulary, and which properties hold links. Stated here so that nothing is fetched.
OFFLINE_CONTEXT = {
    "@vocab": "https://schema.org/",
    **{
        name: {"@id": f"https://schema.org/{name}", "@type": "@id"}
        for name in ("url", "sameAs", "logo", "image")
    },
}

# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph internally.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture
def demo(db, settings):
    settings.ROUTING_ENCODER = "tests.routing.conftest.FakeEncoder"  # the embeddings are not the point
    call_command("import-directory", str(DEMO_FILE), stdout=StringIO())


def json_ld(client, organization: Organization) -> tuple[str, list[dict]]:
    url = f"http://testserver{organization.get_absolute_url()}"
    response = client.get(organization.get_absolute_url())
    assert response.status_code == 200
    data = extruct.extract(response.content.decode(), base_url=url, syntaxes=["json-ld"], uniform=True)
    return url, data["json-ld"]


def as_graph(item: dict) -> Graph:
    assert item["@context"] in ("https://schema.org", "http://schema.org")
    return Graph().parse(data=json.dumps({**item, "@context": OFFLINE_CONTEXT}), format="json-ld")


def test_schema_org_every_demo_page_is_one_organization_with_name_url_and_address(client, demo):
    organizations = list(Organization.objects.filter(published=True).prefetch_related("contacts"))
    assert len(organizations) == 24

    for organization in organizations:
        url, items = json_ld(client, organization)

        assert [item["@type"] for item in items] == ["Organization"], organization.slug
        graph = as_graph(items[0])
        subject = URIRef(url)
        assert (subject, RDF.type, SCHEMA.Organization) in graph
        assert graph.value(subject, SCHEMA.name) == Literal(organization.name)
        assert graph.value(subject, SCHEMA.url) == subject
        address = graph.value(subject, SCHEMA.address)
        assert (address, RDF.type, SCHEMA.PostalAddress) in graph
        assert graph.value(address, SCHEMA.addressLocality) == Literal(organization.city)
        assert graph.value(address, SCHEMA.addressCountry) == Literal("DE")
        assert graph.value(subject, SCHEMA.sameAs) == URIRef(organization.website)
        points = list(graph.objects(subject, SCHEMA.contactPoint))
        assert sorted(str(graph.value(p, SCHEMA.name)) for p in points) == sorted(
            contact.name for contact in organization.contacts.all()
        )
        assert all((p, RDF.type, SCHEMA.ContactPoint) in graph for p in points)


def test_schema_org_offers_and_topics_become_triples(client, organization, topic):
    url, items = json_ld(client, organization)

    graph = as_graph(items[0])
    subject = URIRef(url)
    assert list(graph.objects(subject, SCHEMA.knowsAbout)) == [Literal("Kunststoffe und Polymere")]
    (offer,) = graph.objects(subject, SCHEMA.makesOffer)
    assert (offer, RDF.type, SCHEMA.Offer) in graph
    service = graph.value(offer, SCHEMA.itemOffered)
    assert (service, RDF.type, SCHEMA.Service) in graph
    assert graph.value(service, SCHEMA.name) == Literal("Kunststoffberatung")


def test_schema_org_page_of_an_organisation_without_city_has_no_address(client, organization):
    Organization.objects.filter(pk=organization.pk).update(city="")

    url, items = json_ld(client, organization)

    assert as_graph(items[0]).value(URIRef(url), SCHEMA.address) is None
