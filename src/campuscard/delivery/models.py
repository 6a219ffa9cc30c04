"""Delivery slips: the list of cards waiting at a pick-up place, printed for holders to sign."""

from django.conf import settings
from django.db import models
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _


class DeliverySlip(models.Model):
    establishment = models.ForeignKey("institutions.Establishment", on_delete=models.PROTECT,
                                      related_name="delivery_slips",
                                      verbose_name=_("establishment"))
    place = models.CharField(_("pick-up place"), max_length=300, blank=True,
                             help_text=_("The establishment's pick-up place when the slip was "
                                         "made."))
    cards = models.ManyToManyField("cards.Card", related_name="delivery_slips",
                                   verbose_name=_("cards"))
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("made by"))
    made_at = models.DateTimeField(_("made on"), db_index=True)
    delivered_at = models.DateTimeField(_("cards marked as delivered on"), null=True, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("cards marked as delivered by"))

    class Meta:
        verbose_name = _("delivery slip")
        verbose_name_plural = _("delivery slips")
        ordering = ["-made_at", "-id"]
        indexes = [models.Index(fields=["establishment", "-made_at"])]

    def __str__(self):
        return self.reference

    @property
    def reference(self):
        """What the printed slip is known by: "UNIV-A-20261202-0042"."""
        return (f"{self.establishment.code.upper()}-{localtime(self.made_at):%Y%m%d}-"
                f"{self.pk:04d}")
