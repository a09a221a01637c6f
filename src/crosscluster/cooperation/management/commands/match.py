"""Match cooperation profiles of a JSON Lines file against each other (the file is the whole pool)."""

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from crosscluster.cooperation.matching import KINDS, TOP_MAX, ProfileText, guess_language, match_batch

TEXT_MAX_LENGTH = 20_000


def read_profiles(lines: TextIO, name: str) -> list[ProfileText]:
    """Profiles of a JSON Lines file: `{"id", "kind", "title", "text", "lang"}` per line, other keys ignored;
    without `lang` the language is read from the text (German or English).

    Blank lines are skipped; any bad line is reported with its number (all of them, not only the first).
    """
    profiles: list[ProfileText] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            errors.append(f"{name}:{number}: not valid JSON ({error.msg})")
            continue
        if not isinstance(item, dict):
            errors.append(f"{name}:{number}: expected a JSON object")
            continue
        problems = []
        identifier = item.get("id")
        if isinstance(identifier, int) and not isinstance(identifier, bool):
            identifier = str(identifier)
        if not isinstance(identifier, str) or not identifier.strip():
            problems.append('"id" must be a non-empty string')
        elif identifier in seen:
            problems.append(f"id {identifier!r} also on line {seen[identifier]}")
        kind = item.get("kind")
        if kind not in KINDS:
            problems.append(f'"kind" must be one of {", ".join(KINDS)} (got {kind!r})')
        for key in ("title", "text"):
            value = item.get(key, "")
            if not isinstance(value, str):
                problems.append(f'"{key}" must be a string')
            elif len(value) > TEXT_MAX_LENGTH:
                problems.append(f'"{key}" is longer than {TEXT_MAX_LENGTH} characters')
        if not problems and not (item.get("title", "").strip() or item.get("text", "").strip()):
            problems.append('"title" and "text" are both empty')
        lang = item.get("lang")
        if lang is None or lang == "":  # not given: read it from the text
            lang = guess_language(f"{item.get('title', '')} {item.get('text', '')}")
        if not isinstance(lang, str) or not lang.strip():
            problems.append('"lang" must be a language code such as "de" or "en"')
        if problems:
            errors.append(f"{name}:{number}: " + "; ".join(problems))
            continue
        assert isinstance(identifier, str) and isinstance(kind, str)  # checked above: no problem was found
        seen[identifier] = number
        profiles.append(
            ProfileText(
                id=identifier,
                kind=kind,
                title=item.get("title", ""),
                text=item.get("text", ""),
                lang=lang.strip().lower(),
            )
        )
    if errors:
        shown = errors[:20]
        if len(errors) > len(shown):
            shown.append(f"… and {len(errors) - len(shown)} more bad lines")
        raise CommandError("bad input:\n" + "\n".join(shown))
    return profiles


class Command(BaseCommand):
    help = (
        "Match cooperation profiles: `match --batch FILE.jsonl [--top N]` treats the file as the whole pool "
        '(lines {"id", "kind", "title", "text", "lang"}) and prints one JSON line per profile. Nothing is '
        "written to the database. See docs/matching.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", metavar="FILE", required=True, help="JSON Lines ('-' for stdin)")
        parser.add_argument("--top", type=int, default=5, help=f"matches per profile (1 to {TOP_MAX})")
        parser.add_argument(
            "--language", default="de", choices=["de", "en"], help="language of the reasons (default de)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        top = options["top"]
        if not 1 <= top <= TOP_MAX:
            raise CommandError(f"--top must be between 1 and {TOP_MAX}")
        source = options["batch"]
        if source == "-":
            profiles = read_profiles(sys.stdin, "<stdin>")
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"no such file: {source}")
            try:
                with path.open(encoding="utf-8") as lines:
                    profiles = read_profiles(lines, path.name)
            except UnicodeDecodeError as error:
                raise CommandError(f"{path.name}: not UTF-8 text ({error.reason})") from error
        with translation.override(options["language"]):
            proposals = match_batch(profiles, top=top) if profiles else []
            for proposal in proposals:
                payload = {
                    "id": proposal.id,
                    "matches": [
                        {"profile": match.profile, "score": match.score, "reasons": list(match.reasons)}
                        for match in proposal.matches
                    ],
                    "no_good_match": proposal.no_good_match,
                }
                self.stdout.write(json.dumps(payload, ensure_ascii=False))
