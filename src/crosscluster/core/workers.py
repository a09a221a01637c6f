"""Task workers that die: heartbeats, queueing their tasks again, and what the coordination office sees.

django-tasks-db (0.13) marks a task RUNNING when a worker takes it, and nothing else watches it: a worker
killed mid-task (`kill -9`, out of memory, a host that goes down) leaves the task RUNNING for ever, and an
"import now" or an embedding task that was running is never run again. It offers no heartbeat or lease, so
the project adds one:

- `crosscluster db_worker` (core's command, which replaces the library's of the same name) reports every
  `TASKS_HEARTBEAT_SECONDS` in `core.WorkerHeartbeat`, from a thread beside the task;
- `requeue_orphans` finds RUNNING tasks whose worker has not reported for `TASKS_WORKER_LEASE_SECONDS`
  and queues them again (READY), or marks them FAILED once they have been started `TASKS_MAX_ATTEMPTS`
  times (a task that kills its worker must not kill every worker in turn). Workers call it themselves every
  lease, and `crosscluster requeue-stale-tasks` (a periodic job) does too;
- task bodies are idempotent (see each `tasks.py`), so running a task again after a crash is safe; the mail
  outbox (core.mail) in particular never sends a mail twice because its task ran twice.

A heartbeat proves only that the worker lives, not that its task makes progress: a task running longer than
`TASKS_STUCK_MINUTES` is shown as stuck on the coordination office's dashboard (`background_health`),
with the failed tasks of the last days, tasks that wait because no worker takes them, and mails the outbox
could not deliver.
"""

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from .models import OutgoingMail, WorkerHeartbeat

logger = logging.getLogger(__name__)

RUNNING, READY, FAILED = "RUNNING", "READY", "FAILED"
# What the dashboard lists: failures this recent, tasks waiting this long, mails with this many attempts.
FAILED_SHOWN_DAYS = 7
WAITING_ALERT = timedelta(minutes=10)
UNDELIVERED_ATTEMPTS = 3
SHOWN = 20


# What the dashboard calls the project's tasks; others are shown by their function's name.
TASK_LABELS = {
    "crosscluster.core.tasks.deliver_mail": _("Send a mail"),
    "crosscluster.events.tasks.import_feed_now": _("Import a feed (“import now”)"),
    "crosscluster.routing.tasks.compute_embeddings": _("Compute routing embeddings"),
}


def task_label(result: DBTaskResult) -> str:
    return str(TASK_LABELS.get(result.task_path, result.task_path.rpartition(".")[2]))


def lease() -> timedelta:
    return timedelta(seconds=settings.TASKS_WORKER_LEASE_SECONDS)


def beat(worker_id: str, *, task_id: str = "", started_at: datetime | None = None) -> None:
    """Record that the worker lives (and which task it runs)."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"last_seen_at": now, "task_id": task_id},
        create_defaults={
            "last_seen_at": now,
            "task_id": task_id,
            "started_at": started_at or now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def stopped(worker_id: str) -> None:
    """A worker that ends cleanly says goodbye, so it is not taken for a dead one."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class WorkerLost(Exception):
    """Recorded as the error of a task whose worker died too often while running it."""


def running_tasks_of_live_workers(cutoff: datetime) -> dict[str, str]:
    """Worker id → the task it reports running ("" for none), of the workers heard since `cutoff`."""
    return dict(WorkerHeartbeat.objects.filter(last_seen_at__gt=cutoff).values_list("worker_id", "task_id"))


def is_orphaned(result: DBTaskResult, running: dict[str, str]) -> bool:
    """RUNNING, taken longer than a lease ago, and nobody runs it: its worker is silent, or is alive and
    reports another task (the library lost the result: e.g. the database was locked when it recorded it).
    A live worker reports its task within one heartbeat, far less than a lease."""
    worker = result.worker_ids[-1] if result.worker_ids else ""
    return running.get(worker) != str(result.id)


def requeue_orphans(now: datetime | None = None) -> tuple[int, int]:
    """Queue again the RUNNING tasks whose worker stopped reporting; returns (queued again, failed).

    Each change is conditional on the task being unchanged since it was read (still RUNNING, same start),
    so two callers at once, or a worker that finishes the task meanwhile, never clash.
    """
    now = now or timezone.now()
    cutoff = now - lease()
    running = running_tasks_of_live_workers(cutoff)
    requeued = failed = 0
    candidates = DBTaskResult.objects.filter(status=RUNNING, started_at__lt=cutoff).only(
        "id", "started_at", "worker_ids", "task_path"
    )
    for result in candidates:
        if not is_orphaned(result, running):
            continue
        worker = result.worker_ids[-1] if result.worker_ids else ""
        unchanged = DBTaskResult.objects.filter(pk=result.pk, status=RUNNING, started_at=result.started_at)
        runs = len(result.worker_ids)
        if runs >= settings.TASKS_MAX_ATTEMPTS:
            error = WorkerLost(
                f"The worker {worker} stopped while running this task, the {runs}. time it was started; "
                "it is not queued again."
            )
            if unchanged.update(
                status=FAILED,
                finished_at=now,
                return_value=None,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=f"{WorkerLost.__qualname__}: {error}\n",
            ):
                failed += 1
                logger.error("task %s (%s): %s", result.pk, result.task_path, error)
        elif unchanged.update(status=READY, started_at=None):
            requeued += 1
            logger.warning(
                "task %s (%s): its worker %s stopped reporting; queued again (run %s of at most %s)",
                result.pk,
                result.task_path,
                worker,
                runs + 1,
                settings.TASKS_MAX_ATTEMPTS,
            )
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - timedelta(days=1)).delete()
    return requeued, failed


class Heartbeat(threading.Thread):
    """Beats for a worker from a thread of its own, so a long task does not silence it.

    Every lease it also queues the tasks of dead workers again, so workers heal each other without the
    periodic job. Its database connection is its own and closed after each beat (SQLite: no lock is held).
    """

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.task_id = ""
        self.started_at = timezone.now()
        self._stopping = threading.Event()

    def beat_now(self) -> None:
        try:
            beat(self.worker_id, task_id=self.task_id, started_at=self.started_at)
        except Exception:  # the next beat tries again; a lease is many beats long
            logger.exception("worker %s: heartbeat failed", self.worker_id)

    def run(self) -> None:
        interval = max(1, settings.TASKS_HEARTBEAT_SECONDS)
        beats_per_check = max(1, settings.TASKS_WORKER_LEASE_SECONDS // interval)
        count = 0
        while not self._stopping.wait(interval):
            self.beat_now()
            count += 1
            if count % beats_per_check == 0:
                try:
                    requeue_orphans()
                except Exception:
                    logger.exception("worker %s: queueing the tasks of dead workers failed", self.worker_id)
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        close_old_connections()
        try:
            stopped(self.worker_id)
        except Exception:
            logger.exception("worker %s: could not say goodbye", self.worker_id)


# What the coordination office's dashboard shows ---------------------------------------------------------


@dataclass
class TaskRow:
    """One task as the dashboard lists it."""

    id: str
    label: str
    arguments: str
    started_at: datetime | None
    finished_at: datetime | None
    runs: int
    worker_silent: bool = False  # nobody runs it (its worker stopped): it will be queued again
    error: str = ""  # the exception's class, e.g. "SMTPServerDisconnected"

    @classmethod
    def of(cls, result: DBTaskResult, **extra: object) -> "TaskRow":
        arguments = [*result.args_kwargs.get("args", []), *result.args_kwargs.get("kwargs", {}).values()]
        return cls(
            id=str(result.id),
            label=task_label(result),
            arguments=", ".join(str(argument) for argument in arguments)[:100],
            started_at=result.started_at,
            finished_at=result.finished_at,
            runs=len(result.worker_ids),
            **extra,  # type: ignore[arg-type]
        )


@dataclass
class BackgroundHealth:
    """Tasks and mails that need a person's attention; empty lists when all is well."""

    stuck: list[TaskRow] = field(default_factory=list)
    failed: list[TaskRow] = field(default_factory=list)
    failed_count: int = 0
    waiting: int = 0
    oldest_waiting_since: datetime | None = None
    undelivered: list[OutgoingMail] = field(default_factory=list)
    undelivered_count: int = 0
    workers: int = 0

    @property
    def all_well(self) -> bool:
        return not (self.stuck or self.failed_count or self.waiting or self.undelivered_count)


def background_health(now: datetime | None = None) -> BackgroundHealth:
    """Stuck and failed tasks, tasks nobody takes, undelivered mails: in a handful of queries."""
    now = now or timezone.now()
    cutoff = now - lease()
    live = running_tasks_of_live_workers(cutoff)
    stuck_before = now - timedelta(minutes=settings.TASKS_STUCK_MINUTES)
    running = DBTaskResult.objects.filter(status=RUNNING, started_at__lt=max(cutoff, stuck_before))
    stuck = []
    for result in running.order_by("started_at")[:200]:
        orphaned = result.started_at < cutoff and is_orphaned(result, live)
        if orphaned or result.started_at < stuck_before:
            stuck.append(TaskRow.of(result, worker_silent=orphaned))
    failed = DBTaskResult.objects.filter(
        status=FAILED, finished_at__gte=now - timedelta(days=FAILED_SHOWN_DAYS)
    ).order_by("-finished_at")
    failed_shown = [
        TaskRow.of(result, error=result.exception_class_path.rpartition(".")[2]) for result in failed[:SHOWN]
    ]
    # Due for a while and not taken: no worker runs (or all are busy for long).
    waiting = (
        DBTaskResult.objects.ready()
        .filter(enqueued_at__lt=now - WAITING_ALERT)
        .aggregate(count=Count("id"), oldest=Min("enqueued_at"))
    )
    undelivered = OutgoingMail.objects.filter(sent_at__isnull=True, attempts__gte=UNDELIVERED_ATTEMPTS)
    undelivered_shown = list(undelivered.order_by("created_at")[:SHOWN])
    return BackgroundHealth(
        stuck=stuck[:SHOWN],
        failed=failed_shown,
        failed_count=len(failed_shown) if len(failed_shown) < SHOWN else failed.count(),
        waiting=waiting["count"],
        oldest_waiting_since=waiting["oldest"],
        undelivered=undelivered_shown,
        undelivered_count=(len(undelivered_shown) if len(undelivered_shown) < SHOWN else undelivered.count()),
        workers=len(live),
    )
