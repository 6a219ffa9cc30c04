"""Forms of the manager's back-office: they turn request parameters into clean values.

Nothing here changes data; the views hand the cleaned values to `cards.services`.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campuscard.backoffice.search import DEFAULT_SORT, SORTS, CardQuery
from campuscard.backoffice.services import populations_in_scope
from campuscard.cards.states import DisableReason, State
from campuscard.core.fields import DatabaseIdField, DatabaseIdListField

MAX_SELECTION = 1000
DELIVER = "deliver"  # the bulk actions that are not a state change
PUSH_ESC = "esc_push"
PUSH_CROUS = "crous_push"


class IdListField(DatabaseIdListField):
    """Card or push ids from a repeated parameter (?card=1&card=2), at least one."""

    def __init__(self, **kwargs):
        super().__init__(max_count=MAX_SELECTION, **kwargs)


class SeenCardsField(IdListField):
    """Cards with the state the manager saw them in, as "id:STATE" tokens.

    The state lets `cards.services` notice that someone else changed a card meanwhile.
    """

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > self.max_count:
            raise self.too_many()
        seen = {}
        for token in values:
            card_id, _sep, state = str(token).partition(":")
            try:
                seen[self.one_id(card_id)] = State(state)
            except ValueError as exc:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        ids = super().to_python(list(seen))
        return {card_id: seen[card_id] for card_id in ids}


class CardSearchForm(forms.Form):
    """The search filters; `card_query()` gives what `search.search_cards` expects."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        help_text=_("Name, eppn, email, chip number (CSN) or ESCN"),
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "q-help"}),
    )
    establishment = forms.TypedChoiceField(label=_("Establishment"), required=False,
                                           coerce=int, empty_value=None)
    population = forms.TypedChoiceField(label=_("Population"), required=False,
                                        coerce=int, empty_value=None)
    state = forms.MultipleChoiceField(label=_("States"), required=False, choices=State.choices,
                                      widget=forms.CheckboxSelectMultiple)
    requested_from = forms.DateField(label=_("Requested from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    requested_to = forms.DateField(label=_("Requested until"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort"), required=False, widget=forms.HiddenInput,
                             choices=[(key, key) for key in SORTS])

    def __init__(self, data, *, scope):
        super().__init__(data)
        everything = [("", _("All"))]
        self.fields["establishment"].choices = everything + [
            (e.pk, str(e)) for e in scope.establishments().order_by("name")]
        self.fields["population"].choices = everything + [
            (p.pk, str(p)) for p in populations_in_scope(scope)]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("requested_from"), cleaned.get("requested_to")
        if start and end and start > end:
            raise ValidationError(_("The start date must not be after the end date."),
                                  code="date_range")
        return cleaned

    def card_query(self):
        data = self.cleaned_data
        return CardQuery(
            text=data["q"],
            establishment_ids=[data["establishment"]] if data["establishment"] else [],
            population_ids=[data["population"]] if data["population"] else [],
            states=list(data["state"]),
            requested_from=data["requested_from"],
            requested_to=data["requested_to"],
            sort=data["sort"] or DEFAULT_SORT,
        )

    @property
    def current_sort(self):
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or DEFAULT_SORT


class TransitionForm(forms.Form):
    """One transition asked from the card page."""

    target = forms.ChoiceField(choices=State.choices)
    seen_state = forms.ChoiceField(choices=State.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    disable_reason = forms.ChoiceField(label=_("Why is the card disabled?"), required=False,
                                       choices=[("", ""), *DisableReason.choices])
    csn = forms.CharField(label=_("Chip serial number (CSN)"), required=False, max_length=40)


class CardSelectionForm(forms.Form):
    """The cards ticked on the search page, and the search to come back to."""

    card = IdListField()
    back = forms.CharField(required=False, max_length=4000)


class BulkApplyForm(forms.Form):
    """One action confirmed for several cards."""

    card = SeenCardsField()
    action = forms.ChoiceField(choices=[*State.choices, (DELIVER, DELIVER),
                                        (PUSH_ESC, PUSH_ESC), (PUSH_CROUS, PUSH_CROUS)])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    disable_reason = forms.ChoiceField(label=_("Why are the cards disabled?"), required=False,
                                       choices=[("", ""), *DisableReason.choices])
    back = forms.CharField(required=False, max_length=4000)


class OutboxRetryForm(forms.Form):
    """Either one push (the row's own button) or every ticked push."""

    only = DatabaseIdField(name="only", required=False)
    item = IdListField(required=False)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("only") and not cleaned.get("item"):
            raise ValidationError(_("Select at least one push to retry."), code="required")
        return cleaned

    def item_ids(self):
        only = self.cleaned_data.get("only")
        return [only] if only else self.cleaned_data["item"]


class RecognitionForm(forms.Form):
    """A new agreement: `recogniser`'s systems recognise the cards of `issuer`."""

    issuer = forms.ModelChoiceField(queryset=None, label=_("Cards of"))
    recogniser = forms.ModelChoiceField(queryset=None, label=_("Recognised by"))
    populations = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Populations"),
        help_text=_("Leave empty for every population."))

    def __init__(self, *args, scope, **kwargs):
        from campuscard.people.models import Population

        super().__init__(*args, **kwargs)
        establishments = scope.establishments().order_by("name")
        self.fields["issuer"].queryset = establishments
        self.fields["recogniser"].queryset = establishments
        self.fields["populations"].queryset = Population.objects.order_by("code")
        self.scope = scope

    def clean(self):
        cleaned = super().clean()
        issuer, recogniser = cleaned.get("issuer"), cleaned.get("recogniser")
        if issuer and recogniser:
            if issuer == recogniser:
                raise ValidationError(_("Choose two different establishments."))
            if not (self.scope.manages_all_of(issuer.pk)
                    and self.scope.manages_all_of(recogniser.pk)):
                raise ValidationError(_("Only someone who manages both establishments can "
                                        "make an agreement between them."))
        return cleaned
