"""Each derived value has one writer (docs/architecture.md, "Derived data"): a second one fails here.

The owners: `Event.listed` is written by events/listing.py alone, search documents by search/documents.py,
routing embeddings by routing/services.py. Everybody else announces a change (core.signals) and the owner
recomputes. The scan is textual, over the source without migrations: a write looks like one of the patterns
below on one line.
"""

import re
from pathlib import Path

import crosscluster

SOURCE = Path(crosscluster.__file__).parent
WRITES = "create|bulk_create|bulk_update|update|delete|get_or_create|update_or_create|raw"
OWNERS = {
    "events/listing.py": [
        re.compile(r"\.update\([^)]*\blisted\s*="),  # Event.objects.filter(…).update(listed=…)
        re.compile(r"\.listed\s*=(?!=)"),  # event.listed = …
        re.compile(r"[\"']listed[\"']\s*:"),  # {"listed": …} for a bulk writer
        re.compile(r"\b(Event|create|get_or_create|update_or_create)\([^)]*\blisted\s*="),  # Event(listed=…)
    ],
    "search/documents.py": [
        re.compile(rf"\bDocument\.objects\b.*\.({WRITES})\("),
        re.compile(r"\bDocument\("),
    ],
    "routing/services.py": [
        re.compile(rf"\bEmbedding\.objects\b.*\.({WRITES})\("),
        re.compile(r"\bEmbedding\("),
    ],
}
# Where a pattern matches but nothing derived is written: the models' own definitions, and the page cache's
# settings, which name listed events as a filter (what changes pages with time).
DEFINITIONS = {"search/models.py", "routing/models.py", "settings/base.py"}


def writers(owner: str, files: dict[str, str]) -> list[str]:
    """`path:line: text` of every line outside `owner` that writes what it owns."""
    found = []
    for path, text in files.items():
        if path == owner or path in DEFINITIONS:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(pattern.search(line) for pattern in OWNERS[owner]):
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def source_files() -> dict[str, str]:
    return {
        str(path.relative_to(SOURCE)): path.read_text()
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts
    }


def test_each_derived_value_has_one_writer():
    files = source_files()
    for owner in OWNERS:
        assert owner in files
        assert writers(owner, files) == [], f"written outside {owner}"


def test_a_second_writer_is_found():
    files = {
        "events/feeds/sync.py": 'insert_rows(Event, {"listed": True}, rows)\n',
        "events/admin.py": "Event.objects.filter(pk=1).update(listed=False)\n",
        "news/services.py": "Document.objects.filter(kind='notice').delete()\n",
        "directory/importing.py": "Embedding.objects.bulk_create(rows)\n",
        "search/backends.py": "Document.objects.filter(kind=kind).values_list('pk')\n",  # a read
    }

    assert writers("events/listing.py", files) == [
        'events/feeds/sync.py:1: insert_rows(Event, {"listed": True}, rows)',
        "events/admin.py:1: Event.objects.filter(pk=1).update(listed=False)",
    ]
    assert writers("search/documents.py", files) == [
        "news/services.py:1: Document.objects.filter(kind='notice').delete()"
    ]
    assert writers("routing/services.py", files) == [
        "directory/importing.py:1: Embedding.objects.bulk_create(rows)"
    ]
