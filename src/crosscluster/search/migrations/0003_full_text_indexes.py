"""The database's own full-text indexes over the search documents: one implementation per vendor.

PostgreSQL: `pg_trgm` (typo candidates for "did you mean", a trigram index on the terms), a generated
`tsvector` column of the terms (title weight A, body B, compound parts D; the `simple` configuration, as the
terms are already analysed by core.text) and one GIN index per kind, so a search of events never reads the
postings of offers.

SQLite: an FTS5 table per kind over the documents, keyed by the object's id (contentless, kept in step by
triggers on every insert, update and delete, whatever writes the rows) and an FTS5 trigram table over the
terms.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

KINDS = ("organization", "offer", "event", "notice")

POSTGRES = [
    """ALTER TABLE search_document ADD COLUMN terms tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
        || setweight(to_tsvector('simple', parts), 'D')) STORED""",
    *(
        f"CREATE INDEX search_document_{kind}_terms ON search_document USING gin (terms) WHERE kind = '{kind}'"
        for kind in KINDS
    ),
    "CREATE INDEX search_term_trigram ON search_term USING gin (term gin_trgm_ops)",
]
POSTGRES_REVERSE = [
    *(f"DROP INDEX search_document_{kind}_terms" for kind in KINDS),
    "DROP INDEX search_term_trigram",
    "ALTER TABLE search_document DROP COLUMN terms",
]

_FTS_COLUMNS = "title, body, parts"
_NEW = "new.object_id, new.title, new.body, new.parts"
_OLD = "'delete', old.object_id, old.title, old.body, old.parts"


def _sqlite_kind(kind: str) -> list[str]:
    """An FTS5 table of one kind's documents, keyed by the object's id (contentless: the terms stay in
    search_document), kept in step by triggers on every insert, update and delete, whatever writes the rows."""
    table = f"search_fts_{kind}"
    when = f"WHEN {{row}}.kind = '{kind}'"
    return [
        f"""CREATE VIRTUAL TABLE {table} USING fts5({_FTS_COLUMNS}, content='',
            tokenize='unicode61 remove_diacritics 0')""",
        f"""CREATE TRIGGER {table}_insert AFTER INSERT ON search_document {when.format(row="new")} BEGIN
            INSERT INTO {table}(rowid, {_FTS_COLUMNS}) VALUES ({_NEW}); END""",
        f"""CREATE TRIGGER {table}_delete AFTER DELETE ON search_document {when.format(row="old")} BEGIN
            INSERT INTO {table}({table}, rowid, {_FTS_COLUMNS}) VALUES ({_OLD}); END""",
        f"""CREATE TRIGGER {table}_update AFTER UPDATE OF {_FTS_COLUMNS} ON search_document
            {when.format(row="old")} BEGIN
            INSERT INTO {table}({table}, rowid, {_FTS_COLUMNS}) VALUES ({_OLD});
            INSERT INTO {table}(rowid, {_FTS_COLUMNS}) VALUES ({_NEW}); END""",
    ]


SQLITE = [
    *(statement for kind in KINDS for statement in _sqlite_kind(kind)),
    """CREATE VIRTUAL TABLE search_term_fts USING fts5(term, content='search_term', content_rowid='id',
        tokenize='trigram')""",
    """CREATE TRIGGER search_term_fts_insert AFTER INSERT ON search_term BEGIN
        INSERT INTO search_term_fts(rowid, term) VALUES (new.id, new.term); END""",
    """CREATE TRIGGER search_term_fts_delete AFTER DELETE ON search_term BEGIN
        INSERT INTO search_term_fts(search_term_fts, rowid, term) VALUES ('delete', old.id, old.term); END""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER search_fts_{kind}_{event}" for kind in KINDS for event in ("insert", "delete", "update")),
    *(f"DROP TABLE search_fts_{kind}" for kind in KINDS),
    "DROP TRIGGER search_term_fts_insert",
    "DROP TRIGGER search_term_fts_delete",
    "DROP TABLE search_term_fts",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_document_term")]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on other databases
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
            elidable=False,
        ),
    ]
