"""GET /api/v1/search: the grouped results of the search page as JSON, and problems for a bad `q`."""

import pytest

from tests.search.conftest import isolated_index, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index(settings):
    yield from isolated_index(settings)


@pytest.fixture
def world(db):
    return make_world()


def test_search_api_answers_groups_with_counts_and_items(api_client, world):
    response = api_client.get("/api/v1/search", {"q": "Fördermittel", "limit": 1})
    assert response.status_code == 200
    agency = world["agency"]
    offer = agency.offers.get()
    event = world["events"]["upcoming"]
    notice = world["notices"]["current"]
    assert response.json() == {
        "query": "Fördermittel",
        "suggestion": None,
        "corrections": [],
        "need": False,
        "inquiry_url": None,
        "groups": [
            {
                "kind": "organization",
                "label": "Organisations",
                "count": 1,
                "more_url": "http://testserver/suche/?q=F%C3%B6rdermittel&kind=organization",
                "items": [
                    {
                        "id": agency.pk,
                        "title": "Digitalagentur Thüringen",
                        "url": "http://testserver/organisationen/digitalagentur/",
                        "summary": "Fördermittelberatung für die Digitalisierung im Mittelstand.",
                        "organization": None,
                        "start": None,
                        "end": None,
                        "valid_from": None,
                        "pinned": None,
                    }
                ],
            },
            {
                "kind": "offer",
                "label": "Offers",
                "count": 1,
                "more_url": "http://testserver/suche/?q=F%C3%B6rdermittel&kind=offer",
                "items": [
                    {
                        "id": offer.pk,
                        "title": "Fördermittelberatung",
                        "url": "http://testserver/organisationen/digitalagentur/",
                        "summary": "Wir beraten zu Förderprogrammen für die Digitalisierung.",
                        "organization": "Digitalagentur Thüringen",
                        "start": None,
                        "end": None,
                        "valid_from": None,
                        "pinned": None,
                    }
                ],
            },
            {
                "kind": "event",
                "label": "Events",
                "count": 2,
                "more_url": "http://testserver/suche/?q=F%C3%B6rdermittel&kind=event",
                "items": [
                    {
                        "id": event.pk,
                        "title": "Workshop Fördermittel für die Digitalisierung",
                        "url": f"http://testserver/veranstaltungen/{event.pk}/",
                        "summary": "Vorträge und Austausch für Unternehmen.",
                        "organization": None,
                        "start": event.start.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                        "end": event.end.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                        "valid_from": None,
                        "pinned": None,
                    }
                ],
            },
            {
                "kind": "notice",
                "label": "Notices",
                "count": 1,
                "more_url": "http://testserver/suche/?q=F%C3%B6rdermittel&kind=notice",
                "items": [
                    {
                        "id": notice.pk,
                        "title": "Neue Fördermittel für die Digitalisierung",
                        "url": f"http://testserver/hinweise/{notice.slug}/",
                        "summary": "Das Land fördert Digitalisierungsprojekte kleiner Unternehmen.",
                        "organization": "Digitalagentur Thüringen",
                        "start": None,
                        "end": None,
                        "valid_from": notice.valid_from.isoformat(timespec="milliseconds").replace(
                            "+00:00", "Z"
                        ),
                        "pinned": False,
                    }
                ],
            },
            {
                "kind": "cooperation",
                "label": "Cooperation profiles",
                "count": 0,
                "more_url": "http://testserver/suche/?q=F%C3%B6rdermittel&kind=cooperation",
                "items": [],
            },
        ],
    }


def test_search_api_suggests_and_links_the_inquiry_for_a_need(api_client, world):
    body = api_client.get("/api/v1/search", {"q": "wir suchen Fördermitel für Digitalisierung"}).json()
    assert body["suggestion"] == "wir suchen Fördermittel für Digitalisierung"
    assert body["corrections"] == [{"typed": "Fördermitel", "known": "Fördermittel"}]
    assert body["need"] is True
    assert body["inquiry_url"].startswith("http://testserver/anfrage/?text=wir+suchen+F%C3%B6rdermitel")


def test_search_api_pages_one_kind(api_client, world):
    body = api_client.get(
        "/api/v1/search", {"q": "Fördermittel", "kind": "event", "limit": 2, "offset": 2, "past": "true"}
    ).json()
    assert [group["kind"] for group in body["groups"]] == ["event"]
    assert body["groups"][0]["count"] == 4
    assert body["groups"][0]["more_url"] == "http://testserver/suche/?q=F%C3%B6rdermittel&kind=event&past=1"
    titles = [item["title"] for item in body["groups"][0]["items"]]
    assert titles == ["Rückblick Fördermittel", "Alte Fördermittel-Messe"]


def test_search_api_never_lists_unpublished_content(api_client, world):
    body = api_client.get("/api/v1/search", {"q": "geheim", "limit": 50}).json()
    assert [group["count"] for group in body["groups"]] == [0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, "missing"), ({"q": ""}, "string_too_short"), ({"q": "x" * 201}, "string_too_long")],
)
def test_search_api_refuses_a_missing_or_too_long_query(api_client, db, params, code):
    response = api_client.get("/api/v1/search", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [(e["location"], e["field"], e["code"]) for e in body["errors"]] == [("query", "q", code)]


def test_search_api_refuses_an_unknown_kind(api_client, db):
    response = api_client.get("/api/v1/search", {"q": "Förderung", "kind": "video"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"
