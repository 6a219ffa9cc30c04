"""The student's own pages: follow, block, re-enable, receive and renew a card; consents; my data.

A student only ever reaches their own cards: every card is looked up through request.user.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from campuscard.cards import services as card_services
from campuscard.cards.models import Card
from campuscard.cards.propagation import all_told, hearings
from campuscard.cards.states import IllegalTransition, State
from campuscard.core.actors import Actor
from campuscard.integrations.crous import pages as crous_pages
from campuscard.integrations.crous import services as crous_services
from campuscard.people import services as people_services
from campuscard.portal import my_data, renewal
from campuscard.portal.account_forms import BlockForm, ConsentForm, CrousConsentForm, RenewalForm
from campuscard.portal.services import blocks_request, process_photo
from campuscard.portal.tracking import holder_actions, tracking_steps


def _person(request):
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404(_("No card holder record is linked to your account."))
    return person


def _posted(request):
    """The form data of a POST, even an empty one (every box unticked), else None."""
    return request.POST if request.method == "POST" else None


def _own_card(request, card_id):
    return get_object_or_404(
        Card.objects.select_related("person__population", "establishment"),
        pk=card_id, person__user=request.user,
    )


def _card_context(card):
    return {"card": card, "steps": tracking_steps(card), "actions": holder_actions(card),
            **_hearing_context(card)}


def _hearing_context(card):
    """Who is being told of the card's last change: shown while the card is blocked, and
    after any change until every system has heard of it."""
    found = hearings(card)
    shown = bool(found) and (card.state == State.DISABLED or not all_told(found))
    return {"hearings": found if shown else [], "all_told": all_told(found)}


@login_required
def home(request):
    person = getattr(request.user, "person", None)
    if person is None:
        return render(request, "portal/home.html", {"person": None})
    cards = list(person.cards.select_related("establishment").order_by("-requested_at", "-pk"))
    latest = cards[0] if cards else None
    context = {"person": person, "current": _card_context(latest) if latest else None,
               "older": cards[1:], "may_request": not blocks_request(latest)}
    return render(request, "portal/home.html", context)


@login_required
def card_detail(request, card_id):
    card = _own_card(request, card_id)
    return render(request, "portal/card.html", {
        "person": card.person, "crous": crous_pages.holder_panel(card.person),
    } | _card_context(card))


@login_required
@require_POST
def crous_consent(request, card_id):
    """The CROUS / Izly consent given or withdrawn from the card page's panel."""
    card = _own_card(request, card_id)
    form = CrousConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This choice could not be understood; nothing was changed."))
        return redirect("portal:card", card_id=card.pk)
    given = form.cleaned_data["given"]
    people_services.set_consent(card.person, Actor.from_request(request), "crous", given)
    if given:
        messages.success(request, _("Your consent is saved: your card is being sent to the "
                                    "CROUS. The mail to activate your Izly account will come "
                                    "from the CROUS."))
    else:
        messages.success(request, _("Your consent is withdrawn: nothing more is sent to the "
                                    "CROUS. Your Izly account is not deleted: the CROUS owns "
                                    "it."))
    return redirect("portal:card", card_id=card.pk)


@login_required
@require_POST
def crous_reopen(request, card_id):
    """"Reopen my Izly account": queued for the worker, not done yet."""
    card = _own_card(request, card_id)
    if crous_services.request_reopen(card.person, Actor.from_request(request)):
        messages.success(request, _("Your request to reopen your Izly account is queued: the "
                                    "CROUS will be asked in a moment. This page shows "
                                    "“active” once the CROUS has reopened it."))
    else:
        messages.error(request, _("There is no Izly account of yours that we could ask the "
                                  "CROUS to reopen."))
    return redirect("portal:card", card_id=card.pk)


@login_required
@require_GET
def card_hearings(request, card_id):
    """The "who has been told" panel alone, for the page to refresh as the pushes arrive."""
    card = _own_card(request, card_id)
    return render(request, "portal/_hearings.html", _hearing_context(card) | {"card": card})


@login_required
def block_card(request, card_id):
    """Second click of “lost / stolen / broken”: confirm, and the card is blocked at once."""
    card = _own_card(request, card_id)
    form = BlockForm(_posted(request), initial={"reason": request.GET.get("reason")})
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        if _act(request, lambda: card_services.disable(card, Actor.from_request(request), reason)):
            messages.success(request, _("Your card is blocked. Below, each system that must "
                                        "know it, and whether it has been told yet."))
            return redirect("portal:card", card_id=card.pk)
    return render(request, "portal/block.html", {"card": card, "form": form})


def _one_click(verb, done):
    """A POST-only view that runs `verb(card, actor)` on the student's own card."""

    @login_required
    @require_POST
    def view(request, card_id):
        card = _own_card(request, card_id)
        if _act(request, lambda: verb(card, Actor.from_request(request))):
            messages.success(request, done)
        return redirect("portal:card", card_id=card.pk)

    return view


enable_card = _one_click(card_services.enable, gettext_lazy("Your card works again."))
cancel_request = _one_click(card_services.cancel_request,
                            gettext_lazy("Your request is canceled."))
confirm_received = _one_click(
    card_services.mark_delivered,
    gettext_lazy("Thank you: we have recorded that you got your card."))


@login_required
def renew_card(request, card_id):
    card = _own_card(request, card_id)
    fee = renewal.renewal_fee(card.person)
    form = RenewalForm(_posted(request), request.FILES if request.method == "POST" else None,
                       establishment=card.establishment, fee=fee)
    if request.method == "POST" and form.is_valid():
        new_card = _renew(request, card, form)
        if new_card:
            messages.success(request, _("Your request for a new card is sent. Your current "
                                        "card keeps working until the new one is enabled."))
            return redirect("portal:card", card_id=new_card.pk)
    return render(request, "portal/renew.html", {"card": card, "form": form, "fee": fee})


def _renew(request, card, form):
    """The renewal, its photo checked first; a refused photo shows on the form."""
    data = form.cleaned_data
    try:
        photo = process_photo(card.establishment, data.get("photo"), crop=form.crop_box(),
                              rotation=data.get("rotation") or 0)
    except ValidationError as exc:
        form.add_error("photo", exc)
        return None
    return _act(request, lambda: renewal.request_renewal(
        card, Actor.from_request(request), reason=form.reason_text(),
        fee_accepted=data.get("accept_fee", False), photo=photo))


def _act(request, verb):
    """Run a card verb; a refusal becomes a message on the page. Returns what the verb
    returned (the card), or None when it was refused."""
    try:
        return verb()
    except (IllegalTransition, ValidationError) as exc:
        messages.error(request, card_services.error_message(exc))
        return None


@login_required
def consents(request):
    person = _person(request)
    form = ConsentForm(_posted(request), person=person)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        for consent, given in form.changes(person).items():
            people_services.set_consent(person, actor, consent, given)
        messages.success(request, _("Your choices are saved."))
        return redirect("portal:consents")
    history = person.consent_records.all()[:50]
    return render(request, "portal/consents.html",
                  {"person": person, "form": form, "history": history})


@login_required
def my_data_page(request):
    person = _person(request)
    return render(request, "portal/my_data.html", {
        "person": person, "systems": my_data.systems_reached(person),
        "cards": my_data.systems_of_each_card(person), "history": my_data.holder_history(person),
    })


@login_required
def my_data_download(request):
    person = _person(request)
    response = HttpResponse(my_data.build_my_data_archive(person), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="my-campuscard-data.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
