from django.db import migrations


def make_unlogged(apps, schema_editor):
    """Counters of one-minute windows need no crash safety: on PostgreSQL the table is
    UNLOGGED, so a counted request writes no WAL and its commit waits for no disk flush."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET UNLOGGED")


def make_logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET LOGGED")


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_rate_counter"),
    ]

    operations = [
        migrations.RunPython(make_unlogged, make_logged),
    ]
