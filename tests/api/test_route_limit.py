"""POST /api/v1/route is public and costs CPU: each client may ask a limited number of times per window."""

import json
from dataclasses import dataclass, field

import pytest

from crosscluster.api import routing as route_endpoint
from crosscluster.inquiries import views as inquiry_views
from crosscluster.inquiries.forms import COORDINATION

URL = "/api/v1/route"


@dataclass
class Answer:
    confident: bool = False
    results: list = field(default_factory=list)


@pytest.fixture
def engine(monkeypatch):
    """Counts the queries that reach the routing engine (the expensive part)."""
    calls = []

    def suggest(text, *, region, top):
        calls.append(text)
        return Answer()

    monkeypatch.setattr(route_endpoint.services, "suggest", suggest)
    monkeypatch.setattr(inquiry_views, "routing_suggest", suggest)
    return calls


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.ROUTING_LIMIT_PER_CLIENT = 2
    settings.ROUTING_LIMIT_WINDOW_SECONDS = 600


def ask(api_client, address="203.0.113.20", text="Wir suchen Beratung."):
    return api_client.post(
        URL, data=json.dumps({"text": text}), content_type="application/json", REMOTE_ADDR=address
    )


def test_route_limit_answers_429_problem_with_retry_after(api_client, engine, db):
    assert [ask(api_client).status_code for _ in range(2)] == [200, 200]

    refused = ask(api_client)

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "600"
    assert refused.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Too many routing queries from your address. Please wait 600 seconds.",
        "instance": URL,
    }
    assert len(engine) == 2  # the refused query cost nothing


def test_route_limit_is_per_client(api_client, engine, db):
    for _ in range(2):
        ask(api_client, address="203.0.113.20")

    assert ask(api_client, address="203.0.113.21").status_code == 200
    assert ask(api_client, address="203.0.113.20").status_code == 429


def test_route_limit_does_not_count_invalid_requests(api_client, engine, db):
    for _ in range(3):
        assert ask(api_client, text=" ").status_code == 422

    assert ask(api_client).status_code == 200


def test_route_limit_is_shared_with_the_inquiry_forms_suggestions(
    client, api_client, engine, region, settings
):
    """The form's "find who fits" asks the engine too; over the limit it suggests nobody but still works."""
    values = {
        "text": "Wir suchen Beratung.",
        "company_name": "Muster GmbH",
        "contact_name": "Max Mustermann",
        "email": "max@muster.example",
        "consent": "on",
        "step": "suggest",
    }
    for _ in range(2):
        ask(api_client, address="127.0.0.1")

    response = client.post("/anfrage/", values)  # the test client's address

    assert response.status_code == 200
    assert [recipient.value for recipient in response.context["recipients"]] == [COORDINATION]
    assert len(engine) == 2
    assert ask(api_client, address="127.0.0.1").status_code == 429


def test_route_limit_message_in_german(client, engine, db):
    for _ in range(2):
        client.post(URL, data=json.dumps({"text": "Beratung"}), content_type="application/json")

    refused = client.post(URL, data=json.dumps({"text": "Beratung"}), content_type="application/json")

    assert refused.json()["detail"] == (
        "Zu viele Routing-Anfragen von Ihrer Adresse. Bitte warten Sie 600 Sekunden."
    )
