"""CROUS's background jobs (run by `campuscard worker`, see CAMPUSCARD_PERIODIC_TASKS)."""

from django_tasks import task

from campuscard.integrations.crous import tariff_rules


@task()
def refresh_tariff_rules():
    """Every establishment's CROUS tariff rules fetched again (a broken answer keeps the old)."""
    return tariff_rules.refresh_every_establishment()
