"""Write the directory: a region's as crosscluster-directory/1 JSON (the format import-directory reads), or
the published organisations as Open Referral HSDS 3.0 JSON, or organisations or offers as CSV."""

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from crosscluster.directory.exporting import export_directory
from crosscluster.directory.exports import hsds, spreadsheet
from crosscluster.directory.models import Organization, Region
from crosscluster.directory.queries import organization_is_published

FORMATS = ("directory", "hsds", "csv")


class Command(BaseCommand):
    help = (
        "Export a region's directory (crosscluster-directory/1, UTF-8) to stdout or a file; with --format "
        "hsds the published organisations as Open Referral HSDS 3.0, with --format csv organisations or "
        "offers for spreadsheets. See docs/directory-format.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="directory",
            help="directory: crosscluster-directory/1 (default); hsds: a JSON array of HSDS 3.0 "
            "organizations; csv: a spreadsheet (UTF-8 with BOM, ';'), see --what",
        )
        parser.add_argument(
            "--what",
            choices=spreadsheet.KINDS,
            help="with --format csv: one line per organisation (default) or per offer",
        )
        parser.add_argument(
            "--region",
            metavar="SLUG",
            help="the region; needed when there are several (hsds, csv: only this region's, else all)",
        )
        parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
        parser.add_argument(
            "--include-unpublished",
            action="store_true",
            help="also export unpublished organisations (an import would create them as published; "
            "not with hsds, which is public)",
        )

    def handle(self, *args: Any, region: str | None, output: str | None, **options: Any) -> None:
        if options["what"] and options["format"] != "csv":
            raise CommandError("--what chooses the lines of a CSV export; add --format csv")
        if options["format"] == "hsds":
            if options["include_unpublished"]:
                raise CommandError("HSDS exports published organisations only")
            organizations = hsds.export_hsds(self.organizations(region))
            text = json.dumps(organizations, ensure_ascii=False, indent=2) + "\n"
            self.write(text, output, f"{len(organizations)} HSDS organizations")
            return
        if options["format"] == "csv":
            chosen = self.organizations(region)
            if not options["include_unpublished"]:
                chosen = chosen.filter(organization_is_published())
            buffer = io.StringIO(newline="")
            what = options["what"] or "organizations"
            count = spreadsheet.WRITERS[what](buffer, chosen)
            self.write(buffer.getvalue(), output, f"{count} {what} (CSV)")
            return
        exported_region = self.find_region(region)
        data = export_directory(exported_region, include_unpublished=options["include_unpublished"])
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if output is None or output == "-":
            self.write_utf8(text)
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
        self.stdout.write(
            f"export-directory: region {exported_region.slug}, {len(data['topics'])} topics and "
            f"{len(data['organizations'])} organisations written to {output}"
        )

    def organizations(self, region: str | None) -> QuerySet[Organization]:
        """Every region's organisations, or the one region's; the export functions choose among them."""
        if region is None:
            return Organization.objects.all()
        return Organization.objects.filter(region=self.find_region(region))

    def write(self, text: str, output: str | None, what: str) -> None:
        if output is None or output == "-":
            self.write_utf8(text)
            return
        try:
            Path(output).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from exc
        self.stdout.write(f"export-directory: {what} written to {output}")

    def find_region(self, slug: str | None) -> Region:
        slugs = list(Region.objects.order_by("slug").values_list("slug", flat=True))
        if slug is not None:
            if slug not in slugs:
                raise CommandError(f"unknown region {slug!r}; regions: {', '.join(slugs) or '(none)'}")
            return Region.objects.get(slug=slug)
        if not slugs:
            raise CommandError("there is no region to export")
        if len(slugs) > 1:
            raise CommandError(f"several regions, choose one with --region: {', '.join(slugs)}")
        return Region.objects.get(slug=slugs[0])

    def write_utf8(self, text: str) -> None:
        """Write UTF-8 bytes whatever the terminal's encoding, so that umlauts never break the export."""
        buffer = getattr(self.stdout, "buffer", None)  # absent when call_command() captures into a StringIO
        if buffer is None:
            self.stdout.write(text, ending="")
            return
        self.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
