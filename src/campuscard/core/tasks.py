"""Background jobs, through Django's task API (django-tasks, database backend).

Each app keeps its jobs in its own tasks.py; the worker runs the periodic ones listed in
settings.CAMPUSCARD_PERIODIC_TASKS. The outbox's own housekeeping lives here.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from campuscard.core.models import OutboxItem

DONE_PUSH_RETENTION = timedelta(days=90)


@task()
def prune_done_pushes():
    cutoff = timezone.now() - DONE_PUSH_RETENTION
    deleted, _ = OutboxItem.objects.filter(status=OutboxItem.Status.DONE,
                                           done_at__lt=cutoff).delete()
    return deleted


def periodic_tasks():
    """(task, how often) for each job of CAMPUSCARD_PERIODIC_TASKS: the worker keeps one run of
    each waiting in the queue."""
    return [(import_string(path), every) for path, every in settings.CAMPUSCARD_PERIODIC_TASKS]
