from django.shortcuts import redirect

from campuscard.people.permissions import scope_of


def home(request):
    """The site's root: the login page, the back-office for staff, the portal for holders."""
    if not request.user.is_authenticated:
        return redirect("login")
    if scope_of(request.user).is_staff_member:
        return redirect("backoffice:cards")
    return redirect("portal:home")
