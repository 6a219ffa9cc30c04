"""The card request form (photo, consents, delivery, rules)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def request_card(request):
    return HttpResponse(status=501)  # replaced by the request form change
