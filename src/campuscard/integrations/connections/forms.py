"""Form pieces every connection's admin shares: the card states as boxes to tick, and a secret
that is never sent back to the browser (left empty, the stored one is kept)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import State


class KeptSecretField(forms.CharField):
    widget = forms.PasswordInput(render_value=False)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Hidden. Leave empty to keep the current one."))
        super().__init__(**kwargs)

    def has_changed(self, initial, data):
        return bool(data) and data != initial


class ConnectionForm(forms.ModelForm):
    card_states = forms.MultipleChoiceField(
        label=_("card states"), choices=State.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tell it of the cards in these states only. None ticked: every state."))
    secret_fields = ()

    def clean(self):
        cleaned = super().clean()
        for name in self.secret_fields:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(self.instance, name)
        return cleaned
