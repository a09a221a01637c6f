"""No state change and no mail is lost when the mail server fails, and none is sent twice once it is back."""

import io
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone

from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.inquiries import services
from crosscluster.inquiries.models import Inquiry

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses everything."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available")


def create(region, **fields) -> tuple[Inquiry, str]:
    values = {
        "region": region,
        "text": "Wir suchen Beratung.",
        "company_name": "Muster GmbH",
        "contact_name": "Max Mustermann",
        "email": "max@muster.example",
        "consent": True,
    }
    return services.create_inquiry(**(values | fields))


def send_mail_command() -> str:
    output = io.StringIO()
    call_command("send-mail", stdout=output)
    return output.getvalue()


@pytest.fixture
def failing_server(settings):
    settings.EMAIL_BACKEND = "tests.inquiries.test_mail_delivery.FailingBackend"


def test_mail_delivery_keeps_every_change_and_every_mail_while_the_server_fails(
    settings, failing_server, django_capture_on_commit_callbacks, region, organization, manager, coordinator
):
    # Every step commits on its own and triggers delivery after its commit, as in production.
    with django_capture_on_commit_callbacks(execute=True):
        inquiry, _token = create(region)
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_inquiry(inquiry, organization, actor=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_inquiry(inquiry, actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve_inquiry(inquiry, actor=manager)

    inquiry.refresh_from_db()
    assert inquiry.state == Inquiry.State.RESOLVED
    assert inquiry.organization == organization
    assert list(
        AuditLogEntry.objects.filter(object_type="inquiries.inquiry", object_id=str(inquiry.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["inquiry.submitted", "inquiry.assigned", "inquiry.accepted", "inquiry.resolved"]
    queued = list(OutgoingMail.objects.order_by("id"))
    assert [(m.to, m.subject) for m in queued] == [
        ("max@muster.example", f"Ihre Anfrage {inquiry.reference} ist eingegangen"),
        ("koordination@example.org", f"Neue Anfrage {inquiry.reference} für die Koordinierungsstelle"),
        ("manager@example.org", f"Neue Anfrage {inquiry.reference} für PolymerNetz Thüringen"),
        ("max@muster.example", f"Ihre Anfrage {inquiry.reference}: Angenommen"),
        ("max@muster.example", f"Ihre Anfrage {inquiry.reference}: Erledigt"),
    ]
    for queued_mail in queued:
        assert queued_mail.sent_at is None
        assert queued_mail.attempts == 1
        assert queued_mail.last_error == "SMTPException: 421 Service not available"
        assert queued_mail.next_attempt_at > timezone.now()
    assert mail.outbox == []

    # The server is back; the retries wait for their back-off, then each mail goes out exactly once.
    settings.EMAIL_BACKEND = LOCMEM
    assert send_mail_command() == "send-mail: 0 sent, 0 failed (kept for a retry)\n"
    OutgoingMail.objects.update(next_attempt_at=timezone.now() - timezone.timedelta(seconds=1))
    assert send_mail_command() == "send-mail: 5 sent, 0 failed (kept for a retry)\n"
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == sorted((m.to, m.subject) for m in queued)
    assert send_mail_command() == "send-mail: 0 sent, 0 failed (kept for a retry)\n"
    assert len(mail.outbox) == 5
    assert set(OutgoingMail.objects.values_list("attempts", "last_error")) == {(2, "")}
    assert not OutgoingMail.objects.filter(sent_at__isnull=True).exists()


def test_mail_delivery_sends_at_once_when_the_server_works(
    django_capture_on_commit_callbacks, region, organization, manager
):
    with django_capture_on_commit_callbacks(execute=True):
        create(region, organization=organization)

    assert sorted(message.to[0] for message in mail.outbox) == ["manager@example.org", "max@muster.example"]
    assert send_mail_command() == "send-mail: 0 sent, 0 failed (kept for a retry)\n"
    assert len(mail.outbox) == 2


def test_mail_delivery_of_a_withdrawn_inquiry_keeps_only_the_notice(
    failing_server, settings, django_capture_on_commit_callbacks, region, organization, manager
):
    with django_capture_on_commit_callbacks(execute=True):
        inquiry, _token = create(region, organization=organization)
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_inquiry(inquiry)

    settings.EMAIL_BACKEND = LOCMEM
    OutgoingMail.objects.update(next_attempt_at=None)
    send_mail_command()
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["manager@example.org"], f"Anfrage {inquiry.reference} von der Firma zurückgezogen")
    ]


def test_mail_delivery_dry_run_counts_the_waiting_mails(failing_server, region, coordinator):
    create(region)
    assert call_command_output("send-mail", "--dry-run") == "send-mail: 2 mail(s) waiting\n"


def call_command_output(*args) -> str:
    output = io.StringIO()
    call_command(*args, stdout=output)
    return output.getvalue()


# The admin's "retry now"


def test_mail_delivery_admin_retry_now_sends_the_chosen_mails(
    client, admin_user, failing_server, settings, django_capture_on_commit_callbacks, region
):
    with django_capture_on_commit_callbacks(execute=True):
        create(region)
    settings.EMAIL_BACKEND = LOCMEM
    chosen = OutgoingMail.objects.get(to="max@muster.example")
    client.force_login(admin_user)

    response = client.post(
        "/admin/core/outgoingmail/", {"action": "retry_now", "_selected_action": [chosen.pk]}, follow=True
    )

    chosen.refresh_from_db()
    assert response.status_code == 200
    assert chosen.sent_at is not None
    assert [message.to for message in mail.outbox] == [["max@muster.example"]]
    assert "1 gesendet, 0 fehlgeschlagen" in response.content.decode()


def test_mail_delivery_admin_is_read_only(client, admin_user, region):
    create(region)
    client.force_login(admin_user)
    queued = OutgoingMail.objects.first()
    assert client.get("/admin/core/outgoingmail/").status_code == 200
    assert client.get(f"/admin/core/outgoingmail/{queued.pk}/change/").status_code == 200
    assert client.get("/admin/core/outgoingmail/add/").status_code == 403
    assert client.post(f"/admin/core/outgoingmail/{queued.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutgoingMail.objects.filter(pk=queued.pk).exists()
