"""Route a need to the organisations that fit: one text, or a JSON Lines file of them (benchmark format)."""

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crosscluster.directory.models import Region
from crosscluster.routing.services import (
    TEXT_MAX_LENGTH,
    TOP_MAX,
    RoutingResult,
    ensure_embeddings,
    fit_label,
    suggest,
)


def result_items(result: RoutingResult) -> list[dict[str, Any]]:
    return [
        {
            "organization": item.organization.slug,
            "score": item.score,
            "fit": item.fit,
            "reasons": item.reasons,
        }
        for item in result.results
    ]


class Command(BaseCommand):
    help = (
        'Suggest organisations for a need: `route "TEXT"`, or `route --batch FILE.jsonl` with lines '
        '{"id", "text"} (one JSON line out per line in). See docs/routing.md.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="the need, in the company's words")
        parser.add_argument("--top", type=int, default=5, help=f"how many organisations (1 to {TOP_MAX})")
        parser.add_argument("--region", metavar="SLUG", help="only organisations of this region")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--batch", metavar="FILE", help="JSON Lines with `id` and `text` ('-' for stdin)")
        parser.add_argument("--embed", action="store_true", help="first compute all missing embeddings")

    def handle(self, *args: Any, **options: Any) -> None:
        top = options["top"]
        if not 1 <= top <= TOP_MAX:
            raise CommandError(f"--top must be between 1 and {TOP_MAX}")
        region = None
        if options["region"]:
            region = Region.objects.filter(slug=options["region"]).first()
            if region is None:
                slugs = ", ".join(Region.objects.order_by("slug").values_list("slug", flat=True)) or "(none)"
                raise CommandError(f"unknown region {options['region']!r}; regions: {slugs}")
        if options["embed"]:
            count = ensure_embeddings()
            self.stderr.write(f"route: computed {count} embeddings")
        if options["batch"]:
            if options["text"]:
                raise CommandError("give either TEXT or --batch, not both")
            self.batch(options["batch"], top, region)
            return
        text = options["text"]
        if not text or not text.strip():
            if options["embed"]:
                return
            raise CommandError("give the TEXT of a need, or --batch FILE")
        if len(text) > TEXT_MAX_LENGTH:
            raise CommandError(f"the text has {len(text)} characters; at most {TEXT_MAX_LENGTH}")
        result = suggest(text, region=region, top=top)
        if options["json"]:
            payload = {
                "confident": result.confident,
                "degraded": result.degraded,
                "results": result_items(result),
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        if not result.confident:
            self.stdout.write("(no clear fit: the coordination office comes first)")
        for rank, item in enumerate(result.results, start=1):
            org = item.organization
            self.stdout.write(f"{rank}. {org.name} ({org.slug})  {item.score:.3f}  {fit_label(item.fit)}")
            for reason in item.reasons:
                self.stdout.write(f"     - {reason}")

    def batch(self, path: str, top: int, region: Region | None) -> None:
        try:
            source: TextIO = sys.stdin if path == "-" else Path(path).open(encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        with source:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    text = item["text"]
                    if not isinstance(text, str):
                        raise TypeError
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CommandError(f"{path}, line {number}: expected a JSON object with a text") from exc
                result = suggest(text, region=region, top=top)
                out = {"id": item.get("id"), "results": result_items(result)}
                self.stdout.write(json.dumps(out, ensure_ascii=False))
