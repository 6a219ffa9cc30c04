from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from campuscard.cards.models import Card
from campuscard.cards.permissions import can_view_card


@login_required
def card_photo(request, card_id):
    card = get_object_or_404(Card.objects.select_related("person"), pk=card_id)
    if not can_view_card(request.user, card) or not card.photo:
        raise Http404
    response = FileResponse(card.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
