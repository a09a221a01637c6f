"""Move the horizon of every recurring entered event along, once a day (see docs/events.md).

Each series has its occurrences a year ahead (series.expand_series); without this job a series saved
once would run dry after a year. `run-periodic` calls it every round; it works only when its last run is a
day old (or with `--force`). Idempotent and locked like the other periodic jobs.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.utils import timezone

from crosscluster.core.models import PeriodicLock
from crosscluster.core.periodic import run_locked
from crosscluster.events.models import Event
from crosscluster.events.series import expand_series, series_occurrences


class Command(BaseCommand):
    help = "Create the occurrences of recurring events that came within the horizon; --dry-run counts them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Run even if the last run is less than a day old."
        )

    def handle(self, *args: object, dry_run: bool = False, force: bool = False, **options: object) -> None:
        recent = timezone.now() - timedelta(days=1)
        if (
            not force
            and PeriodicLock.objects.filter(name="extend-event-series", last_run_at__gt=recent).exists()
        ):
            self.stdout.write("extend-event-series: ran less than a day ago; not due")
            return
        series = list(
            Event.objects.filter(series__isnull=True).exclude(Q(rrule="") & Q(rdates="")).order_by("pk")
        )
        if dry_run:
            total = sum(len(series_occurrences(event)[0]) for event in series)
            self.stdout.write(f"extend-event-series: dry run: {len(series)} series, {total} occurrences")
            return
        result = run_locked("extend-event-series", lambda: sum(expand_series(event) for event in series))
        if result is None:
            self.stdout.write("extend-event-series: another run is active; skipped")
            return
        self.stdout.write(f"extend-event-series: {len(series)} series, {result} occurrences")
