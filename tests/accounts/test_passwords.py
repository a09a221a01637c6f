import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crosscluster.accounts import throttling
from crosscluster.core.mail import deliver_pending
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.smtp import SMTPServer, use_smtp

NEW_PASSWORD = "Thüringer Klöße mit Rotkohl 2025"


@pytest.fixture
def ask_reset(client, django_capture_on_commit_callbacks):
    """Ask for a reset mail; the outbox sends it after the request's commit, as in production."""

    def ask(email: str, prefix: str = ""):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(prefix + reverse("accounts:password_reset"), {"email": email})

    return ask


def reset_link(message) -> str:
    match = re.search(r"http://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_mails_a_link_in_german(ask_reset, manager):
    response = ask_reset("MANAGER@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    (message,) = mail.outbox
    assert message.to == ["manager@example.org"]
    assert message.subject == "Neues Passwort für Crosscluster Thüringen"
    assert "3 Tage" in message.body
    assert reset_link(message).startswith("/konto/passwort/neu/")


def test_password_reset_mails_in_english_from_the_english_page(ask_reset, manager):
    ask_reset(manager.email, prefix="/en")

    (message,) = mail.outbox
    assert message.subject == "Set a new password for Crosscluster Thüringen"
    assert "The link works once and for 3 days." in message.body
    assert reset_link(message).startswith("/en/konto/passwort/neu/")


def test_password_reset_reveals_nothing_about_unknown_addresses(ask_reset, db):
    response = ask_reset("nobody@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_password_reset_reaches_a_new_manager_without_a_password(ask_reset, db):
    UserFactory(email="new@example.org", password=None)

    ask_reset("new@example.org")

    assert len(mail.outbox) == 1


def test_password_reset_mail_waits_in_the_outbox_while_the_mail_server_is_down(ask_reset, manager, settings):
    settings.EMAIL_BACKEND = "tests.core.test_mail.FailingBackend"

    response = ask_reset(manager.email)

    assert response.status_code == 302
    queued = OutgoingMail.objects.get()
    assert queued.to == manager.email and queued.topic == f"accounts.user:{manager.pk}"
    assert queued.sent_at is None and "451" in queued.last_error
    assert queued.subject == "Neues Passwort für Crosscluster Thüringen"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_pending(now=timezone.now() + timedelta(minutes=2)) == (1, 0)
    (message,) = mail.outbox
    assert reset_link(message).startswith("/konto/passwort/neu/")


def test_password_reset_answers_at_once_while_the_mail_server_hangs(
    client, manager, settings, django_capture_on_commit_callbacks
):
    """The request only queues the mail and its task; the worker talks to the server."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with SMTPServer(hold_data=True) as server:
        use_smtp(settings, server, timeout=5)
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:password_reset"), {"email": manager.email})
        took = time.monotonic() - started

    assert response.status_code == 302
    assert took < 2
    assert server.messages == []
    assert DBTaskResult.objects.get().task_path == "crosscluster.core.tasks.deliver_mail"
    assert OutgoingMail.objects.get().sent_at is None


def test_password_reset_flow_sets_the_password_and_audits_it(client, ask_reset, manager):
    ask_reset(manager.email)
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


def test_password_reset_rejects_a_weak_password_and_keeps_the_old_one(client, ask_reset, manager):
    ask_reset(manager.email)
    set_password_url = client.get(reset_link(mail.outbox[0]))["Location"]

    response = client.post(set_password_url, {"new_password1": "12345678", "new_password2": "12345678"})

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)
    assert not AuditLogEntry.objects.filter(action="accounts.password.reset").exists()


def test_password_reset_unlocks_a_throttled_address(client, ask_reset, manager, settings):
    settings.LOGIN_MAX_FAILURES = 2
    for _ in range(2):
        client.post(reverse("accounts:login"), {"username": manager.email, "password": "wrong"})
    assert throttling.seconds_locked(manager.email, "192.0.2.99") > 0

    ask_reset(manager.email)
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
