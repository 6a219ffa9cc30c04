"""The cards' background jobs (run by `campuscard worker`, see CAMPUSCARD_PERIODIC_TASKS)."""

from django_tasks import task

from campuscard.cards import services


@task()
def sweep_rights_ends():
    return services.sweep_rights_ends()
