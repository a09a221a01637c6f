"""Write every search document anew, and remove those of deleted objects.

The services keep the documents current on every change; this is for an upgrade that changes the text
analysis, for data written past the services, and (with `--prune`) for tidying up.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from crosscluster.search import documents


class Command(BaseCommand):
    help = "Rebuild the search documents (or, with --prune, only remove stale ones)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--prune", action="store_true", help="Only remove documents of deleted objects.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        with transaction.atomic():
            counts = {"removed": documents.prune()} if options["prune"] else documents.rebuild()
        summary = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        self.stdout.write(f"search-index: {summary} ({time.perf_counter() - started:.1f} s)")
