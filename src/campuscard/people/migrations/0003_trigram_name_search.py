"""Trigram indexes for the manager's text search, on PostgreSQL only (docs/benchmarks.md).

The search's `icontains` is `UPPER(column::text) LIKE UPPER('%word%')`; GIN trigram indexes on
those exact expressions answer it without reading every person. CREATE EXTENSION needs a
privileged user: on a managed database, create pg_trgm beforehand and this leaves it alone.
"""

from django.db import migrations

TEXT_COLUMNS = ["last_name", "first_name", "eppn", "email"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TEXT_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS people_person_{column}_trgm ON people_person "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in TEXT_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS people_person_{column}_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_search_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
