"""The desk where cards are handed over: delivery slips, and finding a card by its badge.

Slips are for the managers of an establishment (a slip of another one is a 404); the badge
search shows only cards the user may see. Cards change only through `cards.services`.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campuscard.backoffice.views import SAFE_METHODS, only, staff_only
from campuscard.core.actors import Actor
from campuscard.core.fields import DatabaseIdField
from campuscard.delivery import services
from campuscard.delivery.slip_pdf import render_slip_pdf
from campuscard.people.permissions import require_manager


def managers_only(view):
    @wraps(view)
    @staff_only
    def wrapper(request, *args, **kwargs):
        require_manager(request.user)
        return view(request, *args, **kwargs)
    return wrapper


# --- slips -----------------------------------------------------------------------------------

@managers_only
@only(*SAFE_METHODS)
def slip_list(request):
    return render(request, "delivery/slips.html", {
        "places": services.places_for(request.user),
        "slips": services.past_slips(request.user),
        "max_cards": services.MAX_SLIP_CARDS,
    })


@managers_only
@only("POST")
def slip_make(request, code):
    establishment = services.establishment_or_404(request.user, code)
    try:
        slip = services.make_slip(establishment, Actor.from_request(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("delivery:slips")
    return redirect("delivery:slip", slip.pk)


@managers_only
@only(*SAFE_METHODS)
def slip_detail(request, slip_id):
    slip = services.slip_or_404(request.user, slip_id)
    cards = services.slip_cards(slip, request.user)
    return render(request, "delivery/slip_detail.html", {
        "slip": slip, "cards": cards,
        "waiting": len(services.deliverable(cards, Actor.from_request(request))),
    })


@managers_only
@only(*SAFE_METHODS)
def slip_pdf(request, slip_id):
    slip = services.slip_or_404(request.user, slip_id)
    pdf = render_slip_pdf(slip, services.slip_cards(slip, request.user))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="slip-{slip.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@managers_only
@only("POST")
def slip_deliver(request, slip_id):
    slip = services.slip_or_404(request.user, slip_id)
    done, skipped = services.deliver_slip(slip, Actor.from_request(request))
    _report_delivery(request, len(done), skipped)
    return redirect("delivery:slip", slip.pk)


def _report_delivery(request, delivered, skipped):
    messages.success(request, ngettext(
        "%(count)d card marked as delivered.", "%(count)d cards marked as delivered.",
        delivered) % {"count": delivered})
    if not skipped:
        return
    messages.warning(request, ngettext(
        "%(count)d card skipped:", "%(count)d cards skipped:", len(skipped))
        % {"count": len(skipped)})
    for message, count in services.skipped_reasons(skipped):
        messages.warning(request, ngettext("%(count)d card: %(reason)s",
                                           "%(count)d cards: %(reason)s", count)
                         % {"count": count, "reason": message})


# --- badges ----------------------------------------------------------------------------------

@staff_only
@only(*SAFE_METHODS)
def badge_search(request):
    typed = request.GET.get("csn", "").strip()
    context = {"typed": typed, "stations": services.badge_stations(request.user),
               "cards": None, "error": None}
    if not typed:
        return render(request, "delivery/badge.html", context)
    try:
        cards = services.cards_for_badge(request.user, typed)
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "delivery/badge.html", context, status=400)
    if len(cards) == 1:
        return redirect("backoffice:card", cards[0].pk)
    context["cards"] = cards
    return render(request, "delivery/badge.html", context)


@staff_only
@only(*SAFE_METHODS)
def badge_wait(request):
    """What the badge page polls: whether the station read a badge since `since` (the marker
    this answered before), and then the page to open."""
    station = _station_of(request)
    if station is None:
        return JsonResponse({"detail": _("Choose one of your stations.")}, status=404)
    marker = services.badge_marker(station)
    since = request.GET.get("since")
    if since is None or since == marker or not station.last_badge_at:
        return JsonResponse({"status": "waiting", "since": since if since is not None
                             else marker})
    return JsonResponse({"status": "read", "csn": station.last_badge,
                         "url": _badge_page(request.user, station.last_badge)})


def _station_of(request):
    try:
        station_id = DatabaseIdField(name="station").clean(request.GET.get("station"))
    except ValidationError:
        return None
    return services.badge_stations(request.user).filter(pk=station_id).first()


def _badge_page(user, csn):
    """The card's page when one card matches, else the search's answer (a list, or none)."""
    try:
        cards = services.cards_for_badge(user, csn)
    except ValidationError:
        cards = []
    if len(cards) == 1:
        return reverse("backoffice:card", args=[cards[0].pk])
    return f"{reverse('delivery:badge')}?{urlencode({'csn': csn})}"
