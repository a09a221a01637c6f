"""The `crosscluster route` command and POST /api/v1/route (fake encoder)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from crosscluster.routing.services import TEXT_MAX_LENGTH

NEED = "Exportdokumente und Ursprungszeugnisse für die Ausfuhr"


def route(*args):
    out = io.StringIO()
    call_command("route", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- command ---------------------------------------------------------------------------------------------


def test_route_command_prints_a_ranked_table_with_reasons(directory):
    output = route(NEED, "--top", "2")

    lines = output.splitlines()
    assert lines[0].startswith("1. Kammer für Außenhandel (aussenhandel)  ")
    assert "     - Angebot „Exportdokumente“" in lines  # the site language, German
    assert sum(line[0].isdigit() for line in lines if line) == 2


def test_route_command_json_has_the_results_in_rank_order(directory):
    payload = json.loads(route(NEED, "--json", "--top", "3", "--region", "thueringen"))

    assert set(payload) == {"confident", "degraded", "results"}
    assert payload["confident"] is True
    assert [set(item) for item in payload["results"]] == [{"organization", "score", "fit", "reasons"}] * 3
    assert payload["results"][0]["organization"] == "aussenhandel"
    scores = [item["score"] for item in payload["results"]]
    assert scores == sorted(scores, reverse=True)


def test_route_command_batch_writes_one_json_line_per_input_line(directory, tmp_path):
    path = tmp_path / "needs.jsonl"
    lines = [
        {"id": "a", "text": NEED, "expected": ["aussenhandel"]},
        {"id": "b", "text": "Solaranlage auf dem Hallendach"},
    ]
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    path.write_text(text, encoding="utf-8")

    output = route("--batch", str(path), "--top", "2")

    results = [json.loads(line) for line in output.splitlines()]
    assert [result["id"] for result in results] == ["a", "b"]
    assert results[0]["results"][0]["organization"] == "aussenhandel"
    assert results[1]["results"][0]["organization"] == "energieagentur"
    assert all(len(result["results"]) == 2 for result in results)
    assert set(results[0]["results"][0]) == {"organization", "score", "fit", "reasons"}


def test_route_command_batch_reports_a_bad_line(directory, tmp_path):
    path = tmp_path / "needs.jsonl"
    path.write_text('{"id": "a", "text": "Solar"}\nnot json\n', encoding="utf-8")

    with pytest.raises(CommandError, match="line 2"):
        route("--batch", str(path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Solar", "--region", "bayern"), "unknown region 'bayern'"),
        (("Solar", "--top", "0"), "--top must be between 1 and 20"),
        ((), "give the TEXT"),
    ],
)
def test_route_command_refuses_bad_arguments(directory, args, message):
    with pytest.raises(CommandError, match=message):
        route(*args)


# --- API -------------------------------------------------------------------------------------------------


@pytest.fixture
def api_client():
    return Client(headers={"Accept-Language": "en"})


def post(client, body):
    return client.post("/api/v1/route", data=json.dumps(body), content_type="application/json")


def test_route_endpoint_returns_confidence_and_ranked_results(api_client, directory):
    response = post(api_client, {"text": NEED, "region": "thueringen", "top": 2})

    assert response.status_code == 200
    payload = response.json()
    assert set(payload) == {"confident", "results"}
    assert payload["confident"] is True
    assert payload["results"][0]["organization"] == "aussenhandel"
    assert len(payload["results"]) == 2
    first = payload["results"][0]
    assert set(first) == {"organization", "score", "reasons"}
    assert isinstance(first["score"], float)
    assert "Offer “Exportdokumente”" in first["reasons"]


def test_route_endpoint_defaults_to_five_results_of_every_region(api_client, directory):
    response = post(api_client, {"text": NEED})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def test_route_endpoint_answers_in_the_clients_language(directory):
    response = post(Client(headers={"Accept-Language": "de"}), {"text": NEED, "top": 1})

    assert "Angebot „Exportdokumente“" in response.json()["results"][0]["reasons"]


def test_route_endpoint_unknown_region_is_a_404_problem(api_client, directory):
    response = post(api_client, {"text": NEED, "region": "bayern"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is no region “bayern”.",
        "instance": "/api/v1/route",
    }


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"text": ""}, "text", "string_too_short"),
        ({"text": "   "}, "text", "blank"),
        ({"text": "x" * (TEXT_MAX_LENGTH + 1)}, "text", "string_too_long"),
        ({"text": NEED, "top": 0}, "top", "greater_than_equal"),
        ({"text": NEED, "top": 21}, "top", "less_than_equal"),
        ({"text": NEED, "region": "Bad Slug!"}, "region", "string_pattern_mismatch"),
        ({"text": NEED, "limit": 3}, "limit", "extra_forbidden"),
        ({}, "text", "missing"),
    ],
)
def test_route_endpoint_validation_errors_are_422_problems(api_client, directory, body, field, code):
    response = post(api_client, body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Unprocessable Content"
    assert [(error["location"], error["field"], error["code"]) for error in problem["errors"]] == [
        ("body", field, code)
    ]


def test_route_endpoint_accepts_the_longest_text(api_client, directory):
    response = post(api_client, {"text": ("Solar " * 1000)[:TEXT_MAX_LENGTH], "top": 1})

    assert response.status_code == 200
