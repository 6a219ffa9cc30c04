"""SAML 2 sign-on: djangosaml2 as our service provider, against pysaml2 identity providers.

The unit tests make the IdP's answers with pysaml2's Server in this process (a real IdP, its
messages over the test client); the browser test runs the IdP as a server of its own
(saml_idp.py) and goes through the whole flow in Chromium."""

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from saml2 import BINDING_HTTP_REDIRECT

from campuscard.accounts.signon import config as signon_config
from campuscard.accounts.signon.saml.backend import SamlBackend, attributes_of
from campuscard.people.models import Person

from .saml_idp import authn_response, idp_server, signed_metadata, write_key_pair

pytestmark = [pytest.mark.django_db, pytest.mark.saml]

IDP_URL = "http://idp.univ-a.test"  # never contacted: its messages are made in this process
IDP_ENTITY = f"{IDP_URL}/metadata"
ALICE = {"eduPersonPrincipalName": ["alice@univ-a.example.org"],
         "eduPersonAffiliation": ["student", "member"],
         "mail": ["alice@univ-a.example.org"], "givenName": ["Alice"], "sn": ["Martin"]}
LOGIN = "/signon/saml/login/"
ACS = "/signon/saml/acs/"


def method_toml(**keys):
    lines = ['[[signon]]', 'name = "univ-a"', 'kind = "saml"', 'label = "Université A"']
    lines += [f'{key} = "{value}"' for key, value in keys.items()]
    lines += ['[signon.attributes]', 'affiliation = "eduPersonAffiliation"',
              'mail = "urn:oid:0.9.2342.19200300.100.1.3"']
    return "\n".join(lines) + "\n"


@pytest.fixture
def sp_keys(tmp_path, settings):
    settings.CAMPUSCARD_SAML_SP_KEY_FILE, settings.CAMPUSCARD_SAML_SP_CERT_FILE = \
        write_key_pair(tmp_path, "sp")
    settings.CAMPUSCARD_PUBLIC_URL = "http://testserver"


@pytest.fixture
def idp_keys(tmp_path):
    return write_key_pair(tmp_path, "idp")


@pytest.fixture
def saml_method(tmp_path, sp_keys, idp_keys, signon_file):
    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_text(signed_metadata(IDP_URL, *idp_keys))
    signon_file(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata,
                            idp_metadata_cert=idp_keys[1]))
    return signon_config.load().method("univ-a")


@pytest.fixture
def idp(tmp_path, client, saml_method, idp_keys):
    """The IdP, knowing our SP from the metadata our metadata view serves."""
    sp_metadata = tmp_path / "sp-metadata.xml"
    sp_metadata.write_bytes(client.get("/signon/saml/metadata/").content)
    return idp_server(IDP_URL, *idp_keys, {"file": str(sp_metadata)})


def start_login(client, server, next_url="/me/"):
    """Our login view's AuthnRequest, as the IdP reads it (its signature checked)."""
    answer = client.get(LOGIN, {"idp": IDP_ENTITY, "next": next_url})
    assert answer.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer["Location"]).query).items()}
    request = server.parse_authn_request(query["SAMLRequest"], relay_state=query["RelayState"],
                                         sigalg=query["SigAlg"], signature=query["Signature"])
    return request.message, query["RelayState"]


def post_to_acs(client, xml, relay_state="/me/"):
    return client.post(ACS, {"SAMLResponse": base64.b64encode(xml.encode()).decode(),
                             "RelayState": relay_state})


def logged_in(client):
    return "_auth_user_id" in client.session


def nothing_created():
    return not get_user_model().objects.exists() and not Person.objects.filter(
        user__isnull=False).exists()


# --- configuration ---------------------------------------------------------------------------

@pytest.mark.parametrize(("keys", "message"), [
    ({"idp_metadata_file": "{metadata}"}, "idp_entity_id"),
    ({"idp_entity_id": IDP_ENTITY}, "idp_metadata_url or idp_metadata_file"),
    ({"idp_entity_id": IDP_ENTITY, "idp_metadata_file": "{metadata}",
      "idp_metadata_url": "https://idp.example.org/md"}, "one of them"),
    ({"idp_entity_id": IDP_ENTITY, "idp_metadata_url": "http://idp.example.org/md"},
     "must be signed"),
    ({"idp_entity_id": IDP_ENTITY, "idp_metadata_url": "ftp://idp.example.org/md"},
     "http:// or https://"),
    ({"idp_entity_id": IDP_ENTITY, "idp_metadata_file": "/nowhere/metadata.xml"},
     "cannot read the file /nowhere/metadata.xml"),
])
def test_configuration_mistakes_are_named(tmp_path, sp_keys, keys, message):
    metadata = tmp_path / "md.xml"
    metadata.write_text("<x/>")
    keys = {k: v.format(metadata=metadata) for k, v in keys.items()}
    with pytest.raises(signon_config.ConfigError, match=message) as error:
        signon_config.parse(method_toml(**keys))
    assert "“univ-a”" in str(error.value)


def test_the_service_provider_needs_its_key_and_certificate(tmp_path, settings):
    settings.CAMPUSCARD_SAML_SP_KEY_FILE = ""
    metadata = tmp_path / "md.xml"
    metadata.write_text("<x/>")
    with pytest.raises(signon_config.ConfigError, match="CAMPUSCARD_SAML_SP_KEY_FILE"):
        signon_config.parse(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata))


def test_a_secret_key_is_never_a_key_of_the_file(tmp_path, sp_keys):
    metadata = tmp_path / "md.xml"
    metadata.write_text("<x/>")
    with pytest.raises(signon_config.ConfigError, match="unknown keys sp_key_file"):
        signon_config.parse(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata,
                                        sp_key_file="/etc/key.pem"))


# --- our metadata, the login request -----------------------------------------------------------

def test_our_metadata_describes_the_sp_with_its_certificate_and_never_its_key(
        client, saml_method, settings):
    answer = client.get("/signon/saml/metadata/")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/xml")
    xml = answer.content.decode()
    assert 'entityID="http://testserver/signon/saml/metadata/"' in xml
    assert 'Location="http://testserver/signon/saml/acs/"' in xml
    assert 'Location="http://testserver/signon/saml/ls/"' in xml
    assert 'AuthnRequestsSigned="true"' in xml and 'WantAssertionsSigned="true"' in xml
    pem = Path(settings.CAMPUSCARD_SAML_SP_CERT_FILE).read_text()
    certificate = "".join(pem.splitlines()[1:-1])
    assert certificate in xml.replace("\n", "")
    assert "PRIVATE KEY" not in xml


def test_our_metadata_comes_out_when_an_idp_metadata_cannot_be_read(client, sp_keys,
                                                                    signon_file, idp_keys):
    signon_file(method_toml(idp_entity_id=IDP_ENTITY,
                            idp_metadata_url="https://127.0.0.1:9/metadata"))
    assert client.get("/signon/saml/metadata/").status_code == 200


def test_the_login_button_sends_a_signed_request_to_the_idp(client, idp, saml_method):
    from campuscard.accounts.signon.saml import login_url

    url = login_url(saml_method, "/me/")
    assert url.startswith(LOGIN) and "next=%2Fme%2F" in url
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"{IDP_URL}/sso/redirect?SAMLRequest=")
    request, relay_state = start_login(client, idp)  # raises if the signature were wrong
    assert request.issuer.text == "http://testserver/signon/saml/metadata/"
    assert relay_state == "/me/"


def test_an_idp_that_is_no_method_of_ours_is_not_asked(client, saml_method):
    answer = client.get(LOGIN, {"idp": "https://idp.elsewhere.example/"})
    assert answer.status_code == 404
    assert "This log-in method does not exist." in answer.content.decode()


def test_unreadable_idp_metadata_is_a_clear_page_not_a_server_error(client, sp_keys,
                                                                    signon_file, idp_keys):
    signon_file(method_toml(idp_entity_id=IDP_ENTITY,
                            idp_metadata_url="http://127.0.0.1:9/metadata",
                            idp_metadata_cert=idp_keys[1]))
    answer = client.get(LOGIN, {"idp": IDP_ENTITY})
    assert answer.status_code == 503
    assert "not available at the moment" in answer.content.decode()


def test_metadata_without_the_configured_idp_is_unavailable(client, tmp_path, sp_keys,
                                                            signon_file, idp_keys):
    metadata = tmp_path / "other.xml"
    metadata.write_text(signed_metadata("http://other-idp.test", *idp_keys))
    signon_file(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata))
    assert client.get(LOGIN, {"idp": IDP_ENTITY}).status_code == 503


def test_unsigned_metadata_is_refused_when_a_certificate_is_given(client, tmp_path, sp_keys,
                                                                  signon_file, idp_keys):
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string

    from .saml_idp import idp_settings

    metadata = tmp_path / "unsigned.xml"
    unsigned = create_metadata_string(None, config=IdPConfig().load(
        idp_settings(IDP_URL, *idp_keys)), sign=False)
    metadata.write_bytes(unsigned)
    signon_file(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata,
                            idp_metadata_cert=idp_keys[1]))
    assert client.get(LOGIN, {"idp": IDP_ENTITY}).status_code == 503


# --- the answer --------------------------------------------------------------------------------

def test_a_valid_answer_logs_in_the_eppn_with_the_attributes_and_links_the_person(
        client, idp, waiting_person, sign_ons):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "transient-1", relay_state)
    answer = post_to_acs(client, xml, relay_state)
    assert answer.status_code == 302 and answer["Location"] == "/me/"
    assert logged_in(client)
    user = get_user_model().objects.get()
    assert user.get_username() == "alice@univ-a.example.org"
    assert not user.has_usable_password()
    waiting_person.refresh_from_db()
    assert waiting_person.user == user
    [(_, sign_on)] = sign_ons
    assert sign_on.method == "univ-a"
    assert sign_on.record == {"affiliation": "student;member", "mail": "alice@univ-a.example.org"}
    assert client.session["campuscard_signon_method"] == "univ-a"


def test_an_assertion_encrypted_for_our_certificate_is_read_with_our_key(client, idp):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state, encrypt_assertion=True)
    assert "EncryptedAssertion" in xml and "alice@univ-a.example.org" not in xml
    assert post_to_acs(client, xml).status_code == 302
    assert get_user_model().objects.get().get_username() == "alice@univ-a.example.org"


@pytest.mark.parametrize("forgery", ["unsigned", "tampered", "other key", "unsolicited",
                                     "encrypted for another key"])
def test_a_forged_answer_is_refused_and_creates_nothing(client, tmp_path, idp, idp_keys,
                                                        forgery, sign_ons):
    request, relay_state = start_login(client, idp)
    if forgery == "unsigned":
        _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state,
                                   sign_assertion=False)
    elif forgery == "tampered":
        _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
        assert "alice@univ-a.example.org" in xml
        xml = xml.replace("alice@univ-a.example.org", "admin@univ-a.example.org")
    elif forgery == "other key":
        sp_metadata = tmp_path / "sp-metadata.xml"
        impostor = idp_server(IDP_URL, *write_key_pair(tmp_path, "impostor"),
                              {"file": str(sp_metadata)})
        _, xml, _ = authn_response(impostor, request, ALICE, "t-1", relay_state)
    elif forgery == "encrypted for another key":
        _, other_cert = write_key_pair(tmp_path, "other")
        _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state, encrypt_assertion=True,
                                   encrypt_cert_assertion=Path(other_cert).read_text())
    else:
        request.id = "id-of-a-request-we-never-made"
        _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
    answer = post_to_acs(client, xml, relay_state)
    assert answer.status_code == 403
    assert "could not be accepted" in answer.content.decode()
    assert not logged_in(client) and nothing_created() and sign_ons == []


def test_an_answer_is_good_for_one_login_only(client, idp):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
    assert post_to_acs(client, xml).status_code == 302
    client.logout()
    assert post_to_acs(client, xml).status_code == 403
    replayer = Client()
    assert post_to_acs(replayer, xml).status_code == 403 and not logged_in(replayer)


@pytest.mark.parametrize("body", [{}, {"SAMLResponse": "not base64 at all"},
                                  {"SAMLResponse": base64.b64encode(b"<not-saml/>").decode()}])
def test_garbage_at_the_acs_is_a_clear_refusal(client, saml_method, body):
    answer = client.post(ACS, body)
    assert answer.status_code in (400, 403)
    assert 'role="alert"' in answer.content.decode()
    assert nothing_created()


def test_an_answer_without_a_user_name_logs_nobody_in(client, idp):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, {"mail": ["someone@example.org"]}, "t-1",
                               relay_state)
    assert post_to_acs(client, xml).status_code == 403
    assert nothing_created()


def test_a_locked_out_address_cannot_log_in_through_saml(client, idp, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post("/login/", {"username": "someone", "password": "wrong"})
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
    answer = post_to_acs(client, xml)
    assert answer.status_code == 429
    assert "Too many failed log-in attempts" in answer.content.decode()
    assert not logged_in(client) and nothing_created()


def test_the_backend_refuses_an_issuer_that_no_method_names(saml_method, rf):
    from saml2.saml import NameID

    info = {"issuer": "https://idp.elsewhere.example/", "ava": ALICE,
            "name_id": NameID(text="x")}
    assert SamlBackend().authenticate(rf.get("/"), session_info=info) is None
    assert not get_user_model().objects.exists()


def test_attributes_answer_to_their_friendly_name_and_their_uri():
    from saml2.saml import NameID

    attributes = attributes_of({"ava": ALICE, "name_id": NameID(text=" abc ")})
    assert attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.6"] == ["alice@univ-a.example.org"]
    assert attributes["eduPersonPrincipalName"] == ["alice@univ-a.example.org"]
    assert attributes["NameID"] == ["abc"]


def test_the_name_id_can_be_the_user_name(client, tmp_path, idp, idp_keys, signon_file):
    metadata = tmp_path / "idp-metadata.xml"
    signon_file(method_toml(idp_entity_id=IDP_ENTITY, idp_metadata_file=metadata,
                            username_attribute="NameID", username_suffix="@univ-a.example.org"))
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "Opaque-Id-42", relay_state)
    assert post_to_acs(client, xml).status_code == 302
    assert get_user_model().objects.get().get_username() == "opaque-id-42@univ-a.example.org"


# --- the whole flow, in Chromium, against the IdP as a server of its own ----------------------

@pytest.fixture
def running_idp(tmp_path, live_server):
    from .saml_idp import RunningIdP

    idp = RunningIdP(tmp_path, f"{live_server.url}/signon/saml/metadata/",
                     {"alice": {"password": "idp secret", "attributes": ALICE}})
    yield idp
    idp.stop()


@pytest.mark.browser
def test_saml_login_and_single_logout_in_chromium(live_server, running_idp, browser_page,
                                                  tmp_path, settings, signon_file,
                                                  waiting_person, sign_ons):
    settings.CAMPUSCARD_PUBLIC_URL = live_server.url
    settings.CAMPUSCARD_SAML_SP_KEY_FILE, settings.CAMPUSCARD_SAML_SP_CERT_FILE = \
        write_key_pair(tmp_path, "sp")
    signon_file(method_toml(idp_entity_id=running_idp.entity_id,
                            idp_metadata_url=f"{running_idp.url}/metadata",
                            idp_metadata_cert=running_idp.cert_file))
    page = browser_page

    def log_in_at_the_idp():
        page.goto(f"{live_server.url}/login/?next=/me/")
        page.get_by_role("link", name="Log in with Université A").click()
        page.wait_for_url(f"{running_idp.url}/sso/redirect?*")
        page.get_by_label("IdP user").fill("alice")
        page.get_by_label("IdP password").fill("idp secret")
        page.get_by_role("button", name="Sign in at the IdP").click()
        page.wait_for_url(f"{live_server.url}/me/")

    log_in_at_the_idp()
    assert page.locator(".logout").get_by_text("alice@univ-a.example.org").is_visible()
    waiting_person.refresh_from_db()
    assert waiting_person.user.get_username() == "alice@univ-a.example.org"
    [(_, sign_on)] = sign_ons
    assert sign_on.record["affiliation"] == "student;member"
    assert running_idp.sessions() == ["alice"]

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    assert running_idp.sessions() == []
    page.goto(f"{live_server.url}/me/")
    assert page.url.startswith(f"{live_server.url}/login/")  # logged out here too

    # The IdP session is over: logging in again asks for the password.
    log_in_at_the_idp()
    assert len(sign_ons) == 2


def test_logout_without_the_saml_session_still_logs_out_here(client, idp):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
    post_to_acs(client, xml)
    client.cookies.pop("saml_session")
    answer = client.post("/logout/", follow=True)
    assert answer.redirect_chain[0] == ("/signon/saml/logout/", 302)
    assert answer.request["PATH_INFO"] == "/login/"
    assert "perhaps not of your establishment" in answer.content.decode()
    assert not logged_in(client)


def test_logout_sends_a_signed_logout_request_to_the_idp(client, idp):
    request, relay_state = start_login(client, idp)
    _, xml, _ = authn_response(idp, request, ALICE, "t-1", relay_state)
    post_to_acs(client, xml)
    answer = client.post("/logout/", follow=True)
    assert not logged_in(client)
    url = answer.context["url"]  # the page that goes on to the IdP by itself
    assert url.startswith(f"{IDP_URL}/slo/redirect?SAMLRequest=")
    assert f'content="0;url={url.replace("&", "&amp;")}"' in answer.content.decode()
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    logout_request = idp.parse_logout_request(
        query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
        sigalg=query["SigAlg"], signature=query["Signature"]).message  # raises if not signed
    assert logout_request.name_id.text == "t-1"
