"""The person sources' background jobs (run by `campuscard worker`, see
CAMPUSCARD_PERIODIC_TASKS)."""

from django_tasks import task

from campuscard.people.sources.sync import run_scheduled


@task()
def sync_sources():
    """Every source, incrementally where it can say what changed."""
    return run_scheduled(full=False)


@task()
def sync_sources_full():
    """Every source read whole: also finds the people who left one."""
    return run_scheduled(full=True)


@task()
def sync_source(name, user_id=None):
    """One source, asked for from the back-office's sources page."""
    from django.contrib.auth import get_user_model

    from campuscard.core.actors import Actor
    from campuscard.people.sources.sync import run

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    result = run([name], actor=Actor(user=user).as_system() if user else Actor.system())
    return {"stopped": result.stopped}
