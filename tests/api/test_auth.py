"""Bearer tokens: which keys are accepted, what a refusal says, and how often use is recorded."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from crosscluster.accounts.models import ApiToken

PATH = "/api/v1/organizations/polymer-netz"


def patch(client, headers: dict[str, str]):
    return client.patch(
        PATH, data=json.dumps({"city": "Jena"}), content_type="application/json", headers=headers
    )


def test_token_of_a_manager_is_accepted_and_its_use_recorded(api_client, manager, organization):
    token, key = ApiToken.issue(manager, "CMS")

    response = patch(api_client, {"Authorization": f"Bearer {key}"})

    assert response.status_code == 200
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


@pytest.mark.parametrize(("seconds_ago", "recorded"), [(30, False), (61, True)])
def test_token_use_is_recorded_at_most_once_a_minute(
    api_client, manager, organization, seconds_ago, recorded
):
    token, key = ApiToken.issue(manager, "CMS")
    earlier = timezone.now() - timedelta(seconds=seconds_ago)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)

    patch(api_client, {"Authorization": f"Bearer {key}"})

    token.refresh_from_db()
    assert (token.last_used_at != earlier) is recorded


def test_token_of_an_inactive_user_is_refused(api_client, manager, organization):
    _token, key = ApiToken.issue(manager, "CMS")
    manager.is_active = False
    manager.save()

    response = patch(api_client, {"Authorization": f"Bearer {key}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "The API token is not valid.",
        "instance": PATH,
    }
    organization.refresh_from_db()
    assert organization.city == "Erfurt"


def test_deleted_token_is_refused(api_client, manager, organization):
    token, key = ApiToken.issue(manager, "CMS")
    token.delete()

    assert patch(api_client, {"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Token abc", "Basic bWFuYWdlckBleGFtcGxlLm9yZzpwdw=="],
    ids=["missing", "empty", "bearer-without-key", "other-scheme", "basic"],
)
def test_request_without_a_bearer_token_is_asked_for_one(api_client, organization, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = patch(api_client, headers)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthorized"


def test_logged_in_session_is_no_api_credential(api_client, manager, organization):
    api_client.force_login(manager)

    response = patch(api_client, {})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_reads_need_no_token_and_ignore_a_wrong_one(api_client, organization):
    response = api_client.get(PATH, headers={"Authorization": "Bearer falsch"})

    assert response.status_code == 200
