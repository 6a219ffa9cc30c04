"""Trusted headers: behind Apache and mod_shib (a Shibboleth SP) or any proxy that logs people in
itself and passes on who they are in a header (REMOTE_USER-style).

Apache protects our view /signon/header/<name>/login/; the view believes the headers only when
the request comes straight from one of the method's trusted proxies (REMOTE_ADDR), and refuses
anyone else, whatever headers they send. The login goes through authenticate(request,
remote_user=...) like Django's RemoteUserBackend, so the throttle counts it under that name.
"""

import ipaddress
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import RemoteUserBackend
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from campuscard.accounts.signon.users import SignOnBackend, sign_on_user
from campuscard.core.errorpages import error_response

logger = logging.getLogger("campuscard.signon")

KEYS = ("user_header", "trusted_proxies", "logout_url")
SECRETS = ()


def check(method, fail):
    options = method.options
    user_header = options.get("user_header")
    if not isinstance(user_header, str) or not user_header.strip():
        fail(_("user_header (the header naming the person, e.g. REMOTE_USER or eppn) is "
               "required."))
    proxies = options.get("trusted_proxies", settings.CAMPUSCARD_TRUSTED_PROXIES)
    if not isinstance(proxies, list | tuple) or not all(isinstance(p, str) for p in proxies):
        fail(_("trusted_proxies is a list of addresses or networks (CIDR)."))
    if not proxies:
        fail(_("the headers are believed only from trusted proxies: give trusted_proxies, or set "
               "CAMPUSCARD_TRUSTED_PROXIES."))
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            fail(_("%(proxy)s in trusted_proxies is not an address or a network."), proxy=proxy)
    logout = options.get("logout_url", "")
    if not isinstance(logout, str):
        fail(_("logout_url is a text."))


def meta_key(header):
    """Where a header is in request.META: "eppn" as sent over HTTP is HTTP_EPPN; REMOTE_USER and
    names already in that form (HTTP_EPPN) are taken as they are."""
    header = header.strip()
    if header == "REMOTE_USER" or header.startswith("HTTP_"):
        return header
    return "HTTP_" + header.upper().replace("-", "_")


def trusted_proxies(method):
    return tuple(method.options.get("trusted_proxies", settings.CAMPUSCARD_TRUSTED_PROXIES))


def from_trusted_proxy(request, method):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "").strip())
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(proxy, strict=False)
               for proxy in trusted_proxies(method))


def header_attributes(request, method):
    """The headers the method names (its attributes table and username_attribute), by name."""
    names = [*method.attributes.values(), method.username_attribute]
    values = {}
    for name in filter(None, names):
        value = request.META.get(meta_key(name), "")
        # mod_shib joins the values of a multi-valued attribute with ";".
        values[name] = [part for part in value.split(";") if part] if value else []
    return values


def login_url(method, next_url):
    url = reverse("signon:header:login", args=[method.name])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def logout_url(request, method, kept):
    return method.options.get("logout_url") or None


def header_method(name):
    from campuscard.accounts.signon import config

    method = config.load().method(name)
    return method if method is not None and method.kind == "header" else None


def login(request, name):
    method = header_method(name)
    if method is None:
        raise Http404
    if not from_trusted_proxy(request, method):
        logger.warning("sign-on %s: headers from %s refused (not a trusted proxy)", method.name,
                       request.META.get("REMOTE_ADDR"))
        return error_response(request, 403, _(
            "This log-in goes through your establishment's log-in service; this request did not "
            "come from it."))
    remote_user = request.META.get(meta_key(method.options["user_header"]), "").strip()
    if not remote_user:
        return error_response(request, 403, _(
            "Your establishment's log-in service did not say who you are, so you are not logged "
            "in. Contact the card office."))
    user = auth.authenticate(request, remote_user=remote_user, signon_header=method.name)
    if user is None:
        return error_response(request, 403, _("You cannot log in to CampusCard with this "
                                              "account. Contact the card office."))
    auth.login(request, user)
    return redirect(_next_url(request))


def _next_url(request):
    next_url = request.GET.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
        return next_url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class HeaderBackend(SignOnBackend, RemoteUserBackend):
    """RemoteUserBackend's way (remote_user=, clean_username), for our header methods only, and
    only from their trusted proxies; the account is made by sign_on_user."""

    def authenticate(self, request, remote_user=None, signon_header=None):
        if not remote_user or not signon_header or request is None:
            return None
        method = header_method(signon_header)
        if method is None or not from_trusted_proxy(request, method):
            return None
        attributes = header_attributes(request, method)
        return sign_on_user(request, method, self.clean_username(remote_user), attributes)


urlpatterns = [
    path("<str:name>/login/", login, name="login"),
]
