from django.http import HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from campuscard.people.permissions import scope_of


def home(request):
    """The site's root: the login page, the back-office for staff, the portal for holders."""
    if not request.user.is_authenticated:
        return redirect("login")
    if scope_of(request.user).is_staff_member:
        return redirect("backoffice:cards")
    return redirect("portal:home")


@require_safe
def favicon(request):
    """Browsers ask /favicon.ico before reading any page: send them to our SVG icon."""
    return HttpResponsePermanentRedirect(static("campuscard/favicon.svg"))
