"""Logging in through CAS: a real CAS server (django-cas-server, in its own process, see
live_cas.py) validates the tickets; the browser tests drive Chromium through its login form."""

import datetime
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from campuscard.accounts.models import SignOnSession
from campuscard.accounts.signon import config
from campuscard.accounts.signon.finish import METHOD_KEY
from campuscard.people.models import Person

from ...browser.conftest import browser_page, chromium, new_page  # noqa: F401 (fixtures)
from .live_cas import JEANNE, PAUL, cas_server, free_port  # noqa: F401 (fixture)

SIGNON = """
[[signon]]
name = "cas-a"
kind = "cas"
label = "CAS Université A"
establishments = ["univ-a"]
server_url = "{url}"
username_suffix = "@univ-a.fr"
[signon.attributes]
affiliation = "eduPersonAffiliation"
mail = "mail"

[[signon]]
name = "cas-b"
kind = "cas"
label = "CAS École B"
establishments = ["ecole-b"]
server_url = "{url}"
version = 2
username_attribute = "mail"
[signon.attributes]
affiliation = "eduPersonAffiliation"

[[signon]]
name = "admins"
kind = "password"
superusers_only = true
"""
JEANNE_EPPN = "jdupont@univ-a.fr"
FAILURE = "did not confirm who you are"
LIMIT = 3


@pytest.fixture
def signon_file(db, tmp_path, settings, cas_server):  # noqa: F811
    path = tmp_path / "signon.toml"
    path.write_text(SIGNON.format(url=cas_server.url), encoding="utf-8")
    settings.CAMPUSCARD_SIGNON_FILE = str(path)
    return path


@pytest.fixture
def records():
    """What each login handed to finish.py: (method, record) from request.campuscard_signon."""
    seen = []

    def receive(sender, request, user, **kwargs):
        sign_on = getattr(request, "campuscard_signon", None)
        seen.append((sign_on.method, sign_on.record) if sign_on else ("password", {}))

    user_logged_in.connect(receive, dispatch_uid="test-cas-records")
    yield seen
    user_logged_in.disconnect(dispatch_uid="test-cas-records")


@pytest.fixture
def jeanne_person(est_a, students):
    return Person.objects.create(
        eppn=JEANNE_EPPN, establishment=est_a, population=students, first_name="Jeanne",
        last_name="Dupont", email=JEANNE.email,
        rights_end=timezone.localdate() + datetime.timedelta(days=365))


def start_login(client, method="cas-a", next_url=""):
    """Our login view's redirect: the service URL it gives the CAS server."""
    query = f"?{urlencode({'next': next_url})}" if next_url else ""
    response = client.get(f"/signon/cas/{method}/login/{query}")
    assert response.status_code == 302
    return parse_qs(urlsplit(response["Location"]).query)["service"][0]


def come_back(client, service, ticket):
    """The browser's return from the CAS server, as the server sends it: service + ticket."""
    parts = urlsplit(service)
    return client.get(parts.path, parse_qs(parts.query) | {"ticket": ticket})


def cas_login(client, cas_server, method="cas-a", user=JEANNE, next_url=""):  # noqa: F811
    service = start_login(client, method, next_url)
    return come_back(client, service, cas_server.ticket_for(service, user)), service


def logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def logout_request(ticket):
    return ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'ID="x1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">'
            '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"></saml:NameID>'
            f'<samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>')


# --- The method's keys ------------------------------------------------------------------------

def one_method(extra, server='server_url = "https://cas.univ-a.fr/cas/"'):
    return f'[[signon]]\nname = "cas-a"\nkind = "cas"\n{server}\n{extra}\n'


@pytest.mark.parametrize(("text", "message"), [
    (one_method("", server=""), "server_url is the address of the CAS server"),
    (one_method("", server='server_url = "ftp://cas.univ-a.fr/"'),
     "server_url is the address of the CAS server"),
    (one_method("version = 4"), "version is 2 or 3"),
    (one_method('version = "3"'), "version is 2 or 3"),
    (one_method('renew = "yes"'), "renew is true or false"),
    (one_method("verify_ssl = 0"), "verify_ssl is true or false"),
    (one_method('ca_file = "/nowhere/ca.pem"'), "ca_file is the path of a readable file"),
    (one_method('service_url = "https://cards.univ-a.fr/some/path"'),
     "service_url is CampusCard's address"),
    (one_method("timeout = 0"), "timeout is a number of seconds"),
    (one_method("timeout = 600"), "timeout is a number of seconds"),
    (one_method('cas_server_url = "https://cas.univ-a.fr/"'), "unknown keys cas_server_url"),
])
def test_a_wrong_key_is_refused_with_a_clear_message(text, message):
    with pytest.raises(config.ConfigError) as error:
        config.parse(text)
    assert str(error.value).startswith("Sign-on “cas-a”: ")
    assert message in str(error.value)


def test_a_ca_file_with_verify_ssl_off_is_contradictory(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(config.ConfigError, match="contradict"):
        config.parse(one_method(f'ca_file = "{ca_file}"\nverify_ssl = false'))


def test_a_correct_method_keeps_its_keys():
    method = config.parse(one_method("version = 2\nrenew = true\ntimeout = 5")).method("cas-a")
    assert method.kind == "cas"
    assert method.options == {"server_url": "https://cas.univ-a.fr/cas/", "version": 2,
                              "renew": True, "timeout": 5}


# --- The login page and the way to the CAS server -----------------------------------------------

def test_the_login_page_offers_the_cas_of_each_establishment(client, signon_file, est_a, est_b):
    page = client.get("/login/").content.decode()
    assert "Log in with CAS Université A" in page and "Log in with CAS École B" in page
    assert 'href="/signon/cas/cas-a/login/"' in page

    page = client.get("/login/", {"establishment": "univ-a"}).content.decode()
    assert "Log in with CAS Université A" in page
    assert "CAS École B" not in page


def test_the_button_carries_the_page_asked_for(client, signon_file, est_a):
    page = client.get("/login/", {"next": "/me/"}).content.decode()
    assert 'href="/signon/cas/cas-a/login/?next=%2Fme%2F"' in page


def test_the_login_goes_to_the_cas_server_with_our_callback(client, signon_file, cas_server):  # noqa: F811
    response = client.get("/signon/cas/cas-a/login/", {"next": "/me/"})
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{cas_server.url}login"
    service = urlsplit(parse_qs(location.query)["service"][0])
    assert (service.scheme, service.netloc, service.path) == (
        "http", "testserver", "/signon/cas/cas-a/callback/")
    assert parse_qs(service.query)["next"] == ["/me/"]


def test_a_page_elsewhere_is_not_carried_to_the_cas_server(client, signon_file):
    service = start_login(client, next_url="https://evil.example/")
    assert "next" not in parse_qs(urlsplit(service).query)


def test_service_url_is_our_address_behind_a_proxy(client, signon_file, cas_server):  # noqa: F811
    signon_file.write_text(SIGNON.format(url=cas_server.url).replace(
        'username_suffix = "@univ-a.fr"',
        'username_suffix = "@univ-a.fr"\nservice_url = "https://cards.univ-a.fr"'))
    service = start_login(client)
    assert service.startswith("https://cards.univ-a.fr/signon/cas/cas-a/callback/?state=")


def test_another_kind_or_an_unknown_name_is_not_found(client, signon_file):
    assert client.get("/signon/cas/admins/login/").status_code == 404
    assert client.get("/signon/cas/nope/callback/").status_code == 404


# --- Tickets: validated by the real server ----------------------------------------------------

def test_cas3_logs_in_with_the_attributes(client, signon_file, cas_server, records,  # noqa: F811
                                          jeanne_person):
    response, _service = cas_login(client, cas_server, next_url="/me/")
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert logged_in_as(client) == JEANNE_EPPN
    user = get_user_model().objects.get(username=JEANNE_EPPN)
    assert not user.has_usable_password()
    assert records == [("cas-a", {"affiliation": "student;member", "mail": JEANNE.email})]
    assert client.session[METHOD_KEY] == "cas-a"
    jeanne_person.refresh_from_db()
    assert jeanne_person.user == user


def test_cas2_with_attributes_and_the_user_name_from_an_attribute(client, signon_file,
                                                                  cas_server, records):  # noqa: F811
    response, _service = cas_login(client, cas_server, method="cas-b", user=PAUL)
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_as(client) == PAUL.email
    assert records == [("cas-b", {"affiliation": "staff"})]


def test_a_forged_ticket_is_refused_and_counted(client, signon_file, est_a):
    service = start_login(client)
    response = come_back(client, service, "ST-forged-0123456789")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert f"CAS Université A {FAILURE}" in page
    assert logged_in_as(client) is None
    assert not get_user_model().objects.exists()
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 1 and attempt.ip_address == "127.0.0.1"
    assert "ST-forged" not in attempt.get_data


@pytest.mark.parametrize("server", ["unreachable", "not a CAS server"])
def test_a_server_that_cannot_validate_means_a_refusal_not_an_error(client, signon_file,
                                                                    cas_server, server):  # noqa: F811
    wrong = (f"http://127.0.0.1:{free_port()}/cas/" if server == "unreachable"
             else cas_server.url.removesuffix("cas/"))  # answers 404 pages, not CAS
    signon_file.write_text(SIGNON.format(url=wrong))
    response = come_back(client, start_login(client), "ST-0123456789")
    assert FAILURE in client.get(response["Location"]).content.decode()
    assert logged_in_as(client) is None


def test_a_ticket_for_another_method_is_refused(client, signon_file, cas_server):  # noqa: F811
    ticket = cas_server.ticket_for(start_login(Client(), "cas-a"))
    come_back(client, start_login(client, "cas-b"), ticket)
    assert logged_in_as(client) is None
    assert not get_user_model().objects.exists()


def test_someone_elses_ticket_does_not_log_this_browser_in(signon_file, cas_server):  # noqa: F811
    """The attacker's own ticket, sent to a victim's browser, is not accepted there."""
    attacker = Client()
    service = start_login(attacker)
    ticket = cas_server.ticket_for(service, PAUL)
    victim = Client()
    response = come_back(victim, service, ticket)
    assert logged_in_as(victim) is None
    assert "did not start here" in victim.get(response["Location"]).content.decode()


def test_a_locked_out_address_cannot_log_in_through_cas(client, signon_file, cas_server,  # noqa: F811
                                                        settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    for _ in range(LIMIT):
        client.post("/login/", {"username": "admin", "password": "wrong"})
    response, _service = cas_login(client, cas_server)
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert logged_in_as(client) is None
    assert not get_user_model().objects.filter(username=JEANNE_EPPN).exists()


def test_the_session_rules_start_at_a_cas_login(client, signon_file, cas_server):  # noqa: F811
    from campuscard.accounts.sessions import LOGGED_IN_AT

    cas_login(client, cas_server)
    assert LOGGED_IN_AT in client.session


# --- Logout ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "user", "parameter"), [("cas-a", JEANNE, "service"),
                                                           ("cas-b", PAUL, "url")])
def test_our_logout_hands_over_to_the_cas_logout(client, signon_file, cas_server,  # noqa: F811
                                                 method, user, parameter):
    cas_login(client, cas_server, method=method, user=user)
    response = client.post("/logout/")
    cas_logout = f"{cas_server.url}logout?{urlencode({parameter: 'http://testserver/login/'})}"
    # A page that goes on to the CAS logout (a redirect would break the CSP's form-action).
    assert response.status_code == 200
    assert response.context["sso_logout_url"] == cas_logout
    assert f'<meta http-equiv="refresh" content="0;url={escape(cas_logout)}">' in \
        response.content.decode()
    assert logged_in_as(client) is None


def test_the_cas_single_logout_ends_that_session_only(signon_file, cas_server):  # noqa: F811
    jeanne, paul = Client(), Client()
    _response, service = cas_login(jeanne, cas_server)
    cas_login(paul, cas_server, user=PAUL)
    ticket = parse_qs(urlsplit(_response.wsgi_request.get_full_path()).query)["ticket"][0]
    jeanne_session = jeanne.session.session_key
    cas = Client(enforce_csrf_checks=True)  # the CAS server has no CSRF token of ours
    response = cas.post(urlsplit(service).path, {"logoutRequest": logout_request(ticket)})
    assert response.status_code == 200
    assert jeanne.get("/me/").status_code == 302  # to the login page
    assert logged_in_as(paul) == "pmartin@univ-a.fr"
    assert not SignOnSession.objects.filter(session_key=jeanne_session).exists()
    assert SignOnSession.objects.filter(session_key=paul.session.session_key).exists()


def test_a_single_logout_for_an_unknown_ticket_ends_nothing(client, signon_file, cas_server):  # noqa: F811
    cas_login(client, cas_server)
    response = Client().post("/signon/cas/cas-a/callback/",
                             {"logoutRequest": logout_request("ST-unknown")})
    assert response.status_code == 200
    assert logged_in_as(client) == JEANNE_EPPN


@pytest.mark.parametrize("body", [
    "not xml",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
    "<samlp:SessionIndex>&e;</samlp:SessionIndex></samlp:LogoutRequest>",
    "<other/>",
])
def test_a_malformed_single_logout_is_refused(client, signon_file, body):
    response = client.post("/signon/cas/cas-a/callback/", {"logoutRequest": body})
    assert response.status_code == 400


def test_the_ticket_is_kept_as_a_digest(client, signon_file, cas_server):  # noqa: F811
    response, _service = cas_login(client, cas_server)
    ticket = parse_qs(urlsplit(response.wsgi_request.get_full_path()).query)["ticket"][0]
    kept = SignOnSession.objects.get()
    assert kept.sso_digest == hashlib.sha256(ticket.encode()).hexdigest()
    assert kept.session_key == client.session.session_key


# --- In Chromium, through the CAS server's own login form ---------------------------------------

def log_in_on_cas(page, user=JEANNE):
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(user.password)
    page.locator("input[name=password]").press("Enter")


@pytest.mark.browser
def test_a_person_logs_in_through_cas_and_out_again(live_server, browser_page, signon_file,  # noqa: F811
                                                    cas_server, records, jeanne_person, est_b):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Log in with CAS Université A").click()
    page.wait_for_url(f"{cas_server.url}login?*")
    log_in_on_cas(page)
    page.wait_for_url(f"{live_server.url}/me/")
    assert page.locator("form.logout").inner_text().startswith(JEANNE_EPPN)
    assert records == [("cas-a", {"affiliation": "student;member", "mail": JEANNE.email})]
    jeanne_person.refresh_from_db()
    assert jeanne_person.user.username == JEANNE_EPPN

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/me/")
    page.wait_for_url(f"{live_server.url}/login/?next=/me/")
    # The CAS session is over too: the CAS server asks for the password again.
    page.get_by_role("link", name="Log in with CAS Université A").click()
    page.wait_for_url(f"{cas_server.url}login?*")
    assert page.locator("input[name=password]").is_visible()


@pytest.mark.browser
def test_logging_out_of_cas_ends_the_campuscard_session(live_server, browser_page, signon_file,  # noqa: F811
                                                        cas_server, jeanne_person):  # noqa: F811
    page = browser_page
    page.goto(f"{live_server.url}/login/?next=/me/")
    page.get_by_role("link", name="Log in with CAS Université A").click()
    log_in_on_cas(page)
    page.wait_for_url(f"{live_server.url}/me/")

    page.goto(f"{cas_server.url}logout")  # the server POSTs its single logout to us
    page.goto(f"{live_server.url}/me/")
    page.wait_for_url(f"{live_server.url}/login/?next=/me/")
    assert not SignOnSession.objects.exists()
