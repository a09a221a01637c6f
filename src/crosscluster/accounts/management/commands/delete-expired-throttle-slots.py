"""Delete the rate-limit places that are free again (run-periodic runs it); see accounts.throttling."""

from django.core.management.base import BaseCommand

from crosscluster.accounts import throttling
from crosscluster.core.models import ThrottleSlot
from crosscluster.core.periodic import run_locked


class Command(BaseCommand):
    help = "Delete the rate-limit places (login, password reset, forms, routing) whose window has passed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            due = ThrottleSlot.objects.filter(busy_until__lte=throttling._now()).count()
            self.stdout.write(f"delete-expired-throttle-slots: {due} free place(s) to delete")
            return
        deleted = run_locked("delete-expired-throttle-slots", throttling.delete_expired)
        if deleted is None:
            self.stdout.write("delete-expired-throttle-slots: another run is active; skipped")
            return
        self.stdout.write(f"delete-expired-throttle-slots: {deleted} free place(s) deleted")
