"""Import every due feed subscription (schedule it through run-periodic, which runs every minute).

A feed is due when it is active and its last fetch is older than `FEEDS_INTERVAL_MINUTES` (doubled for each
failure in a row). Each feed is imported on its own: a feed that cannot be read is marked failing by
`import_feed`, and even an unexpected error in one feed is logged and the others are still imported; the
command then exits with an error.

A run is bounded: each feed by `feeds.limits.feed_deadline()` (the fetch's total deadline plus twice the
processing time), and the run starts no further feed after `FEEDS_RUN_SECONDS` (the others stay due and,
waiting longest, come first next time). Its lock expires when the run must be over, `FEEDS_RUN_SECONDS` plus
one feed's deadline (a single feed with `--feed`: that feed's deadline), so a killed run blocks the imports
no longer than that.
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crosscluster.core.periodic import run_locked
from crosscluster.events.dedup.similarity import release_caches
from crosscluster.events.feeds.importing import ImportResult, import_feed
from crosscluster.events.feeds.limits import feed_deadline
from crosscluster.events.feeds.subscriptions import dry_run_import, due_feeds
from crosscluster.events.models import FeedSubscription

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch and import every due feed subscription, or one with --feed; --dry-run keeps nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--feed", type=int, metavar="ID", help="Import this subscription, due or not.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Fetch and compare, report the counts, and roll every change back.",
        )

    def handle(
        self, *args: object, feed: int | None = None, dry_run: bool = False, **options: object
    ) -> None:
        if feed is not None:
            try:
                subscription = FeedSubscription.objects.select_related("organization").get(pk=feed)
            except FeedSubscription.DoesNotExist:
                raise CommandError(f"import-feeds: no feed subscription {feed}") from None
            if not subscription.active:
                raise CommandError(f"import-feeds: feed subscription {feed} has been removed")
            subscriptions = [subscription]
        else:
            subscriptions = list(due_feeds())

        if dry_run:
            failed = self._import_all(subscriptions, dry_run=True)
        else:
            failed = run_locked(
                "import-feeds",
                lambda: self._import_all(subscriptions, dry_run=False),
                max_runtime=self.run_deadline(single=feed is not None),
            )
            if failed is None:
                self.stdout.write("import-feeds: another run is active; skipped")
                return
        if failed:
            raise CommandError(f"import-feeds: {failed} feed(s) failed with an unexpected error; see the log")

    @staticmethod
    def run_deadline(*, single: bool = False) -> dt.timedelta:
        """How long a run can take at most: what its lock is held for (see the module docstring)."""
        if single:
            return feed_deadline()
        return dt.timedelta(seconds=settings.FEEDS_RUN_SECONDS) + feed_deadline()

    def _import_all(self, subscriptions: list[FeedSubscription], *, dry_run: bool) -> int:
        # Every line starts with "import-feeds:", like the other periodic jobs' output.
        prefix = "import-feeds: dry run:" if dry_run else "import-feeds:"
        counts = {"ok": 0, "not_modified": 0, "failing": 0}
        crashed = 0
        stop_at = time.monotonic() + settings.FEEDS_RUN_SECONDS
        for number, subscription in enumerate(subscriptions):
            if number and time.monotonic() >= stop_at:
                self.stdout.write(
                    f"{prefix} FEEDS_RUN_SECONDS ({settings.FEEDS_RUN_SECONDS}) used up; "
                    f"{len(subscriptions) - number} feed(s) left for the next run"
                )
                subscriptions = subscriptions[:number]
                break
            try:
                result = dry_run_import(subscription) if dry_run else import_feed(subscription)
            except Exception:  # one broken feed must not keep the others from being imported
                logger.exception("import of feed %s failed", subscription.pk)
                self.stderr.write(f"{prefix} feed {subscription.pk} {subscription.url}: unexpected error")
                crashed += 1
                continue
            counts[result.status] += 1
            self.stdout.write(f"{prefix} feed {subscription.pk} {subscription.url}: {self._describe(result)}")
            if result.crashed:  # shown as failing to its managers, but our error: the scheduler must see it
                crashed += 1
        self.stdout.write(
            f"{prefix} {len(subscriptions)} feed(s): {counts['ok']} imported, {counts['not_modified']} "
            f"unchanged, {counts['failing']} failing, {crashed} error(s)"
        )
        release_caches()  # the scheduler's process lives on; the titles of this run are not needed there
        return crashed

    @staticmethod
    def _describe(result: ImportResult) -> str:
        if result.status == "failing":
            return f"failing: {result.error}"
        if result.status == "not_modified":
            return "not modified"
        return (
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
            f"{result.removed} removed, {len(result.warnings)} warning(s)"
        )
