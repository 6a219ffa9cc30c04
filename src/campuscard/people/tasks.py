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
