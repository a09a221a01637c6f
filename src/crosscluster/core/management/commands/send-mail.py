"""Retry queued mails whose delivery failed or was never enqueued (schedule it every few minutes)."""

from django.core.management.base import BaseCommand

from crosscluster.core.mail import deliver_pending
from crosscluster.core.models import OutgoingMail
from crosscluster.core.periodic import run_locked


class Command(BaseCommand):
    help = "Send every due mail of the outbox; failed ones are retried later with back-off."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be sent.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        if dry_run:
            pending = OutgoingMail.objects.filter(sent_at__isnull=True).count()
            self.stdout.write(f"send-mail: {pending} mail(s) waiting")
            return
        result = run_locked("send-mail", deliver_pending)
        if result is None:
            self.stdout.write("send-mail: another run is active; skipped")
            return
        sent, failed = result
        self.stdout.write(f"send-mail: {sent} sent, {failed} failed (kept for a retry)")
