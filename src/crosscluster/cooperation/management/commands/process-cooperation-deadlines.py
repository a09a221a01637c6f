"""Expire cooperation profiles past their date, remind owners before that and about unanswered requests."""

from django.core.management.base import BaseCommand

from crosscluster.cooperation.services import process_deadlines
from crosscluster.core.periodic import run_locked


class Command(BaseCommand):
    help = "Expire profiles, send renewal reminders and reminders about requests waiting for an answer."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Change nothing.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            self.stdout.write("process-cooperation-deadlines: dry run; nothing changed")
            return
        counts = run_locked("process-cooperation-deadlines", process_deadlines)
        if counts is None:
            self.stdout.write("process-cooperation-deadlines: another run is active; skipped")
            return
        summary = ", ".join(f"{key} {value}" for key, value in counts.items())
        self.stdout.write(f"process-cooperation-deadlines: {summary}")
