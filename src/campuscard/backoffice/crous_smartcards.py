"""Importing the CROUS smartcard records an encoding station wrote (ESUP's CSV, one line a
card): managers of the whole establishment or administrators; the file is taken whole or not
at all, with each line's problem said."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.backoffice.views import only, staff_only
from campuscard.core.actors import Actor
from campuscard.integrations.crous.csvimport import ImportRefused, import_smartcards
from campuscard.people.permissions import scope_of

MAX_BYTES = 20 * 1024 * 1024


class SmartcardImportForm(forms.Form):
    establishment = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Establishment"))
    file = forms.FileField(label=gettext_lazy("CSV file of the encoding station"))
    inverse_csn = forms.BooleanField(
        required=False, label=gettext_lazy("The file writes each CSN byte-reversed"))

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establishment"].queryset = establishments

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(size)d MB.")
                                        % {"size": MAX_BYTES // 2**20})
        return upload


def importable_establishments(scope):
    """The establishments sending to CROUS whose cards this user may import records for."""
    ids = [e.pk for e in scope.establishments().filter(crous__isnull=False)
           if scope.manages_all_of(e.pk)]
    return scope.establishments().filter(pk__in=ids).order_by("name")


@staff_only
@only("GET", "POST")
def import_page(request):
    establishments = importable_establishments(scope_of(request.user))
    form = SmartcardImportForm(request.POST or None, request.FILES or None,
                               establishments=establishments)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = import_smartcards(form.cleaned_data["establishment"],
                                       form.cleaned_data["file"].read(),
                                       Actor.from_request(request),
                                       inverse_csn=form.cleaned_data["inverse_csn"])
        except ImportRefused as exc:
            errors = exc.errors
        else:
            messages.success(request, _(
                "Imported: %(created)d new smartcard records (%(bound)d bound to their card at "
                "once), %(unchanged)d already known.") % {
                "created": result.created, "bound": result.bound, "unchanged": result.unchanged})
            return redirect("backoffice:crous_smartcards_import")
    return render(request, "backoffice/crous_smartcards_import.html", {
        "form": form, "errors": errors, "may_import": establishments.exists()})
