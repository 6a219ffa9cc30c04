"""Card templates, their immutable versions, and the prints made from them (docs/printing.md)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.printing.geometry import validate_zones


class CardTemplate(models.Model):
    """Who a template is for and how it ranks; what it looks like is in its versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    establishment = models.ForeignKey(
        "institutions.Establishment", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("establishment"),
        help_text=_("Leave empty for every establishment."))
    populations = models.ManyToManyField(
        "people.Population", blank=True, related_name="+", verbose_name=_("populations"),
        help_text=_("Leave empty for every population."))
    key = models.CharField(
        _("template key"), max_length=64, blank=True,
        help_text=_("A person whose directory rules set this card template key gets this "
                    "template first."))
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Among templates that fit equally, the highest "
                                              "priority wins."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("card template")
        verbose_name_plural = _("card templates")
        ordering = ["-priority", "code"]

    def __str__(self):
        return self.name

    @property
    def current_version(self):
        return self.versions.order_by("-number").first()


class CardTemplateVersion(models.Model):
    """One state of a template, never changed once saved: editing adds a new version, and a
    card printed with this one is reprinted with it."""

    template = models.ForeignKey(CardTemplate, on_delete=models.CASCADE, related_name="versions",
                                 verbose_name=_("template"))
    number = models.PositiveIntegerField(_("version"))
    front_html = models.TextField(_("front HTML"))
    back_html = models.TextField(_("back HTML"), blank=True,
                                 help_text=_("Leave empty for a card printed on one side."))
    css = models.TextField(_("CSS"), blank=True)
    free_text = models.TextField(_("free text"), blank=True)
    logo_svg = models.TextField(_("logo (SVG)"), blank=True,
                                help_text=_("Inline SVG, our own artwork; shown as `logo`."))
    zones = models.JSONField(
        _("zones to leave empty"), default=list, blank=True, validators=[validate_zones],
        help_text=_("Hologram, chip and magnetic stripe: rectangles in millimetres per side."))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("card template version")
        verbose_name_plural = _("card template versions")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"],
                                               name="printing_one_number_per_version")]

    def __str__(self):
        return f"{self.template} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A template version cannot be changed: save a new one."))
        super().save(*args, **kwargs)

    @property
    def has_back(self):
        return bool(self.back_html.strip())


class CardPrint(models.Model):
    """A card as it was printed: the template version and the values frozen at that moment."""

    card = models.ForeignKey("cards.Card", on_delete=models.CASCADE, related_name="prints",
                             verbose_name=_("card"))
    version = models.ForeignKey(CardTemplateVersion, null=True, on_delete=models.PROTECT,
                                related_name="prints", verbose_name=_("template version"))
    values = models.JSONField(_("printed values"), default=dict)
    printed_at = models.DateTimeField(_("printed on"), auto_now_add=True)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("printed by"))

    class Meta:
        verbose_name = _("card print")
        verbose_name_plural = _("card prints")
        ordering = ["card", "-printed_at", "-id"]

    def __str__(self):
        return f"{self.card} ({self.version})"
