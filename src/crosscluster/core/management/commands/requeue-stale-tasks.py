"""Queue again the tasks of workers that died (run-periodic runs it; workers do it too). See core.workers."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crosscluster.core import workers
from crosscluster.core.periodic import run_locked
from crosscluster.core.workers import RUNNING, lease, requeue_orphans


class Command(BaseCommand):
    help = (
        "Queue again the RUNNING tasks whose worker stopped reporting (TASKS_WORKER_LEASE_SECONDS); "
        "mark them failed after TASKS_MAX_ATTEMPTS runs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count the tasks of dead workers.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            cutoff = timezone.now() - lease()
            live = workers.running_tasks_of_live_workers(cutoff)
            orphans = [
                result
                for result in DBTaskResult.objects.filter(status=RUNNING, started_at__lt=cutoff)
                if workers.is_orphaned(result, live)
            ]
            self.stdout.write(f"requeue-stale-tasks: {len(orphans)} task(s) of dead workers")
            return
        result = run_locked("requeue-stale-tasks", requeue_orphans)
        if result is None:
            self.stdout.write("requeue-stale-tasks: another run is active; skipped")
            return
        requeued, failed = result
        self.stdout.write(
            f"requeue-stale-tasks: {requeued} queued again, {failed} failed "
            f"(after {settings.TASKS_MAX_ATTEMPTS} runs)"
        )
