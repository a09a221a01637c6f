"""Run every periodic job once; cron, a systemd timer or `crosscluster scheduler` call this every minute."""

import logging

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)

# Management commands, each taking `--dry-run` and holding its own `run_locked` lock, so a job still running
# from the previous round (here or on another host) is skipped rather than run twice. Commands of apps that
# are not installed are left out.
JOBS = [
    "send-mail",  # retries of the mail outbox
    "process-inquiry-deadlines",  # reminders and alerts for inquiries waiting for a first response
    "erase-expired-inquiries",  # data protection: personal data of long-closed inquiries
    "import-feeds",  # the Netzwerktimer's subscribed feeds, each once per FEEDS_INTERVAL_MINUTES
    "extend-event-series",  # once a day: recurring entered events get their occurrences a year ahead
    "send-digest",  # the weekly digest, from DIGEST_WEEKDAY/DIGEST_HOUR on; resumes an interrupted run
    "process-cooperation-deadlines",  # cooperation profiles: expiry, renewal reminders, unanswered requests
    "erase-expired-cooperation",  # data protection: long-closed or unconfirmed cooperation profiles/requests
    "erase-unconfirmed-subscriptions",  # data protection: digest subscriptions not confirmed in time
    "delete-expired-page-views",  # page-view counts older than PAGE_VIEW_RETENTION_DAYS
    "delete-expired-throttle-slots",  # rate-limit places whose window has passed
    "requeue-stale-tasks",  # RUNNING tasks whose worker died are queued again (core.workers)
    "check-derived",  # once a day: stored derived data (listed flags, search documents, embeddings) repaired
]


class Command(BaseCommand):
    help = "Run every periodic job once, each under its own lock; a failing job does not stop the others."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what each job would do.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        available = get_commands()
        failed = []
        for job in JOBS:
            if job not in available:
                continue
            try:
                call_command(job, dry_run=dry_run, stdout=self.stdout, stderr=self.stderr)
            except Exception:  # one broken job must not keep the others (the mail outbox) from running
                logger.exception("periodic job %s failed", job)
                self.stderr.write(f"run-periodic: {job} failed; see the log")
                failed.append(job)
        if failed:
            raise CommandError(f"run-periodic: {len(failed)} job(s) failed: {', '.join(failed)}")
