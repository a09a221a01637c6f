"""Erase the personal data of cooperation profiles and introductions closed longer ago than the retention
period, and of those whose e-mail address was never confirmed (schedule it daily)."""

from django.core.management.base import BaseCommand

from crosscluster.cooperation import conf
from crosscluster.cooperation.services import erase_expired
from crosscluster.core.periodic import run_locked


class Command(BaseCommand):
    help = (
        "Erase contact details and texts of long-closed or never-confirmed cooperation profiles and requests."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only say what the retention period is.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        days = conf.retention_days()
        if dry_run:
            self.stdout.write(f"erase-expired-cooperation: would erase what was closed over {days} days ago")
            return
        result = run_locked("erase-expired-cooperation", erase_expired)
        if result is None:
            self.stdout.write("erase-expired-cooperation: another run is active; skipped")
            return
        profiles, introductions = result
        self.stdout.write(
            f"erase-expired-cooperation: {profiles} profile(s), {introductions} request(s) erased "
            f"(retention {days} days)"
        )
