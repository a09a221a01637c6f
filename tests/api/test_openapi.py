"""The OpenAPI schema is the API's contract: a change to it shows up as a diff of tests/api/openapi.json."""

import io
import json
import re
from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).parent / "openapi.json"


def exported_schema() -> str:
    out = io.StringIO()
    call_command("export-openapi", stdout=out)
    return out.getvalue()


def test_openapi_schema_matches_the_snapshot(db):
    generated = json.loads(exported_schema())
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))

    assert generated == stored, (
        "The API's OpenAPI schema changed: run `make openapi-snapshot` and review the diff."
    )


def test_openapi_schema_is_served_as_exported(client, db):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads(exported_schema())


def test_openapi_operations_have_explicit_ids_and_tags(db):
    schema = json.loads(exported_schema())
    operations = [op for path in schema["paths"].values() for op in path.values()]

    ids = sorted(op["operationId"] for op in operations)
    assert ids == [
        "createContact",
        "createCooperationProfile",
        "createOffer",
        "createVideo",
        "deleteContact",
        "deleteOffer",
        "deleteVideo",
        "exportEventsIcal",
        "getCooperationProfile",
        "getEvent",
        "getHsdsOrganization",
        "getNotice",
        "getOffer",
        "getOrganization",
        "getRegion",
        "getTopic",
        "listCooperationProfileMatches",
        "listCooperationProfiles",
        "listEvents",
        "listHsdsOrganizations",
        "listNotices",
        "listOffers",
        "listOrganizations",
        "listRegions",
        "listTopics",
        "routeInquiry",
        "search",
        "updateContact",
        "updateCooperationProfile",
        "updateOffer",
        "updateOrganization",
        "updateVideo",
    ]
    assert all(len(op["tags"]) == 1 for op in operations)
    writes = [op for op in operations if re.match("create|update|delete", op["operationId"])]
    assert all(op["security"] == [{"BearerToken": []}] for op in writes)
    assert all("security" not in op for op in operations if op not in writes)


def test_openapi_errors_are_documented_as_problems(db):
    schema = json.loads(exported_schema())

    for path in schema["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]


def test_docs_page_is_served(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
