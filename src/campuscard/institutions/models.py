from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.core.validators import validate_escn_prefix, validate_pic, validate_uai


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
