"""Password guessing: every login through django.contrib.auth.authenticate() is counted and
locked out by django-axes, per user name as typed and per client address, independently.

How it fits together (settings.py, "Logins and sessions"):
- LoginThrottleBackend comes first in AUTHENTICATION_BACKENDS, before whatever
  CAMPUSCARD_AUTH_BACKENDS lists. While the user name or the address is locked out it refuses
  the attempt before any other backend checks a password, so the right password does not log in.
- Each failed authenticate() sends Django's user_login_failed signal; axes counts it. After
  AXES_FAILURE_LIMIT failures within the cool-off the name and the address are locked;
  lockout_response() then answers with the login page, the same message whatever the name.
- The start of a lockout is written to the audit trail (action "auth.locked_out").
- Admins see attempts and lockouts in django-admin (Axes) and unlock there or with
  `campuscard axes_reset` / `axes_reset_username NAME` / `axes_reset_ip ADDRESS`.

SSO (issue 10) goes through the same lock: its backend (CAS, SAML, OIDC or a RemoteUserBackend
behind a Shibboleth SP) is added to CAMPUSCARD_AUTH_BACKENDS, and its view or middleware calls
django.contrib.auth.authenticate(request, ...) with the request, as django-cas-ng,
mozilla-django-oidc and Django's RemoteUserMiddleware do. LoginThrottleBackend then runs first:
a locked address is refused, and a locked account too when the credentials name it
(`username=` or `remote_user=`, see username_of). A refused or failed SSO validation must end
in authenticate() returning None, which counts as a failure like a wrong password.
"""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import ngettext

from campuscard.accounts.signon_services import login_choices
from campuscard.core import audit
from campuscard.core.actors import Actor, client_ip

LOCKOUT_TEMPLATE = "registration/login.html"


def client_address(request):
    """The address axes counts failures against: the trusted-proxy-aware client address."""
    return client_ip(request)


def username_of(request, credentials):
    """The user name an attempt is for, as typed: a password form's, or an SSO backend's."""
    credentials = credentials or {}
    for key in ("username", "remote_user"):
        if credentials.get(key):
            return credentials[key]
    if request is not None and request.method == "POST":
        return request.POST.get("username")
    return None


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses every attempt while its user name or address is locked out (logs nobody in)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            # A login from inside the process (the test client, a shell): no address to count,
            # but the account's own lockout still holds.
            request = HttpRequest()
        try:
            return super().authenticate(request, username=username, password=password, **kwargs)
        except AxesBackendPermissionDenied:
            request.campuscard_was_locked = True
            raise


def cool_off_minutes():
    return int(get_cool_off().total_seconds() // 60)


def lockout_message():
    minutes = cool_off_minutes()
    return ngettext(
        "Too many failed log-in attempts. Wait %(minutes)d minute, then try again.",
        "Too many failed log-in attempts. Wait %(minutes)d minutes, then try again.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The login page with the lockout message: the same for any user name, known or not."""
    form = AuthenticationForm(request, initial={"username": username_of(request, credentials)})
    next_url = request.POST.get("next", "") if request.method == "POST" else ""
    context = {"form": form, "lockout_message": lockout_message(), "next": next_url,
               **login_choices(request, next_url)}
    response = render(request, LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)
    response["Retry-After"] = str(int(get_cool_off().total_seconds()))
    return response


def audit_lockout(sender, request, username, ip_address, **kwargs):
    """Audit the failure that starts a lockout (attempts refused during it are counted by axes)."""
    if request is None or getattr(request, "campuscard_was_locked", False):
        return
    attempt = (AccessAttempt.objects.filter(username=username, ip_address=ip_address)
               .order_by("-attempt_time").first())
    if attempt is None:
        return
    audit.record("auth.locked_out", Actor(ip=ip_address), attempt,
                 after={"username": username, "failures": request.axes_failures_since_start,
                        "cool_off_minutes": cool_off_minutes()})


def forget_own_failures(sender, request, user, **kwargs):
    """A successful login clears the mistakes of that name from that address, nothing more (an
    attacker's own account cannot wipe what the address did to other accounts)."""
    if request is None:
        return
    AccessAttempt.objects.filter(username=user.get_username(),
                                 ip_address=client_address(request)).delete()
