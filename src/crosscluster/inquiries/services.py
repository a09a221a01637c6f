"""The life cycle of an inquiry; every step is one audited function.

submitted (coordination office) → assigned (organisation) → accepted → resolved, or forwarded to another
organisation with a note, other organisations involved, handed back to the coordination office, or closed as
"no fit"; the company may withdraw and erase at any time. Mails are queued in the same transaction (outbox),
so a failing mail server never loses a state change.
"""

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crosscluster.core.mail import queue_mail
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.core.services import log_action
from crosscluster.core.types import Actor
from crosscluster.directory.access import is_coordinator
from crosscluster.directory.models import Organization, Region

from .access import is_responsible
from .deadlines import response_deadlines
from .models import Inquiry, hash_status_token

State = Inquiry.State


class InquiryError(Exception):
    """A step the inquiry's state does not allow; the message is translated and meant for the user."""


class AlreadySubmitted(Exception):
    """The form with this submission key was sent before: the inquiry is stored already (and mailed)."""

    def __init__(self, inquiry: Inquiry) -> None:
        super().__init__(f"already submitted as {inquiry.reference}")
        self.inquiry = inquiry


# Recipients -------------------------------------------------------------------------------------------


def manager_emails(organization: Organization) -> list[str]:
    return sorted(
        set(organization.memberships.filter(user__is_active=True).values_list("user__email", flat=True))
    )


def coordination_emails() -> list[str]:
    from crosscluster.accounts.models import User

    emails = set(User.objects.filter(is_active=True, is_coordinator=True).values_list("email", flat=True))
    if settings.COORDINATION_EMAIL:
        emails.add(settings.COORDINATION_EMAIL)
    return sorted(emails)


def _mail_topic(inquiry: Inquiry) -> str:
    return f"inquiries.inquiry:{inquiry.pk}"


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def status_url(inquiry: Inquiry, token: str) -> str:
    with translation.override(inquiry.language):
        return _absolute(reverse("inquiries:status", kwargs={"token": token}))


def _notify_staff(inquiry: Inquiry, template: str, recipients: Iterable[str], **context: Any) -> None:
    manage_url = _absolute(reverse("manage:inquiry", kwargs={"pk": inquiry.pk}))
    for email in recipients:
        queue_mail(
            email,
            template,
            {"inquiry": inquiry, "manage_url": manage_url, **context},
            topic=_mail_topic(inquiry),
        )


def _notify_organization(inquiry: Inquiry, organization: Organization, template: str, **context: Any) -> None:
    """To the organisation's managers; if it has none, the coordination office must act instead."""
    recipients = manager_emails(organization) or coordination_emails()
    _notify_staff(inquiry, template, recipients, organization=organization, **context)


def _notify_company(inquiry: Inquiry, template: str, **context: Any) -> None:
    if inquiry.erased_at or not inquiry.email:
        return
    queue_mail(
        inquiry.email,
        template,
        {"inquiry": inquiry, **context},
        language=inquiry.language,
        topic=_mail_topic(inquiry),
    )


# Guards -----------------------------------------------------------------------------------------------


def _require_state(inquiry: Inquiry, *states: str) -> None:
    if inquiry.state not in states:
        raise InquiryError(
            _("This step is not possible while the inquiry is “%(state)s”.")
            % {"state": inquiry.get_state_display()}
        )


def _require_responsible(actor: Actor, inquiry: Inquiry) -> None:
    if not is_responsible(actor, inquiry):
        raise PermissionDenied(_("This inquiry is not with your organisation."))


def _require_coordinator(actor: Actor) -> None:
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only the coordination office can do this."))


def _require_target(inquiry: Inquiry, organization: Organization) -> None:
    if not organization.published or organization.region_id != inquiry.region_id:
        raise InquiryError(_("Choose a published organisation of this region."))


def _log(
    inquiry: Inquiry, action: str, actor: Actor, organization: Organization | None = None, **data: Any
) -> AuditLogEntry:
    return log_action(
        f"inquiry.{action}",
        actor=actor,
        obj=inquiry,
        organization=organization or inquiry.organization,
        data={key: value for key, value in data.items() if value not in (None, "")},
    )


def _mark_responded(inquiry: Inquiry, now: dt.datetime) -> None:
    """The organisation the inquiry is with has reacted: its deadline is met."""
    if inquiry.first_response_at is None:
        inquiry.first_response_at = now
    inquiry.due_at = None
    inquiry.escalate_at = None


def _hand_to(inquiry: Inquiry, organization: Organization, now: dt.datetime) -> None:
    inquiry.organization = organization
    inquiry.state = State.ASSIGNED
    inquiry.assigned_at = now
    inquiry.due_at, inquiry.escalate_at = response_deadlines(now, inquiry.region.holiday_calendar)
    inquiry.reminded_at = None
    inquiry.escalated_at = None
    if inquiry.first_organization_id is None:
        inquiry.first_organization = organization
    inquiry.topics.add(*organization.topics.all())


# Steps ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_inquiry(
    *,
    region: Region,
    text: str,
    company_name: str,
    contact_name: str,
    email: str,
    consent: bool,
    phone: str = "",
    company_size: str = "",
    location: str = "",
    language: str = "de",
    organization: Organization | None = None,
    suggestions: Sequence[dict[str, Any]] = (),
    submission_key: str | None = None,
) -> tuple[Inquiry, str]:
    """Store the inquiry first, then queue the mails; returns it and the secret for its status link.

    `submission_key` makes the submission idempotent: a second call with the same key (the form posted
    twice) raises `AlreadySubmitted` and stores and mails nothing, also when both calls run at once (the
    key is unique in the database; the later insert fails and is recognised).
    """
    if not consent:
        raise InquiryError(_("Please agree to the privacy notice so that we may process your inquiry."))
    if submission_key:
        _refuse_repeated(submission_key)
    now = timezone.now()
    inquiry = Inquiry(
        region=region,
        text=text.strip(),
        company_name=company_name.strip(),
        contact_name=contact_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        company_size=company_size,
        location=location.strip(),
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        consent_version=settings.INQUIRY_CONSENT_VERSION,
        consent_given_at=now,
        suggestions=list(suggestions),
        submission_key=submission_key or None,
    )
    token = inquiry.new_status_token()
    try:
        with transaction.atomic():  # a savepoint: the failed insert of a repeated key leaves no trace
            inquiry.save()
    except IntegrityError:
        if submission_key:
            _refuse_repeated(submission_key)
        raise
    if organization is not None:
        _require_target(inquiry, organization)
        _hand_to(inquiry, organization, now)
        inquiry.save()
    _log(inquiry, "submitted", None, chosen=organization.slug if organization else "")
    _notify_company(inquiry, "inquiries/mail/confirmation", status_url=status_url(inquiry, token))
    if organization is not None:
        _notify_organization(inquiry, organization, "inquiries/mail/assigned")
    else:
        _notify_staff(inquiry, "inquiries/mail/for_coordination", coordination_emails())
    return inquiry, token


def _refuse_repeated(submission_key: str) -> None:
    stored = Inquiry.objects.filter(submission_key=submission_key).first()
    if stored is not None:
        raise AlreadySubmitted(stored)


@transaction.atomic
def assign_inquiry(inquiry: Inquiry, organization: Organization, *, actor: Actor, note: str = "") -> Inquiry:
    """The coordination office sends the inquiry to an organisation (or to another one)."""
    _require_coordinator(actor)
    _require_state(inquiry, *Inquiry.OPEN_STATES)
    _require_target(inquiry, organization)
    if organization.pk == inquiry.organization_id:
        raise InquiryError(_("The inquiry is already with this organisation."))
    previous = inquiry.organization
    _hand_to(inquiry, organization, timezone.now())
    inquiry.save()
    _log(inquiry, "assigned", actor, organization, to=organization.slug, note=note.strip())
    _notify_organization(inquiry, organization, "inquiries/mail/assigned", note=note.strip())
    if previous is not None:
        _log(inquiry, "reassigned_away", actor, previous, to=organization.slug)
    return inquiry


@transaction.atomic
def accept_inquiry(inquiry: Inquiry, *, actor: Actor) -> Inquiry:
    _require_responsible(actor, inquiry)
    _require_state(inquiry, State.ASSIGNED)
    inquiry.state = State.ACCEPTED
    _mark_responded(inquiry, timezone.now())
    inquiry.save()
    _log(inquiry, "accepted", actor)
    _notify_company(inquiry, "inquiries/mail/status_changed")
    return inquiry


@transaction.atomic
def forward_inquiry(inquiry: Inquiry, organization: Organization, *, actor: Actor, note: str) -> Inquiry:
    """Pass the inquiry on with a note; the receiver sees the whole history."""
    _require_responsible(actor, inquiry)
    _require_state(inquiry, State.ASSIGNED, State.ACCEPTED)
    _require_target(inquiry, organization)
    if not note.strip():
        raise InquiryError(_("Tell the receiving organisation in a note why you forward the inquiry."))
    if organization.pk == inquiry.organization_id:
        raise InquiryError(_("The inquiry is already with this organisation."))
    previous = inquiry.organization
    now = timezone.now()
    _mark_responded(inquiry, now)
    _hand_to(inquiry, organization, now)
    inquiry.save()
    _log(inquiry, "forwarded", actor, previous, to=organization.slug, note=note.strip())
    _log(inquiry, "received", actor, organization, **{"from": previous.slug if previous else ""})
    _notify_organization(
        inquiry, organization, "inquiries/mail/forwarded", note=note.strip(), sender=previous
    )
    _notify_company(inquiry, "inquiries/mail/status_changed")
    return inquiry


@transaction.atomic
def involve_organization(
    inquiry: Inquiry, organization: Organization, *, actor: Actor, note: str = ""
) -> Inquiry:
    """Bring another organisation in while keeping the responsibility."""
    _require_responsible(actor, inquiry)
    _require_state(inquiry, *Inquiry.OPEN_STATES)
    _require_target(inquiry, organization)
    if organization.pk == inquiry.organization_id or inquiry.involved.filter(pk=organization.pk).exists():
        raise InquiryError(_("This organisation is already working on the inquiry."))
    inquiry.involved.add(organization)
    inquiry.topics.add(*organization.topics.all())
    _log(inquiry, "involved", actor, organization, to=organization.slug, note=note.strip())
    _notify_organization(inquiry, organization, "inquiries/mail/involved", note=note.strip())
    return inquiry


@transaction.atomic
def hand_back_inquiry(inquiry: Inquiry, *, actor: Actor, note: str) -> Inquiry:
    """The organisation does not fit and does not know who does: the coordination office decides."""
    _require_responsible(actor, inquiry)
    _require_state(inquiry, State.ASSIGNED, State.ACCEPTED)
    if not note.strip():
        raise InquiryError(_("Tell the coordination office in a note why you hand the inquiry back."))
    previous = inquiry.organization
    _mark_responded(inquiry, timezone.now())
    inquiry.state = State.SUBMITTED
    inquiry.organization = None
    inquiry.save()
    _log(inquiry, "handed_back", actor, previous, note=note.strip())
    _notify_staff(inquiry, "inquiries/mail/for_coordination", coordination_emails(), note=note.strip())
    return inquiry


@transaction.atomic
def resolve_inquiry(inquiry: Inquiry, *, actor: Actor, note: str = "") -> Inquiry:
    _require_responsible(actor, inquiry)
    _require_state(inquiry, State.ASSIGNED, State.ACCEPTED)
    now = timezone.now()
    _mark_responded(inquiry, now)
    inquiry.state = State.RESOLVED
    inquiry.resolved_by = inquiry.organization
    inquiry.closed_at = now
    inquiry.save()
    _log(inquiry, "resolved", actor, note=note.strip())
    _notify_company(inquiry, "inquiries/mail/status_changed")
    if inquiry.organization is not None:
        _learn(inquiry)
    return inquiry


@transaction.atomic
def close_no_fit(inquiry: Inquiry, *, actor: Actor, note: str) -> Inquiry:
    """Nobody in the initiative can help: the coordination office closes it and tells the company."""
    _require_coordinator(actor)
    _require_state(inquiry, *Inquiry.OPEN_STATES)
    if not note.strip():
        raise InquiryError(_("Explain to the company in a note why nobody fits."))
    now = timezone.now()
    _mark_responded(inquiry, now)
    inquiry.state = State.NO_FIT
    inquiry.closed_at = now
    inquiry.save()
    _log(inquiry, "closed_no_fit", actor, note=note.strip())
    _notify_company(inquiry, "inquiries/mail/status_changed", note=note.strip())
    return inquiry


def _learn(inquiry: Inquiry) -> None:
    """A resolved inquiry is evidence for the organisation that handled it (see crosscluster.routing)."""
    if not getattr(settings, "ROUTING_LEARN_FROM_HISTORY", False) or not apps.is_installed(
        "crosscluster.routing"
    ):
        return
    from crosscluster.routing.services import record_evidence

    organization, text, source_id = inquiry.organization, inquiry.text, str(inquiry.pk)
    assert organization is not None, "only an inquiry an organisation handled is evidence"
    transaction.on_commit(lambda: record_evidence(organization, text, source="inquiry", source_id=source_id))


# The company's own steps ------------------------------------------------------------------------------


def inquiry_for_token(token: str) -> Inquiry | None:
    if not token:
        return None
    return Inquiry.objects.filter(status_token_hash=hash_status_token(token), erased_at__isnull=True).first()


@transaction.atomic
def withdraw_inquiry(inquiry: Inquiry) -> Inquiry:
    """The company takes its inquiry back: it is closed and its personal data erased at once.

    The organisation is told after the erasure: erasing deletes the inquiry's queued mails, and the notice
    then carries no personal data.
    """
    notify = inquiry.is_open and inquiry.organization is not None
    if inquiry.is_open:
        inquiry.state = State.WITHDRAWN
        inquiry.closed_at = timezone.now()
        inquiry.due_at = inquiry.escalate_at = None
        inquiry.save()
        _log(inquiry, "withdrawn", None)
    erase_personal_data(inquiry, reason="withdrawn")
    if notify:
        assert inquiry.organization is not None, "`notify` is set only when an organisation has it"
        _notify_organization(inquiry, inquiry.organization, "inquiries/mail/withdrawn")
    return inquiry


@transaction.atomic
def erase_personal_data(inquiry: Inquiry, *, reason: str, actor: Actor = None) -> Inquiry:
    """Remove everything that identifies the company; state, organisations, topics and times stay for the
    statistics. Notes in the history and queued mails about the inquiry go too."""
    if inquiry.erased_at is not None:
        return inquiry
    inquiry.text = ""
    inquiry.company_name = ""
    inquiry.contact_name = ""
    inquiry.email = ""
    inquiry.phone = ""
    inquiry.location = ""
    inquiry.suggestions = []
    # The status link stops working: its token hash is replaced by one nobody knows.
    inquiry.status_token_hash = hash_status_token(secrets.token_urlsafe(24))
    inquiry.erased_at = timezone.now()
    inquiry.save()
    for entry in AuditLogEntry.objects.filter(object_type="inquiries.inquiry", object_id=str(inquiry.pk)):
        if "note" in entry.data:
            entry.data = {key: value for key, value in entry.data.items() if key != "note"}
            entry.save(update_fields=["data"])
    OutgoingMail.objects.filter(topic=_mail_topic(inquiry)).delete()
    if apps.is_installed("crosscluster.routing"):
        from crosscluster.routing.services import forget_evidence

        forget_evidence("inquiry", str(inquiry.pk))
    _log(inquiry, "erased", actor, reason=reason)
    return inquiry


def erase_expired(now: dt.datetime | None = None) -> int:
    """Erase the personal data of inquiries closed longer ago than the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.INQUIRY_RETENTION_DAYS)
    expired = Inquiry.objects.closed().filter(closed_at__lt=cutoff, erased_at__isnull=True)
    count = 0
    for inquiry in expired.iterator():
        erase_personal_data(inquiry, reason="retention")
        count += 1
    return count


# Deadlines --------------------------------------------------------------------------------------------


def process_deadlines(now: dt.datetime | None = None) -> tuple[int, int]:
    """Remind organisations whose first response is due; alert the coordination office at twice the time.

    Returns (reminders, alerts). Each inquiry is reminded and escalated once per assignment.
    """
    now = now or timezone.now()
    reminders = alerts = 0
    waiting = Inquiry.objects.filter(state=State.ASSIGNED).select_related("organization")
    for inquiry in waiting.filter(due_at__lte=now, reminded_at__isnull=True):
        with transaction.atomic():
            inquiry.reminded_at = now
            inquiry.save(update_fields=["reminded_at"])
            _log(inquiry, "reminder_sent", None)
            assert inquiry.organization is not None  # ASSIGNED means: an organisation has it
            _notify_organization(inquiry, inquiry.organization, "inquiries/mail/reminder")
        reminders += 1
    for inquiry in waiting.filter(escalate_at__lte=now, escalated_at__isnull=True):
        with transaction.atomic():
            inquiry.escalated_at = now
            inquiry.save(update_fields=["escalated_at"])
            _log(inquiry, "escalated", None)
            _notify_staff(
                inquiry, "inquiries/mail/escalation", coordination_emails(), organization=inquiry.organization
            )
        alerts += 1
    return reminders, alerts
