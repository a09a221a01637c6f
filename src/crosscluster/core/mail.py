"""Queueing and delivering mail through the outbox (`core.OutgoingMail`).

Callers render and queue inside their transaction; delivery happens after commit in a background task, so a
state change never waits for, or fails because of, the mail server.
"""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
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
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body_text = render_to_string(f"{template}_body.txt", context)
        try:
            body_html = render_to_string(f"{template}_body.html", context)
        except TemplateDoesNotExist:
            body_html = ""
    mail = OutgoingMail.objects.create(
        to=to,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        topic=topic,
    )
    transaction.on_commit(lambda: _enqueue(mail.pk))
    return mail


def _enqueue(mail_id: int) -> None:
    from .tasks import deliver_mail

    try:
        deliver_mail.enqueue(mail_id)
    except Exception:  # the outbox row stays; `send-mail` picks it up
        logger.exception("could not enqueue mail %s; it stays in the outbox", mail_id)


def deliver(mail_id: int) -> bool:
    """Send one queued mail. True when it is (or already was) sent; a failure is recorded for a retry.

    The row is locked while sending, so two workers never send the same mail.
    """
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().filter(pk=mail_id).first()
        if mail is None or mail.sent_at is not None:
            return True
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to],
            headers=mail.headers or None,
        )
        if mail.body_html:
            message.attach_alternative(mail.body_html, "text/html")
        mail.attempts += 1
        try:
            message.send()
        except Exception as exc:  # any transport error means: try again later
            delay = RETRY_DELAYS[mail.attempts - 1] if mail.attempts <= len(RETRY_DELAYS) else MAX_DELAY
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.next_attempt_at = timezone.now() + delay
            mail.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.warning("mail %s to the outbox failed (attempt %s): %s", mail.pk, mail.attempts, exc)
            return False
        mail.sent_at = timezone.now()
        mail.last_error = ""
        mail.next_attempt_at = None
        mail.save(update_fields=["attempts", "sent_at", "last_error", "next_attempt_at"])
        return True


def deliver_pending(now=None) -> tuple[int, int]:
    """Retry every unsent mail that is due; returns (sent, failed)."""
    now = now or timezone.now()
    due = OutgoingMail.objects.filter(sent_at__isnull=True).exclude(next_attempt_at__gt=now)
    sent = failed = 0
    for mail_id in due.order_by("created_at").values_list("pk", flat=True):
        if deliver(mail_id):
            sent += 1
        else:
            failed += 1
    return sent, failed
