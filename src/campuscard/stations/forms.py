from django import forms
from django.utils.translation import gettext_lazy as _

from campuscard.backoffice.forms import IdListField


class SendToPrintForm(forms.Form):
    """Cards (one or a selection) sent to one of the stations the manager may use."""

    card = IdListField()
    station = forms.ModelChoiceField(label=_("Print station"), queryset=None,
                                     empty_label=_("Choose…"))
    back = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args, stations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations
