"""What the administration form of every connection shares: the card states as a choice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import State
from campuscard.core.admin import AuditedAdmin

FILTER_FIELDS = ("code", "label_en", "label_fr", "active", "establishments", "populations",
                 "card_states")


class ConnectionForm(forms.ModelForm):
    card_states = forms.MultipleChoiceField(
        label=_("card states"), choices=State.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tell it of the cards in these states only. None ticked: every state."))

    def clean_card_states(self):
        return sorted(self.cleaned_data["card_states"])


class ConnectionAdmin(AuditedAdmin):
    form = ConnectionForm
    list_display = ("label_en", "code", "active")
    list_filter = ("active",)
    filter_horizontal = ("establishments", "populations")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()  # it names the pushes already queued
