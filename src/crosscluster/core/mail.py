"""Queueing and delivering mail through the outbox (`core.OutgoingMail`).

Callers render and queue inside their transaction; delivery happens after commit in a background task, so a
state change never waits for, or fails because of, the mail server.

Delivery never holds a database transaction while it talks to the mail server. On SQLite a transaction is
the database's one write lock, and a mail server that takes its time (answering QUIT after seconds, or
hanging until the timeout) would make every web request that writes meanwhile fail with "database is
locked". So `deliver` works in three short steps:

1. claim: one UPDATE marks the mail as being sent until `MAIL_CLAIM_SECONDS` from now, under a new
   `claim_token`, and commits; a mail that is sent already, or claimed by an attempt still running, is left
   alone;
2. send: open the SMTP connection and hand the message over, outside any transaction;
3. record: as soon as the server has accepted the message (its "250" after DATA) `sent_at` is committed,
   before the goodbye (QUIT), so a slow or hanging QUIT changes nothing; a failure is recorded for a retry
   with back-off. Either only while the claim is still this attempt's.

A sender that dies between claim and record leaves a claim that runs out. `deliver_pending` (the
`send-mail` job) then sends the mail again, with the Message-ID fixed when it was queued, so receivers that
drop duplicates by Message-ID show it once. What remains (docs/operations.md, "Mail"): a sender that dies
after handing over the whole message and before `sent_at` is committed (while the server decides, while
its "250" travels back, during one single-row UPDATE) leaves a mail the server may deliver although the
sender never learned it; the resend is a second copy for receivers without duplicate detection. Dying
earlier loses nothing: the server has not taken the mail.
"""

import logging
import secrets
import time
from datetime import timedelta
from email.utils import make_msgid, parseaddr
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.db import OperationalError, transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import OutgoingMail

logger = logging.getLogger(__name__)

# Waits between attempts: 1 min, 5 min, 30 min, 2 h, then every 6 h.
RETRY_DELAYS = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
MAX_DELAY = timedelta(hours=6)


def queue_mail(
    to: str,
    template: str,
    context: dict[str, Any],
    *,
    language: str | None = None,
    topic: str = "",
    headers: dict[str, str] | None = None,
) -> OutgoingMail:
    """Render `<template>_subject.txt`, `_body.txt` and (optional) `_body.html` in `language`; queue it."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL, **context}
        subject = render_to_string(f"{template}_subject.txt", context)
        body_text = render_to_string(f"{template}_body.txt", context)
        try:
            body_html = render_to_string(f"{template}_body.html", context)
        except TemplateDoesNotExist:
            body_html = ""
    return queue_message(to, subject, body_text, body_html, headers=headers, topic=topic)


def queue_message(
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    *,
    headers: dict[str, str] | None = None,
    topic: str = "",
) -> OutgoingMail:
    """Queue a mail rendered elsewhere (e.g. by Django's password-reset form); sent after commit."""
    mail = OutgoingMail.objects.create(
        to=to,
        subject=" ".join(subject.split())[:300],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        topic=topic,
        message_id=new_message_id(),
    )
    transaction.on_commit(lambda: _enqueue(mail.pk))
    return mail


def new_message_id() -> str:
    """A unique Message-ID in the sender's domain, e.g. `<177…@crosscluster.example.org>`."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    return make_msgid(domain=domain or str(DNS_NAME))


def _enqueue(mail_id: int) -> None:
    from .tasks import deliver_mail

    try:
        deliver_mail.enqueue(mail_id)
    except Exception:  # the outbox row stays; `send-mail` picks it up
        logger.exception("could not enqueue mail %s; it stays in the outbox", mail_id)


class MailInTransaction(RuntimeError):
    """`deliver` was called inside a transaction; queue the mail instead (it is sent after commit)."""


def _refuse_inside_transaction() -> None:
    """Mail is sent after commit only. The tests' own outer transactions (`_from_testcase`) do not count."""
    blocks = transaction.get_connection().atomic_blocks
    if any(not getattr(block, "_from_testcase", False) for block in blocks):
        raise MailInTransaction("mail is sent after commit only: queue it with queue_mail()")


class Delivery(StrEnum):
    """What one call of `deliver` did."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"  # by an earlier attempt: nothing to do
    FAILED = "failed"  # recorded, retried after the back-off
    BUSY = "busy"  # another attempt is sending it right now
    GONE = "gone"  # deleted meanwhile (e.g. erased with its inquiry)


def deliver(mail_id: int) -> Delivery:
    """Send one queued mail: claim it, talk SMTP outside any transaction, record the result (see above).

    Call it outside `transaction.atomic()`: the claim must be committed before the mail server is contacted.
    Inside one it refuses (`MailInTransaction`): on SQLite the SMTP dialogue would hold the write lock.
    """
    _refuse_inside_transaction()
    mail = OutgoingMail.objects.filter(pk=mail_id).first()
    if mail is None:
        return Delivery.GONE
    if mail.sent_at is not None:
        return Delivery.ALREADY_SENT
    now = timezone.now()
    if mail.claimed_until is not None and mail.claimed_until > now:
        return Delivery.BUSY
    token = secrets.token_hex(16)
    message_id = mail.message_id or new_message_id()
    # Only if nobody else claimed or sent it since we read it: the previous claim is part of the condition.
    claimed = OutgoingMail.objects.filter(
        pk=mail.pk, sent_at__isnull=True, claim_token=mail.claim_token, claimed_until=mail.claimed_until
    ).update(
        claimed_until=now + timedelta(seconds=settings.MAIL_CLAIM_SECONDS),
        claim_token=token,
        attempts=F("attempts") + 1,
        message_id=message_id,
    )
    if not claimed:
        state = OutgoingMail.objects.filter(pk=mail_id).values("sent_at").first()
        if state is None:
            return Delivery.GONE
        return Delivery.ALREADY_SENT if state["sent_at"] is not None else Delivery.BUSY
    if mail.claimed_until is not None:
        logger.warning(
            "mail %s: an earlier attempt ended without a result (its sender died?); sending it again "
            "with the same Message-ID %s",
            mail.pk,
            message_id,
        )
    attempts = mail.attempts + 1
    connection = get_connection()
    try:
        message = _message(mail, message_id, connection)
        connection.open()
        if not connection.send_messages([message]):
            raise RuntimeError("the mail backend sent nothing")
    except Exception as exc:  # any transport error means: try again later
        _close(connection)
        _record_failure(mail.pk, token, attempts, exc)
        return Delivery.FAILED
    # Accepted by the server: record it before saying goodbye, which may take the server long.
    try:
        _record_sent(mail.pk, token)
    finally:
        _close(connection)
    return Delivery.SENT


def _message(mail: OutgoingMail, message_id: str, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={**(mail.headers or {}), "Message-ID": message_id},
        connection=connection,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    return message


def _close(connection: BaseEmailBackend) -> None:
    """Say goodbye (QUIT), waiting for the answer `MAIL_QUIT_WAIT_SECONDS` at most.

    The mail is recorded already, so a server that answers late or never is no error, and must not hold
    the worker (and the tasks behind it) for the whole EMAIL_TIMEOUT per mail.
    """
    smtp = getattr(connection, "connection", None)  # Django's SMTP backend: the smtplib.SMTP object
    sock = getattr(smtp, "sock", None)
    if sock is not None:
        sock.settimeout(settings.MAIL_QUIT_WAIT_SECONDS)
    try:
        connection.close()
    except Exception as exc:
        logger.info("mail server did not answer the goodbye in time: %s", exc)
        if smtp is not None:
            smtp.close()


def _write(update: Any, what: str) -> int:
    """Run a recording UPDATE, again after a moment if the database is busy (SQLite: another writer)."""
    for attempt in range(3):
        try:
            return update()
        except OperationalError:
            if attempt == 2:
                logger.exception("could not record %s", what)
                raise
            time.sleep(0.5 * (attempt + 1))
    return 0


def _record_sent(mail_id: int, token: str) -> None:
    recorded = _write(
        lambda: OutgoingMail.objects.filter(pk=mail_id, claim_token=token).update(
            sent_at=timezone.now(), claimed_until=None, last_error="", next_attempt_at=None
        ),
        f"mail {mail_id} as sent",
    )
    if not recorded:
        logger.error("mail %s was sent, but its claim ran out meanwhile; it may go out twice", mail_id)


def _record_failure(mail_id: int, token: str, attempts: int, exc: Exception) -> None:
    delay = RETRY_DELAYS[attempts - 1] if attempts <= len(RETRY_DELAYS) else MAX_DELAY
    _write(
        lambda: OutgoingMail.objects.filter(pk=mail_id, claim_token=token, sent_at__isnull=True).update(
            claimed_until=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + delay,
        ),
        f"the failure of mail {mail_id}",
    )
    logger.warning("mail %s of the outbox failed (attempt %s): %s", mail_id, attempts, exc)


def deliver_pending(now=None) -> tuple[int, int]:
    """Send every unsent mail that is due, including those whose sender died (claim run out).

    Returns (sent, failed); mails another attempt is sending right now are left to it.
    """
    now = now or timezone.now()
    due = (
        OutgoingMail.objects.filter(sent_at__isnull=True)
        .exclude(next_attempt_at__gt=now)
        .exclude(claimed_until__gt=timezone.now())
    )
    sent = failed = 0
    for mail_id in due.order_by("created_at", "pk").values_list("pk", flat=True):
        outcome = deliver(mail_id)
        if outcome == Delivery.SENT:
            sent += 1
        elif outcome == Delivery.FAILED:
            failed += 1
    return sent, failed
