"""Background jobs, through Django's task API (django-tasks, database backend)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from campuscard.core.models import OutboxItem

DONE_PUSH_RETENTION = timedelta(days=90)


@task()
def sweep_rights_ends():
    from campuscard.cards.services import sweep_rights_ends as sweep

    return sweep()


@task()
def send_rights_end_reminders():
    from campuscard.notifications.services import send_rights_end_reminders as send

    return send()


@task()
def sync_sources():
    """Every source, incrementally where it can say what changed."""
    from campuscard.people.sources.sync import run_scheduled

    return run_scheduled(full=False)


@task()
def sync_sources_full():
    """Every source read whole: also finds the people who left one."""
    from campuscard.people.sources.sync import run_scheduled

    return run_scheduled(full=True)


@task()
def prune_done_pushes():
    cutoff = timezone.now() - DONE_PUSH_RETENTION
    deleted, _ = OutboxItem.objects.filter(status=OutboxItem.Status.DONE,
                                           done_at__lt=cutoff).delete()
    return deleted


# (task, how often): the worker keeps one run of each waiting in the queue.
PERIODIC = [
    (sweep_rights_ends, timedelta(hours=1)),
    (prune_done_pushes, timedelta(days=1)),
    (send_rights_end_reminders, timedelta(days=1)),
    (sync_sources, timedelta(hours=1)),
    (sync_sources_full, timedelta(days=1)),
]
