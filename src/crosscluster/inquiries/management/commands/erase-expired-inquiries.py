"""Erase the personal data of inquiries closed longer ago than INQUIRY_RETENTION_DAYS (schedule it daily)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from crosscluster.core.periodic import run_locked
from crosscluster.inquiries.models import Inquiry
from crosscluster.inquiries.services import erase_expired


class Command(BaseCommand):
    help = (
        "Erase company names, contact details, texts and notes of inquiries closed longer ago than the "
        "retention period; states, organisations, topics and times stay for the statistics."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be erased.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        days = settings.INQUIRY_RETENTION_DAYS
        if dry_run:
            cutoff = timezone.now() - timedelta(days=days)
            due = Inquiry.objects.closed().filter(closed_at__lt=cutoff, erased_at__isnull=True).count()
            self.stdout.write(
                f"erase-expired-inquiries: {due} inquiry(ies) closed over {days} days ago to erase"
            )
            return
        erased = run_locked("erase-expired-inquiries", erase_expired)
        if erased is None:
            self.stdout.write("erase-expired-inquiries: another run is active; skipped")
            return
        self.stdout.write(f"erase-expired-inquiries: {erased} inquiry(ies) erased (retention {days} days)")
