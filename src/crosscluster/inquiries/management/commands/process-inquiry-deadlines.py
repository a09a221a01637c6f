"""Remind and escalate inquiries whose first response is due (schedule it every few minutes)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from crosscluster.core.periodic import run_locked
from crosscluster.inquiries.models import Inquiry
from crosscluster.inquiries.services import process_deadlines


class Command(BaseCommand):
    help = (
        "Send a reminder to the organisation when an inquiry's first response is due, and alert the "
        "coordination office at twice the time; each once per assignment."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be sent.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            now = timezone.now()
            waiting = Inquiry.objects.filter(state=Inquiry.State.ASSIGNED)
            reminders = waiting.filter(due_at__lte=now, reminded_at__isnull=True).count()
            alerts = waiting.filter(escalate_at__lte=now, escalated_at__isnull=True).count()
            self.stdout.write(f"process-inquiry-deadlines: {reminders} reminder(s) and {alerts} alert(s) due")
            return
        result = run_locked("process-inquiry-deadlines", process_deadlines)
        if result is None:
            self.stdout.write("process-inquiry-deadlines: another run is active; skipped")
            return
        reminders, alerts = result
        self.stdout.write(f"process-inquiry-deadlines: {reminders} reminder(s) and {alerts} alert(s) sent")
