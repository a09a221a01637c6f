"""Subscribing, confirming, changing and leaving the weekly digest, and sending it; each step one function.

Subscriptions are double opt-in: the form stores the request and mails a confirmation link; only confirmed
subscribers get digests, and unconfirmed requests are deleted after `DIGEST_UNCONFIRMED_DAYS`. The form's
answer never says whether an address is already subscribed: a known address gets a mail with its private link
instead, and nothing about the subscription changes.

Sending is resumable and never sends twice: each subscriber's mail is queued in the outbox in the same
transaction as its `Delivery` row, which is unique per (issue, subscriber). A run that stops half-way leaves
the issue open; the next run sends only to those without a delivery record.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from crosscluster.accounts.throttling import normalize_email
from crosscluster.core.mail import queue_mail
from crosscluster.core.models import OutgoingMail
from crosscluster.core.services import log_action
from crosscluster.core.types import Actor
from crosscluster.directory.models import Topic
from crosscluster.events.times import display_zone

from .content import DigestItems, DigestMaterial
from .models import Delivery, DigestIssue, Subscriber

logger = logging.getLogger(__name__)


class DigestError(Exception):
    """A request the digest cannot take; the message is translated and meant for the user."""


# Links ------------------------------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def subscriber_url(subscriber: Subscriber, name: str) -> str:
    """`confirm`, `manage` or `unsubscribe`, absolute, in the subscriber's language."""
    with translation.override(subscriber.language):
        return absolute(reverse(f"digest:{name}", kwargs={"token": subscriber.token}))


def subscriber_for_token(token: str) -> Subscriber | None:
    pk, _, _signature = token.partition("-")
    if not pk.isdigit():
        return None
    subscriber = Subscriber.objects.filter(pk=int(pk)).first()
    if subscriber is None or not subscriber.token_matches(token):
        return None
    return subscriber


def _mail_topic(subscriber: Subscriber) -> str:
    return f"digest.subscriber:{subscriber.pk}"


def _log(action: str, subscriber: Subscriber | None = None, **data: Any) -> None:
    log_action(f"digest.{action}", obj=subscriber, data=data)


# Subscribing ------------------------------------------------------------------------------------------


@transaction.atomic
def subscribe(*, email: str, topics: Iterable[Topic], language: str, consent: bool) -> None:
    """Store the request and mail a confirmation link, or mail a known address its private link.

    Returns nothing on purpose: the caller must answer the same whether or not the address was known.
    """
    if not consent:
        raise DigestError("consent required")
    topics = list(topics)
    if not topics:
        raise DigestError("no topics")
    now = timezone.now()
    email = normalize_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
    if subscriber is not None and subscriber.is_confirmed:
        # Someone typed a subscribed address: tell its owner, change nothing.
        queue_mail(
            subscriber.email,
            "digest/mail/known",
            {"manage_url": subscriber_url(subscriber, "manage")},
            language=subscriber.language,
            topic=_mail_topic(subscriber),
        )
        _log("subscriber.known", subscriber)
        return
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    language=language,
                    consent_version=settings.DIGEST_CONSENT_VERSION,
                    consent_given_at=now,
                    requested_at=now,
                )
        except IntegrityError:  # the same address, sent twice at once: the other request has it
            return
        _log("subscriber.requested", subscriber)
    else:
        # Still unconfirmed: the newest request counts, and the week for confirming starts again.
        subscriber.language = language
        subscriber.consent_version = settings.DIGEST_CONSENT_VERSION
        subscriber.consent_given_at = now
        subscriber.requested_at = now
        subscriber.save()
        _log("subscriber.requested_again", subscriber)
    subscriber.topics.set(topics)
    queue_mail(
        subscriber.email,
        "digest/mail/confirm",
        {
            "confirm_url": subscriber_url(subscriber, "confirm"),
            "topics": sorted(topic.name for topic in topics),
            "days": settings.DIGEST_UNCONFIRMED_DAYS,
        },
        language=subscriber.language,
        topic=_mail_topic(subscriber),
    )


@transaction.atomic
def confirm_subscription(subscriber: Subscriber) -> Subscriber:
    """Idempotent: confirming twice keeps the first time."""
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at", "updated_at"])
        _log("subscriber.confirmed", subscriber)
    return subscriber


@transaction.atomic
def update_subscription(subscriber: Subscriber, *, topics: Iterable[Topic], language: str) -> Subscriber:
    topics = list(topics)
    if not topics:
        raise DigestError("no topics")
    subscriber.language = language
    subscriber.save(update_fields=["language", "updated_at"])
    subscriber.topics.set(topics)
    _log("subscriber.updated", subscriber, language=language, topics=sorted(topic.slug for topic in topics))
    return subscriber


@transaction.atomic
def unsubscribe(subscriber: Subscriber, *, reason: str = "left", actor: Actor = None) -> None:
    """Delete everything about the subscriber: the row, its topics and delivery records, its queued mails.

    `reason`: "left" (the subscriber), "unconfirmed" (expired), "admin" (on request, by the office).
    """
    pk = subscriber.pk
    OutgoingMail.objects.filter(topic=_mail_topic(subscriber)).delete()
    subscriber.delete()
    log_action("digest.subscriber.deleted", actor=actor, data={"subscriber": pk, "reason": reason})


def erase_unconfirmed(now: dt.datetime | None = None) -> int:
    """Delete subscriptions not confirmed within DIGEST_UNCONFIRMED_DAYS (data minimisation)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.DIGEST_UNCONFIRMED_DAYS)
    count = 0
    for subscriber in Subscriber.objects.filter(confirmed_at__isnull=True, requested_at__lt=cutoff):
        unsubscribe(subscriber, reason="unconfirmed")
        count += 1
    return count


# Sending ----------------------------------------------------------------------------------------------


@dataclass
class SendResult:
    issue: DigestIssue | None
    status: str  # "not_due", "complete" (nothing left to do), "sent" (this run finished it), "incomplete"
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday of the week `moment` lies in, in the display time zone."""
    day = moment.astimezone(display_zone()).date()
    return day - dt.timedelta(days=day.weekday())


def is_due(now: dt.datetime) -> bool:
    """From DIGEST_WEEKDAY at DIGEST_HOUR (display time) on, this week's digest is due."""
    local = now.astimezone(display_zone())
    return (local.weekday(), local.hour) >= (settings.DIGEST_WEEKDAY, settings.DIGEST_HOUR)


def next_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(since, until) of the next issue: new since the previous issue's cut-off (or a week), until now."""
    previous = DigestIssue.objects.filter(week__lt=week_of(now)).order_by("-week").first()
    since = previous.until if previous else now - dt.timedelta(days=7)
    return since, now


def confirmed_subscribers() -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(confirmed_at__isnull=False)


def digest_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 / RFC 8058: mail programs offer a one-click unsubscribe that POSTs to this URL."""
    return {
        "List-Unsubscribe": f"<{subscriber_url(subscriber, 'unsubscribe')}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def digest_context(subscriber: Subscriber, items: DigestItems, issue: DigestIssue) -> dict[str, Any]:
    return {
        "items": items,
        "issue": issue,
        "base_url": settings.SITE_URL.rstrip("/"),
        "topics": sorted(topic.name for topic in subscriber.topics.all()),
        "manage_url": subscriber_url(subscriber, "manage"),
        "unsubscribe_url": subscriber_url(subscriber, "unsubscribe"),
    }


def render_digest(subscriber: Subscriber, items: DigestItems, issue: DigestIssue) -> OutgoingMail:
    """Queue one subscriber's digest; times in the display zone, texts in the subscriber's language."""
    with timezone.override(display_zone()):
        return queue_mail(
            subscriber.email,
            "digest/mail/digest",
            digest_context(subscriber, items, issue),
            language=subscriber.language,
            headers=digest_headers(subscriber),
            topic=_mail_topic(subscriber),
        )


def _deliver(issue: DigestIssue, subscriber_id: int, material: DigestMaterial) -> str:
    """One subscriber: delivery record and queued mail in one transaction. Returns sent/skipped/gone/done."""
    with transaction.atomic():
        subscriber = (
            confirmed_subscribers()
            .select_for_update()
            .filter(pk=subscriber_id)
            .prefetch_related("topics")
            .first()
        )
        if subscriber is None:  # left (or was deleted) since the run started
            return "gone"
        if Delivery.objects.filter(issue=issue, subscriber=subscriber).exists():
            return "done"  # another run got here first
        items = material.for_topics(topic.pk for topic in subscriber.topics.all())
        delivery = Delivery(
            issue=issue,
            subscriber=subscriber,
            skipped=not items,
            notice_count=len(items.notices),
            event_count=len(items.events),
        )
        if items:
            delivery.mail = render_digest(subscriber, items, issue)
        delivery.save()
        return "sent" if items else "skipped"


def current_issue(now: dt.datetime, *, force: bool = False) -> DigestIssue | None:
    """This week's issue: the one begun earlier (resumed), or a new one when due (or forced)."""
    week = week_of(now)
    issue = DigestIssue.objects.filter(week=week).first()
    if issue is not None or not (force or is_due(now)):
        return issue
    since, until = next_window(now)
    issue, _created = DigestIssue.objects.get_or_create(week=week, defaults={"since": since, "until": until})
    return issue


def send_digest(*, now: dt.datetime | None = None, force: bool = False) -> SendResult:
    """Send (or resume) this week's digest to every confirmed subscriber who has not had it.

    Subscribers with nothing new for their topics get no mail (but a delivery record, so the issue can be
    completed). An error with one subscriber is logged and leaves the issue open for the next run.
    """
    now = now or timezone.now()
    issue = current_issue(now, force=force)
    if issue is None:
        return SendResult(issue=None, status="not_due")
    if issue.completed_at is not None:
        return SendResult(issue=issue, status="complete")
    material = DigestMaterial(since=issue.since, until=issue.until, now=now)
    pending = list(
        confirmed_subscribers().exclude(deliveries__issue=issue).order_by("pk").values_list("pk", flat=True)
    )
    result = SendResult(issue=issue, status="sent")
    for subscriber_id in pending:
        try:
            outcome = _deliver(issue, subscriber_id, material)
        except Exception:  # one broken mail must not stop the others; the next run retries this one
            logger.exception("digest %s for subscriber %s failed", issue, subscriber_id)
            result.failed += 1
            continue
        if outcome == "sent":
            result.sent += 1
        elif outcome == "skipped":
            result.skipped += 1
    if result.failed:
        result.status = "incomplete"
    else:
        issue.completed_at = timezone.now()
        issue.save(update_fields=["completed_at"])
    log_action(
        "digest.issue.sent",
        obj=issue,
        data={"sent": result.sent, "skipped": result.skipped, "failed": result.failed},
    )
    return result


def plan_digest(*, now: dt.datetime | None = None, force: bool = False) -> SendResult:
    """What `send_digest` would do now, without writing anything (for `--dry-run`)."""
    now = now or timezone.now()
    week = week_of(now)
    issue = DigestIssue.objects.filter(week=week).first()
    if issue is None:
        if not (force or is_due(now)):
            return SendResult(issue=None, status="not_due")
        since, until = next_window(now)
        issue = DigestIssue(week=week, since=since, until=until)
    elif issue.completed_at is not None:
        return SendResult(issue=issue, status="complete")
    material = DigestMaterial(since=issue.since, until=issue.until, now=now)
    pending = confirmed_subscribers().prefetch_related("topics")
    if issue.pk:
        pending = pending.exclude(deliveries__issue=issue)
    result = SendResult(issue=issue, status="planned")
    for subscriber in pending:
        if material.for_topics(topic.pk for topic in subscriber.topics.all()):
            result.sent += 1
        else:
            result.skipped += 1
    return result
