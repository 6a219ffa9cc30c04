# ruff: noqa: F811 (the fixtures imported below are then named as test parameters)
"""OIDC sign-on against a real provider (django-oidc-provider, its own server process): the
code flow with state, nonce and PKCE, the ID token checked, the person linked, the failures
refused and counted by the login throttle, and the logout that ends the provider's session."""

import datetime
import http.server
import json
import re
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.contrib.messages import get_messages
from django.utils.html import escape
from joserfc import jwk, jwt
from joserfc.errors import JoseError

from campuscard.accounts import sessions
from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.finish import KEPT_KEY, METHOD_KEY
from campuscard.accounts.signon.oidc import flow
from campuscard.accounts.signon.oidc.client import client_for, provider_metadata
from campuscard.people.models import Person

from ...browser.conftest import browser_page, chromium, new_page  # noqa: F401 (fixtures)
from ...conftest import PASSWORD
from .oidc_server import (  # noqa: F401 (fixtures)
    CLIENT_ID,
    CLIENT_SECRET,
    EPPN,
    OP_USER,
    UNVERIFIED_USER,
    at_provider,
    oidc_provider,
)

pytestmark = pytest.mark.django_db

CALLBACK = "/signon/oidc/univ-a/callback/"
START = "/signon/oidc/univ-a/login/"


def write_signon_file(settings, tmp_path, text):
    path = tmp_path / "signon.toml"
    path.write_text(text)
    settings.CAMPUSCARD_SIGNON_FILE = str(path)
    return path


def oidc_method_toml(name, issuer, client_id=CLIENT_ID, secret_file=None, extra=""):
    secret = f'client_secret_file = "{secret_file}"\n' if secret_file else ""
    return f"""
[[signon]]
name = "{name}"
kind = "oidc"
label = "Provider of {name}"
establishments = ["{name}"]
issuer = "{issuer}"
client_id = "{client_id}"
{secret}scopes = "openid email profile campus"
{extra}
[signon.attributes]
groups = "groups"
mail = "email"
"""


LOCAL_PASSWORDS = """
[[signon]]
name = "local"
kind = "password"
"""


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "client_secret"
    path.write_text(CLIENT_SECRET + "\n")
    return path


@pytest.fixture
def signon_file(settings, tmp_path, oidc_provider, secret_file):
    return write_signon_file(settings, tmp_path, LOCAL_PASSWORDS + oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=secret_file))


@pytest.fixture
def unlinked_person(est_a, students):
    return Person.objects.create(eppn=EPPN, establishment=est_a, population=students,
                                 first_name="Jeanne", last_name="Dupont")


@pytest.fixture
def sign_ons():
    """What each login left on the request for finish.py (SignOn, or None for a password)."""
    seen = []

    def keep(sender, request, user, **kwargs):
        seen.append(getattr(request, "campuscard_signon", None))

    user_logged_in.connect(keep, dispatch_uid="test-oidc-sign-ons")
    yield seen
    user_logged_in.disconnect(dispatch_uid="test-oidc-sign-ons")


def start(client, path=START):
    response = client.get(path)
    assert response.status_code == 302, response
    return response["Location"]


def come_back(client, callback_url):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def log_in_through_provider(client, at_provider, path=START, allow=True):
    return come_back(client, at_provider.authorize(start(client, path), OP_USER["username"],
                                                   PASSWORD, allow=allow))


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def logged_in(client):
    return "_auth_user_id" in client.session


def no_account_made():
    return not get_user_model().objects.filter(username=EPPN).exists()


# --- the login --------------------------------------------------------------------------------

def test_the_provider_vouches_and_the_person_with_that_eppn_is_logged_in(
        client, at_provider, signon_file, unlinked_person, sign_ons):
    response = log_in_through_provider(client, at_provider, f"{START}?next=/me/")
    assert response.status_code == 302 and response["Location"] == "/me/"
    user = get_user_model().objects.get(pk=client.session["_auth_user_id"])
    assert user.username == EPPN and not user.has_usable_password()
    unlinked_person.refresh_from_db()
    assert unlinked_person.user == user
    (sign_on,) = sign_ons
    assert sign_on.method == "univ-a"
    # The groups and the e-mail come from the userinfo endpoint, under the role rules' names.
    assert sign_on.record == {"groups": "library;students", "mail": OP_USER["email"]}
    assert client.session[METHOD_KEY] == "univ-a"
    assert client.session[KEPT_KEY]["id_token"].count(".") == 2  # for the logout's hint
    assert "access_token" not in json.dumps(dict(client.session))
    assert sessions.LOGGED_IN_AT in client.session  # the same session rules as passwords


def test_the_authorization_request_carries_state_nonce_and_pkce(client, signon_file,
                                                                 oidc_provider):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/signon/oidc/univ-a/callback/"]
    assert query["scope"] == ["openid email profile campus"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


def test_a_public_client_proves_itself_with_pkce_alone(client, at_provider, oidc_provider,
                                                       settings, tmp_path, est_a):
    oidc_provider.add_client("campuscard-public", "", [
        "http://testserver/signon/oidc/univ-a/callback/"], ["http://testserver/login/"],
                             public=True)
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, client_id="campuscard-public"))
    response = log_in_through_provider(client, at_provider)
    assert response.status_code == 302 and logged_in(client)


def test_a_next_address_elsewhere_is_not_followed(client, at_provider, signon_file):
    response = log_in_through_provider(client, at_provider,
                                       f"{START}?next=https://evil.example.org/")
    assert response["Location"] == "/"
    assert logged_in(client)


def test_without_the_userinfo_there_is_no_eppn_and_no_account(
        client, at_provider, oidc_provider, settings, tmp_path, secret_file):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=secret_file, extra="userinfo = false"))
    response = log_in_through_provider(client, at_provider)
    assert response["Location"] == "/login/" and not logged_in(client)
    assert message_texts(response) == [
        "Provider of univ-a said who you are, but CampusCard cannot give you an account from "
        "it. Contact the card office."]
    assert get_user_model().objects.count() == 0


def test_the_user_name_may_be_the_verified_email_address(
        client, at_provider, oidc_provider, settings, tmp_path, secret_file):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=secret_file,
        extra='username_attribute = "email"'))
    log_in_through_provider(client, at_provider)
    assert get_user_model().objects.get().username == OP_USER["email"]


def test_an_email_address_the_provider_has_not_verified_is_no_user_name(
        client, at_provider, oidc_provider, settings, tmp_path, secret_file):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=secret_file,
        extra='username_attribute = "email"'))
    response = come_back(client, at_provider.authorize(start(client), UNVERIFIED_USER, PASSWORD))
    assert response["Location"] == "/login/" and not logged_in(client)
    assert get_user_model().objects.count() == 0


# --- refusals: nothing made, each counted like a wrong password -------------------------------

def test_a_forged_callback_is_refused_without_asking_the_provider(client, signon_file):
    response = client.get(f"{CALLBACK}?code=made-up&state=made-up")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert message_texts(response) == [
        "This log-in with Provider of univ-a did not start here or took too long. "
        "Please try again."]
    assert not logged_in(client) and get_user_model().objects.count() == 0
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_a_callback_brought_to_another_browser_is_refused(client, at_provider, signon_file,
                                                          unlinked_person):
    """Login CSRF: someone's code and state, pushed into another person's browser."""
    callback_url = at_provider.authorize(start(client), OP_USER["username"], PASSWORD)
    from django.test import Client

    victim = Client()
    response = come_back(victim, callback_url)
    assert response["Location"] == "/login/" and not logged_in(victim)
    assert no_account_made()
    unlinked_person.refresh_from_db()
    assert unlinked_person.user is None


def test_declining_at_the_provider_logs_nobody_in(client, at_provider, signon_file):
    response = log_in_through_provider(client, at_provider, allow=False)
    assert response["Location"] == "/login/" and not logged_in(client)
    assert message_texts(response) == [
        "You did not let Provider of univ-a tell CampusCard who you are, so you are not "
        "logged in."]
    assert no_account_made()
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_an_expired_id_token_is_refused(client, at_provider, signon_file):
    callback_url = at_provider.authorize(start(client), OP_USER["username"], PASSWORD)
    # The provider's ID tokens last ten minutes: this one arrives a quarter of an hour late.
    with time_machine.travel(datetime.datetime.now(datetime.UTC)
                             + datetime.timedelta(minutes=15)):
        response = come_back(client, callback_url)
    assert response["Location"] == "/login/" and not logged_in(client)
    assert message_texts(response) == [
        "The answer from Provider of univ-a could not be verified, so you are not logged in."]
    assert no_account_made()


def test_a_locked_out_address_cannot_log_in_through_the_provider(client, at_provider,
                                                                 signon_file, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):  # wrong passwords for local accounts, from this address
        client.post("/login/", {"username": "someone", "password": "wrong"})
    response = log_in_through_provider(client, at_provider)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert not logged_in(client) and no_account_made()


def test_failed_sso_callbacks_lock_the_address_out_too(client, at_provider, signon_file,
                                                       settings):
    settings.AXES_FAILURE_LIMIT = 3
    for number in range(3):
        client.get(f"{CALLBACK}?code=x&state=forged-{number}")
    response = log_in_through_provider(client, at_provider)
    assert response.status_code == 429 and not logged_in(client) and no_account_made()


def test_an_unknown_or_other_kind_of_method_is_not_found(client, signon_file):
    assert client.get("/signon/oidc/nowhere/login/").status_code == 404
    assert client.get("/signon/oidc/local/login/").status_code == 404
    assert client.get("/signon/oidc/local/callback/?code=x&state=y").status_code == 404


# --- the ID token: what Authlib is asked to check ---------------------------------------------

def forged_id_token(provider, key=None, kid=None, **changes):
    real_kid, pem = provider.signing_key()
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "1", "aud": CLIENT_ID, "iat": now,
              "exp": now + 600, "nonce": "the-nonce"} | changes
    claims = {name: value for name, value in claims.items() if value is not None}
    key = key or jwk.RSAKey.import_key(pem)
    return jwt.encode({"alg": "RS256", "kid": kid or real_kid}, claims, key)


@pytest.mark.parametrize("changes", [
    {"aud": "another-client", "azp": CLIENT_ID},
    {"aud": ["another-client"]},
    {"aud": None},
    {"iss": "https://elsewhere.example.org/openid"},
    {"iss": None},
    {"nonce": "another-nonce"},
    {"nonce": None},
    {"exp": int(time.time()) - 3600},
    {"stranger_key": True},
], ids=repr)
def test_an_id_token_not_issued_by_the_provider_for_this_client_is_refused(
        signon_file, oidc_provider, changes):
    method = signon_config.load().method("univ-a")
    client = client_for(method)
    options = flow.id_token_options(method, provider_metadata(client, method))
    good = forged_id_token(oidc_provider)
    assert client.parse_id_token({"id_token": good}, nonce="the-nonce",
                                 claims_options=options)["sub"] == "1"
    if changes.pop("stranger_key", False):
        bad = forged_id_token(oidc_provider, key=jwk.RSAKey.generate_key(2048))
    else:
        bad = forged_id_token(oidc_provider, **changes)
    with pytest.raises(JoseError):
        client.parse_id_token({"id_token": bad}, nonce="the-nonce", claims_options=options)


# --- the provider out of reach or misconfigured -----------------------------------------------

def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server():
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/openid"


UNAVAILABLE = ("Logging in with Provider of univ-a is not possible just now. Try again later, or "
               "contact the card office.")


def test_an_unreachable_provider_sends_back_to_the_login_page(client, settings, tmp_path):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", f"http://127.0.0.1:{closed_port()}/openid"))
    response = client.get(f"{START}?next=/me/")
    assert response["Location"] == "/login/?next=%2Fme%2F"
    assert message_texts(response) == [UNAVAILABLE]


def test_a_provider_that_does_not_answer_is_given_up_after_the_timeout(client, settings,
                                                                       tmp_path, silent_server):
    write_signon_file(settings, tmp_path, oidc_method_toml("univ-a", silent_server,
                                                           extra="timeout = 1"))
    began = time.monotonic()
    response = client.get(START)
    assert time.monotonic() - began < 5
    assert response["Location"] == "/login/" and message_texts(response) == [UNAVAILABLE]


def test_a_provider_naming_another_issuer_is_not_trusted(client, settings, tmp_path,
                                                         oidc_provider, secret_file):
    other_name = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    write_signon_file(settings, tmp_path, oidc_method_toml("univ-a", other_name,
                                                           secret_file=secret_file))
    response = client.get(START)
    assert response["Location"] == "/login/" and message_texts(response) == [UNAVAILABLE]


def test_an_unreadable_client_secret_is_a_clear_message_not_an_error(client, settings,
                                                                     tmp_path, oidc_provider):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=tmp_path / "missing"))
    response = client.get(START)
    assert response["Location"] == "/login/" and message_texts(response) == [UNAVAILABLE]


# --- logout -----------------------------------------------------------------------------------

def test_logout_ends_the_provider_session_too(client, at_provider, signon_file, oidc_provider):
    log_in_through_provider(client, at_provider)
    id_token = client.session[KEPT_KEY]["id_token"]
    response = client.post("/logout/")
    assert not logged_in(client)
    handover = response.context["sso_logout_url"]
    # A page that moves on to the provider (a redirect would break the form's CSP).
    assert f'<meta http-equiv="refresh" content="0;url={escape(handover)}">' in \
        response.content.decode()
    end_session = urlsplit(handover)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == \
        f"{oidc_provider.issuer}/end-session"
    query = parse_qs(end_session.query)
    assert query["id_token_hint"] == [id_token] and query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    # Still logged in at the provider: a new log-in goes straight to the consent page...
    assert "/accounts/login/" not in at_provider.http.get(start(client)).headers.get(
        "location", "")
    # ...until the browser follows the logout there, then the provider asks for the password.
    back = at_provider.http.get(handover)
    assert back.headers["location"].startswith("http://testserver/login/")
    assert "/accounts/login/" in at_provider.http.get(start(client)).headers["location"]


class MetadataWithoutEndSession(http.server.BaseHTTPRequestHandler):
    metadata = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.metadata)

    def log_message(self, *args):
        pass


@pytest.fixture
def discovery_without_end_session(oidc_provider):
    metadata = httpx.get(oidc_provider.discovery_url).json()
    del metadata["end_session_endpoint"]
    handler = type("Handler", (MetadataWithoutEndSession,),
                   {"metadata": json.dumps(metadata).encode()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/openid-configuration"
    server.shutdown()
    server.server_close()


def test_without_an_end_session_endpoint_the_logout_is_local(
        client, at_provider, settings, tmp_path, secret_file, discovery_without_end_session,
        oidc_provider):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", oidc_provider.issuer, secret_file=secret_file,
        extra=f'discovery_url = "{discovery_without_end_session}"'))
    log_in_through_provider(client, at_provider)
    assert logged_in(client)
    response = client.post("/logout/")
    assert response["Location"] == "/login/" and not logged_in(client)


# --- the configuration and the login page ------------------------------------------------------

def config_error(text):
    with pytest.raises(signon_config.ConfigError) as caught:
        signon_config.parse(text)
    return str(caught.value)


BASE = 'name = "univ-a"\nkind = "oidc"\n'
ISSUER = 'issuer = "https://idp.univ-a.example.org/realms/univ"\n'
CLIENT = 'client_id = "campuscard"\nclient_secret_env = "UNIV_A_SECRET"\n'


@pytest.mark.parametrize(("keys", "message"), [
    (ISSUER + 'client_secret_env = "S"\n', "client_id is required"),
    (CLIENT, "give the provider's issuer or its discovery_url"),
    ('issuer = "http://idp.example.org/"\n' + CLIENT, "issuer is an https:// address"),
    ('discovery_url = "idp.example.org"\n' + CLIENT, "discovery_url is an https:// address"),
    (ISSUER + CLIENT + 'scopes = "email profile"\n', "including openid"),
    (ISSUER + CLIENT + "pkce = 1\n", "pkce is true or false"),
    (ISSUER + CLIENT + 'userinfo = "yes"\n', "userinfo is true or false"),
    (ISSUER + 'client_id = "campuscard"\npkce = false\n', "needs pkce = true"),
    (ISSUER + CLIENT + "timeout = 0\n", "timeout is a number of seconds"),
    (ISSUER + CLIENT + "timeout = 600\n", "at most 60"),
    (ISSUER + CLIENT + 'client_secret = "in clear"\n', "is never written in the file"),
    (ISSUER + CLIENT + 'redirect_uri = "https://x/"\n', "unknown keys redirect_uri"),
])
def test_configuration_mistakes_are_named(keys, message):
    error = config_error(f"[[signon]]\n{BASE}{keys}")
    assert error.startswith("Sign-on “univ-a”: ") and message in error


def test_a_complete_configuration_is_read_with_its_defaults():
    (method,) = signon_config.parse(f"[[signon]]\n{BASE}{ISSUER}{CLIENT}").methods
    assert method.options == {"issuer": "https://idp.univ-a.example.org/realms/univ",
                              "client_id": "campuscard"}
    assert method.secret_refs == {"client_secret": ("env", "UNIV_A_SECRET")}


def test_the_login_page_offers_the_provider_of_the_chosen_establishment(
        client, settings, tmp_path, est_a, est_b):
    write_signon_file(settings, tmp_path, oidc_method_toml(
        "univ-a", "https://idp.univ-a.example.org") + oidc_method_toml(
        "ecole-b", "https://login.ecole-b.example.org"))
    page_a = client.get("/login/?establishment=univ-a&next=/me/").content.decode()
    assert 'href="/signon/oidc/univ-a/login/?next=%2Fme%2F"' in page_a
    assert "/signon/oidc/ecole-b/" not in page_a
    page_b = client.get("/login/?establishment=ecole-b").content.decode()
    assert 'href="/signon/oidc/ecole-b/login/"' in page_b and "Provider of ecole-b" in page_b
    assert "/signon/oidc/univ-a/" not in page_b
    page_all = client.get("/login/").content.decode()
    assert "/signon/oidc/univ-a/" in page_all and "/signon/oidc/ecole-b/" in page_all


# --- in Chromium, against the live server -------------------------------------------------------

@pytest.mark.browser
def test_in_chromium_log_in_at_the_provider_then_log_out_of_both(
        live_server, browser_page, oidc_provider, settings, tmp_path, secret_file,
        unlinked_person, sign_ons):
    oidc_provider.add_client("campuscard-live", CLIENT_SECRET, [f"{live_server.url}{CALLBACK}"],
                             [f"{live_server.url}/login/"])
    write_signon_file(settings, tmp_path, LOCAL_PASSWORDS + oidc_method_toml(
        "univ-a", oidc_provider.issuer, client_id="campuscard-live", secret_file=secret_file))
    page = browser_page
    provider_button = page.get_by_role("link", name="Log in with Provider of univ-a")
    page.goto(f"{live_server.url}/login/")
    provider_button.click()
    page.get_by_label("Provider user name").fill(OP_USER["username"])
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.locator("form.logout span").inner_text() == EPPN
    unlinked_person.refresh_from_db()
    assert unlinked_person.user.username == EPPN
    assert [s.record for s in sign_ons] == [{"groups": "library;students",
                                            "mail": OP_USER["email"]}]

    # Still logged in at the provider: logging in again asks no password, only the consent.
    page.goto(f"{live_server.url}/login/")
    provider_button.click()
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live_server.url}/me/")

    # The logout goes through the provider's end-session and back to our login page...
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/login/") + r"(\?.*)?$"))
    assert page.locator("form.logout").count() == 0
    # ...so the provider has forgotten the person: the next log-in asks for the password.
    provider_button.click()
    page.get_by_label("Provider password").wait_for()
    assert page.url.startswith(f"{oidc_provider.url}/accounts/login/")
