"""Send this week's digest when it is due (schedule it through run-periodic, which runs every minute).

The digest is due from DIGEST_WEEKDAY at DIGEST_HOUR (display time zone) on; until the week's issue is
complete, every run sends to the confirmed subscribers who have not had it yet, so a run that stopped half-way
is resumed by the next one and nobody gets a mail twice (see `digest.services.send_digest`).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crosscluster.core.periodic import run_locked
from crosscluster.digest.services import SendResult, plan_digest, send_digest


class Command(BaseCommand):
    help = (
        "Send (or resume) this week's digest to the confirmed subscribers when due; --dry-run sends nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only report what would be sent.")
        parser.add_argument(
            "--force", action="store_true", help="Begin this week's digest even before it is due."
        )

    def handle(self, *args: object, dry_run: bool = False, force: bool = False, **options: object) -> None:
        if dry_run:
            result = plan_digest(force=force)
            if result.status == "planned":
                self.stdout.write(
                    f"send-digest: dry run: week of {result.issue.week}: {result.sent} mail(s) to send, "
                    f"{result.skipped} subscriber(s) with nothing new"
                )
            else:
                self.stdout.write(f"send-digest: dry run: {self._describe(result)}")
            return
        result = run_locked("send-digest", lambda: send_digest(force=force))
        if result is None:
            self.stdout.write("send-digest: another run is active; skipped")
            return
        self.stdout.write(f"send-digest: {self._describe(result)}")
        if result.failed:
            raise CommandError(
                f"send-digest: {result.failed} subscriber(s) failed; the next run retries them"
            )

    @staticmethod
    def _describe(result: SendResult) -> str:
        if result.status == "not_due":
            return "not due yet"
        if result.status == "complete":
            return f"week of {result.issue.week} already complete"
        return (
            f"week of {result.issue.week}: {result.sent} sent, {result.skipped} with nothing new, "
            f"{result.failed} failed"
        )
