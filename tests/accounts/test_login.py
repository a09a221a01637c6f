import logging

import pytest
from django.urls import reverse

from crosscluster.core.models import AuditLogEntry
from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGIN_URL = reverse("accounts:login")


def test_login_page_renders_labelled_fields(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_login_succeeds_with_email_in_any_case_and_writes_audit(client, manager):
    response = client.post(LOGIN_URL, {"username": "Manager@Example.ORG", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")
    assert client.session["_auth_user_id"] == str(manager.pk)
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("accounts.login", manager, str(manager.pk))


def test_login_through_the_admin_is_audited_too(client, admin_user):
    response = client.post(reverse("admin:login"), {"username": "Admin@Example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert AuditLogEntry.objects.get().action == "accounts.login"


def test_login_follows_safe_next_only(client, manager):
    target = reverse("manage:api-tokens")

    response = client.post(f"{LOGIN_URL}?next={target}", {"username": manager.email, "password": PASSWORD})
    assert response["Location"] == target

    client.logout()
    response = client.post(
        f"{LOGIN_URL}?next=https://evil.example.com/", {"username": manager.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("manage:dashboard")


def test_login_fails_with_wrong_password_keeps_email_and_logs_no_audit(client, manager, caplog):
    with caplog.at_level(logging.WARNING, logger="crosscluster.accounts.login"):
        response = client.post(LOGIN_URL, {"username": manager.email, "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    form = response.context["form"]
    assert [error.code for error in form.non_field_errors().as_data()] == ["invalid_login"]
    html = response.content.decode()
    assert 'value="manager@example.org"' in html
    assert 'value="wrong"' not in html
    assert 'role="alert"' in html
    assert not AuditLogEntry.objects.exists()
    assert "login failed" in caplog.text
    assert manager.email not in caplog.text  # only a pseudonym of the address is logged


def test_login_refuses_unknown_and_inactive_accounts_with_the_same_message(client, db):
    UserFactory(email="inactive@example.org", is_active=False)

    unknown = client.post(LOGIN_URL, {"username": "nobody@example.org", "password": PASSWORD})
    inactive = client.post(LOGIN_URL, {"username": "inactive@example.org", "password": PASSWORD})

    assert unknown.context["form"].non_field_errors() == inactive.context["form"].non_field_errors()


def test_login_redirects_a_logged_in_user_to_the_dashboard(client, manager):
    client.force_login(manager)

    response = client.get(LOGIN_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")


def test_logout_requires_post(client, manager):
    client.force_login(manager)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", ["manage:dashboard", "manage:api-tokens", "accounts:password_change"])
def test_login_required_pages_redirect_anonymous_to_login(client, db, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_login_page_is_available_in_english(client, db):
    response = client.get("/en" + LOGIN_URL)

    assert response.status_code == 200
    assert "<h1>Log in</h1>" in response.content.decode()
