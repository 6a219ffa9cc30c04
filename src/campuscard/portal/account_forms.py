"""Forms of the student's own pages (the request form is in forms.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import HOLDER_DISABLE_REASONS, DisableReason
from campuscard.people.models import CONSENTS
from campuscard.portal.forms import PhotoForm

BLOCK_REASONS = [(r.value, r.label) for r in DisableReason if r in HOLDER_DISABLE_REASONS]


class BlockForm(forms.Form):
    reason = forms.ChoiceField(label=_("What happened to your card?"), choices=BLOCK_REASONS,
                               widget=forms.RadioSelect)


class ConsentForm(forms.Form):
    """One checkbox per consent; the explanations come with the template."""

    def __init__(self, *args, person, **kwargs):
        initial = {name: getattr(person, f"{name}_consent") for name in CONSENTS}
        super().__init__(*args, initial=initial, **kwargs)
        for name, label in CONSENTS.items():
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def changes(self, person):
        """{consent: given} for every consent the student changed."""
        return {name: given for name, given in self.cleaned_data.items()
                if given != getattr(person, f"{name}_consent")}


class CrousConsentForm(forms.Form):
    """The CROUS / Izly consent switched from the card page: "yes" or "no"."""

    given = forms.TypedChoiceField(choices=[("yes", _("given")), ("no", _("withdrawn"))],
                                   coerce=lambda value: value == "yes")


RENEWAL_REASONS = [
    ("lost", _("My card is lost")),
    ("stolen", _("My card was stolen")),
    ("broken", _("My card is broken or does not work")),
    ("details", _("My name or photo changed")),
    ("other", _("Another reason")),
]


class RenewalForm(PhotoForm):
    """Why a new card is needed, the fee when there is one, and optionally a new photo."""

    reason = forms.ChoiceField(label=_("Why do you need a new card?"), choices=RENEWAL_REASONS,
                               widget=forms.RadioSelect)
    details = forms.CharField(label=_("Details"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    accept_fee = forms.BooleanField(required=False)

    def __init__(self, *args, establishment, fee=None, **kwargs):
        super().__init__(*args, establishment=establishment, photo_required=False, **kwargs)
        self.fee = fee
        if fee is None:
            del self.fields["accept_fee"]
        else:
            self.fields["accept_fee"].required = True
            self.fields["accept_fee"].label = _(
                "I will pay %(fee)s € when I collect my new card.") % {"fee": fee}

    def clean(self):
        data = super().clean()
        if data.get("reason") == "other" and not (data.get("details") or "").strip():
            self.add_error("details", _("Say why you need a new card."))
        return data

    def reason_text(self):
        label = dict(RENEWAL_REASONS)[self.cleaned_data["reason"]]
        details = self.cleaned_data.get("details", "").strip()
        return f"{label} — {details}" if details else str(label)
