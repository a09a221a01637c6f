"""Public reads: whole payloads, ordering, pagination, filters, unpublished organisations and query counts."""

import pytest
from django.core.files.base import ContentFile

from crosscluster.directory.models import Organization
from crosscluster.directory.search import refresh_search_text
from tests.factories import OfferFactory, OrganizationFactory, RegionFactory, TopicFactory


def problem_404(path: str, detail: str) -> dict:
    return {"type": "about:blank", "title": "Not Found", "status": 404, "detail": detail, "instance": path}


def summary(org: Organization, **overrides) -> dict:
    """The list payload of an organisation made by OrganizationFactory with its defaults."""
    payload = {
        "slug": org.slug,
        "name": org.name,
        "name_en": None,
        "kind": "network",
        "region": "thueringen",
        "city": "Erfurt",
        "website": "https://netzwerk.example.org",
        "summary": "Ein Netzwerk für Unternehmen in Thüringen.",
        "summary_en": None,
        "logo_url": None,
        "topics": [],
    }
    return payload | overrides


@pytest.fixture
def unpublished(region):
    org = OrganizationFactory(region=region, slug="entwurf", name="Aaa Entwurf", published=False)
    OfferFactory(organization=org, title="Geheimes Angebot")
    return org


# --- Regions and topics ---------------------------------------------------------------------------------


def test_regions_list_returns_every_region_by_name(api_client, region, django_assert_num_queries):
    RegionFactory(slug="sachsen", name="Sachsen")

    with django_assert_num_queries(2):
        response = api_client.get("/api/v1/regions")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {
        "count": 2,
        "items": [{"slug": "sachsen", "name": "Sachsen"}, {"slug": "thueringen", "name": "Thüringen"}],
    }


def test_region_detail_returns_region_or_404(api_client, region):
    assert api_client.get("/api/v1/regions/thueringen").json() == {"slug": "thueringen", "name": "Thüringen"}

    response = api_client.get("/api/v1/regions/atlantis")

    assert response.status_code == 404
    assert response.json() == problem_404("/api/v1/regions/atlantis", "There is no region “atlantis”.")


def test_topics_list_keeps_the_taxonomy_order(api_client, db, django_assert_num_queries):
    TopicFactory(slug="wasserstoff", name="Wasserstoff", position=2)
    TopicFactory(slug="digital", name="Digitalisierung", position=1)
    TopicFactory(slug="ki", name="KI", position=1)

    with django_assert_num_queries(2):
        response = api_client.get("/api/v1/topics")

    assert response.json() == {
        "count": 3,
        "items": [
            {"slug": "digital", "name": "Digitalisierung", "name_en": None},
            {"slug": "ki", "name": "KI", "name_en": None},
            {"slug": "wasserstoff", "name": "Wasserstoff", "name_en": None},
        ],
    }


def test_topic_detail_returns_topic_or_404(api_client, topic):
    assert api_client.get("/api/v1/topics/kunststoffe").json() == {
        "slug": "kunststoffe",
        "name": "Kunststoffe und Polymere",
        "name_en": None,
    }
    assert api_client.get("/api/v1/topics/nichts").status_code == 404


# --- Organisations --------------------------------------------------------------------------------------


def test_organizations_list_shows_published_organizations_by_name(
    api_client, organization, other_organization, unpublished, django_assert_num_queries
):
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/organizations")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "items": [summary(other_organization), summary(organization, topics=["kunststoffe"])],
    }


def test_organizations_list_query_count_does_not_grow_with_rows(
    api_client, region, topic, django_assert_num_queries
):
    for number in range(12):
        org = OrganizationFactory(region=region, slug=f"org-{number:02}", topics=[topic])
        org.logo.save(f"logo-{number}.png", ContentFile(b"png"))

    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/organizations?limit=100")

    assert response.json()["count"] == 12
    assert all(
        item["logo_url"].startswith("http://testserver/media/logos/") for item in response.json()["items"]
    )


def test_organizations_list_paginates_with_limit_and_offset(api_client, region):
    for number in range(25):
        OrganizationFactory(region=region, slug=f"org-{number:02}", name=f"Organisation {number:02}")

    default = api_client.get("/api/v1/organizations").json()
    page = api_client.get("/api/v1/organizations?limit=3&offset=21").json()
    beyond = api_client.get("/api/v1/organizations?offset=30").json()

    assert default["count"] == 25
    assert [item["slug"] for item in default["items"]] == [f"org-{number:02}" for number in range(20)]
    assert page["count"] == 25
    assert [item["slug"] for item in page["items"]] == ["org-21", "org-22", "org-23"]
    assert beyond == {"count": 25, "items": []}


@pytest.mark.parametrize(
    ("query", "field", "detail", "code"),
    [
        ("limit=101", "limit", "Input should be less than or equal to 100", "less_than_equal"),
        ("limit=0", "limit", "Input should be greater than or equal to 1", "greater_than_equal"),
        ("offset=-1", "offset", "Input should be greater than or equal to 0", "greater_than_equal"),
        (
            "limit=viele",
            "limit",
            "Input should be a valid integer, unable to parse string as an integer",
            "int_parsing",
        ),
    ],
)
def test_organizations_list_refuses_bad_pagination(api_client, db, query, field, detail, code):
    response = api_client.get(f"/api/v1/organizations?{query}")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "The request is not valid.",
        "instance": "/api/v1/organizations",
        "errors": [{"location": "query", "field": field, "detail": detail, "code": code}],
    }


@pytest.fixture
def directory(region, topic, organization, other_organization, unpublished):
    """Four organisations that the filters tell apart, with current search text."""
    sachsen = RegionFactory(slug="sachsen", name="Sachsen")
    OrganizationFactory(
        region=sachsen,
        slug="foerderbank",
        name="Förderbank Sachsen",
        kind=Organization.Kind.AGENCY,
        city="Leipzig",
        description="Fördermittel und Zuschüsse für Gründungen.",
    )
    OrganizationFactory(
        region=region, slug="cluster-jena", name="Optik-Cluster", kind=Organization.Kind.CLUSTER, city="Jena"
    )
    for org in Organization.objects.all():
        refresh_search_text(org)


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("region=sachsen", ["foerderbank"]),
        ("region=thueringen", ["andere-org", "cluster-jena", "polymer-netz"]),
        ("region=nirgendwo", []),
        ("topic=kunststoffe", ["polymer-netz"]),
        ("kind=cluster", ["cluster-jena"]),
        ("city=jena", ["cluster-jena"]),
        ("city=Erfurt&topic=kunststoffe", ["polymer-netz"]),
        ("q=Förderung", ["foerderbank"]),
        ("q=zuschuss gründung", ["foerderbank"]),
        ("q=Kunststoff", ["polymer-netz"]),
        ("q=Geheimes", []),
        ("q=und der die", ["andere-org", "foerderbank", "cluster-jena", "polymer-netz"]),
    ],
)
def test_organizations_list_filters(api_client, directory, query, slugs):
    response = api_client.get(f"/api/v1/organizations?{query}")

    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == slugs
    assert response.json()["count"] == len(slugs)


def test_organizations_list_refuses_an_unknown_kind(api_client, db):
    response = api_client.get("/api/v1/organizations?kind=verein")

    assert response.status_code == 422
    assert [(error["location"], error["field"]) for error in response.json()["errors"]] == [("query", "kind")]


def test_organization_detail_returns_the_whole_profile(
    api_client, organization, contact, video, uploaded_video, django_assert_num_queries
):
    organization.logo.save("polymer.png", ContentFile(b"png"))
    contact.photo.save("erika.jpg", ContentFile(b"jpg"))
    offer = organization.offers.get()

    with django_assert_num_queries(6):
        response = api_client.get("/api/v1/organizations/polymer-netz")

    assert response.status_code == 200
    assert response.json() == {
        "slug": "polymer-netz",
        "name": "PolymerNetz Thüringen",
        "name_en": None,
        "kind": "network",
        "region": "thueringen",
        "city": "Erfurt",
        "website": "https://netzwerk.example.org",
        "summary": "Ein Netzwerk für Unternehmen in Thüringen.",
        "summary_en": None,
        "logo_url": f"http://testserver{organization.logo.url}",
        "topics": ["kunststoffe"],
        "description": "Wir vernetzen Unternehmen und Forschung.",
        "description_en": None,
        "published": True,
        "offers": [
            {
                "id": offer.pk,
                "organization": "polymer-netz",
                "title": "Kunststoffberatung",
                "title_en": None,
                "description": "Beratung für kleine und mittlere Unternehmen.",
                "description_en": None,
                "kind": "advice",
                "topics": ["kunststoffe"],
                "position": offer.position,
            }
        ],
        "contacts": [
            {
                "id": contact.pk,
                "name": "Erika Muster",
                "role": "Netzwerkmanagerin",
                "email": "erika@example.org",
                "phone": "+49 361 123456",
                "photo_url": f"http://testserver{contact.photo.url}",
                "position": 0,
            }
        ],
        "videos": [
            {
                "id": video.pk,
                "title": "Das Netzwerk in 90 Sekunden",
                "external_url": "https://video.example.org/netz",
                "file_url": None,
                "poster_url": None,
                "captions_url": None,
                "captions_language": "de",
                "position": 0,
            },
            {
                "id": uploaded_video.pk,
                "title": "Rundgang",
                "external_url": None,
                "file_url": f"http://testserver{uploaded_video.file.url}",
                "poster_url": f"http://testserver{uploaded_video.poster.url}",
                "captions_url": f"http://testserver{uploaded_video.captions.url}",
                "captions_language": "de",
                "position": 1,
            },
        ],
    }
    assert uploaded_video.file.url.startswith("/media/videos/")


@pytest.mark.parametrize("slug", ["entwurf", "gibt-es-nicht"])
def test_organization_detail_is_404_when_unpublished_or_unknown(api_client, unpublished, slug):
    response = api_client.get(f"/api/v1/organizations/{slug}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == problem_404(
        f"/api/v1/organizations/{slug}", f"There is no organisation “{slug}”."
    )


# --- Offers ---------------------------------------------------------------------------------------------


def test_offers_list_shows_offers_of_published_organizations(
    api_client, organization, other_organization, unpublished, django_assert_num_queries
):
    organization.offers.update(position=0)
    ours = organization.offers.get()
    theirs = other_organization.offers.get()
    second = OfferFactory(
        organization=organization, title="Werkstoffprüfung", kind="infrastructure", position=99
    )

    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/offers")

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "items": [
            {
                "id": theirs.pk,
                "organization": "andere-org",
                "title": "Fremdes Angebot",
                "title_en": None,
                "description": "Beratung für kleine und mittlere Unternehmen.",
                "description_en": None,
                "kind": "advice",
                "topics": [],
                "position": theirs.position,
            },
            {
                "id": ours.pk,
                "organization": "polymer-netz",
                "title": "Kunststoffberatung",
                "title_en": None,
                "description": "Beratung für kleine und mittlere Unternehmen.",
                "description_en": None,
                "kind": "advice",
                "topics": ["kunststoffe"],
                "position": ours.position,
            },
            {
                "id": second.pk,
                "organization": "polymer-netz",
                "title": "Werkstoffprüfung",
                "title_en": None,
                "description": "Beratung für kleine und mittlere Unternehmen.",
                "description_en": None,
                "kind": "infrastructure",
                "topics": [],
                "position": 99,
            },
        ],
    }


def test_offers_list_paginates(api_client, organization):
    organization.offers.update(position=0)
    for number in range(4):
        OfferFactory(organization=organization, title=f"Angebot {number}", position=10 + number)

    response = api_client.get("/api/v1/offers?limit=2&offset=1")

    assert response.json()["count"] == 5
    assert [item["title"] for item in response.json()["items"]] == ["Angebot 0", "Angebot 1"]


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("organization=andere-org", ["Fremdes Angebot"]),
        ("organization=entwurf", []),
        ("topic=kunststoffe", ["Kunststoffberatung"]),
        ("kind=funding", ["Gründungszuschuss"]),
        ("q=Kunststoffe", ["Kunststoffberatung"]),
        ("q=Zuschüsse", ["Gründungszuschuss"]),
        # The organisation's own words ("Forschung") do not make its offers match.
        ("q=Forschung", []),
        ("q=Geheimes", []),
    ],
)
def test_offers_list_filters(api_client, directory, query, titles):
    foerderbank = Organization.objects.get(slug="foerderbank")
    OfferFactory(organization=foerderbank, title="Gründungszuschuss", kind="funding", description="Geld.")
    refresh_search_text(foerderbank)

    response = api_client.get(f"/api/v1/offers?{query}")

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == titles
    assert response.json()["count"] == len(titles)


def test_offers_list_text_search_query_count_is_fixed(api_client, directory, django_assert_num_queries):
    # The count, the page and its topics: the text is matched inside them by the search's documents.
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/offers?q=Beratung")

    assert [item["title"] for item in response.json()["items"]] == ["Fremdes Angebot", "Kunststoffberatung"]


def test_offer_detail_returns_offer(api_client, organization):
    offer = organization.offers.get()

    response = api_client.get(f"/api/v1/offers/{offer.pk}")

    assert response.json() == {
        "id": offer.pk,
        "organization": "polymer-netz",
        "title": "Kunststoffberatung",
        "title_en": None,
        "description": "Beratung für kleine und mittlere Unternehmen.",
        "description_en": None,
        "kind": "advice",
        "topics": ["kunststoffe"],
        "position": offer.position,
    }


def test_offer_detail_is_404_for_unpublished_organization_or_unknown_id(api_client, unpublished):
    hidden = unpublished.offers.get()

    assert api_client.get(f"/api/v1/offers/{hidden.pk}").json() == problem_404(
        f"/api/v1/offers/{hidden.pk}", f"There is no offer {hidden.pk}."
    )
    assert api_client.get("/api/v1/offers/999999").status_code == 404
