"""OpenID Connect (authorization code flow with PKCE), one provider per method, through
Authlib's Django client (client.py). See docs/signon.md, "OIDC"."""

from urllib.parse import urlencode

from django.urls import path, reverse
from django.utils.translation import gettext as _

from campuscard.accounts.signon.oidc import flow, views
from campuscard.accounts.signon.oidc.client import is_acceptable_url

KEYS = ("issuer", "discovery_url", "client_id", "scopes", "pkce", "userinfo", "timeout")
SECRETS = ("client_secret",)
MAX_TIMEOUT = 60

urlpatterns = [
    path("<str:name>/login/", views.start_login, name="login"),
    path("<str:name>/callback/", views.callback, name="callback"),
]


def check(method, fail):
    options = method.options
    client_id = options.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        fail(_("client_id is required (the client's id at the provider)."))
    if not options.get("issuer") and not options.get("discovery_url"):
        fail(_("give the provider's issuer or its discovery_url."))
    for key in ("issuer", "discovery_url"):
        if key in options and not is_acceptable_url(options[key]):
            fail(_("%(key)s is an https:// address (http:// only for localhost)."), key=key)
    scopes = options.get("scopes", "openid")
    if not isinstance(scopes, str) or "openid" not in scopes.split():
        fail(_("scopes is a text of scopes separated by spaces, including openid."))
    for key in ("pkce", "userinfo"):
        if not isinstance(options.get(key, True), bool):
            fail(_("%(key)s is true or false."), key=key)
    if "client_secret" not in method.secret_refs and not options.get("pkce", True):
        fail(_("a client without client_secret_file or client_secret_env needs pkce = true."))
    timeout = options.get("timeout", 1)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
            or not 0 < timeout <= MAX_TIMEOUT:
        fail(_("timeout is a number of seconds, more than 0 and at most %(max)d."),
             max=MAX_TIMEOUT)


def login_url(method, next_url):
    url = reverse("signon:oidc:login", args=[method.name])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def logout_url(request, method, kept):
    return flow.end_session_url(request, method, kept.get("id_token", ""))
