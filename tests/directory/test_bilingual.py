"""German and English directory texts: manager forms, public pages under /en/, the import format, search."""

import pytest
from django.urls import reverse

from crosscluster.directory.exporting import export_directory
from crosscluster.directory.importing import import_directory
from crosscluster.directory.models import Offer, Organization, Region, Topic
from crosscluster.routing.services import directory_passages
from tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def profile(organization, **changes):
    return {
        "name_de": organization.name_de,
        "kind": organization.kind,
        "city": organization.city,
        "website": organization.website,
        "summary_de": organization.summary_de,
        "description_de": organization.description_de,
        "topics": [topic.pk for topic in organization.topics.all()],
    } | changes


# Manager forms -----------------------------------------------------------------------------------------


def test_profile_form_shows_german_and_english_fields(manager_client, organization):
    html = manager_client.get(reverse("manage:organization-edit", kwargs={"slug": organization.slug})).content
    html = html.decode()

    for name in ("name_de", "name_en", "summary_de", "summary_en", "description_de", "description_en"):
        assert f'name="{name}"' in html
    assert "Name (Deutsch)" in html and "Name (Englisch)" in html
    form = manager_client.get(
        reverse("manage:organization-edit", kwargs={"slug": organization.slug})
    ).context["form"]
    assert (form.fields["name_de"].required, form.fields["name_en"].required) == (True, False)


def test_manager_saves_english_texts_beside_the_german_ones(manager_client, organization):
    url = reverse("manage:organization-edit", kwargs={"slug": organization.slug})

    response = manager_client.post(
        url, profile(organization, summary_en="A network for companies.", name_en="PolymerNet Thuringia")
    )

    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.name_de, organization.name_en) == ("PolymerNetz Thüringen", "PolymerNet Thuringia")
    assert organization.summary_en == "A network for companies."
    assert organization.summary_de == "Ein Netzwerk für Unternehmen in Thüringen."


def test_english_profile_page_edits_the_same_columns(manager_client, organization):
    """Under /en/ the form still saves German into the German column, English into the English one."""
    url = "/en" + reverse("manage:organization-edit", kwargs={"slug": organization.slug})

    manager_client.post(url, profile(organization, name_de="PolymerNetz", summary_en="A network."))

    organization.refresh_from_db()
    assert (organization.name_de, organization.name_en, organization.summary_en) == (
        "PolymerNetz",
        None,
        "A network.",
    )
    assert Organization.objects.get(name="PolymerNetz") == organization


def test_german_name_stays_required_english_optional(manager_client, organization):
    url = reverse("manage:organization-edit", kwargs={"slug": organization.slug})

    response = manager_client.post(url, profile(organization, name_de="", name_en="Only English"))

    assert list(response.context["form"].errors) == ["name_de"]


def test_offer_form_takes_both_languages(manager_client, organization, topic):
    url = reverse("manage:offer-create", kwargs={"slug": organization.slug})

    manager_client.post(
        url,
        {
            "title_de": "Recyclingberatung",
            "title_en": "Recycling advice",
            "description_de": "Für KMU.",
            "description_en": "For SMEs.",
            "kind": "advice",
            "topics": [topic.pk],
        },
    )

    offer = Offer.objects.get(title="Recyclingberatung")
    assert (offer.title_en, offer.description_de, offer.description_en) == (
        "Recycling advice",
        "Für KMU.",
        "For SMEs.",
    )


def test_topic_form_takes_an_english_introduction(client, coordinator, topic):
    client.force_login(coordinator)

    client.post(
        reverse("manage:topic-edit", kwargs={"slug": topic.slug}),
        {"introduction_de": "Alles zu Kunststoff.", "introduction_en": "All about plastics.", "synonyms": ""},
    )

    topic.refresh_from_db()
    assert (topic.introduction_de, topic.introduction_en) == ("Alles zu Kunststoff.", "All about plastics.")


# Public pages ------------------------------------------------------------------------------------------


def test_english_organisation_page_shows_english_and_marks_german_fallbacks(client, organization, topic):
    organization.summary_en = "A network for companies in Thuringia."
    organization.save()
    Topic.objects.filter(pk=topic.pk).update(name_en="Plastics and polymers")
    OfferFactory(organization=organization, title="Laborvermittlung", title_en="Lab brokerage")

    html = client.get("/en" + organization.get_absolute_url()).content.decode()

    assert '<h1 lang="de">PolymerNetz Thüringen</h1>' in html
    assert '<div class="lead"><p>A network for companies in Thuringia.</p></div>' in html
    assert "Ein Netzwerk für Unternehmen" not in html
    assert '<div class="prose" lang="de"><p>Wir vernetzen Unternehmen und Forschung.</p></div>' in html
    assert '<h3 class="card-title">Lab brokerage</h3>' in html
    assert '<h3 class="card-title" lang="de">Kunststoffberatung</h3>' in html
    assert ">Plastics and polymers</a>" in html


def test_german_organisation_page_shows_german_without_marks(client, organization):
    organization.summary_en = "A network for companies in Thuringia."
    organization.save()

    html = client.get(organization.get_absolute_url()).content.decode()

    assert "<h1>PolymerNetz Thüringen</h1>" in html
    assert '<div class="lead"><p>Ein Netzwerk für Unternehmen in Thüringen.</p></div>' in html
    assert "A network for companies" not in html
    assert ' lang="de"' not in html.split("<main", 1)[1]


def test_english_directory_lists_in_german_order_with_english_names(client, region):
    for slug, name, name_en in [("b", "Beta", "Aardvark Net"), ("a", "Alpha", ""), ("c", "Gamma", "")]:
        Organization.objects.create(region=region, slug=slug, name=name, name_en=name_en, kind="network")

    html = client.get("/en" + reverse("directory:list")).content.decode()

    assert html.index(">Alpha</a>") < html.index(">Aardvark Net</a>") < html.index(">Gamma</a>")


# The import format -------------------------------------------------------------------------------------


def bilingual_file() -> dict:
    return {
        "format": "crosscluster-directory/1",
        "region": {"slug": "thueringen", "name": "Thüringen"},
        "topics": [
            {"slug": "kunststoffe", "name": "Kunststoffe", "name_en": "Plastics"},
            {"slug": "logistik", "name": "Logistik", "introduction": "Alles zu Logistik."},
        ],
        "organizations": [
            {
                "slug": "polynet",
                "name": "PolyNet Thüringen",
                "name_en": "PolyNet Thuringia",
                "kind": "network",
                "summary": "Netzwerk Kunststoff.",
                "summary_en": "Plastics network.",
                "description": "Lange Beschreibung.",
                "topics": ["kunststoffe"],
                "offers": [
                    {
                        "title": "Werkstoffberatung",
                        "title_en": "Materials advice",
                        "description": "Für KMU.",
                        "description_en": "For SMEs.",
                        "kind": "advice",
                    },
                    {"title": "Kunststofftagung", "kind": "event"},
                ],
                "contacts": [],
                "videos": [],
            }
        ],
    }


def test_import_and_export_carry_both_languages_losslessly():
    data = bilingual_file()

    import_directory(data, actor=None)

    org = Organization.objects.get(slug="polynet")
    assert (org.name_de, org.name_en, org.summary_en, org.description_en) == (
        "PolyNet Thüringen",
        "PolyNet Thuringia",
        "Plastics network.",
        "",
    )
    assert Topic.objects.get(slug="kunststoffe").name_en == "Plastics"
    assert export_directory(Region.objects.get()) == data
    assert import_directory(data, actor=None).unchanged == ["polynet"]


def test_import_of_a_changed_english_text_changes_only_that():
    import_directory(bilingual_file(), actor=None)
    data = bilingual_file()
    data["organizations"][0]["summary_en"] = "A plastics network."
    data["organizations"][0]["offers"][1]["title_en"] = "Plastics conference"

    report = import_directory(data, actor=None)

    assert report.updated == ["polynet"]
    org = Organization.objects.get(slug="polynet")
    assert (org.summary_de, org.summary_en) == ("Netzwerk Kunststoff.", "A plastics network.")
    assert list(org.offers.values_list("title_de", "title_en")) == [
        ("Werkstoffberatung", "Materials advice"),
        ("Kunststofftagung", "Plastics conference"),
    ]


def test_a_file_without_english_keys_still_imports():
    data = bilingual_file()
    del data["organizations"][0]["name_en"], data["organizations"][0]["summary_en"]
    del data["topics"][0]["name_en"], data["organizations"][0]["offers"][0]["title_en"]

    import_directory(data, actor=None)

    org = Organization.objects.get(slug="polynet")
    assert (org.name_de, org.name_en or "", org.summary_en or "") == ("PolyNet Thüringen", "", "")


# Search and routing ------------------------------------------------------------------------------------


def test_search_finds_an_organisation_by_its_english_summary(client):
    import_directory(bilingual_file(), actor=None)

    german = client.get(reverse("search:results"), {"q": "network"}).content.decode()
    english = client.get("/en" + reverse("search:results"), {"q": "network"}).content.decode()

    assert ">PolyNet Thüringen</a>" in german
    assert ">PolyNet Thuringia</a>" in english


def test_routing_reads_german_plus_english_whatever_the_language(settings):
    import_directory(bilingual_file(), actor=None)
    from django.utils import translation

    with translation.override("en"):
        entries, passages = directory_passages()

    assert entries[0].name == "PolyNet Thüringen"
    texts = [passage.text for passage in passages]
    assert "Netzwerk Kunststoff.\nPlastics network." in texts
    assert any(
        text.startswith("Werkstoffberatung: Für KMU.") and "Materials advice" in text for text in texts
    )
    assert any(text.startswith("Kunststoffe (") and "Plastics" in text for text in texts)
