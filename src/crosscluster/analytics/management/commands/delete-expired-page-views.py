"""Delete daily page-view counts older than PAGE_VIEW_RETENTION_DAYS (run-periodic runs it)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from crosscluster.analytics.models import PageViewCount
from crosscluster.analytics.services import delete_expired_page_views, retention_cutoff
from crosscluster.core.periodic import run_locked


class Command(BaseCommand):
    help = "Delete the daily page-view counts older than the retention period (PAGE_VIEW_RETENTION_DAYS)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be deleted.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        days = settings.PAGE_VIEW_RETENTION_DAYS
        cutoff = retention_cutoff()
        if dry_run:
            due = PageViewCount.objects.filter(day__lt=cutoff).count()
            self.stdout.write(f"delete-expired-page-views: {due} daily count(s) before {cutoff} to delete")
            return
        deleted = run_locked("delete-expired-page-views", delete_expired_page_views)
        if deleted is None:
            self.stdout.write("delete-expired-page-views: another run is active; skipped")
            return
        self.stdout.write(
            f"delete-expired-page-views: {deleted} daily count(s) before {cutoff} deleted "
            f"(retention {days} days)"
        )
