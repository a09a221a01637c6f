"""Import a directory file; every problem is printed, and nothing is saved unless the whole file is right."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from crosscluster.directory.importing import DirectoryImportError, import_directory, load_directory_file
from crosscluster.routing.services import ensure_embeddings


class Command(BaseCommand):
    help = (
        "Import a crosscluster-directory/1 file: check the whole file, then create or update the region, "
        "topics and organisations by slug in one transaction. See docs/directory-format.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the JSON file (UTF-8)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report what would change, but save nothing",
        )

    def handle(self, *args: Any, file: str, dry_run: bool, **options: Any) -> None:
        try:
            data = load_directory_file(file)
            with transaction.atomic():
                report = import_directory(data, actor=None)
                if dry_run:
                    transaction.set_rollback(True)
        except DirectoryImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            count = len(exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} in {file}; nothing was imported"
            ) from exc
        prefix = "import-directory (dry run, nothing saved)" if dry_run else "import-directory"
        self.stdout.write(f"{prefix}: {report.summary()}")
        # So that the imported directory routes at full quality at once, with or without a worker.
        computed = 0 if dry_run else ensure_embeddings()
        if options["verbosity"] >= 2:
            self.stdout.write(f"  routing embeddings computed: {computed}")
            for label, slugs in (("created", report.created), ("updated", report.updated)):
                if slugs:
                    self.stdout.write(f"  {label}: {', '.join(slugs)}")
