"""Call `run-periodic` in a loop: the periodic jobs of `make run`, or of a host without cron or timers."""

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run every periodic job once per interval, for ever (Ctrl-C stops it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds from the start of one round to the next."
        )
        parser.add_argument("--rounds", type=int, default=0, help="Stop after this many rounds (0: never).")

    def handle(self, *args: object, interval: float = 60.0, rounds: int = 0, **options: object) -> None:
        if interval <= 0:
            raise CommandError("--interval must be positive.")
        done = 0
        try:
            while True:
                started = time.monotonic()
                # A long-lived process must drop connections the database has closed meanwhile.
                close_old_connections()
                try:
                    call_command("run-periodic", stdout=self.stdout, stderr=self.stderr)
                except Exception:  # the next round tries again; the error is in the log
                    logger.exception("run-periodic failed")
                finally:
                    close_old_connections()
                done += 1
                if rounds and done >= rounds:
                    return
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stdout.write("scheduler: stopped")
