"""CROUS in the back-office: "push to CROUS again" on a card, and the CROUS errors page (with
its CSV). The card page's CROUS section and the bulk action are wired in views.py."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campuscard.backoffice import crous as office_crous
from campuscard.backoffice.views import SAFE_METHODS, card_view, only, paginate, staff_only
from campuscard.core.actors import Actor
from campuscard.integrations.crous import services as crous
from campuscard.people.permissions import require_manager, scope_of


@card_view("POST")
def card_crous_push(request, card):
    queued, refused = crous.push_again([card], Actor.from_request(request))
    if queued:
        messages.success(request, _("The card will be pushed to CROUS again."))
    for message in refused.values():
        messages.error(request, message)
    return redirect("backoffice:card", card.pk)


def _filtered_errors(request):
    require_manager(request.user)
    scope = scope_of(request.user)
    form = office_crous.CrousErrorFilterForm(request.GET, scope=scope)
    return form, office_crous.errors_in_scope(scope, form)


@staff_only
@only(*SAFE_METHODS)
def crous_errors(request):
    form, errors = _filtered_errors(request)
    return render(request, "backoffice/crous_errors.html", {
        "form": form, "pager": paginate(request, errors, "page", _("Pages of CROUS errors")),
    })


@staff_only
@only(*SAFE_METHODS)
def crous_errors_csv(request):
    _form, errors = _filtered_errors(request)
    response = StreamingHttpResponse(office_crous.errors_csv(errors),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{office_crous.errors_filename()}"')
    return response
