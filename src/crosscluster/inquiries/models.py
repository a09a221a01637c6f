"""Inquiries: a company's need, on its way to the organisation that fits ("no wrong door").

The history of an inquiry (who assigned, forwarded, accepted… with notes) is its audit log entries
(`core.AuditLogEntry` with object type `inquiries.inquiry`); the row holds the current state and the times
that deadlines and statistics need.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TEXT_MAX_LENGTH = 5000


def hash_status_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InquiryQuerySet(models.QuerySet["Inquiry"]):
    def open(self) -> "InquiryQuerySet":
        return self.filter(state__in=Inquiry.OPEN_STATES)

    def closed(self) -> "InquiryQuerySet":
        return self.exclude(state__in=Inquiry.OPEN_STATES)


class Inquiry(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("With the coordination office")
        ASSIGNED = "assigned", _("Assigned")
        ACCEPTED = "accepted", _("Accepted")
        RESOLVED = "resolved", _("Resolved")
        NO_FIT = "no_fit", _("Closed: no fit")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATES = (State.SUBMITTED, State.ASSIGNED, State.ACCEPTED)

    class CompanySize(models.TextChoices):
        MICRO = "1-9", _("1–9 employees")
        SMALL = "10-49", _("10–49 employees")
        MEDIUM = "50-249", _("50–249 employees")
        LARGE = "250+", _("250 or more employees")

    region = models.ForeignKey(
        "directory.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="inquiries"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    # The organisation responsible now; empty while the coordination office decides.
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inquiries",
    )
    # Further organisations working on it at the same time (they see it too).
    involved = models.ManyToManyField(
        "directory.Organization",
        verbose_name=_("also involved"),
        blank=True,
        related_name="involved_inquiries",
    )
    # The first organisation it went to, and the one that resolved it: "first try right" compares them.
    first_organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # What the company wrote and who it is: personal data, erased after the retention period.
    text = models.TextField(_("your question"), max_length=TEXT_MAX_LENGTH)
    company_name = models.CharField(_("company"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=150)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company_size = models.CharField(_("company size"), max_length=10, choices=CompanySize.choices, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="de")

    consent_version = models.CharField(_("privacy notice version"), max_length=20)
    consent_given_at = models.DateTimeField(_("consent given"))
    status_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The one-time key of the form that sent it: a repeated POST (double click, retry) finds this inquiry
    # instead of storing a second one. Random, nothing personal; empty for inquiries from elsewhere.
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The routing engine's suggestions when the company asked: [{"organization", "score", "reasons"}].
    suggestions = models.JSONField(default=list, blank=True)
    # Topics of the inquiry for statistics (kept after erasure): those of the organisations it went to.
    topics = models.ManyToManyField("directory.Topic", blank=True, related_name="inquiries")

    created_at = models.DateTimeField(_("submitted"), auto_now_add=True, db_index=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    # First response by the current organisation is due / the coordination office is alerted.
    due_at = models.DateTimeField(_("response due"), null=True, blank=True, db_index=True)
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, db_index=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    objects = InquiryQuerySet.as_manager()

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "organization"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """A short number people can quote on the phone."""
        return f"A-{self.pk:05d}" if self.pk else "A-new"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def new_status_token(self) -> str:
        """Issue a fresh status-link token; only its hash is stored."""
        token = secrets.token_urlsafe(24)
        self.status_token_hash = hash_status_token(token)
        return token
