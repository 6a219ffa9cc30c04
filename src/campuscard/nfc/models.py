"""Card layouts, their immutable versions, and which version each chip was encoded with
(docs/nfc-layouts.md). A layout holds key references only, never key bytes."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.core.validators import validate_csn
from campuscard.nfc.layouts import validate_layout


def validate_declaration(declaration):
    errors = validate_layout(declaration)
    if errors:
        raise ValidationError([str(error) for error in errors])


class CardLayout(models.Model):
    """Which chips it is for (establishment, card template) and how they are encoded; what they
    hold is in its versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    establishment = models.ForeignKey(
        "institutions.Establishment", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("establishment"),
        help_text=_("Leave empty for every establishment."))
    template = models.ForeignKey(
        "printing.CardTemplate", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("card template"),
        help_text=_("Leave empty for cards of any template."))
    format_before_write = models.BooleanField(
        _("format before writing"), default=True,
        help_text=_("Erase every application of the chip (FormatPICC) before writing it."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("card layout")
        verbose_name_plural = _("card layouts")
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def current_version(self):
        return self.versions.order_by("-number").first()


class CardLayoutVersion(models.Model):
    """One state of a layout, never changed once saved: editing adds a version, and rotating a
    key is a new version that cards are re-encoded to."""

    layout = models.ForeignKey(CardLayout, on_delete=models.CASCADE, related_name="versions",
                               verbose_name=_("layout"))
    number = models.PositiveIntegerField(_("version"))
    declaration = models.JSONField(
        _("declaration"), validators=[validate_declaration],
        help_text=_("Keys, applications and files (docs/nfc-layouts.md)."))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("card layout version")
        verbose_name_plural = _("card layout versions")
        ordering = ["layout", "-number"]
        constraints = [models.UniqueConstraint(fields=["layout", "number"],
                                               name="nfc_one_number_per_layout_version")]

    def __str__(self):
        return f"{self.layout} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A layout version cannot be changed: save a new one."))
        super().save(*args, **kwargs)

    @property
    def picc_key(self):
        return self.declaration["picc"]["key"]


class ChipEncoding(models.Model):
    """A chip written with one layout version; the card's latest row says what its chip holds.
    Re-encoding to a new version adds a row. The card's lifecycle stays in cards.states."""

    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="encodings",
                             verbose_name=_("card"))
    version = models.ForeignKey(CardLayoutVersion, on_delete=models.PROTECT,
                                related_name="encodings", verbose_name=_("layout version"))
    csn = models.CharField(_("chip serial number"), max_length=20, validators=[validate_csn])
    encoded_at = models.DateTimeField(_("encoded on"), auto_now_add=True)
    encoded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("encoded by"))
    verified = models.BooleanField(_("read back and verified"), default=False)

    class Meta:
        verbose_name = _("chip encoding")
        verbose_name_plural = _("chip encodings")
        ordering = ["card", "-encoded_at", "-id"]
        indexes = [models.Index(fields=["card", "-encoded_at"], name="nfc_encoding_card_latest"),
                   models.Index(fields=["csn"], name="nfc_encoding_csn")]

    def __str__(self):
        return f"{self.csn} ({self.version})"


class ChipSession(models.Model):
    """A chip being encoded or read through a station that relays APDUs (nfc/sessions.py).

    It keeps what the chip answered, in order, and what the program needs to run again over
    those answers: the layout version, the UID and the numbers written, never a key. The
    reader's random challenges come from `nonce` and the instance's secret key."""

    class Purpose(models.TextChoices):
        ENCODE = "encode", _("encoding")
        READ = "read", _("reading")

    class Status(models.TextChoices):
        OPEN = "open", _("in progress")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(_("purpose"), max_length=8, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    station = models.ForeignKey("stations.Station", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="chip_sessions",
                                verbose_name=_("station"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("started by"))
    card = models.ForeignKey("cards.Card", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="chip_sessions", verbose_name=_("card"))
    version = models.ForeignKey(CardLayoutVersion, on_delete=models.PROTECT,
                                related_name="sessions", verbose_name=_("layout version"))
    uid = models.CharField(_("chip UID"), max_length=14)
    moved_card = models.BooleanField(
        _("moved the card to being encoded"), default=False,
        help_text=_("An encoding that fails puts such a card back to printed."))
    values = models.JSONField(_("numbers written"), default=dict, blank=True)
    known_versions = models.JSONField(_("layout versions the chip may hold"), default=list,
                                      blank=True)
    nonce = models.CharField(max_length=64, editable=False)
    answers = models.JSONField(_("the chip's answers"), default=list, blank=True)
    started_at = models.DateTimeField(_("started on"), auto_now_add=True)
    last_step_at = models.DateTimeField(_("last step on"))
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)
    outcome = models.JSONField(_("outcome"), null=True, blank=True)
    failure = models.TextField(_("why it failed"), blank=True)

    class Meta:
        verbose_name = _("chip session")
        verbose_name_plural = _("chip sessions")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["uid", "status"], name="nfc_session_uid_status"),
                   models.Index(fields=["card", "status"], name="nfc_session_card_status")]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.uid}"

    @property
    def step(self):
        """How many APDUs the chip answered so far: the number of the pending one."""
        return len(self.answers)
