from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from campuscard.core.sealing import SealedCharField
from campuscard.core.validators import (
    validate_escn_prefix,
    validate_pic,
    validate_uai,
    validate_verifier_prefix,
)


class EscCardType(models.TextChoices):
    """The ESC router's card types (CardUpdateView.cardType)."""

    UNKNOWN = "UNKNOWN", _("Unknown")
    PASSIVE = "PASSIVE", _("Physical card without electronics")
    SMART_NO_CDZ = "SMART_NO_CDZ", _("Smart card without the ESC data zone")
    SMART_CDZ = "SMART_CDZ", _("Smart card with the ESC data zone")
    SMART_MAY_SP = "SMART_MAY_SP", _("Smart card open to service providers' applications")
    SMART_PASSIVE = "SMART_PASSIVE", _("Digital card without electronics")
    SMART_PASSIVE_EMULATION = "SMART_PASSIVE_EMULATION", _("Digital card emulating a smart card")


def default_verifier_prefix():
    return settings.CAMPUSCARD_ESC_VERIFIER_PREFIX


class Establishment(models.Model):
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    pic = models.CharField(
        _("PIC"), max_length=9, unique=True, validators=[validate_pic],
        help_text=_("Participant Identification Code, 9 digits."),
    )
    country = models.CharField(_("country"), max_length=2, default="FR",
                               help_text=_("ISO 3166 code, two letters."))
    uai = models.CharField(_("UAI"), max_length=8, blank=True, validators=[validate_uai])
    escn_prefix = models.CharField(
        _("ESCN prefix"), max_length=3, default="001", validators=[validate_escn_prefix],
        help_text=_("Three digits that tell this establishment's ESCN generators apart."),
    )
    auto_enable = models.BooleanField(
        _("enable cards automatically after encoding"), default=False
    )
    # What the card request form offers and asks (see portal/).
    photo_width = models.PositiveSmallIntegerField(
        _("photo width"), default=350, validators=[MinValueValidator(100)],
        help_text=_("In pixels, as printed on the card template; with the height it fixes the "
                    "crop ratio."),
    )
    photo_height = models.PositiveSmallIntegerField(
        _("photo height"), default=450, validators=[MinValueValidator(100)],
        help_text=_("In pixels, as printed on the card template."),
    )
    pickup_offered = models.BooleanField(_("cards can be picked up"), default=True)
    pickup_place = models.CharField(
        _("pick-up place"), max_length=300, blank=True,
        help_text=_("Where students collect their card, shown on the request form."),
    )
    postal_offered = models.BooleanField(_("cards can be sent by post"), default=False)
    rules_en = models.TextField(
        _("card rules in English"), blank=True,
        help_text=_("Rules a student must accept to request a card. Leave both empty for none."),
    )
    rules_fr = models.TextField(_("card rules in French"), blank=True)
    # European Student Card (see esc/ and integrations/esc_router/).
    verifier_prefix = models.CharField(
        _("QR code verifier prefix"), max_length=200, default=default_verifier_prefix,
        validators=[validate_verifier_prefix],
        help_text=_("The card's QR code holds this followed by the ESCN, e.g. "
                    "https://s.esc-r.eu/ or http://esc.gg/."),
    )
    esc_router_key = SealedCharField(
        _("ESC router API key"), max_length=200, blank=True,
        help_text=_("Issued by the ESC router for this PIC. Leave empty to keep this "
                    "establishment's cards out of the router."),
    )
    esc_card_type = models.CharField(_("ESC card type"), max_length=32,
                                     choices=EscCardType.choices,
                                     default=EscCardType.SMART_NO_CDZ)

    class Meta:
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.country = (self.country or "").upper()
        self.uai = (self.uai or "").upper()
        super().save(*args, **kwargs)

    def clean(self):
        if not (self.pickup_offered or self.postal_offered):
            raise ValidationError(_("Offer at least one way to get the card: pick-up or post."))

    @property
    def rules(self):
        """The rules in the current language, falling back to the other one."""
        if (get_language() or "").startswith("fr"):
            return self.rules_fr or self.rules_en
        return self.rules_en or self.rules_fr

    @property
    def delivery_modes(self):
        return [mode for mode, offered in (("pickup", self.pickup_offered),
                                           ("postal", self.postal_offered)) if offered]


class Recognition(models.Model):
    """An agreement: the cards `issuer` gives are recognised by `recogniser`'s systems (its door
    exports, its webhooks…), for the listed populations or, when none is listed, for all.
    Withdrawn agreements are kept, with when, for the record."""

    issuer = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("cards of"))
    recogniser = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("recognised by"))
    populations = models.ManyToManyField(
        "people.Population", blank=True, related_name="+", verbose_name=_("populations"),
        help_text=_("Leave empty for every population."))
    granted_at = models.DateTimeField(_("agreed on"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        verbose_name = _("recognition agreement")
        verbose_name_plural = _("recognition agreements")
        ordering = ["issuer__name", "recogniser__name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "recogniser"],
                                    condition=models.Q(withdrawn_at__isnull=True),
                                    name="one_live_recognition_per_pair"),
            models.CheckConstraint(condition=~models.Q(issuer=models.F("recogniser")),
                                   name="recognition_between_two_establishments"),
        ]

    def __str__(self):
        return _("%(recogniser)s recognises the cards of %(issuer)s") % {
            "recogniser": self.recogniser, "issuer": self.issuer}
