"""The audit log: one table for every change anybody makes, read back as an object's history."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogEntry(models.Model):
    """Who did what to which object, and when. Written only through `core.services.log_action`."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Dotted action code, e.g. `directory.offer.updated`.
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    # The organisation the change belongs to, so a manager's history view is one indexed query.
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class OutgoingMail(models.Model):
    """A mail stored in the same transaction as the change that caused it (a transactional outbox).

    The worker sends it; a failing mail server leaves it here with the error, and `crosscluster send-mail`
    (scheduled) retries it, so no mail is lost. An attempt first claims the row for a while
    (`claimed_until`, `claim_token`) and commits, talks SMTP outside any transaction, and records the result
    only if the claim is still its own; a claim that runs out without a result means the sender died, and the
    mail is sent again with the same `message_id` (see `core.mail` and docs/operations.md).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # What the mail is about, e.g. "inquiries.inquiry:42", so data-protection erasure can find it.
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    # The Message-ID header, fixed when the mail is queued: a resend after a crash is the same message to
    # every receiver that drops duplicates by Message-ID.
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    # While in the future, an attempt is talking to the mail server; `claim_token` names that attempt.
    claimed_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class PeriodicLock(models.Model):
    """One row per periodic job; holding it keeps two runs (on two hosts) from overlapping."""

    name = models.CharField(max_length=100, primary_key=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class ThrottleSlot(models.Model):
    """One of the `limit` places of a rate-limit key (`accounts.throttling`); busy until `busy_until`.

    A request takes a free place with one UPDATE … RETURNING, which the database does for one request at a
    time, so requests arriving together cannot all pass a check before any of them is counted. Times are
    Unix seconds: the statement compares them in SQL on SQLite and PostgreSQL alike.
    """

    key = models.CharField(max_length=200)
    slot = models.PositiveSmallIntegerField()
    busy_until = models.FloatField(default=0, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "slot"], name="unique_throttle_slot")]

    def __str__(self) -> str:
        return f"{self.key}#{self.slot}"


class WorkerHeartbeat(models.Model):
    """A task worker (`crosscluster db_worker`) says it is alive; `core.workers` reads this.

    django-tasks-db marks a task RUNNING when a worker takes it and knows nothing more: a worker killed
    mid-task leaves it RUNNING for ever. A worker that stopped reporting is dead, and its task can be queued
    again.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)
    # The task it runs right now (a DBTaskResult id), or empty.
    task_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class PageVersion(models.Model):
    """The version of everything the public pages show (core.page_cache): one row.

    Every committed change of public data, and the moment a notice or event starts or ends, gives it a new
    random value; cached pages are keyed by it, so all app servers see the change on their next request.
    Random rather than counted, so that a database restored from a backup never meets old cache entries.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.CharField(max_length=32)
    changed_at = models.DateTimeField()
    # The next moment when a page changes with time alone (a notice becomes valid, an event is over, a new
    # day): the first request after it gives a new version.
    valid_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
