"""Tasks of dead workers are found by their missing heartbeat and queued again (core.workers)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crosscluster.core import workers
from crosscluster.core.models import OutgoingMail, WorkerHeartbeat
from crosscluster.core.tasks import deliver_mail

LEASE = timedelta(seconds=120)  # TASKS_WORKER_LEASE_SECONDS


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_WORKER_LEASE_SECONDS = 120
    settings.TASKS_MAX_ATTEMPTS = 3


def running(worker_ids: list[str], started: timedelta) -> DBTaskResult:
    """A deliver_mail task that `worker_ids[-1]` took `started` ago (after earlier runs by the others)."""
    result = deliver_mail.enqueue(1).db_result
    DBTaskResult.objects.filter(pk=result.pk).update(
        status="RUNNING", started_at=timezone.now() - started, worker_ids=worker_ids
    )
    return DBTaskResult.objects.get(pk=result.pk)


def heartbeat(worker_id: str, seen: timedelta, running: DBTaskResult | None = None) -> None:
    WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        started_at=timezone.now() - timedelta(hours=1),
        last_seen_at=timezone.now() - seen,
        task_id=str(running.pk) if running else "",
    )


def status(result: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=result.pk).status


def test_requeue_orphans_queues_the_task_of_a_silent_worker_again(db):
    dead = running(["dead"], started=timedelta(minutes=5))
    heartbeat("dead", seen=LEASE + timedelta(seconds=1))
    vanished = running(["never-reported"], started=timedelta(minutes=5))

    assert workers.requeue_orphans() == (2, 0)

    for result in (dead, vanished):
        stored = DBTaskResult.objects.get(pk=result.pk)
        assert stored.status == "READY" and stored.started_at is None
        assert stored.worker_ids == result.worker_ids  # the runs so far stay on record
    assert DBTaskResult.objects.ready().count() == 2


def test_requeue_orphans_leaves_live_workers_and_young_tasks_alone(db):
    alive = running(["alive"], started=timedelta(hours=3))  # long, but its worker reports running it
    heartbeat("alive", seen=timedelta(seconds=5), running=alive)
    young = running(["starting"], started=timedelta(seconds=30))  # taken moments ago

    assert workers.requeue_orphans() == (0, 0)
    assert status(alive) == status(young) == "RUNNING"


def test_requeue_orphans_queues_a_task_its_live_worker_no_longer_runs(db):
    """The worker lives but reports another task (or none): the library lost this one's result."""
    lost = running(["busy"], started=timedelta(minutes=5))
    other = running(["busy"], started=timedelta(seconds=10))
    heartbeat("busy", seen=timedelta(seconds=5), running=other)

    assert workers.requeue_orphans() == (1, 0)
    assert status(lost) == "READY" and status(other) == "RUNNING"


def test_requeue_orphans_gives_up_after_the_maximum_of_runs(db):
    poison = running(["a", "b", "c"], started=timedelta(minutes=5))

    assert workers.requeue_orphans() == (0, 1)

    stored = DBTaskResult.objects.get(pk=poison.pk)
    assert stored.status == "FAILED" and stored.finished_at is not None
    assert stored.exception_class_path == "crosscluster.core.workers.WorkerLost"
    assert "The worker c stopped" in stored.traceback
    assert stored.task_result.errors[0].exception_class_path == stored.exception_class_path


def test_requeue_orphans_forgets_workers_gone_for_a_day(db):
    heartbeat("old", seen=timedelta(days=1, minutes=1))
    heartbeat("recent", seen=timedelta(hours=2))

    workers.requeue_orphans()

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


def test_requeue_stale_tasks_command(db):
    running(["dead"], started=timedelta(minutes=5))
    out = io.StringIO()

    call_command("requeue-stale-tasks", "--dry-run", stdout=out)
    call_command("requeue-stale-tasks", stdout=out)
    call_command("requeue-stale-tasks", stdout=out)

    assert out.getvalue().splitlines() == [
        "requeue-stale-tasks: 1 task(s) of dead workers",
        "requeue-stale-tasks: 1 queued again, 0 failed (after 3 runs)",
        "requeue-stale-tasks: 0 queued again, 0 failed (after 3 runs)",
    ]


def test_beat_records_the_worker_and_its_task(db):
    workers.beat("w1", task_id="abc")
    first = WorkerHeartbeat.objects.get()
    workers.beat("w1")
    second = WorkerHeartbeat.objects.get()

    assert first.task_id == "abc" and second.task_id == ""
    assert second.started_at == first.started_at and second.last_seen_at >= first.last_seen_at
    assert second.pid and second.hostname
    workers.stopped("w1")
    assert not WorkerHeartbeat.objects.exists()


def test_background_health_lists_what_needs_attention(db, settings):
    settings.TASKS_STUCK_MINUTES = 60
    assert workers.background_health().all_well

    orphan = running(["dead"], started=timedelta(minutes=5))
    endless = running(["alive"], started=timedelta(minutes=61))
    heartbeat("alive", seen=timedelta(seconds=3), running=endless)
    fine = running(["other"], started=timedelta(minutes=5))
    heartbeat("other", seen=timedelta(seconds=3), running=fine)
    failed = deliver_mail.enqueue(2).db_result
    DBTaskResult.objects.filter(pk=failed.pk).update(status="FAILED", finished_at=timezone.now())
    old_failure = deliver_mail.enqueue(3).db_result
    DBTaskResult.objects.filter(pk=old_failure.pk).update(
        status="FAILED", finished_at=timezone.now() - timedelta(days=8)
    )
    waiting = deliver_mail.enqueue(4).db_result
    DBTaskResult.objects.filter(pk=waiting.pk).update(enqueued_at=timezone.now() - timedelta(minutes=11))
    deliver_mail.enqueue(5)  # just queued: nothing to worry about
    stuck_mail = OutgoingMail.objects.create(to="a@example.org", subject="s", body_text="b", attempts=3)
    OutgoingMail.objects.create(to="b@example.org", subject="s", body_text="b", attempts=2)

    health = workers.background_health()

    assert not health.all_well
    assert [(row.id, row.worker_silent) for row in health.stuck] == [
        (str(endless.pk), False),
        (str(orphan.pk), True),
    ]
    assert str(fine.pk) not in {row.id for row in health.stuck}
    assert health.stuck[0].label == "Eine E-Mail senden" and health.stuck[0].arguments == "1"
    assert [(row.id, row.error) for row in health.failed] == [(str(failed.pk), "")]
    assert health.failed_count == 1
    assert health.waiting == 1
    assert health.undelivered == [stuck_mail] and health.undelivered_count == 1
    assert health.workers == 2


def idle_worker(monkeypatch, library_loop):
    """A HeartbeatWorker whose library loop is `library_loop` and whose heartbeat thread does not run."""
    from crosscluster.core.management.commands import db_worker

    monkeypatch.setattr(db_worker.upstream.Worker, "run", library_loop)
    monkeypatch.setattr(workers.Heartbeat, "start", lambda self: None)
    monkeypatch.setattr(workers.Heartbeat, "join", lambda self, timeout=None: None)
    return db_worker.HeartbeatWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )


def test_worker_goes_on_when_the_database_stays_locked(transactional_db, monkeypatch):
    """django-tasks-db's loop ends with "database is locked" when it cannot begin its transaction."""
    calls = []

    def library_loop(self):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")

    idle_worker(monkeypatch, library_loop).run()

    assert len(calls) == 2
    assert not WorkerHeartbeat.objects.exists()  # it said goodbye


def test_worker_stops_on_other_database_errors(transactional_db, monkeypatch):
    def library_loop(self):
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")

    with pytest.raises(OperationalError):
        idle_worker(monkeypatch, library_loop).run()
