"""CROUS / Izly: each establishment's CROUS settings, the smartcard records of its cards, what we
know of each person's right-holder, the CROUS operations that failed, and the tariff rules
fetched from CROUS."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.core.validators import validate_uai


class IdentifierChoice(models.TextChoices):
    DEFAULT = "", _("As CAMPUSCARD_CROUS_IDENTIFIER says")
    INE = "ine", _("The INE when the person has one, else the eppn")
    EPPN = "eppn", _("The eppn")


class CrousEstablishment(models.Model):
    """One establishment's CROUS settings: the constants of its cards' CROUS application and the
    sequence that numbers them."""

    establishment = models.OneToOneField(
        "institutions.Establishment", on_delete=models.CASCADE, related_name="crous",
        verbose_name=_("establishment"))
    enabled = models.BooleanField(
        _("send to CROUS"), default=True,
        help_text=_("Right-holders and smartcards of this establishment's consenting card "
                    "holders go to CROUS when the CROUS API is configured."))
    crous_number = models.CharField(
        _("CROUS number"), max_length=8, blank=True,
        help_text=_("The number of the establishment's CROUS (numeroCrous), for its tariff "
                    "rules."))
    identifier = models.CharField(_("right-holder identifier"), max_length=4, blank=True,
                                  choices=IdentifierChoice.choices)
    id_transmitter = models.PositiveBigIntegerField(
        _("transmitter (idTransmitter)"), default=0,
        help_text=_("EMETTEUR in the CROUS file, a number written in hexadecimal there."))
    id_mapping = models.PositiveBigIntegerField(_("mapping (idMapping)"), default=0)
    pix_ss = models.CharField(_("PIX.SS"), max_length=16, blank=True)
    pix_nn = models.CharField(_("PIX.NN"), max_length=16, blank=True)
    appl = models.CharField(_("application (AAPL)"), max_length=16, blank=True)
    card_number_base = models.PositiveBigIntegerField(
        _("first CROUS card number"), default=99990000,
        help_text=_("The CROUS card numbers (idZdc) of this establishment's cards are this plus "
                    "1, 2, 3…"))
    last_card_number = models.PositiveBigIntegerField(
        _("card numbers given"), default=0, editable=False)

    class Meta:
        verbose_name = _("CROUS settings of an establishment")
        verbose_name_plural = _("CROUS settings of establishments")

    def __str__(self):
        return str(self.establishment)


class CrousSmartCard(models.Model):
    """The CROUS application of one card, as CROUS registers it. Built by CampusCard when the
    card is encoded, or imported from an encoding station's CSV (then bound to the card whose
    CSN is its uid)."""

    class Origin(models.TextChoices):
        BUILT = "built", _("built by CampusCard")
        IMPORTED = "imported", _("imported from a CSV file")

    establishment = models.ForeignKey(
        "institutions.Establishment", on_delete=models.CASCADE, related_name="crous_smartcards",
        verbose_name=_("establishment"))
    card = models.OneToOneField(
        "cards.Card", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="crous_smartcard", verbose_name=_("card"))
    uid = models.CharField(_("CSN (uid)"), max_length=20, unique=True)
    id_zdc = models.PositiveBigIntegerField(_("CROUS card number (idZdc)"), unique=True)
    id_transmitter = models.PositiveBigIntegerField(_("idTransmitter"))
    id_mapping = models.PositiveBigIntegerField(_("idMapping"))
    zdc_creation_date = models.DateTimeField(_("zdcCreationDate"))
    pix_ss = models.CharField(_("PIX.SS"), max_length=16, blank=True)
    pix_nn = models.CharField(_("PIX.NN"), max_length=16, blank=True)
    appl = models.CharField(_("AAPL"), max_length=16, blank=True)
    rid = models.CharField(_("application number (rid)"), max_length=40, blank=True)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices)
    registered_at = models.DateTimeField(_("registered at CROUS on"), null=True, blank=True)
    revalidated_at = models.DateTimeField(_("last revalidated on"), null=True, blank=True)
    opposed_at = models.DateTimeField(_("opposed on"), null=True, blank=True)
    opposition_reason = models.CharField(_("opposition reason"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("CROUS smartcard")
        verbose_name_plural = _("CROUS smartcards")

    def __str__(self):
        return f"{self.id_zdc} {self.uid}"

    @property
    def opposed(self):
        """Opposed since it was last registered or revalidated."""
        if self.opposed_at is None:
            return False
        since = max(filter(None, (self.registered_at, self.revalidated_at)), default=None)
        return since is None or self.opposed_at >= since


class CrousAccount(models.Model):
    """What we know of a person's right-holder: the identifier it has at CROUS, the last body
    CROUS accepted from us, and what CROUS said of it when we last read it."""

    person = models.OneToOneField("people.Person", on_delete=models.CASCADE,
                                  related_name="crous_account", verbose_name=_("person"))
    identifier = models.CharField(_("CROUS identifier"), max_length=255)
    sent = models.JSONField(_("last body sent"), null=True, blank=True)
    sent_at = models.DateTimeField(_("last sent on"), null=True, blank=True)
    seen = models.JSONField(_("as CROUS last showed it"), null=True, blank=True)
    seen_at = models.DateTimeField(_("last read on"), null=True, blank=True)
    id_company_rate = models.IntegerField(_("company rate"), null=True, blank=True)
    id_rate = models.IntegerField(_("rate"), null=True, blank=True,
                                  help_text=_("For a student, the rate CROUS owns, copied back."))

    class Meta:
        verbose_name = _("CROUS account")
        verbose_name_plural = _("CROUS accounts")

    def __str__(self):
        return self.identifier


class CrousFailure(models.Model):
    """A CROUS operation that CROUS refused: one row per person, card and operation, updated
    when it happens again; `resolved_at` is set when the same operation later succeeds."""

    class Operation(models.TextChoices):
        GET = "rightholder.get", _("read the right-holder")
        CREATE = "rightholder.create", _("create the right-holder")
        UPDATE = "rightholder.update", _("update the right-holder")
        IDENTIFIER = "rightholder.identifier", _("change the identifier")
        UNCLOSE = "rightholder.unclose", _("reopen the account")
        SMARTCARD_CREATE = "smartcard.create", _("register the smartcard")
        SMARTCARD_REVALIDATE = "smartcard.revalidate", _("revalidate the smartcard")
        SMARTCARD_OPPOSE = "smartcard.oppose", _("oppose the smartcard")

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE,
                               related_name="crous_failures", verbose_name=_("person"))
    card = models.ForeignKey("cards.Card", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="crous_failures", verbose_name=_("card"))
    operation = models.CharField(_("operation"), max_length=32, choices=Operation.choices)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    code = models.CharField(_("CROUS code"), max_length=16, blank=True)
    message = models.TextField(_("CROUS message"), blank=True)
    blocking = models.BooleanField(
        _("push failed"), default=True,
        help_text=_("Off when the answer was taken as done (a locked account, for example)."))
    occurrences = models.PositiveIntegerField(_("times"), default=1)
    first_at = models.DateTimeField(_("first on"))
    last_at = models.DateTimeField(_("last on"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved on"), null=True, blank=True)

    class Meta:
        verbose_name = _("CROUS error")
        verbose_name_plural = _("CROUS errors")
        ordering = ["-last_at", "-id"]
        indexes = [models.Index(fields=["person", "card", "operation"])]

    def __str__(self):
        return f"{self.operation} {self.http_status} {self.code}"


class CrousTariffGrid(models.Model):
    """The tariff rules one CROUS gives for one UAI, as last fetched (`GET crous/{numeroCrous}/
    organization/{rne}`). Rules of grids of higher priority are tried first."""

    establishment = models.ForeignKey(
        "institutions.Establishment", on_delete=models.CASCADE, related_name="crous_tariff_grids",
        verbose_name=_("establishment"),
        help_text=_("Whose managers may refresh it; its CROUS fetches it."))
    crous_number = models.CharField(_("CROUS number"), max_length=8)
    uai = models.CharField(_("UAI"), max_length=8, validators=[validate_uai])
    priority = models.IntegerField(
        _("priority"), default=0,
        help_text=_("The rules of the grids of higher priority are tried first."))
    fetched_at = models.DateTimeField(_("rules fetched on"), null=True, blank=True,
                                      editable=False)
    attempted_at = models.DateTimeField(_("last refresh tried on"), null=True, blank=True,
                                        editable=False)
    last_error = models.TextField(
        _("last refresh error"), blank=True, editable=False,
        help_text=_("Why the last refresh kept the rules fetched before; empty when it worked."))

    class Meta:
        verbose_name = _("CROUS tariff grid")
        verbose_name_plural = _("CROUS tariff grids")
        ordering = ["-priority", "id"]
        constraints = [models.UniqueConstraint(fields=["crous_number", "uai"],
                                               name="crous_tariffgrid_crous_uai")]

    def __str__(self):
        return f"CROUS {self.crous_number} / {self.uai}"

    def save(self, *args, **kwargs):
        self.uai = (self.uai or "").strip().upper()
        self.crous_number = (self.crous_number or "").strip()
        super().save(*args, **kwargs)


class CrousTariffRule(models.Model):
    """One line of a grid, in the order CROUS gave it: who it is for (status, INM index range;
    empty is anyone) and the tariff (idCompanyRate, idRate)."""

    grid = models.ForeignKey(CrousTariffGrid, on_delete=models.CASCADE, related_name="rules",
                             verbose_name=_("grid"))
    position = models.PositiveIntegerField(_("position"))
    status_code = models.CharField(_("status"), max_length=16, blank=True)
    index_min = models.IntegerField(_("index from"), null=True, blank=True)
    index_max = models.IntegerField(_("index to"), null=True, blank=True)
    id_company_rate = models.IntegerField(_("company rate (idCompanyRate)"))
    id_rate = models.IntegerField(_("rate (idRate)"))

    class Meta:
        verbose_name = _("CROUS tariff rule")
        verbose_name_plural = _("CROUS tariff rules")
        ordering = ["grid", "position"]

    def __str__(self):
        return f"{self.grid} #{self.position + 1}"
