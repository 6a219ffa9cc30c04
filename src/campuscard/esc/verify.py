"""The public check of a card, where its QR code leads: valid or not, its status, its expiry and
its issuer. Nothing about the holder, unless the card's issuer chose to show the name printed on
the card (router Organisation.show_holder_name, off by default), as the router's public status
does. Rate-limited per client address.

It reads the router service's public status (router.services.public_status), which is what
our establishments push to.
"""

import datetime

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from campuscard.esc.escn import validate_escn
from campuscard.router import ratelimit
from campuscard.router.services import public_status


def check_card(escn):
    """(HTTP status, facts) for the card numbered `escn`: only what a verifier may see (the
    name on the card, `displayName`, only when its issuer shows it)."""
    try:
        number = validate_escn(escn)
    except ValidationError:
        return 404, {"escn": escn, "valid": False, "status": "MALFORMED",
                     "message": _("This is not a European Student Card Number.")}
    found = public_status(number)
    if found is None:
        return 404, {"escn": number, "valid": False, "status": "UNKNOWN",
                     "message": _("No European Student Card has this number.")}
    valid = found["status"] == "ACTIVE" and _not_past(found["expiresAt"])
    facts = {"escn": number, "valid": valid, "status": found["status"],
             "expiresAt": found["expiresAt"],
             "issuer": {"name": found["issuerName"], "pic": found["issuerIdentifier"]},
             "message": _message(valid, found["status"])}
    if "displayName" in found:  # public_status has it only when the issuer shows it
        facts["displayName"] = found["displayName"]
    return 200, facts


def _not_past(expires_at):
    return datetime.date.fromisoformat(str(expires_at)) >= timezone.localdate()


def _message(valid, status):
    if valid:
        return _("This European Student Card is valid.")
    if status == "EXPIRED":
        return _("This card has expired.")
    return _("This card is not valid: its issuer has deactivated it.")


def _too_many(request, as_json):
    message = _("Too many checks from your address. Try again in a minute.")
    if as_json:
        response = JsonResponse({"valid": False, "status": "RATE_LIMITED", "message": message},
                                status=429)
    else:
        response = render(request, "esc/verify.html", {"message": message, "limited": True},
                          status=429)
    response["Retry-After"] = str(ratelimit.retry_after())
    return response


@never_cache
def verify_page(request, escn):
    if not ratelimit.allow(request):
        return _too_many(request, as_json=False)
    status, facts = check_card(escn)
    expires_on = _as_date(facts["expiresAt"]) if "expiresAt" in facts else None
    return render(request, "esc/verify.html", {"card": facts, "expires_on": expires_on},
                  status=status)


def _as_date(value):
    """The ISO date the router answers, as a date the page writes in its language."""
    return datetime.date.fromisoformat(str(value)[:10])


@never_cache
def verify_json(request, escn):
    if not ratelimit.allow(request):
        return _too_many(request, as_json=True)
    status, facts = check_card(escn)
    return JsonResponse(facts, status=status)
