import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campuscard.cards.display import card_number
from campuscard.cards.states import DisableReason, State
from campuscard.core.validators import validate_csn


def photo_path(card, filename):
    return f"photos/{card.establishment_id}/{uuid.uuid4().hex}.jpg"


class DeliveryMode(models.TextChoices):
    PICKUP = "pickup", _("I will pick it up")
    POSTAL = "postal", _("Send it to my postal address")


class Card(models.Model):
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cards",
                               verbose_name=_("person"))
    establishment = models.ForeignKey("institutions.Establishment", on_delete=models.PROTECT,
                                      related_name="cards", verbose_name=_("establishment"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    state_changed_at = models.DateTimeField(_("state changed on"))
    state_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested on"), db_index=True)
    escn = models.UUIDField(_("ESCN"), null=True, blank=True, unique=True)
    csn = models.CharField(_("chip serial number"), max_length=20, null=True, blank=True,
                           unique=True, validators=[validate_csn])
    access_control_id = models.CharField(
        _("access-control number"), max_length=20, blank=True, default="", db_default="",
        help_text=_("Given when the card is encoded; unique in the instance, so that doors "
                    "that recognise several establishments' cards tell them apart. Door and "
                    "access-control systems know the card by it."))
    photo = models.ImageField(_("photo"), upload_to=photo_path, blank=True)
    reject_count = models.PositiveIntegerField(_("rejections"), default=0)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    disable_reason = models.CharField(_("disable reason"), max_length=16, blank=True,
                                      choices=DisableReason.choices)
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="renewals", verbose_name=_("renewal of"))
    renewal_reason = models.TextField(_("renewal reason"), blank=True)
    delivery_mode = models.CharField(_("delivery"), max_length=8, blank=True,
                                     choices=DeliveryMode.choices)
    postal_address = models.TextField(_("postal address"), blank=True)
    rules_accepted_at = models.DateTimeField(_("rules accepted on"), null=True, blank=True)
    fee_due = models.DecimalField(_("fee due"), max_digits=6, decimal_places=2, null=True,
                                  blank=True, help_text=_("To be paid when the card is collected."))
    encoded_at = models.DateTimeField(_("encoded on"), null=True, blank=True)
    enabled_at = models.DateTimeField(_("enabled on"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered on"), null=True, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("delivered by"))

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="ENABLED"),
                                    name="one_enabled_card_per_person"),
            models.UniqueConstraint(fields=["access_control_id"],
                                    condition=~Q(access_control_id=""),
                                    name="access_control_id_unique"),
        ]
        indexes = [
            # (state) and (establishment, state, person) make the search's counts index-only.
            models.Index(fields=["state"], name="cards_card_state_count"),
            models.Index(fields=["establishment", "state", "person"],
                         name="cards_card_est_state_person"),
            models.Index(fields=["state", "-requested_at"]),
            models.Index(fields=["establishment", "state", "-requested_at"]),
            models.Index(fields=["person", "-requested_at"]),
            models.Index(fields=["-state_changed_at"]),
        ]

    def __str__(self):
        return f"{self.number} {self.get_state_display()}"

    @property
    def number(self):
        """The number people read for this card (cards.display.card_number), never the id."""
        return card_number(self)


class NumberCounter(models.Model):
    """The last number given of a kind (cards.numbers): only ever moved under a row lock."""

    name = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.last}"
