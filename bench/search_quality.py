"""Search quality on the demo directory: hit@1 and hit@3 of the organisations group (it is not a test).

Imports src/crosscluster/directory/demo/thueringen.json into a fresh SQLite database (with the routing
engine's real encoder and embeddings, as `import-directory` computes them) and searches every line of a
labelled set (default bench/search-queries.jsonl: {"query", "expected": [slugs], "type"}). A query hits at k
when one of its expected organisations is among the first k organisations. Misses are listed.

Usage: .venv/bin/python bench/search_quality.py [--queries FILE] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--database-url" not in sys.argv:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='crosscluster-bench-')}/quality.sqlite3"
else:
    os.environ["DATABASE_URL"] = sys.argv[sys.argv.index("--database-url") + 1]
os.environ["DJANGO_SETTINGS_MODULE"] = "crosscluster.settings.dev"
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from crosscluster.search import services  # noqa: E402

DEMO = ROOT / "src/crosscluster/directory/demo/thueringen.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, default=ROOT / "bench/search-queries.jsonl")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("import-directory", str(DEMO), verbosity=0)
    lines = [
        json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    by_type: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    for line in lines:
        result = services.search(line["query"], kinds=[services.ORGANIZATION], per_group=10)
        slugs = [organization.slug for organization in result.groups[0].items]
        hit1 = bool(slugs[:1]) and slugs[0] in line["expected"]
        hit3 = any(slug in line["expected"] for slug in slugs[:3])
        by_type[line.get("type", "")].append((hit1, hit3))
        by_type["all"].append((hit1, hit3))
        if not hit1:
            mark = "(hit@3) " if hit3 else ""
            misses.append(f"  {mark}{line['query']!r}: expected {line['expected']}, got {slugs[:3]}")
    print(f"Search quality, organisations group ({args.queries.name}, demo directory, real encoder)")
    for kind, hits in sorted(by_type.items(), key=lambda item: (item[0] != "all", item[0])):
        n = len(hits)
        hit1, hit3 = sum(h for h, _ in hits) / n, sum(h for _, h in hits) / n
        print(f"  {kind:<12} n={n:<3} hit@1={hit1:.3f}  hit@3={hit3:.3f}")
    if misses:
        print("Not first:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
