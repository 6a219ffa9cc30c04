"""Router API keys: issued per organisation, only a hash kept, revocable; and how a request
presents one."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campuscard.core import tokens
from campuscard.core.models import AuditEntry
from campuscard.router import keys
from campuscard.router.models import Organisation, RouterKey

from .conftest import Router, assert_error


def test_a_key_is_shown_once_and_only_its_hash_is_kept(est_a):
    plaintext = keys.issue_key(est_a.pic, "sync", "Université A")
    key = RouterKey.objects.get()
    assert plaintext.startswith(f"escr_{key.prefix}_")
    assert plaintext not in str(RouterKey.objects.values().get())
    assert key.key_hash == tokens.hash_token(plaintext)
    assert keys.find_key(plaintext) == key
    entry = AuditEntry.objects.get(action="router_key.issued")
    assert plaintext not in str(entry.after) and entry.after["prefix"] == key.prefix


def test_the_organisation_is_created_once(db):
    keys.issue_key("123456789", "first", "Université Z")
    keys.issue_key("123456789", "second", "Another name")
    keys.issue_key("987654321", "Nameless key")
    assert dict(Organisation.objects.values_list("pic", "name")) == {
        "123456789": "Université Z", "987654321": "Nameless key"}
    assert RouterKey.objects.filter(organisation__pic="123456789").count() == 2


@pytest.mark.parametrize(("pic", "name"), [("12345678", "x"), ("12345678A", "x"),
                                           ("123456789", " ")])
def test_a_key_needs_a_pic_and_a_name(db, pic, name):
    with pytest.raises(ValidationError):
        keys.issue_key(pic, name)
    assert not RouterKey.objects.exists() and not Organisation.objects.exists()


def test_only_the_exact_key_is_found(key_a):
    prefix, secret = key_a.split("_")[1], key_a.split("_", 2)[2]
    assert keys.find_key(key_a) is not None
    assert keys.find_key(f"escr_{prefix}_{secret[:-1]}x") is None
    assert keys.find_key(f"escr_{'0' * 8}_{secret}") is None
    assert keys.find_key(key_a + " ") is None
    assert keys.find_key("") is None and keys.find_key(None) is None


def test_a_revoked_key_stops_working_at_once(key_a):
    router = Router(key_a)
    assert router.get("/persons").status_code == 200
    key = keys.revoke_key(key_a.split("_")[1])
    assert key.is_revoked
    assert_error(router.get("/persons"), 401, "SE-0401")
    assert AuditEntry.objects.filter(action="router_key.revoked").count() == 1
    with pytest.raises(ValidationError):
        keys.revoke_key(key.prefix)  # already revoked


def test_use_is_recorded_at_most_once_a_minute(key_a):
    key = keys.find_key(key_a)
    now = timezone.now()
    keys.touch(key, now)
    keys.touch(key, now + datetime.timedelta(seconds=30))
    assert RouterKey.objects.get().last_used_at == now
    keys.touch(key, now + datetime.timedelta(minutes=2))
    assert RouterKey.objects.get().last_used_at == now + datetime.timedelta(minutes=2)


# --- presenting a key ----------------------------------------------------------------------

def test_the_key_travels_as_a_bearer_token(key_a):
    assert Router(key_a).get("/persons").status_code == 200
    assert RouterKey.objects.get().last_used_at is not None


def test_the_api_key_header_of_the_contract_is_accepted_too(key_a, anonymous):
    response = anonymous.http.get("/esc-rest/api/v2/persons", headers={"api-key": key_a})
    assert response.status_code == 200
    response = anonymous.http.get("/esc-rest/api/v2/persons", HTTP_API_KEY=key_a)
    assert response.status_code == 200


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer nope",
                                           "Basic dXNlcjpwYXNz", "escr_00000000_x"])
def test_a_missing_or_unknown_key_is_unauthorized(anonymous, authorization, key_a):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = anonymous.http.get("/esc-rest/api/v2/persons", headers=headers)
    assert_error(response, 401, "SE-0401")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_key_in_another_scheme_is_not_taken(anonymous, key_a):
    response = anonymous.http.get("/esc-rest/api/v2/persons",
                                  headers={"Authorization": f"Token {key_a}"})
    assert_error(response, 401)
