"""The Kooperationsbörse: cooperation profiles, the introductions between them, and the stored proposals.

A profile's history (confirmed, submitted, approved, changes asked for…) and an introduction's history are
their audit log entries (`core.AuditLogEntry` with object types `cooperation.cooperationprofile` and
`cooperation.introduction`); the rows hold the current state and the times deadlines and erasure need.
The owner of a profile has no account: a secret token (only its hash is stored) opens its private page.
"""

import datetime as dt
import hashlib
import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import matching

TEXT_MAX_LENGTH = 5000
# A profile is public for this long unless the owner chooses another date (and can renew it).
DEFAULT_VALIDITY = dt.timedelta(days=365)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def today(now: dt.datetime | None = None) -> dt.date:
    """The date in Thüringen: expiry dates are calendar days there, whatever the server's time zone."""
    return timezone.localdate(now, timezone=zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE))


def default_expiry() -> dt.date:
    return today() + DEFAULT_VALIDITY


class CooperationProfileQuerySet(models.QuerySet["CooperationProfile"]):
    def public(self) -> "CooperationProfileQuerySet":
        """Published and not past its expiry: what anybody may see."""
        return self.filter(
            state=CooperationProfile.State.PUBLISHED,
            expires_at__gte=today(),
            erased_at__isnull=True,
        )

    def waiting_for_review(self) -> "CooperationProfileQuerySet":
        return self.filter(state=CooperationProfile.State.SUBMITTED)


class CooperationProfile(models.Model):
    class Kind(models.TextChoices):
        TECHNOLOGY_OFFER = matching.TECHNOLOGY_OFFER, _("Technology offer")
        TECHNOLOGY_REQUEST = matching.TECHNOLOGY_REQUEST, _("Technology request")
        BUSINESS_OFFER = matching.BUSINESS_OFFER, _("Business offer")
        BUSINESS_REQUEST = matching.BUSINESS_REQUEST, _("Business request")
        RESEARCH_PARTNER = matching.RESEARCH_PARTNER, _("Research partner search")

    class State(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("E-mail address not confirmed yet")
        SUBMITTED = "submitted", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    # Closed profiles are erased after the retention period; the owner may reopen none of them but expired.
    CLOSED_STATES = (State.REJECTED, State.WITHDRAWN, State.EXPIRED)
    EDITABLE_STATES = (State.UNCONFIRMED, State.SUBMITTED, State.PUBLISHED, State.CHANGES_REQUESTED)

    kind = models.CharField(_("kind of profile"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("description"), max_length=TEXT_MAX_LENGTH)
    topics = models.ManyToManyField(
        "directory.Topic", verbose_name=_("topics"), blank=True, related_name="cooperation_profiles"
    )
    region = models.ForeignKey(
        "directory.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cooperation_profiles",
    )
    language = models.CharField(_("language of the profile"), max_length=10, choices=settings.LANGUAGES)
    partner_wanted = models.CharField(_("partner wanted"), max_length=300, blank=True)
    expires_at = models.DateField(_("public until"), default=default_expiry, db_index=True)
    # For research partner searches: the funding call, the roles wanted, the call's deadline.
    call = models.CharField(_("funding call"), max_length=300, blank=True)
    roles = models.CharField(_("roles wanted"), max_length=300, blank=True)
    call_deadline = models.DateField(_("deadline of the call"), null=True, blank=True)

    # Who stands behind it: personal data, shown publicly only with `show_identity`, erased after retention.
    contact_name = models.CharField(_("contact person"), max_length=150)
    email = models.EmailField(_("e-mail"))
    company_name = models.CharField(_("company or institute"), max_length=200)
    show_identity = models.BooleanField(_("show company and contact person publicly"), default=False)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.UNCONFIRMED)
    # The organisation whose managers review it (the coordination office always may); empty: the office.
    reviewing_organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cooperation_profiles",
    )
    # The manager who entered it on a company's behalf; empty when the company did itself.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Who else can help, computed by a task when the profile is published or changed (never in a request):
    # {"organizations": [{"slug", "name", "reasons"}], "events": [{"id", "title", "reasons"}]}.
    helpers = models.JSONField(default=dict, blank=True, editable=False)
    consent_version = models.CharField(_("privacy notice version"), max_length=20, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    confirmed_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, db_index=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    objects = CooperationProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("cooperation profile")
        verbose_name_plural = _("cooperation profiles")
        ordering = ["-published_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cooperation:detail", kwargs={"pk": self.pk})

    @property
    def reference(self) -> str:
        """A short number people can quote (the EEN's profiles have one too)."""
        return f"K-{self.pk:05d}" if self.pk else "K-new"

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED and self.expires_at >= today() and self.erased_at is None

    @property
    def is_offer(self) -> bool:
        return self.kind in (self.Kind.TECHNOLOGY_OFFER, self.Kind.BUSINESS_OFFER)

    def new_owner_token(self) -> str:
        """Issue a fresh token for the owner's private links; only its hash is stored."""
        token = secrets.token_urlsafe(24)
        self.owner_token_hash = hash_token(token)
        return token

    def get_manage_url(self) -> str:
        return reverse("manage:cooperation-profile", kwargs={"pk": self.pk})

    def as_profile_text(self) -> matching.ProfileText:
        """What the matching engine reads; the call and roles belong to a research partner search's text."""
        parts = [self.text, self.partner_wanted, self.call, self.roles]
        return matching.ProfileText(
            id=str(self.pk),
            kind=self.kind,
            title=self.title,
            text="\n".join(part for part in parts if part),
            lang=self.language,
        )


class Introduction(models.Model):
    """Someone wants to get in touch with a profile's owner; the owner decides.

    Started by a visitor who confirmed their e-mail (`interest` after confirmation), by a manager
    (`interest`), or by the coordination office between two profiles from its board (`proposed`, the other
    profile is `counterpart`). Contact details travel only when the owner accepts.
    """

    class State(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("E-mail address not confirmed yet")
        PROPOSED = "proposed", _("Proposed by the coordination office")
        INTEREST = "interest", _("Interest expressed")
        ACCEPTED = "accepted", _("Accepted: contact details exchanged")
        DECLINED = "declined", _("Declined")
        STARTED = "started", _("Cooperation started")
        NO_RESULT = "no_result", _("No result")

    WAITING_STATES = (State.PROPOSED, State.INTEREST)
    CLOSED_STATES = (State.DECLINED, State.STARTED, State.NO_RESULT)

    profile = models.ForeignKey(
        CooperationProfile, verbose_name=_("profile"), on_delete=models.CASCADE, related_name="introductions"
    )
    # The other profile when the office introduces two profiles to each other.
    counterpart = models.ForeignKey(
        CooperationProfile,
        verbose_name=_("counterpart"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="introduced_to",
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    message = models.TextField(_("message"), max_length=3000)
    # Who is interested (a visitor or a manager); for office introductions the counterpart's owner.
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    company_name = models.CharField(_("company or institute"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="de")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirm_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True, db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, db_index=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("introduction")
        verbose_name_plural = _("introductions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"V-{self.pk:05d}" if self.pk else "V-new"

    @property
    def is_waiting(self) -> bool:
        return self.state in self.WAITING_STATES

    def requester_contact(self) -> dict[str, str]:
        """The interested side's contact details, from the counterpart profile when there is one."""
        if self.counterpart is not None:
            side = self.counterpart
            return {"name": side.contact_name, "email": side.email, "company": side.company_name}
        return {"name": self.name, "email": self.email, "company": self.company_name}


class ProfileMatch(models.Model):
    """One proposal of the matching engine: `counterpart` fits `profile`, with a score and reasons.

    Written only by `tasks.refresh_matches` (after a profile is published or changed), read by the office's
    board, the manager's profile page and the API; never computed inside a request.
    """

    profile = models.ForeignKey(CooperationProfile, on_delete=models.CASCADE, related_name="matches")
    counterpart = models.ForeignKey(CooperationProfile, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "counterpart"], name="unique_cooperation_match")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} → {self.counterpart_id} ({self.score:.2f})"


class DismissedPair(models.Model):
    """A pair the office decided not to introduce; the board hides it for good (stored lower id first)."""

    first = models.ForeignKey(CooperationProfile, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(CooperationProfile, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="unique_dismissed_pair")]

    def __str__(self) -> str:
        return f"{self.first_id} × {self.second_id}"
