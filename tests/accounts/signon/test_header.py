"""Trusted headers behind Apache and mod_shib: believed from the method's trusted proxies only.

The unit tests call the view with the test client (REMOTE_ADDR set as a proxy would reach us);
the browser test puts a real reverse proxy playing mod_shib (shib_proxy.py) in front of the live
server and drives Chromium through it, and sends forged headers straight to the server."""

from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, get_user_model
from django.test import Client, RequestFactory

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.header import meta_key
from campuscard.people.models import Person

from ...conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PROXY = "192.0.2.10"
LOGIN = "/signon/header/univ-a/login/"
EPPN = "alice@univ-a.example.org"


def method_toml(extra=""):
    return f"""
[[signon]]
name = "univ-a"
kind = "header"
label = "Université A"
user_header = "eppn"
trusted_proxies = ["{PROXY}", "198.51.100.0/28"]
logout_url = "/Shibboleth.sso/Logout?return=/login/"
{extra}
[signon.attributes]
affiliation = "affiliation"
"""


@pytest.fixture
def header_method(signon_file):
    signon_file(method_toml())


def from_proxy(**extra):
    return Client(REMOTE_ADDR=PROXY, **extra)


def logged_in(client):
    return "_auth_user_id" in client.session


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    (method_toml().replace('user_header = "eppn"', ""), "user_header"),
    (method_toml().replace('"198.51.100.0/28"', '"not-a-network"'), "not-a-network"),
    (method_toml().replace('trusted_proxies = ["192.0.2.10", "198.51.100.0/28"]',
                           'trusted_proxies = "192.0.2.10"'), "list of addresses"),
])
def test_configuration_mistakes_are_named(text, message):
    with pytest.raises(signon_config.ConfigError, match=message):
        signon_config.parse(text)


def test_without_any_trusted_proxy_the_method_is_refused(settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = []
    text = method_toml().replace('trusted_proxies = ["192.0.2.10", "198.51.100.0/28"]', "")
    with pytest.raises(signon_config.ConfigError, match="CAMPUSCARD_TRUSTED_PROXIES"):
        signon_config.parse(text)


@pytest.mark.parametrize(("header", "key"), [
    ("eppn", "HTTP_EPPN"), ("Shib-Identity-Provider", "HTTP_SHIB_IDENTITY_PROVIDER"),
    ("REMOTE_USER", "REMOTE_USER"), ("HTTP_X_REMOTE_USER", "HTTP_X_REMOTE_USER")])
def test_header_names_are_taken_as_sent(header, key):
    assert meta_key(header) == key


# --- logging in ------------------------------------------------------------------------------

def test_the_trusted_proxy_logs_in_the_eppn_with_its_attributes(header_method, waiting_person,
                                                                sign_ons):
    client = from_proxy()
    answer = client.get(LOGIN, {"next": "/me/"}, HTTP_EPPN="Alice@univ-a.example.org",
                        HTTP_AFFILIATION="student;member")
    assert answer.status_code == 302 and answer["Location"] == "/me/"
    assert logged_in(client)
    user = get_user_model().objects.get()
    assert user.get_username() == EPPN and not user.has_usable_password()
    waiting_person.refresh_from_db()
    assert waiting_person.user == user
    [(_, sign_on)] = sign_ons
    assert sign_on.method == "univ-a" and sign_on.record == {"affiliation": "student;member"}


def test_a_proxy_in_a_trusted_network_is_trusted(header_method):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert client.get(LOGIN, HTTP_EPPN=EPPN).status_code == 302 and logged_in(client)


def test_the_instance_proxies_are_trusted_when_the_method_names_none(signon_file, settings):
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["203.0.113.1"]
    signon_file(method_toml().replace('trusted_proxies = ["192.0.2.10", "198.51.100.0/28"]', ""))
    assert Client(REMOTE_ADDR="203.0.113.1").get(LOGIN, HTTP_EPPN=EPPN).status_code == 302
    assert from_proxy().get(LOGIN, HTTP_EPPN=EPPN).status_code == 403


@pytest.mark.parametrize("address", ["192.0.2.11", "127.0.0.1", "198.51.100.16"])
def test_a_forged_header_from_anyone_else_logs_nobody_in(header_method, address, admin_user):
    client = Client(REMOTE_ADDR=address)
    answer = client.get(LOGIN, HTTP_EPPN="admin", HTTP_X_FORWARDED_FOR=PROXY)
    assert answer.status_code == 403
    page = answer.content.decode()
    assert 'role="alert"' in page and "did not come from it" in page
    assert not logged_in(client)
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["admin"]


def test_the_backend_itself_refuses_an_untrusted_address(header_method):
    request = RequestFactory().get(LOGIN, REMOTE_ADDR="192.0.2.99", HTTP_EPPN=EPPN)
    request.session = {}
    assert authenticate(request, remote_user=EPPN, signon_header="univ-a") is None
    assert not get_user_model().objects.exists()


def test_no_user_header_is_a_clear_refusal(header_method):
    client = from_proxy()
    answer = client.get(LOGIN)
    assert answer.status_code == 403 and "did not say who you are" in answer.content.decode()
    assert not get_user_model().objects.exists()


def test_an_inactive_account_is_refused(header_method):
    make_user(EPPN, is_active=False)
    client = from_proxy()
    assert client.get(LOGIN, HTTP_EPPN=EPPN).status_code == 403 and not logged_in(client)


def test_another_kind_of_method_is_not_found(signon_file):
    signon_file('[[signon]]\nname = "univ-a"\nkind = "password"\n')
    assert from_proxy().get(LOGIN, HTTP_EPPN=EPPN).status_code == 404


def test_a_next_address_elsewhere_is_not_followed(header_method):
    answer = from_proxy().get(LOGIN, {"next": "https://evil.example/"}, HTTP_EPPN=EPPN)
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_the_login_button_goes_to_the_protected_path(header_method):
    from campuscard.accounts.signon.header import login_url

    method = signon_config.load().method("univ-a")
    assert login_url(method, "/me/") == f"{LOGIN}?next=%2Fme%2F"


# --- throttle and logout ---------------------------------------------------------------------

def test_a_locked_out_account_cannot_log_in_through_headers(header_method, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user(EPPN)
    other = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(3):
        other.post("/login/", {"username": EPPN, "password": "wrong"})
    client = from_proxy()
    answer = client.get(LOGIN, HTTP_EPPN=EPPN, HTTP_X_FORWARDED_FOR="203.0.113.60")
    assert answer.status_code == 429 and not logged_in(client)


def test_a_locked_out_address_behind_the_proxy_cannot_log_in(header_method, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.CAMPUSCARD_TRUSTED_PROXIES = [PROXY]  # the client's address is read behind it
    client = from_proxy()
    for number in range(3):
        client.post("/login/", {"username": f"x{number}", "password": "wrong"},
                    HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.5").exists()
    answer = client.get(LOGIN, HTTP_EPPN=EPPN, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert answer.status_code == 429 and not logged_in(client)
    assert not get_user_model().objects.exists()


def test_logout_ends_the_local_session_then_goes_to_the_shibboleth_logout(header_method):
    client = from_proxy()
    client.get(LOGIN, HTTP_EPPN=EPPN)
    answer = client.post("/logout/")
    assert answer.status_code == 302
    assert answer["Location"] == "/Shibboleth.sso/Logout?return=/login/"
    assert not logged_in(client)


def test_a_password_method_beside_the_headers_still_works(signon_file, admin_user):
    signon_file(method_toml() + '\n[[signon]]\nname = "local"\nkind = "password"\n'
                'superusers_only = true\n')
    client = Client()
    assert client.post("/login/", {"username": "admin", "password": PASSWORD}).status_code == 302
    assert Person.objects.count() == 0


# --- the whole flow, through a proxy playing mod_shib, in Chromium ------------------------------

@pytest.mark.browser
def test_header_login_through_the_shibboleth_proxy_in_chromium(live_server, browser_page,
                                                               new_page, signon_file,
                                                               waiting_person, sign_ons):
    from .shib_proxy import SOURCE, ShibProxy

    signon_file(method_toml().replace(PROXY, SOURCE))
    users = {"alice": {"password": "shib secret", "eppn": EPPN,
                       "affiliation": ["student", "member"]}}
    port = int(live_server.url.rsplit(":", 1)[1])
    with ShibProxy(port, "/signon/header/", users) as proxy:
        page = browser_page

        def log_in_through_shibboleth():
            page.goto(f"{proxy.url}/login/?next=/me/")
            page.get_by_role("link", name="Log in with Université A").click()
            page.get_by_label("Shibboleth user").fill("alice")
            page.get_by_label("Shibboleth password").fill("shib secret")
            page.get_by_role("button", name="Sign in with Shibboleth").click()
            page.wait_for_url(f"{proxy.url}/me/")

        log_in_through_shibboleth()
        assert page.locator(".logout").get_by_text(EPPN).is_visible()
        waiting_person.refresh_from_db()
        assert waiting_person.user.get_username() == EPPN
        assert sign_ons[0][1].record == {"affiliation": "student;member"}

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{proxy.url}/login/")
        assert proxy.sessions == {}
        log_in_through_shibboleth()  # the Shibboleth session ended: the password is asked again

        # Straight to the server, not through the proxy: the same header is refused.
        forged = new_page(extra_http_headers={"eppn": "admin@univ-a.example.org"})
        forged.goto(f"{live_server.url}{LOGIN}")
        assert forged.get_by_role("alert").inner_text().endswith("did not come from it.")
        with pytest.raises(HTTPError) as refused:
            urlopen(Request(f"{live_server.url}{LOGIN}",  # noqa: S310 (http, ours)
                            headers={"eppn": EPPN}), timeout=10)
        assert refused.value.code == 403
    assert list(get_user_model().objects.values_list("username", flat=True)) == [EPPN]

