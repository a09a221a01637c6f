"""Search documents of cooperation profiles (the Kooperationsbörse): their own full-text index, as every kind.

The same statements as 0003 for one more kind: on PostgreSQL a partial GIN index, on SQLite an FTS5 table
kept in step by triggers.
"""

from django.db import migrations, models

KIND = "cooperation"
TABLE = f"search_fts_{KIND}"
_FTS_COLUMNS = "title, body, parts"
_NEW = "new.object_id, new.title, new.body, new.parts"
_OLD = "'delete', old.object_id, old.title, old.body, old.parts"
WHEN = "WHEN {row}.kind = '" + KIND + "'"

STATEMENTS = {
    "postgresql": [
        f"CREATE INDEX search_document_{KIND}_terms ON search_document USING gin (terms) WHERE kind = '{KIND}'"
    ],
    "sqlite": [
        f"""CREATE VIRTUAL TABLE {TABLE} USING fts5({_FTS_COLUMNS}, content='',
            tokenize='unicode61 remove_diacritics 0')""",
        f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON search_document {WHEN.format(row="new")} BEGIN
            INSERT INTO {TABLE}(rowid, {_FTS_COLUMNS}) VALUES ({_NEW}); END""",
        f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON search_document {WHEN.format(row="old")} BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, {_FTS_COLUMNS}) VALUES ({_OLD}); END""",
        f"""CREATE TRIGGER {TABLE}_update AFTER UPDATE OF {_FTS_COLUMNS} ON search_document
            {WHEN.format(row="old")} BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, {_FTS_COLUMNS}) VALUES ({_OLD});
            INSERT INTO {TABLE}(rowid, {_FTS_COLUMNS}) VALUES ({_NEW}); END""",
    ],
}
REVERSE = {
    "postgresql": [f"DROP INDEX search_document_{KIND}_terms"],
    "sqlite": [
        *(f"DROP TRIGGER {TABLE}_{event}" for event in ("insert", "delete", "update")),
        f"DROP TABLE {TABLE}",
    ],
}


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0005_terms_inline")]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="kind",
            field=models.CharField(
                choices=[
                    ("organization", "Organization"),
                    ("offer", "Offer"),
                    ("event", "Event"),
                    ("notice", "Notice"),
                    ("cooperation", "Cooperation"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(_run(STATEMENTS), _run(REVERSE), elidable=False),
    ]
