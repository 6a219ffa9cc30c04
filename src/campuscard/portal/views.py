"""The student's own pages: follow, block, renew a card; consents; my data."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from campuscard.cards.models import Card


@login_required
def home(request):
    person = getattr(request.user, "person", None)
    cards = person.cards.order_by("-requested_at") if person else Card.objects.none()
    return render(request, "portal/home.html", {"person": person, "cards": cards})
