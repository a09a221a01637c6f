"""The mail outbox (`core.mail`) and the lock of periodic jobs (`core.periodic`)."""

import smtplib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from crosscluster.core import mail as outbox
from crosscluster.core.models import OutgoingMail, PeriodicLock
from crosscluster.core.periodic import run_locked

TEMPLATES = {
    "test/news_subject.txt": "{% load i18n %}  {% translate 'Search' %}:\n  {{ title }}  \n",
    "test/news_body.txt": "{% autoescape off %}{{ SITE_NAME }}: {{ title }}{% endautoescape %}\n",
    "test/news_body.html": "<p>{{ title }}</p>",
    "test/plain_subject.txt": "Nur Text",
    "test/plain_body.txt": "Ohne HTML",
}


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("451 try again later")


@pytest.fixture(autouse=True)
def mail_templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]},
        }
    ]
    settings.SITE_NAME = "Testportal"


@pytest.fixture
def failing(settings):
    settings.EMAIL_BACKEND = "tests.core.test_mail.FailingBackend"


# queue_mail


def test_queue_mail_renders_subject_text_and_html_in_the_language(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = outbox.queue_mail(
            "a@example.org", "test/news", {"title": "<b>Neu</b> & gut"}, language="de", topic="x:1"
        )

    stored = OutgoingMail.objects.get()
    assert stored == queued
    assert stored.to == "a@example.org"
    assert (
        stored.subject == "Suchen: &lt;b&gt;Neu&lt;/b&gt; &amp; gut"
    )  # one line, autoescape is the template's job
    assert stored.body_text == "Testportal: <b>Neu</b> & gut\n"
    assert stored.body_html == "<p>&lt;b&gt;Neu&lt;/b&gt; &amp; gut</p>"
    assert stored.topic == "x:1"
    assert stored.sent_at is None and stored.attempts == 0
    assert len(callbacks) == 1  # delivery waits for the commit


def test_queue_mail_in_english_and_without_html_template(db):
    english = outbox.queue_mail("a@example.org", "test/news", {"title": "T"}, language="en")
    plain = outbox.queue_mail("b@example.org", "test/plain", {})
    assert english.subject == "Search: T"
    assert plain.body_html == ""


def test_queue_mail_delivers_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbox.queue_mail("a@example.org", "test/news", {"title": "T"})
    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.attempts == 1
    assert [message.to for message in mail.outbox] == [["a@example.org"]]


def test_queue_mail_that_cannot_be_enqueued_stays_in_the_outbox(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from crosscluster.core import tasks

    def broken(*args):
        raise ConnectionError("task queue down")

    monkeypatch.setattr(tasks, "deliver_mail", SimpleNamespace(enqueue=broken))
    with django_capture_on_commit_callbacks(execute=True):
        queued = outbox.queue_mail("a@example.org", "test/plain", {})
    queued.refresh_from_db()
    assert queued.sent_at is None and queued.attempts == 0
    assert outbox.deliver_pending() == (1, 0)


# deliver


def test_deliver_sends_once_and_is_idempotent(db):
    queued = outbox.queue_mail("a@example.org", "test/news", {"title": "T"})

    assert outbox.deliver(queued.pk) == outbox.Delivery.SENT
    assert outbox.deliver(queued.pk) == outbox.Delivery.ALREADY_SENT

    queued.refresh_from_db()
    assert len(mail.outbox) == 1
    assert queued.attempts == 1 and queued.last_error == "" and queued.next_attempt_at is None


def test_deliver_refuses_to_send_inside_a_transaction(db):
    """Mail goes out after commit only: inside a transaction the SMTP dialogue would hold SQLite's lock."""
    queued = outbox.queue_message("a@example.org", "Betreff", "Text")

    with transaction.atomic(), pytest.raises(outbox.MailInTransaction):
        outbox.deliver(queued.pk)

    assert mail.outbox == []
    queued.refresh_from_db()
    assert (queued.attempts, queued.claimed_until) == (0, None)


def test_deliver_attaches_the_html_alternative(db, settings):
    settings.DEFAULT_FROM_EMAIL = "Portal <noreply@example.org>"
    outbox.deliver(outbox.queue_mail("a@example.org", "test/news", {"title": "T"}).pk)
    outbox.deliver(outbox.queue_mail("b@example.org", "test/plain", {}).pk)

    news, plain = mail.outbox
    assert news.from_email == "Portal <noreply@example.org>"
    assert news.body == "Testportal: T\n"
    assert news.alternatives == [("<p>T</p>", "text/html")]
    assert plain.alternatives == []


def test_deliver_of_a_deleted_mail_does_nothing(db):
    assert outbox.deliver(12345) == outbox.Delivery.GONE
    assert mail.outbox == []


def test_deliver_failure_is_recorded_with_back_off(db, failing):
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    waits = []
    for _attempt in range(6):
        before = timezone.now()
        assert outbox.deliver(queued.pk) == outbox.Delivery.FAILED
        queued.refresh_from_db()
        waits.append(queued.next_attempt_at - before)

    assert queued.attempts == 6
    assert queued.sent_at is None
    assert queued.last_error == "SMTPException: 451 try again later"
    expected = [*outbox.RETRY_DELAYS, outbox.MAX_DELAY, outbox.MAX_DELAY]
    assert [round(wait.total_seconds() / 60) for wait in waits] == [
        round(delay.total_seconds() / 60) for delay in expected
    ]


def test_deliver_pending_waits_for_the_back_off_then_sends(db, failing, settings):
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    outbox.deliver(queued.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert outbox.deliver_pending() == (0, 0)  # not due yet
    assert outbox.deliver_pending(now=timezone.now() + timedelta(minutes=2)) == (1, 0)
    assert outbox.deliver_pending(now=timezone.now() + timedelta(minutes=2)) == (0, 0)
    queued.refresh_from_db()
    assert queued.attempts == 2 and queued.last_error == "" and len(mail.outbox) == 1


def test_deliver_pending_counts_failures(db, failing):
    outbox.queue_mail("a@example.org", "test/plain", {})
    outbox.queue_mail("b@example.org", "test/plain", {})
    assert outbox.deliver_pending() == (0, 2)


# claims and Message-IDs: a crashed sender is repaired, never answered with a second, different mail


def test_queue_mail_fixes_the_message_id_that_every_attempt_sends(db, failing, settings):
    settings.DEFAULT_FROM_EMAIL = "Portal <noreply@portal.example>"
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    assert queued.message_id.startswith("<") and queued.message_id.endswith("@portal.example>")

    outbox.deliver(queued.pk)  # fails
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.deliver_pending(now=timezone.now() + timedelta(minutes=2))

    assert [message.extra_headers["Message-ID"] for message in mail.outbox] == [queued.message_id]
    assert mail.outbox[0].message()["Message-ID"] == queued.message_id


def test_deliver_leaves_a_mail_alone_while_another_attempt_holds_its_claim(db):
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    OutgoingMail.objects.filter(pk=queued.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=4), claim_token="other", attempts=1
    )

    assert outbox.deliver(queued.pk) == outbox.Delivery.BUSY
    assert outbox.deliver_pending() == (0, 0)
    queued.refresh_from_db()
    assert mail.outbox == [] and queued.attempts == 1 and queued.claim_token == "other"


def test_deliver_pending_sends_again_once_a_dead_senders_claim_ran_out(db, caplog):
    """The sender claimed it and died without a result: sent again, as the same message."""
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    OutgoingMail.objects.filter(pk=queued.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1), claim_token="dead", attempts=1
    )

    assert outbox.deliver_pending() == (1, 0)

    queued.refresh_from_db()
    assert queued.sent_at is not None and queued.claimed_until is None and queued.attempts == 2
    assert [message.extra_headers["Message-ID"] for message in mail.outbox] == [queued.message_id]
    assert "ended without a result" in caplog.text


def test_deliver_gives_a_mail_queued_before_message_ids_one(db):
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    OutgoingMail.objects.filter(pk=queued.pk).update(message_id="")

    outbox.deliver(queued.pk)

    queued.refresh_from_db()
    assert queued.message_id and mail.outbox[0].extra_headers["Message-ID"] == queued.message_id


def test_deliver_does_not_overwrite_a_result_when_its_claim_was_taken_over(db, monkeypatch):
    """An attempt whose claim ran out and was taken over records nothing: the newer attempt decides."""
    queued = outbox.queue_mail("a@example.org", "test/plain", {})
    real_send = mail.backends.locmem.EmailBackend.send_messages

    def taken_over(self, messages):
        OutgoingMail.objects.filter(pk=queued.pk).update(claim_token="newer")
        return real_send(self, messages)

    monkeypatch.setattr(mail.backends.locmem.EmailBackend, "send_messages", taken_over)
    assert outbox.deliver(queued.pk) == outbox.Delivery.SENT
    queued.refresh_from_db()
    assert queued.sent_at is None and queued.claim_token == "newer"


# run_locked


def test_run_locked_runs_the_job_and_releases_the_lock(db):
    assert run_locked("job", lambda: 42) == 42
    lock = PeriodicLock.objects.get(name="job")
    assert lock.locked_until is None and lock.last_run_at is not None


def test_run_locked_skips_while_another_run_holds_the_lock(db):
    PeriodicLock.objects.create(name="job", locked_until=timezone.now() + timedelta(minutes=5))
    calls = []
    assert run_locked("job", lambda: calls.append(1)) is None
    assert calls == []


def test_run_locked_takes_over_an_expired_lock(db):
    PeriodicLock.objects.create(name="job", locked_until=timezone.now() - timedelta(seconds=1))
    assert run_locked("job", lambda: "ran") == "ran"


def test_run_locked_holds_the_lock_while_the_job_runs_and_frees_it_after_a_crash(db):
    seen = []

    def job():
        seen.append(PeriodicLock.objects.get(name="job").locked_until)
        seen.append(run_locked("job", lambda: "nested"))
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        run_locked("job", job, max_runtime=timedelta(minutes=10))
    assert seen[0] > timezone.now() + timedelta(minutes=9)
    assert seen[1] is None  # a second run meanwhile is skipped
    assert PeriodicLock.objects.get(name="job").locked_until is None
