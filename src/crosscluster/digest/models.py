"""The weekly digest: subscribers (double opt-in), the weekly issues, and one delivery record per subscriber.

A subscriber's e-mail address, topics and language are personal data: they exist only as long as the
subscription does. Leaving deletes the row (and with it the delivery records and the queued mails); an
unconfirmed subscription is deleted after `DIGEST_UNCONFIRMED_DAYS`.

The private link of a subscriber ("manage my subscription", confirm, unsubscribe) carries a token that is
derived from a random nonce with the server's secret key (HMAC). It can be put into every weekly mail without
storing it, and a copy of the database alone is not enough to forge it.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

TOKEN_SALT = "crosscluster.digest.subscriber-token"


def new_nonce() -> str:
    return secrets.token_hex(16)


class Subscriber(models.Model):
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="de")
    topics = models.ManyToManyField(
        "directory.Topic", verbose_name=_("topics"), related_name="digest_subscribers"
    )
    consent_version = models.CharField(_("privacy notice version"), max_length=20)
    consent_given_at = models.DateTimeField(_("consent given"))
    # When the address was last entered in the form: an unconfirmed subscription expires counting from here.
    requested_at = models.DateTimeField(_("requested"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, db_index=True)
    token_nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("digest subscriber")
        verbose_name_plural = _("digest subscribers")
        ordering = ["pk"]

    def __str__(self) -> str:
        # Never the address: this text ends up in the audit log, which outlives the subscription.
        return f"subscriber {self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def token(self) -> str:
        """The secret of the private links: `<id>-<HMAC of id and nonce>`."""
        return f"{self.pk}-{self._signature()}"

    def _signature(self) -> str:
        value = f"{self.pk}:{self.token_nonce}"
        return salted_hmac(TOKEN_SALT, value, algorithm="sha256").hexdigest()[:40]

    def token_matches(self, token: str) -> bool:
        return constant_time_compare(token, self.token)


class DigestIssue(models.Model):
    """One week's digest. Notices published in (since, until] are new; events are those after `until`."""

    week = models.DateField(_("week"), unique=True, help_text=_("The Monday of the week."))
    since = models.DateTimeField(_("new since"))
    until = models.DateTimeField(_("new until"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once every confirmed subscriber has a delivery record; a run that failed half-way leaves it empty.
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest issue")
        verbose_name_plural = _("digest issues")
        ordering = ["-week"]

    def __str__(self) -> str:
        return f"digest {self.week.isoformat()}"


class Delivery(models.Model):
    """That `subscriber` has had `issue`: written in the same transaction as the queued mail, at most once."""

    issue = models.ForeignKey(DigestIssue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    # Empty when there was nothing new for the subscriber's topics (no mail), or once the mail is erased.
    mail = models.ForeignKey(
        "core.OutgoingMail", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    skipped = models.BooleanField(default=False)
    notice_count = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="digest_delivery_once_per_issue")
        ]

    def __str__(self) -> str:
        return f"{self.issue} → {self.subscriber}"
