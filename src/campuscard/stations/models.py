"""Devices that pull work from CampusCard with their own token: print stations for now.

A station's token is shown once, when it is registered; only its hash is kept (core/tokens.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import Role


class StationKind(models.TextChoices):
    PRINT = "print", _("print station")
    ENCODE = "encode", _("encoding station")
    PRINT_ENCODE = "print_encode", _("print and encoding station")


PRINTING_KINDS = (StationKind.PRINT, StationKind.PRINT_ENCODE)
ENCODING_KINDS = (StationKind.ENCODE, StationKind.PRINT_ENCODE)


class Station(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=StationKind.choices,
                            default=StationKind.PRINT)
    establishment = models.ForeignKey("institutions.Establishment", on_delete=models.PROTECT,
                                      related_name="stations", verbose_name=_("establishment"))
    printer_model = models.CharField(_("printer model"), max_length=100, blank=True,
                                     help_text=_("For example Evolis Primacy 2."))
    allowed_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="print_stations",
        verbose_name=_("managers who may send cards to it"))
    token_prefix = models.CharField(_("token prefix"), max_length=8, db_index=True,
                                    editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True,
                                             editable=False)
    last_seen_ip = models.GenericIPAddressField(_("last seen from"), null=True, blank=True,
                                                editable=False)
    status_message = models.CharField(_("status message"), max_length=500, blank=True,
                                      editable=False)
    # The last badge a reader at the station read (POST /stations/api/badge), as it was sent
    # (normalised): the back-office's badge page waits for the next one.
    last_badge = models.CharField(_("last badge read"), max_length=80, blank=True,
                                  editable=False)
    last_badge_at = models.DateTimeField(_("last badge read on"), null=True, blank=True,
                                         editable=False)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def prints(self):
        return self.kind in PRINTING_KINDS

    @property
    def encodes(self):
        return self.kind in ENCODING_KINDS

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def serves(self, establishment_id):
        return establishment_id == self.establishment_id

    def roles_on_card(self, card):
        """A station acts on the cards of the establishment it serves, as a station."""
        return {Role.STATION} if self.serves(card.establishment_id) else set()


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    LEASED = "leased", _("being printed")
    PRINTED = "printed", _("printed")
    FAILED = "failed", _("could not print")
    CANCELED = "canceled", _("dropped")


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.LEASED)


class PrintJob(models.Model):
    card = models.ForeignKey("cards.Card", on_delete=models.PROTECT, related_name="print_jobs",
                             verbose_name=_("card"))
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="jobs",
                                verbose_name=_("station"))
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices,
                              default=JobStatus.QUEUED)
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("asked by"))
    asked_at = models.DateTimeField(_("asked on"), db_index=True)
    printed_at = models.DateTimeField(_("printed on"), null=True, blank=True)
    failure_message = models.TextField(_("printer's message"), blank=True)
    printed_values = models.JSONField(_("printed values"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["asked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["card"], condition=Q(status__in=OPEN_STATUSES),
                                    name="stations_one_open_job_per_card"),
        ]
        indexes = [models.Index(fields=["station", "status", "asked_at"])]

    def __str__(self):
        return f"{self.station} #{self.pk}"
