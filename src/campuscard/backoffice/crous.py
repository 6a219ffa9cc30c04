"""The CROUS part of the back-office: the CROUS errors a manager may see (filter, CSV) and
whether "push to CROUS again" is offered. The pushes themselves are
`integrations.crous.services.push_again`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.backoffice.export import csv_rows
from campuscard.cards.permissions import roles_on_card
from campuscard.integrations.crous import services as crous
from campuscard.integrations.crous.models import CrousFailure
from campuscard.people.models import Person

RESOLVED_CHOICES = [("", _("All")), ("no", _("Not resolved")), ("yes", _("Resolved"))]
CSV_COLUMNS = (
    "last_at", "first_at", "eppn", "last_name", "first_name", "establishment_code", "card_id",
    "operation", "operation_label", "http_status", "crous_code", "crous_message",
    "push_failed", "occurrences", "resolved_at",
)


class CrousErrorFilterForm(forms.Form):
    eppn = forms.CharField(label=_("eppn"), required=False, max_length=255)
    establishment = forms.TypedChoiceField(label=_("Establishment"), required=False,
                                           coerce=int, empty_value=None)
    operation = forms.ChoiceField(label=_("Operation"), required=False,
                                  choices=[("", _("All")), *CrousFailure.Operation.choices])
    since = forms.DateField(label=_("Last seen from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Last seen until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    resolved = forms.ChoiceField(label=_("Resolved"), required=False, choices=RESOLVED_CHOICES)

    def __init__(self, data, *, scope):
        super().__init__(data)
        self.fields["establishment"].choices = [("", _("All"))] + [
            (e.pk, str(e)) for e in scope.establishments().order_by("name")]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise ValidationError(_("The start date must not be after the end date."),
                                  code="date_range")
        return cleaned

    def filters(self):
        """The lookups of `crous.failures` for what was chosen."""
        data = self.cleaned_data
        wanted = {}
        if data["eppn"].strip():
            wanted["person__eppn__iexact"] = data["eppn"].strip()
        if data["establishment"]:
            wanted["person__establishment_id"] = data["establishment"]
        if data["operation"]:
            wanted["operation"] = data["operation"]
        if data["since"]:
            wanted["last_at__date__gte"] = data["since"]
        if data["until"]:
            wanted["last_at__date__lte"] = data["until"]
        if data["resolved"]:
            wanted["resolved_at__isnull"] = data["resolved"] == "no"
        return wanted


def errors_in_scope(scope, form):
    """The CROUS errors of the people `scope` covers, as the filter form asks (none when the
    form is not valid)."""
    if not form.is_valid():
        return CrousFailure.objects.none()
    people = scope.filter_people(Person.objects.all()).values("pk")
    return (crous.failures(**form.filters()).filter(person__in=people)
            .select_related("person__establishment", "card"))


def errors_csv(errors):
    return csv_rows(CSV_COLUMNS, (_row(error) for error in errors.iterator(chunk_size=2000)))


def _row(error):
    person = error.person
    return (_moment(error.last_at), _moment(error.first_at), person.eppn, person.last_name,
            person.first_name, person.establishment.code, error.card_id, error.operation,
            str(error.get_operation_display()), error.http_status, error.code, error.message,
            "yes" if error.blocking else "no", error.occurrences, _moment(error.resolved_at))


def _moment(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def errors_filename():
    return f"campuscard-crous-errors-{timezone.localtime():%Y%m%d-%H%M}.csv"


def may_push_again(cards, actor):
    """"Push to CROUS again" is offered when every card may be pushed."""
    return bool(cards) and all(
        crous.push_again_refusal(card, roles_on_card(actor, card)) is None for card in cards)
