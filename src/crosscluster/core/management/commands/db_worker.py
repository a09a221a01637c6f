"""`crosscluster db_worker`: django-tasks-db's worker with a heartbeat (core.workers).

It replaces the library's command of the same name (core comes before django_tasks_db in INSTALLED_APPS,
and Django takes the first app's command), with the same options, so `make run`, systemd units and scripts
keep their command line. Beside the library's loop a thread reports every TASKS_HEARTBEAT_SECONDS and, every
lease, queues again the tasks of workers that stopped reporting.
"""

import os
import time
from typing import Any

from django.db import OperationalError, close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from crosscluster.core.workers import Heartbeat, requeue_orphans


class HeartbeatWorker(upstream.Worker):
    """The library's worker; it says it is alive, and which task it runs, while it runs."""

    heartbeat: Heartbeat | None = None

    def run(self) -> None:
        self.heartbeat = Heartbeat(self.worker_id)
        self.heartbeat.beat_now()  # known as alive before it takes its first task
        try:
            requeue_orphans()  # a restarted worker picks up what its predecessor left RUNNING
        finally:
            close_old_connections()
        self.heartbeat.start()
        try:
            self._run_through_busy_database()
        finally:
            self.heartbeat.stop()

    def _run_through_busy_database(self) -> None:
        """The library's loop, started again when SQLite stays locked longer than `busy_timeout`.

        Its loop catches a locked database only while it looks for a task, not when it begins that
        transaction (BEGIN EXCLUSIVE): under a burst of web writes the worker process ended.
        """
        while True:
            try:
                super().run()
                return
            except OperationalError as exc:
                if not is_locked_database_exception(exc) or not self.running:
                    raise
                upstream.logger.warning("worker %s: the database is busy; going on", self.worker_id)
                self.startup_delay = False
                close_old_connections()
                time.sleep(max(self.interval, 0.1))

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if self.heartbeat is not None:
            self.heartbeat.task_id = str(db_task_result.id)
        try:
            super().run_task(db_task_result)
        finally:
            if self.heartbeat is not None:
                self.heartbeat.task_id = ""


class Command(upstream.Command):
    help = "Run a database background worker that reports a heartbeat (see core.workers)."

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        # As the library's handle(), building a HeartbeatWorker instead of its Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            upstream.logger.warning(
                "Warning: --reload and --batch cannot be specified together. Disabling autoreload."
            )
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise upstream.CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = HeartbeatWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
