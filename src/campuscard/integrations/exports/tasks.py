"""The exports' background job (run by `campuscard worker`, see CAMPUSCARD_PERIODIC_TASKS)."""

from django.utils import timezone
from django_tasks import task

from campuscard.integrations.exports import services
from campuscard.integrations.exports.formats import FormatError, parse_format
from campuscard.integrations.exports.models import ExportTarget


@task()
def write_export_files():
    """The change files whose batching period is over, and the snapshots that are due."""
    now, written = timezone.now(), 0
    for export in ExportTarget.objects.filter(active=True):
        try:
            fmt = parse_format(export.format)
        except FormatError:
            continue  # the export page says what is wrong with it
        if services.snapshot_due(export, fmt, now):
            services.write_snapshot(export.pk, now)
            written += 1
        elif fmt.mode == "changes":
            written += len(services.write_due_files(export.pk, now))
    return written


@task()
def prune_export_files():
    """Delivered files older than CAMPUSCARD_EXPORT_RETENTION_DAYS (the last one stays)."""
    return services.prune_files()
