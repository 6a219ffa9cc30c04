"""CAS 2 and 3 (with attributes): one method per CAS server, several at once (an establishment
each). The protocol is python-cas's CASClient, the library django-cas-ng is built on:
django-cas-ng itself reads one CAS_SERVER_URL for the whole site (docs/signon.md, "CAS").

The flow: our login view sends the browser to the CAS server with our callback as the service;
the server sends it back with a ticket, which the backend validates with the server. The
callback also takes the server's single logout (a POSTed logoutRequest naming a ticket).
"""

import logging
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.etree.ElementTree import ParseError

import requests
from cas import CASClient
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campuscard.accounts.signon import config, sso_sessions
from campuscard.accounts.signon.users import SignOnBackend, sign_on_user

logger = logging.getLogger("campuscard.signon")

KEYS = ("server_url", "version", "renew", "verify_ssl", "ca_file", "service_url", "timeout")
SECRETS = ()
VERSIONS = (2, 3)
DEFAULT_VERSION = 3
DEFAULT_TIMEOUT = 10  # seconds for the ticket's validation
MAX_TIMEOUT = 60
STATE_KEY = "campuscard_cas_state"  # session: method name -> the state of its log-in under way
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
_TICKET = re.compile(r"^[\x21-\x7e]{1,256}$")


# --- The method's keys -----------------------------------------------------------------------

def check(method, fail):
    options = method.options
    if not _web_url(options.get("server_url")):
        fail(_("server_url is the address of the CAS server, https://… (or http://…)."))
    version = options.get("version", DEFAULT_VERSION)
    if type(version) is not int or version not in VERSIONS:
        fail(_("version is 2 or 3 (the CAS protocol's version)."))
    for key in ("renew", "verify_ssl"):
        if not isinstance(options.get(key, False), bool):
            fail(_("%(key)s is true or false."), key=key)
    _check_ca_file(options, fail)
    if "service_url" in options and not _base_url(options["service_url"]):
        fail(_("service_url is CampusCard's address as browsers reach it, https://… (no path, "
               "no query)."))
    timeout = options.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
            or not 0 < timeout <= MAX_TIMEOUT:
        fail(_("timeout is a number of seconds, more than 0 and at most %(max)d."),
             max=MAX_TIMEOUT)


def _check_ca_file(options, fail):
    if "ca_file" not in options:
        return
    ca_file = options["ca_file"]
    if not isinstance(ca_file, str) or not Path(ca_file).is_file():
        fail(_("ca_file is the path of a readable file of CA certificates."))
    if options.get("verify_ssl") is False:
        fail(_("ca_file and verify_ssl = false contradict each other."))


def _web_url(value):
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query \
        and not parts.fragment


def _base_url(value):
    return _web_url(value) and urlsplit(value).path in ("", "/")


# --- The protocol (python-cas) ---------------------------------------------------------------

class _TimedSession(requests.Session):
    """python-cas's requests, never waiting for ever on the CAS server."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def cas_client(method, service):
    options = method.options
    server = options["server_url"] if options["server_url"].endswith("/") \
        else options["server_url"] + "/"  # python-cas joins "login", "logout"… to it
    return CASClient(version=options.get("version", DEFAULT_VERSION), server_url=server,
                     service_url=service, renew=options.get("renew", False),
                     verify_ssl_certificate=options.get("ca_file") or options.get("verify_ssl",
                                                                                   True),
                     session=_TimedSession(options.get("timeout", DEFAULT_TIMEOUT)))


def our_url(request, method, path_):
    """An absolute URL of ours, as the browser and the CAS server see it."""
    base = method.options.get("service_url", "").rstrip("/")
    return base + path_ if base else request.build_absolute_uri(path_)


def service_url(request, method, next_url, state):
    """Our callback as the CAS server knows it: the same at the login and at the validation."""
    callback = reverse("signon:cas:callback", args=[method.name])
    query = urlencode({"next": next_url, "state": state} if next_url else {"state": state})
    return f"{our_url(request, method, callback)}?{query}"


def validate_ticket(method, service, ticket):
    """(the CAS user, their attributes) when the CAS server confirms the ticket, else None."""
    try:
        principal, attributes, _iou = cas_client(method, service).verify_ticket(ticket)
    except (requests.RequestException, ParseError, IndexError, AttributeError) as exc:
        logger.warning("CAS %s: the ticket could not be validated (%s)", method.name,
                       type(exc).__name__)
        return None
    if not principal:
        logger.info("CAS %s: the server refused a ticket", method.name)
        return None
    return principal, attributes or {}


def session_indexes(logout_request):
    """The tickets a CAS single logout request names; None when it is not one."""
    try:
        root = SafeElementTree.fromstring(logout_request)
    except (ParseError, DefusedXmlException):
        return None
    if root.tag != f"{SAMLP}LogoutRequest":
        return None
    return [(e.text or "").strip() for e in root.iter(f"{SAMLP}SessionIndex") if e.text]


# --- What kinds.py asks of a kind ------------------------------------------------------------

def login_url(method, next_url):
    url = reverse("signon:cas:login", args=[method.name])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def logout_url(request, method, kept):
    after = our_url(request, method, resolve_url(settings.LOGOUT_REDIRECT_URL))
    return cas_client(method, after).get_logout_url(after)


class CasBackend(SignOnBackend):
    def authenticate(self, request, cas_ticket=None, cas_method=None, **kwargs):
        if request is None or not cas_ticket or not cas_method or not _TICKET.match(cas_ticket):
            return None
        method = config.load().method(cas_method)
        if method is None or method.kind != "cas":
            return None
        service = service_url(request, method, request.GET.get("next", ""),
                              request.GET.get("state", ""))
        answer = validate_ticket(method, service, cas_ticket)
        if answer is None:
            return None
        principal, attributes = answer
        return sign_on_user(request, method, principal, attributes)


# --- Views -----------------------------------------------------------------------------------

def _cas_method(name):
    method = config.load().method(name)
    if method is None or method.kind != "cas":
        raise Http404
    return method


def _safe_next(request, next_url):
    if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return next_url
    return ""


def _login_page(next_url):
    url = reverse("login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def start_state(request, method):
    """A one-time value tying the CAS server's answer to this browser's session (no one can
    log someone else in with their own ticket)."""
    state = secrets.token_urlsafe(16)
    request.session[STATE_KEY] = request.session.get(STATE_KEY, {}) | {method.name: state}
    return state


def take_state(request, method):
    states = request.session.get(STATE_KEY, {})
    state = states.pop(method.name, None)
    request.session[STATE_KEY] = states
    return state


@require_GET
def login_view(request, name):
    method = _cas_method(name)
    next_url = _safe_next(request, request.GET.get("next", ""))
    service = service_url(request, method, next_url, start_state(request, method))
    return HttpResponseRedirect(cas_client(method, service).get_login_url())


@csrf_exempt  # the CAS server POSTs its single logout here; the GET is a top-level navigation
@require_http_methods(["GET", "POST"])
def callback_view(request, name):
    method = _cas_method(name)
    if request.method == "POST":
        return single_logout(request, method)
    next_url = _safe_next(request, request.GET.get("next", ""))
    state = take_state(request, method)
    if not state or not secrets.compare_digest(state, request.GET.get("state", "")):
        messages.error(request, _("This log-in did not start here or took too long. Please try "
                                  "again."))
        return redirect(_login_page(next_url))
    ticket = request.GET.get("ticket", "")
    user = authenticate(request, cas_ticket=ticket, cas_method=method.name) if ticket else None
    if user is None:
        if not getattr(request, "campuscard_was_locked", False):  # else axes answers
            messages.error(request, _("%(label)s did not confirm who you are. Please try again, "
                                      "or contact the card office.") % {"label": method.label})
        return redirect(_login_page(next_url))
    login(request, user)
    sso_sessions.remember_session(request, method, ticket)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def single_logout(request, method):
    """The CAS server says the session of a ticket is over: ours ends too (known tickets only)."""
    tickets = session_indexes(request.POST.get("logoutRequest", ""))
    if tickets is None:
        return HttpResponseBadRequest()
    ended = sum(sso_sessions.end_sessions(method, ticket) for ticket in tickets)
    logger.info("CAS %s: single logout ended %d session(s)", method.name, ended)
    return HttpResponse(status=200)


urlpatterns = [
    path("<str:name>/login/", login_view, name="login"),
    path("<str:name>/callback/", callback_view, name="callback"),
]
