"""The organisations' and offers' vectors readable from an index alone.

Every search of organisations compares the query with the vectors of all of them (search.services); read
from the document rows, each vector sits behind the row's terms (an organisation's body holds its offers'
words, often on overflow pages). A covering index keeps kind, encoder, id and vector together: on SQLite all
four as index columns, on PostgreSQL the vector as an included column (an index-only scan).
"""

from django.db import migrations

SQL = {
    "postgresql": (
        "CREATE INDEX search_document_vector ON search_document (kind, vector_model, object_id) INCLUDE (vector)"
        " WHERE vector IS NOT NULL"
    ),
    "sqlite": (
        "CREATE INDEX search_document_vector ON search_document (kind, vector_model, object_id, vector)"
        " WHERE vector IS NOT NULL"
    ),
}


def create(apps, schema_editor) -> None:
    statement = SQL.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor in SQL:
        schema_editor.execute("DROP INDEX search_document_vector")


class Migration(migrations.Migration):
    dependencies = [("search", "0003_full_text_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
