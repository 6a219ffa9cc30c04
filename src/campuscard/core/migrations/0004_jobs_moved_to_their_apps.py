"""The domain jobs left campuscard.core.tasks for their apps' tasks.py: the runs already queued
(and the history the worker schedules from) follow them under their new names."""

from django.db import migrations

MOVED = {
    "campuscard.core.tasks.sweep_rights_ends": "campuscard.cards.tasks.sweep_rights_ends",
    "campuscard.core.tasks.send_rights_end_reminders":
        "campuscard.notifications.tasks.send_rights_end_reminders",
    "campuscard.core.tasks.sync_sources": "campuscard.people.tasks.sync_sources",
    "campuscard.core.tasks.sync_sources_full": "campuscard.people.tasks.sync_sources_full",
}


def rename(apps, mapping):
    results = apps.get_model("django_tasks_database", "DBTaskResult").objects
    for old, new in mapping.items():
        results.filter(task_path=old).update(task_path=new)


def forwards(apps, schema_editor):
    rename(apps, MOVED)


def backwards(apps, schema_editor):
    rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_rate_counter_unlogged"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
