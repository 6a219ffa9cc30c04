"""The mails' background jobs (run by `campuscard worker`, see CAMPUSCARD_PERIODIC_TASKS)."""

from django_tasks import task

from campuscard.notifications import services


@task()
def send_rights_end_reminders():
    return services.send_rights_end_reminders()
