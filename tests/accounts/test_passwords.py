import re

import pytest
from django.core import mail
from django.urls import reverse

from crosscluster.accounts import throttling
from crosscluster.core.models import AuditLogEntry
from tests.conftest import PASSWORD
from tests.factories import UserFactory

NEW_PASSWORD = "Thüringer Klöße mit Rotkohl 2025"


def reset_link(message) -> str:
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_mails_a_link_in_german(client, manager):
    response = client.post(reverse("accounts:password_reset"), {"email": "MANAGER@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["manager@example.org"]
    assert message.subject == "Neues Passwort für Crosscluster Thüringen"
    assert "3 Tage" in message.body
    assert reset_link(message).startswith("/konto/passwort/neu/")


def test_password_reset_mails_in_english_from_the_english_page(client, manager):
    client.post("/en" + reverse("accounts:password_reset"), {"email": manager.email})

    (message,) = mail.outbox
    assert message.subject == "Set a new password for Crosscluster Thüringen"
    assert "The link works once and for 3 days." in message.body
    assert reset_link(message).startswith("/en/konto/passwort/neu/")


def test_password_reset_reveals_nothing_about_unknown_addresses(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_reaches_a_new_manager_without_a_password(client, db):
    UserFactory(email="new@example.org", password=None)

    client.post(reverse("accounts:password_reset"), {"email": "new@example.org"})

    assert len(mail.outbox) == 1


def test_password_reset_flow_sets_the_password_and_audits_it(client, manager):
    client.post(reverse("accounts:password_reset"), {"email": manager.email})
    response = client.get(reset_link(mail.outbox[0]))
    assert response.status_code == 302  # Django moves the token from the URL into the session
    set_password_url = response["Location"]

    form_page = client.get(set_password_url)
    assert form_page.context["validlink"] is True
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    manager.refresh_from_db()
    assert manager.check_password(NEW_PASSWORD)
    entry = AuditLogEntry.objects.get(action="accounts.password.reset")
    assert entry.actor == manager
    assert client.get(reset_link(mail.outbox[0])).context["validlink"] is False  # used once only


def test_password_reset_rejects_a_weak_password_and_keeps_the_old_one(client, manager):
    client.post(reverse("accounts:password_reset"), {"email": manager.email})
    set_password_url = client.get(reset_link(mail.outbox[0]))["Location"]

    response = client.post(set_password_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert not AuditLogEntry.objects.filter(action="accounts.password.reset").exists()


def test_password_reset_unlocks_a_throttled_address(client, manager, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": manager.email, "password": "wrong"})
    assert throttling.seconds_locked(manager.email, "192.0.2.99") > 0

    client.post(reverse("accounts:password_reset"), {"email": manager.email})
    set_password_url = client.get(reset_link(mail.outbox[0]))["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert throttling.seconds_locked(manager.email, "192.0.2.99") == 0


def test_password_change_changes_and_audits(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("manage:dashboard")
    manager.refresh_from_db()
    assert manager.check_password(NEW_PASSWORD)
    assert AuditLogEntry.objects.get(action="accounts.password.changed").actor == manager
    # The session survives the change.
    assert client.get(reverse("manage:dashboard")).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            "old_password",
        ),
        (
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other"},
            "new_password2",
        ),
    ],
)
def test_password_change_errors_save_nothing(client, manager, data, field):
    client.force_login(manager)

    response = client.post(reverse("accounts:password_change"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert f'aria-describedby="id_{field}_error"' in html or f"id_{field}_helptext id_{field}_error" in html
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert not AuditLogEntry.objects.filter(action__startswith="accounts.password").exists()
