"""An index on the events' `updated_at`, for the search's change detector (search.services.read_stamps).

The detector asks for the latest `updated_at` of every event table every few seconds; without an index that
is a scan of all events (about 100 ms at 100,000 events on SQLite), with it a lookup. The index belongs to the
search's needs, so the search app creates it; the events app may take it over into `Event.Meta.indexes`.
"""

from django.db import migrations

NAME = "search_event_updated_idx"


def create_index(apps, schema_editor) -> None:
    table = apps.get_model("events", "Event")._meta.db_table
    q = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {q(NAME)} ON {q(table)} ({q('updated_at')})")


def drop_index(apps, schema_editor) -> None:
    schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(NAME)}")


class Migration(migrations.Migration):
    dependencies = [("events", "0002_event_duplicates")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
