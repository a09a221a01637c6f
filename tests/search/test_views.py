"""The search page, its fragment, the suggestions for a need, the header box and the inquiry prefill."""

import pytest

from .conftest import organization

pytestmark = pytest.mark.django_db


def test_results_page_shows_groups_with_counts_and_links(client, world):
    html = client.get("/suche/", {"q": "Fördermittel"}).content.decode()
    assert '<h2 id="group-organization">Organisationen <span class="count">(1)</span></h2>' in html
    assert '<h2 id="group-event">Veranstaltungen <span class="count">(2)</span></h2>' in html
    assert "Digitalagentur Thüringen" in html
    assert "/hinweise/" in html
    assert "Geheimnetz" not in html
    assert "Did you mean" not in html and "Meinten Sie" not in html


def test_results_page_links_all_results_of_a_kind_when_there_are_more(client, world):
    html = client.get("/suche/", {"q": "Fördermittel"}).content.decode()
    assert "kind=event" not in html  # 2 events fit on the overview
    for number in range(6):
        organization(region=world["region"], slug=f"foerder-{number}", name=f"Fördermittelnetz {number}")
    html = client.get("/suche/", {"q": "Fördermittel"}).content.decode()
    assert "/suche/?q=F%C3%B6rdermittel&amp;kind=organization" in html


def test_kind_page_lists_one_kind_with_pages(client, world):
    for number in range(25):
        organization(region=world["region"], slug=f"foerder-{number}", name=f"Fördermittelnetz {number:02d}")
    response = client.get("/suche/", {"q": "Fördermittel", "kind": "organization"})
    html = response.content.decode()
    assert 'id="group-event"' not in html
    assert html.count('<li class="card">') == 20
    assert "Seite 1 von 2" in html
    html = client.get("/suche/", {"q": "Fördermittel", "kind": "organization", "page": "2"}).content.decode()
    assert html.count('<li class="card">') == 6


def test_results_page_suggests_the_known_spelling(client, world):
    html = client.get("/suche/", {"q": "Fördermitel"}).content.decode()
    assert '<a href="/suche/?q=F%C3%B6rdermittel">Fördermittel</a>' in html
    assert "Workshop Fördermittel für die Digitalisierung" in html


def test_results_fragment_for_htmx(client, world):
    response = client.get("/suche/", {"q": "Fördermittel"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="group-offer"' in html


def test_results_page_without_query_shows_the_form(client, db):
    response = client.get("/suche/")
    assert response.status_code == 200
    assert 'id="search-query"' in response.content.decode()


def test_results_page_refuses_a_too_long_query(client, db):
    response = client.get("/suche/", {"q": "Förder " * 40})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_results_page_offers_an_inquiry_for_a_need(client, world):
    query = "wir suchen Fördermittel für die Digitalisierung"
    html = client.get("/suche/", {"q": query}).content.decode()
    assert "/anfrage/?text=wir+suchen+F%C3%B6rdermittel+f%C3%BCr+die+Digitalisierung" in html
    assert 'data-suggestions-src="/suche/vorschlaege/?q=wir+suchen' in html


def test_results_page_of_keywords_skips_routing(client, world, django_assert_num_queries):
    client.get("/suche/", {"q": "Fördermittel"})  # builds the index
    # Topics (synonyms), the vocabulary; per kind the ranking and the rows shown, for organisations and
    # offers also their vectors (the best organisations' offers, then their vectors by id); cooperation
    # profiles have only their ranking, as none matches. The routing engine is not asked.
    with django_assert_num_queries(14):
        html = client.get("/suche/", {"q": "Fördermittel"}).content.decode()
    assert "data-suggestions-src" not in html


def test_suggestions_fragment_lists_organisations_from_routing(client, world):
    response = client.get(
        "/suche/vorschlaege/", {"q": "Fördermittel für die Digitalisierung"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "/organisationen/digitalagentur/" in html
    assert "geheim" not in html


def test_suggestions_page_works_without_javascript(client, world):
    html = client.get("/suche/vorschlaege/", {"q": "Fördermittel für die Digitalisierung"}).content.decode()
    assert "<html" in html
    assert "/anfrage/?text=" in html


def test_header_search_box_points_at_the_search(client, world):
    html = client.get("/veranstaltungen/").content.decode()
    assert 'action="/suche/"' in html
    assert '<label class="visually-hidden" for="site-search">Suche</label>' in html


def test_inquiry_form_is_prefilled_from_the_search(client, world):
    html = client.get("/anfrage/", {"text": "Wir suchen Fördermittel"}).content.decode()
    assert 'id="id_text">\nWir suchen Fördermittel</textarea>' in html


@pytest.mark.parametrize("role", ["anonymous", "manager of the hidden organisation", "office", "outsider"])
def test_results_page_shows_only_published_content_whatever_the_role(client, world, role):
    """The search is public: managing an unpublished organisation or being the office shows nothing more."""
    from tests.factories import MembershipFactory, UserFactory

    if role != "anonymous":
        user = UserFactory(email="person@example.org", is_coordinator=role == "office")
        if role.startswith("manager"):
            MembershipFactory(user=user, organization=world["hidden"])
        client.force_login(user)
    html = client.get("/suche/", {"q": "geheim"}).content.decode()
    for hidden in [
        "Geheimnetz",
        "Geheime Fördermittelberatung",
        "Fördermittel geheim",
        "Fördermittel intern",
    ]:
        assert hidden not in html
    assert "Nichts gefunden" in html


def test_results_page_shows_past_events_only_on_request(client, world):
    html = client.get("/suche/", {"q": "Fördermittel"}).content.decode()
    assert "Rückblick Fördermittel" not in html
    link = '<a href="/suche/?q=F%C3%B6rdermittel&amp;past=1">Vergangene Veranstaltungen einbeziehen</a>'
    assert link in html
    html = client.get("/suche/", {"q": "Fördermittel", "past": "1"}).content.decode()
    assert "Rückblick Fördermittel" in html
    assert '<a href="/suche/?q=F%C3%B6rdermittel">Nur kommende Veranstaltungen</a>' in html
