"""The outbox against a real (loopback) SMTP server that is slow or hangs (`tests.smtp`).

These tests commit (`transactional_db`) and deliver in a second thread, as the worker does beside the web
server: on SQLite the test database is a file with the production settings (one writer, `busy_timeout` 5 s),
so a delivery that held a transaction across the SMTP conversation would lock every other write out.
"""

import threading
import time

import pytest
from django.db import connection

from crosscluster.core import mail as outbox
from crosscluster.core.models import AuditLogEntry, OutgoingMail
from crosscluster.core.services import log_action
from tests.smtp import SMTPServer, use_smtp


@pytest.fixture(autouse=True)
def no_task_queue(settings):
    """Queued mails are delivered by the test itself, not by a task run at commit."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def queued(to: str = "firma@example.org") -> OutgoingMail:
    return OutgoingMail.objects.create(
        to=to, subject="Ihre Anfrage", body_text="Danke.", message_id=outbox.new_message_id()
    )


class Delivery(threading.Thread):
    """`deliver` in its own thread with its own database connection, like a worker process."""

    def __init__(self, mail_id: int) -> None:
        super().__init__(daemon=True)
        self.mail_id = mail_id
        self.result = None

    def run(self) -> None:
        try:
            self.result = outbox.deliver(self.mail_id)
        finally:
            connection.close()


def test_deliver_keeps_no_transaction_open_while_the_server_answers_quit(transactional_db, settings):
    with SMTPServer(hold_quit=True) as server:
        use_smtp(settings, server)
        mail = queued()
        delivery = Delivery(mail.pk)
        delivery.start()
        assert server.quit_seen.wait(10)

        # The server has accepted the message and keeps the client waiting for its answer to QUIT.
        started = time.monotonic()
        log_action("test.write", actor=None)  # a web request's write
        waited = time.monotonic() - started
        mail.refresh_from_db()
        server.release()
        delivery.join(10)

    assert waited < 1, f"a write waited {waited:.1f} s for the mail delivery"
    assert AuditLogEntry.objects.filter(action="test.write").exists()
    # Recorded as sent as soon as the server accepted it, before the goodbye.
    assert mail.sent_at is not None and mail.claimed_until is None
    assert delivery.result == outbox.Delivery.SENT
    assert server.message_ids() == [mail.message_id]


def test_deliver_records_a_hung_server_as_a_failure_after_the_timeout(transactional_db, settings):
    with SMTPServer(hold_data=True) as server:
        use_smtp(settings, server, timeout=1)
        mail = queued()
        delivery = Delivery(mail.pk)
        delivery.start()
        assert server.data_seen.wait(10)
        started = time.monotonic()
        log_action("test.write", actor=None)
        waited = time.monotonic() - started
        delivery.join(10)
        server.release()

    mail.refresh_from_db()
    assert waited < 1
    assert delivery.result == outbox.Delivery.FAILED
    assert mail.sent_at is None and mail.claimed_until is None and mail.attempts == 1
    assert "timed out" in mail.last_error
    assert mail.next_attempt_at is not None


def test_deliver_answers_quickly_although_the_server_waits_before_quit(transactional_db, settings):
    """The delay of the goodbye is the server's business: the mail is sent once, nothing fails."""
    with SMTPServer(quit_delay=2) as server:
        use_smtp(settings, server)
        mails = [queued(f"firma{number}@example.org") for number in range(3)]
        results = [outbox.deliver(mail.pk) for mail in mails]

    assert results == [outbox.Delivery.SENT] * 3
    assert sorted(server.message_ids()) == sorted(mail.message_id for mail in mails)
    assert OutgoingMail.objects.filter(sent_at__isnull=True).count() == 0


def test_deliver_sends_once_when_two_workers_try_at_the_same_time(transactional_db, settings):
    with SMTPServer(hold_data=True) as server:
        use_smtp(settings, server)
        mail = queued()
        first = Delivery(mail.pk)
        first.start()
        assert server.data_seen.wait(10)

        second = outbox.deliver(mail.pk)  # e.g. `send-mail` while the worker is still talking to the server
        server.release()
        first.join(10)

    assert second == outbox.Delivery.BUSY
    assert first.result == outbox.Delivery.SENT
    assert len(server.messages) == 1


def test_deliver_waits_for_a_hanging_goodbye_only_briefly(transactional_db, settings):
    """Recorded as sent before QUIT; a server that never answers it costs MAIL_QUIT_WAIT_SECONDS."""
    settings.MAIL_QUIT_WAIT_SECONDS = 1
    with SMTPServer(hold_quit=True) as server:
        use_smtp(settings, server, timeout=20)
        mail = queued()
        started = time.monotonic()
        result = outbox.deliver(mail.pk)
        took = time.monotonic() - started

    assert result == outbox.Delivery.SENT
    assert 1 <= took < 3
    assert server.message_ids() == [mail.message_id]
