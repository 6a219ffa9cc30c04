from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from campuscard.cards.models import Card
from campuscard.core.permissions import can_view_card, scope_of


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    if scope_of(request.user).is_staff_member:
        return redirect("backoffice:cards")
    return redirect("my_cards")


@login_required
def my_cards(request):
    person = getattr(request.user, "person", None)
    cards = person.cards.order_by("-requested_at") if person else Card.objects.none()
    return render(request, "core/my_cards.html", {"person": person, "cards": cards})


@login_required
def card_photo(request, card_id):
    card = get_object_or_404(Card.objects.select_related("person"), pk=card_id)
    if not can_view_card(request.user, card) or not card.photo:
        raise Http404
    response = FileResponse(card.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
