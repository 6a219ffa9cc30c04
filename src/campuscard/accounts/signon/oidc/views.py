"""/signon/oidc/<name>/login/ sends the browser to the provider; /signon/oidc/<name>/callback/
is where it comes back: the login goes through authenticate() (the throttle first, then
OIDCBackend) and login() (finish.py), or back to the login page with the reason."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.oidc import flow

KIND = "oidc"


def oidc_method(name):
    method = signon_config.load().method(name)
    if method is None or method.kind != KIND:
        raise Http404
    return method


@require_GET
def start_login(request, name):
    method = oidc_method(name)
    next_url = local_url(request, request.GET.get("next", ""))
    try:
        return redirect(flow.authorization_url(request, method, next_url))
    except flow.Refused as refusal:
        return back_to_login(request, refusal.message, next_url)


@require_GET
def callback(request, name):
    method = oidc_method(name)
    next_url = local_url(request, flow.next_url_of(request, method))
    user = authenticate(request, oidc_method=method.name)
    if user is None:
        # A locked-out address gets the lockout page from axes' middleware instead.
        reason = None if getattr(request, "axes_locked_out", False) else getattr(
            request, "campuscard_signon_error", flow.REFUSED % {"label": method.label})
        return back_to_login(request, reason, next_url)
    login(request, user)
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def local_url(request, url):
    allowed = url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if allowed else ""


def back_to_login(request, reason, next_url):
    if reason:
        messages.error(request, reason)
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    return redirect(reverse("login") + query)
