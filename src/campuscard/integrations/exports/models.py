import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.integrations.connections.models import Connection


def export_file_path(export_file, filename):
    return f"exports/{export_file.export.code}/{uuid.uuid4().hex}-{filename}"


class ExportTarget(Connection):
    """A file export for an access-control system (or any system that reads files)."""

    preset = models.CharField(_("started from"), max_length=20, blank=True)
    format = models.JSONField(_("file format"))
    destination = models.JSONField(_("delivery"))
    last_sequence = models.PositiveIntegerField(_("last file number"), default=0)
    last_snapshot_at = models.DateTimeField(_("last full snapshot on"), null=True, blank=True)

    class Meta(Connection.Meta):
        verbose_name = _("file export")
        verbose_name_plural = _("file exports")


class ExportFile(models.Model):
    class Kind(models.TextChoices):
        CHANGES = "changes", _("changes")
        SNAPSHOT = "snapshot", _("full snapshot")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting to be delivered")
        DELIVERED = "delivered", _("delivered")
        SUPERSEDED = "superseded", _("not delivered: a newer file of the same name was")

    export = models.ForeignKey(ExportTarget, on_delete=models.CASCADE, related_name="files",
                               verbose_name=_("export"))
    name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    content = models.FileField(_("content"), upload_to=export_file_path)
    line_count = models.PositiveIntegerField(_("lines"))
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.WAITING)
    created_at = models.DateTimeField(_("written on"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered on"), null=True, blank=True)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")
        ordering = ["-id"]
        indexes = [models.Index(fields=["export", "name"])]

    def __str__(self):
        return self.name


class ExportChange(models.Model):
    """A change an export must write: kept until a file holds it (never in memory only)."""

    export = models.ForeignKey(ExportTarget, on_delete=models.CASCADE, related_name="changes",
                               verbose_name=_("export"))
    key = models.UUIDField(_("push"))  # the outbox row's: a retried push is written once
    event = models.CharField(_("event"), max_length=40)
    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="+",
                             null=True, verbose_name=_("card"))
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("person"))
    # A pruned file takes its changes with it: SET_NULL would make them wait to be written again.
    file = models.ForeignKey(ExportFile, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="changes", verbose_name=_("file"))
    created_at = models.DateTimeField(_("on"), auto_now_add=True)

    class Meta:
        verbose_name = _("export change")
        verbose_name_plural = _("export changes")
        constraints = [models.UniqueConstraint(fields=["export", "key"],
                                               name="one_export_change_per_push")]
        indexes = [models.Index(fields=["export", "file", "id"])]

    def __str__(self):
        return f"{self.export_id}:{self.event}:{self.person_id}"
