"""A real `crosscluster db_worker` killed with SIGKILL in the middle of sending a mail.

The worker runs as a subprocess against the test database (a file on SQLite, the test database on
PostgreSQL; the data is committed: `transactional_db`) and talks to the loopback SMTP server of
`tests.smtp`. After the kill a second worker finds the task by its dead worker's missing heartbeat, runs it
again, and the mail still reaches the server exactly once.

The worker's clock is the real one; the test process's clock may be moved (CROSSCLUSTER_TEST_NOW), so every
decision about time is left to the workers.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from crosscluster.core import mail as outbox
from crosscluster.core.models import OutgoingMail
from tests.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{user}{password}@{settings['HOST']}{port}/{settings['NAME']}"


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path) -> Iterator[Callable[[str, int], subprocess.Popen]]:
    """Start `crosscluster db_worker --worker-id NAME` against the test database and SMTP port."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started: list[subprocess.Popen] = []

    def start(name: str, smtp_port: int) -> subprocess.Popen:
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}?timeout=30",
            "TASKS_HEARTBEAT_SECONDS": "1",
            "TASKS_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
            "MAIL_CLAIM_SECONDS": "2",
            # The worker waits for the server's goodbye as long as the server holds it: a moment to kill it.
            "MAIL_QUIT_WAIT_SECONDS": "60",
        }
        log = (tmp_path / f"{name}.log").open("w")
        command = [sys.executable, "-m", "crosscluster", "db_worker", "--worker-id", name, "--no-reload"]
        command += ["--interval", "0.2", "--no-startup-delay"]
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def task_of(mail: OutgoingMail) -> DBTaskResult:
    return DBTaskResult.objects.get(
        task_path="crosscluster.core.tasks.deliver_mail", args_kwargs__args=[mail.pk]
    )


def test_worker_killed_after_the_server_accepted_the_mail_sends_nothing_twice(start_worker):
    with SMTPServer(hold_quit=True) as server:
        mail = outbox.queue_message("firma@example.org", "Ihre Anfrage", "Danke.")  # commits, enqueues
        first = start_worker("worker-one", server.port)
        assert server.quit_seen.wait(60), "the worker never reached the mail server"

        # The server has accepted the message and keeps the worker waiting for its goodbye: kill it now.
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        mail.refresh_from_db()
        killed = task_of(mail)
        assert killed.status == "RUNNING" and killed.worker_ids == ["worker-one"]
        assert mail.sent_at is not None  # recorded before the goodbye, so it is never sent again

        server.release()
        second = start_worker("worker-two", server.port)
        assert wait_for(lambda: task_of(mail).status == "SUCCESSFUL"), "the killed task was not run again"
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0

    task = task_of(mail)
    assert task.worker_ids == ["worker-one", "worker-two"]
    assert task.return_value == "already_sent"
    assert server.message_ids() == [mail.message_id]
    assert server.connections == 1


def test_worker_killed_while_the_server_decides_leaves_the_same_message_id_twice_at_worst(start_worker):
    """The remaining window (docs/operations.md): killed after the message's last line, before the "250".

    The server holds the whole message, the worker does not know whether it was taken. The second worker
    sends it again, with the Message-ID fixed when it was queued: a server that went on to accept the first
    copy has two copies of one message, which receivers that drop duplicates by Message-ID show once.
    """
    with SMTPServer(hold_data=True) as server:
        mail = outbox.queue_message("firma@example.org", "Ihre Anfrage", "Danke.")
        first = start_worker("worker-one", server.port)
        assert server.data_seen.wait(60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        mail.refresh_from_db()
        assert mail.sent_at is None and mail.claimed_until is not None  # claimed by the dead worker

        server.release()  # it accepts what the dead worker handed over, and takes new messages at once
        start_worker("worker-two", server.port)
        assert wait_for(lambda: task_of(mail).status == "SUCCESSFUL"), "the killed task was not run again"

    mail.refresh_from_db()
    task = task_of(mail)
    assert task.worker_ids == ["worker-one", "worker-two"] and task.return_value == "sent"
    assert mail.sent_at is not None and mail.attempts == 2
    assert server.message_ids() == [mail.message_id, mail.message_id]
