"""Every error is an RFC 7807 problem object, whatever raised it."""

import json

import pytest

from .conftest import bearer

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def test_missing_token_is_a_401_problem_with_a_bearer_challenge(api_client, organization):
    response = api_client.delete(f"/api/v1/offers/{organization.offers.get().pk}")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Send an API token: Authorization: Bearer <key>.",
        "instance": f"/api/v1/offers/{organization.offers.get().pk}",
    }


def test_foreign_organization_is_a_403_problem(api_client, manager, other_organization):
    response = api_client.patch(
        "/api/v1/organizations/andere-org",
        data=json.dumps({"city": "Jena"}),
        content_type="application/json",
        headers=bearer(manager),
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "You do not manage this organisation.",
        "instance": "/api/v1/organizations/andere-org",
    }


@pytest.mark.parametrize("path", ["/api/v1/nichts", "/api/v1/", "/api/v1/organizations/"])
def test_unknown_path_is_a_404_problem(api_client, db, path):
    response = api_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no API endpoint at this path; the docs are at /api/v1/docs.",
        "instance": path,
    }


def test_unsupported_method_is_a_405_problem_listing_the_allowed_ones(api_client, organization):
    response = api_client.put("/api/v1/organizations/polymer-netz")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response["Allow"] == "GET, PATCH"
    assert response.json() == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "This endpoint allows only GET, PATCH.",
        "instance": "/api/v1/organizations/polymer-netz",
    }


def test_invalid_path_parameter_is_a_422_problem(api_client, db):
    response = api_client.get("/api/v1/offers/eins")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "path",
            "field": "offer_id",
            "detail": "Input should be a valid integer, unable to parse string as an integer",
            "code": "int_parsing",
        }
    ]


def test_crash_is_a_500_problem_and_is_logged(api_client, db, monkeypatch, caplog):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("crosscluster.api.regions.paginate", crash)

    response = api_client.get("/api/v1/regions")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong on our side; it has been logged.",
        "instance": "/api/v1/regions",
    }
    assert "boom" not in response.content.decode()
    record = next(r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR")
    assert record.exc_info[1].args == ("boom",)


@pytest.mark.parametrize(
    ("language", "detail"), [("de", "Bitte eine gültige Adresse eingeben."), ("en", "Enter a valid URL.")]
)
def test_messages_follow_accept_language(api_client, manager, organization, language, detail):
    response = api_client.patch(
        "/api/v1/organizations/polymer-netz",
        data=json.dumps({"website": "kein link"}),
        content_type="application/json",
        headers=bearer(manager) | {"Accept-Language": language},
    )

    assert response.json()["detail"] == detail
    assert set(response.json()) == PROBLEM_KEYS | {"errors"}


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("city=Er%00furt", "city", "nul_character"),
        ("q=F%00rderung", "q", "nul_character"),
        ("region=th%00ringen", "region", "string_pattern_mismatch"),
        ("topic=kunst stoffe", "topic", "string_pattern_mismatch"),
    ],
)
def test_filters_that_the_database_cannot_compare_are_refused(api_client, db, query, field, code):
    response = api_client.get(f"/api/v1/organizations?{query}")

    assert response.status_code == 422
    assert [(e["location"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("query", field, code)
    ]


def test_text_with_nul_characters_is_refused(api_client, manager, organization):
    response = api_client.patch(
        "/api/v1/organizations/polymer-netz",
        data=json.dumps({"name": "Polymer\x00Netz", "topics": ["kunst\x00stoffe"]}),
        content_type="application/json",
        headers=bearer(manager),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body",
            "field": "name",
            "detail": "Text must not contain NUL characters",
            "code": "nul_character",
        },
        {
            "location": "body",
            "field": "topics",
            "detail": "Text must not contain NUL characters",
            "code": "nul_character",
        },
    ]


def test_slug_that_cannot_exist_is_a_404_problem(api_client, db):
    response = api_client.get("/api/v1/organizations/polymer%00netz")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["/api/v1/nichts", "/api/v1/", "/api/v1/organizations/polymer-netz/x"])
def test_unknown_path_is_a_404_problem_for_every_method(api_client, db, method, path):
    """Not the site's HTML 403 page about a missing CSRF cookie (issue 12, point 4)."""
    client = type(api_client)(enforce_csrf_checks=True, headers={"Accept-Language": "en"})

    response = getattr(client, method)(path, data="{}", content_type="application/json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "There is no API endpoint at this path; the docs are at /api/v1/docs."


LISTS = ["/api/v1/regions", "/api/v1/topics", "/api/v1/organizations", "/api/v1/events", "/api/v1/notices"]


@pytest.mark.parametrize("path", LISTS)
def test_offsets_beyond_the_database_integer_are_refused(api_client, organization, path):
    largest = api_client.get(f"{path}?offset={2**63 - 1}")
    beyond = api_client.get(f"{path}?offset={2**63}")

    assert (largest.status_code, largest.json()["items"]) == (200, [])
    assert beyond.status_code == 422
    assert [(e["location"], e["field"], e["code"]) for e in beyond.json()["errors"]] == [
        ("query", "offset", "less_than_equal")
    ]


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events.ics"])
@pytest.mark.parametrize(
    "query",
    ["from=0001-01-01", "from=1899-12-31", "to=2201-01-01", "to=9999-12-31"],
)
def test_event_days_out_of_range_are_refused(api_client, db, path, query):
    response = api_client.get(f"{path}?{query}")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "query",
            "field": query.split("=")[0],
            "detail": "Enter a day between 01/01/1900 and 12/31/2200.",
            "code": "date_out_of_range",
        }
    ]


def test_a_body_over_the_limit_is_a_413_problem(api_client, db, settings):
    """Also anonymous, also for the routing endpoint, before anything reads the body."""
    body = json.dumps({"text": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = api_client.post("/api/v1/route", data=body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Content Too Large",
        "status": 413,
        "detail": "The request is larger than the 10.0\xa0MB this address accepts.",
        "instance": "/api/v1/route",
    }
