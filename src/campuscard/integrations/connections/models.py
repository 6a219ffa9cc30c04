from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import State


class Connection(models.Model):
    """A system the card office configures in the back-office (abstract: one table per kind)."""

    code = models.SlugField(_("code"), max_length=30, unique=True,
                            help_text=_("Letters, digits and dashes; it names the connection "
                                        "in the push queue and cannot change."))
    label_en = models.CharField(_("name in English"), max_length=100)
    label_fr = models.CharField(_("name in French"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    establishments = models.ManyToManyField(
        "institutions.Establishment", blank=True, related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("establishments"),
        help_text=_("Whose cards it is told of. Empty: every establishment. The cards other "
                    "establishments agreed to have recognised here are added."))
    populations = models.ManyToManyField(
        "people.Population", blank=True, related_name="%(app_label)s_%(class)s_set",
        verbose_name=_("populations"), help_text=_("Empty: every population."))
    card_states = models.JSONField(
        _("card states"), default=list, blank=True,
        help_text=_("Tell it of the cards in these states only. Empty: every state."))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated on"), auto_now=True)

    class Meta:
        abstract = True
        ordering = ["label_en"]

    def __str__(self):
        return self.label

    @property
    def label(self):
        if (get_language() or "").startswith("fr"):
            return self.label_fr or self.label_en
        return self.label_en or self.label_fr

    def state_labels(self):
        return [State(state).label for state in self.card_states if state in State.values]
