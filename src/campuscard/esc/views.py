"""The card's QR code as an image (holder and staff), and the public verify page."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from campuscard.cards.models import Card
from campuscard.cards.permissions import can_view_card
from campuscard.core.errorpages import error_response
from campuscard.core.fields import WholeNumberField
from campuscard.esc.qr import card_verify_url, qr_png, qr_svg
from campuscard.people.permissions import scope_of

PNG_SCALES = range(1, 21)  # 41 to 820 px wide: enough for a 600 dpi print


class PngForm(forms.Form):
    """?scale=: pixels per QR module."""

    scale = WholeNumberField(name="scale", minimum=PNG_SCALES.start,
                             maximum=PNG_SCALES.stop - 1, default=4, required=False)


@login_required
def card_qr(request, card_id, kind):
    card = get_object_or_404(Card.objects.select_related("person", "establishment"), pk=card_id)
    if not can_view_card(request.user, card) or card.escn is None:
        raise Http404
    if kind == "svg":
        response = HttpResponse(qr_svg(card_verify_url(card)), content_type="image/svg+xml")
    else:
        form = PngForm(request.GET)
        if not form.is_valid():
            return error_response(request, 400, " ".join(form.errors["scale"]))
        response = HttpResponse(qr_png(card_verify_url(card), scale=form.cleaned_data["scale"]),
                                content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def card_front(request, card_id):
    """The front of the card as printed: photo, names, ESCN and QR, at 85.6 by 54 mm."""
    card = get_object_or_404(Card.objects.select_related("person", "establishment"), pk=card_id)
    if not scope_of(request.user).covers(card.establishment_id, card.person.population_id):
        raise Http404
    qr = qr_svg(card_verify_url(card), scale=1) if card.escn else ""
    return render(request, "esc/card_front.html", {"card": card, "qr_svg": qr})
