"""Compare the stored derived data with its definition, repair it and report the drift (once a day).

Derived data — the calendar's `Event.listed` flag, the search documents, the routing engine's embeddings —
is kept current by the domain signals (core.signals). This job is the check that this worked: it sends
`check_derived`, and each owner compares what it stored with what its definition gives now, repairs the
difference (unless `--dry-run`) and returns a `Drift`. Any drift found is a bug in a write path (or a write
past the services) and is logged as a warning. `run-periodic` calls it every round; it works only when its
last run is a day old (or with `--force`). Locked like the other periodic jobs.
"""

import logging
from datetime import timedelta
from typing import cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from crosscluster.core.models import PeriodicLock
from crosscluster.core.periodic import run_locked
from crosscluster.core.signals import Drift, check_derived

logger = logging.getLogger(__name__)


def check(*, dry_run: bool) -> list[Drift]:
    """Every owner's check (each repairs unless `dry_run`)."""
    # Every receiver returns a Drift (django-stubs types a receiver's answer as a string).
    return [cast(Drift, drift) for _receiver, drift in check_derived.send(sender=None, dry_run=dry_run)]


class Command(BaseCommand):
    help = "Compare stored derived data (listed flags, search documents, embeddings) with its definition."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Compare and report, repair nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Run even if the last run is less than a day old."
        )

    def handle(self, *args: object, dry_run: bool = False, force: bool = False, **options: object) -> None:
        recent = timezone.now() - timedelta(days=1)
        if not force and PeriodicLock.objects.filter(name="check-derived", last_run_at__gt=recent).exists():
            self.stdout.write("check-derived: ran less than a day ago; not due")
            return
        drifts = check(dry_run=True) if dry_run else run_locked("check-derived", lambda: check(dry_run=False))
        if drifts is None:
            self.stdout.write("check-derived: another run is active; skipped")
            return
        parts = []
        for drift in drifts:
            part = f"{drift.name}: {drift.checked} checked, {drift.found} differ"
            if not dry_run:
                part += f", {drift.repaired} repaired"
            if drift.found:
                part += f" (e.g. {'; '.join(drift.examples)})"
                logger.warning("check-derived: %s", part)
            if drift.notes:
                part += f"; {'; '.join(drift.notes)}"
            parts.append(part)
        found = sum(drift.found for drift in drifts)
        # One line, as every periodic job writes (run-periodic); each owner's figures after the total.
        summary = f"check-derived: {'dry run: ' if dry_run else ''}{found} drift(s) found"
        self.stdout.write(" | ".join([summary, *parts]))
