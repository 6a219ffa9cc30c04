"""Agreements between establishments: whose cards each one's systems recognise."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from campuscard.backoffice.forms import RecognitionForm
from campuscard.backoffice.views import SAFE_METHODS, only, staff_only
from campuscard.cards import recognition as agreements
from campuscard.core.actors import Actor
from campuscard.institutions.models import Recognition
from campuscard.people.permissions import require_manager, scope_of


def _visible(scope):
    found = (Recognition.objects.select_related("issuer", "recogniser")
             .prefetch_related("populations").order_by("withdrawn_at", "-granted_at"))
    if scope.is_admin:
        return found
    ids = scope.establishment_ids
    return found.filter(issuer__in=ids) | found.filter(recogniser__in=ids)


@staff_only
@only(*SAFE_METHODS, "POST")
def agreement_list(request):
    require_manager(request.user)
    scope = scope_of(request.user)
    form = RecognitionForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            agreements.agree_recognition(form.cleaned_data["issuer"],
                                         form.cleaned_data["recogniser"],
                                         form.cleaned_data["populations"],
                                         Actor.from_request(request))
        except agreements.RecognitionRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Agreement recorded: the systems of the recognising "
                                        "establishment are being told of those cards."))
            return redirect("backoffice:agreements")
    return render(request, "backoffice/agreements.html", {
        "form": form, "agreements": _visible(scope),
        "can_withdraw": {r.pk for r in _visible(scope) if _may_withdraw(scope, r)}})


def _may_withdraw(scope, agreement):
    """Either side may end an agreement."""
    return agreement.withdrawn_at is None and (
        scope.manages_all_of(agreement.issuer_id) or scope.manages_all_of(agreement.recogniser_id))


@staff_only
@only("POST")
def agreement_withdraw(request, agreement_id):
    require_manager(request.user)
    scope = scope_of(request.user)
    agreement = get_object_or_404(_visible(scope), pk=agreement_id)
    if not _may_withdraw(scope, agreement):
        raise Http404(_("No such agreement."))
    agreements.withdraw_recognition(agreement, Actor.from_request(request))
    messages.success(request, _("Agreement withdrawn: the systems of %(recogniser)s are being "
                                "told that these cards are no longer recognised.")
                     % {"recogniser": agreement.recogniser})
    return redirect("backoffice:agreements")
