"""The card request form (photo, consents, delivery, rules).

The student only ever requests for themself: the person is always request.user.person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campuscard.cards.services import error_message
from campuscard.cards.states import PENDING_STATES, IllegalTransition, State
from campuscard.core.actors import Actor
from campuscard.portal import services
from campuscard.portal.account_forms import ConsentForm
from campuscard.portal.forms import CardRequestForm

TEMPLATE = "portal/request.html"


@login_required
def request_card(request):
    person = getattr(request.user, "person", None)
    if person is None:
        return render(request, TEMPLATE, {"person": None})
    if not person.may_request_card:  # a computed rule of the sources said so
        return render(request, TEMPLATE, {"person": person})
    latest = services.latest_card(person)
    if services.blocks_request(latest):
        return render(request, TEMPLATE, {"person": person, "blocker": latest,
                                          "in_progress": latest.state in PENDING_STATES})
    posted = request.method == "POST"
    form = CardRequestForm(request.POST if posted else None, request.FILES if posted else None,
                           establishment=person.establishment)
    consents = ConsentForm(request.POST if posted else None, person=person, prefix="consent")
    if posted and form.is_valid() and consents.is_valid() and _submit(request, person, form,
                                                                      consents):
        messages.success(request, _("Your card request is sent. You can follow it here."))
        return redirect("portal:home")
    return render(request, TEMPLATE, {
        "person": person, "form": form, "consents": consents,
        "establishment": person.establishment,
        "rejected": latest if latest and latest.state == State.REJECTED else None,
    })


def _submit(request, person, form, consents):
    """Run the request; a refusal becomes an error on the form. True when it went through."""
    try:
        services.submit_request(
            person, Actor.from_request(request), upload=form.cleaned_data.get("photo"),
            crop=form.crop_box(), rotation=form.cleaned_data.get("rotation") or 0,
            consents=consents.cleaned_data, **form.request_details(),
        )
    except ValidationError as exc:  # the photo was refused
        form.add_error("photo", exc)
        return False
    except IllegalTransition as exc:  # NotAllowed included
        form.add_error(None, error_message(exc))
        return False
    return True
