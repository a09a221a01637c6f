"""PostgreSQL: keep the documents' `tsvector` in the row (storage MAIN), compressed, not in the TOAST table.

A search ranks every matching document with `ts_rank` over its `tsvector`; an organisation's (its offers'
words too) is about 2 KB compressed, and with the default storage it was moved out of the row: each match
then cost TOAST index and heap lookups (18,000 buffers for one query over 2,000 organisations, 16 after).
The raw `title`, `body` and `parts` columns, never read by a search, leave the row first instead. Rows
written before this keep their storage until they are written again (`crosscluster search-index`).
"""

from django.db import migrations


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_document ALTER COLUMN terms SET STORAGE MAIN")


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_document ALTER COLUMN terms SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_document_vector_index")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
