"""Delete digest subscriptions not confirmed within DIGEST_UNCONFIRMED_DAYS (data minimisation)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from crosscluster.core.periodic import run_locked
from crosscluster.digest.models import Subscriber
from crosscluster.digest.services import erase_unconfirmed


class Command(BaseCommand):
    help = "Delete digest subscriptions that were not confirmed in time, with their queued mails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        days = settings.DIGEST_UNCONFIRMED_DAYS
        if dry_run:
            cutoff = timezone.now() - timedelta(days=days)
            due = Subscriber.objects.filter(confirmed_at__isnull=True, requested_at__lt=cutoff).count()
            self.stdout.write(
                f"erase-unconfirmed-subscriptions: dry run: {due} to delete (after {days} days)"
            )
            return
        erased = run_locked("erase-unconfirmed-subscriptions", erase_unconfirmed)
        if erased is None:
            self.stdout.write("erase-unconfirmed-subscriptions: another run is active; skipped")
            return
        self.stdout.write(f"erase-unconfirmed-subscriptions: {erased} deleted (after {days} days)")
