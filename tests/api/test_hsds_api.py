"""GET /api/v1/hsds/organizations: the same objects as `export-directory --format hsds`, in HSDS's pages."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from crosscluster.directory.exports.hsds import export_hsds, hsds_id
from tests.factories import ContactFactory, OfferFactory, OrganizationFactory

URL = "/api/v1/hsds/organizations"


@pytest.fixture
def organizations(region):
    """Five published organisations (named so that their order is a-e) and one draft."""
    orgs = [
        OrganizationFactory(region=region, slug=f"org-{letter}", name=f"Netz {letter.upper()}")
        for letter in "edcba"
    ]
    for org in orgs:
        OfferFactory(organization=org)
        ContactFactory(organization=org)
    OrganizationFactory(region=region, slug="entwurf", name="Aaa Entwurf", published=False)
    return sorted(orgs, key=lambda org: org.name)


def test_hsds_api_list_serves_what_the_command_prints(api_client, organizations):
    out = StringIO()
    call_command("export-directory", "--format", "hsds", stdout=out)

    response = api_client.get(URL, {"per_page": 100})

    assert response.status_code == 200
    assert response.json() == {
        "total_items": 5,
        "total_pages": 1,
        "page_number": 1,
        "size": 5,
        "first_page": True,
        "last_page": True,
        "empty": False,
        "contents": json.loads(out.getvalue()),
    }


def test_hsds_api_list_pages(api_client, organizations):
    response = api_client.get(URL, {"page": 2, "per_page": 2})

    body = response.json()
    assert response.status_code == 200
    assert {key: value for key, value in body.items() if key != "contents"} == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 2,
        "size": 2,
        "first_page": False,
        "last_page": False,
        "empty": False,
    }
    assert [item["name"] for item in body["contents"]] == ["Netz C", "Netz D"]


def test_hsds_api_list_page_past_the_end_is_empty(api_client, organizations):
    response = api_client.get(URL, {"page": 4, "per_page": 2})

    assert response.status_code == 200
    assert response.json() == {
        "total_items": 5,
        "total_pages": 3,
        "page_number": 4,
        "size": 0,
        "first_page": False,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"per_page": 101}, "per_page", "less_than_equal"),
        ({"per_page": 0}, "per_page", "greater_than_equal"),
        ({"page": 0}, "page", "greater_than_equal"),
        ({"page": "eins"}, "page", "int_parsing"),
    ],
)
def test_hsds_api_list_refuses_bad_paging_as_a_problem(api_client, db, params, field, code):
    response = api_client.get(URL, params)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [(error["location"], error["field"], error["code"]) for error in body["errors"]] == [
        ("query", field, code)
    ]


def test_hsds_api_list_queries_do_not_grow_with_the_page(
    api_client, organizations, django_assert_num_queries
):
    # count, organisations with regions, offers, their topics, contacts, topics
    with django_assert_num_queries(6):
        response = api_client.get(URL, {"per_page": 100})

    assert response.json()["size"] == 5


def test_hsds_api_get_one_by_id(api_client, organizations):
    first = export_hsds()[0]

    response = api_client.get(f"{URL}/{first['id']}")

    assert response.status_code == 200
    assert response.json() == first


def test_hsds_api_get_unknown_or_draft_is_404_problem(api_client, organizations):
    draft_id = hsds_id("organization/thueringen/entwurf")

    response = api_client.get(f"{URL}/{draft_id}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"There is no organization with the id {draft_id}.",
        "instance": f"{URL}/{draft_id}",
    }


def test_hsds_api_get_refuses_an_id_that_is_no_uuid(api_client, db):
    response = api_client.get(f"{URL}/org-a")

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "path"


def test_hsds_api_answer_does_not_depend_on_the_language(api_client, organizations):
    english = api_client.get(URL).json()
    german = api_client.get(URL, headers={"Accept-Language": "de"}).json()

    assert english == german
    # In the site's default language even for an English client: the same object has one `uri`.
    assert english["contents"][0]["uri"].endswith("/organisationen/org-a/")
