"""The router service's tests: keys of establishments A and B, a caller that speaks to
/esc-rest/api/v2 as the holder of a key, and a person and a card registered by A."""

import datetime
import io
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from PIL import Image

from campuscard.esc.escn import generate_escn
from campuscard.router.keys import issue_key

API = "/esc-rest/api/v2"
ESI_FR = "urn:schac:personalUniqueCode:int:esi:fr:"


def esi(code):
    return f"{ESI_FR}{code}"


def today():
    return timezone.localdate()


def days(n):
    return today() + datetime.timedelta(days=n)


class Router:
    """Calls the router service as the holder of `key` (None: without a key)."""

    def __init__(self, key):
        self.key = key
        self.http = Client()

    def _headers(self, extra):
        headers = {"Accept-Language": "en"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        return headers | extra

    def get(self, path, params=None, **headers):
        return self.http.get(API + path, params, headers=self._headers(headers))

    def post(self, path, body, **headers):
        return self.http.post(API + path, json.dumps(body), content_type="application/json",
                              headers=self._headers(headers))

    def put(self, path, body, **headers):
        return self.http.put(API + path, json.dumps(body), content_type="application/json",
                             headers=self._headers(headers))

    def delete(self, path, **headers):
        return self.http.delete(API + path, headers=self._headers(headers))

    def upload(self, path, data, params="", filename="upload.bin", field="file"):
        upload = io.BytesIO(data)
        upload.name = filename
        return self.http.post(f"{API}{path}{params}", {field: upload},
                              headers=self._headers({}))


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the public status counts requests per address in the cache
    yield
    cache.clear()


@pytest.fixture
def key_a(est_a):
    return issue_key(est_a.pic, "Université A tests", est_a.name)


@pytest.fixture
def key_b(est_b):
    return issue_key(est_b.pic, "École B tests", est_b.name)


@pytest.fixture
def router_a(key_a):
    return Router(key_a)


@pytest.fixture
def router_b(key_b):
    return Router(key_b)


@pytest.fixture
def anonymous(db):
    return Router(None)


def person_body(pic, identifier, name="Alice Martin", **entry):
    return {"identifier": identifier, "identifierCode": "ESI",
            "personOrganisationUpdateViews": [{"organisationIdentifier": pic, "fullName": name,
                                               **entry}]}


def card_body(pic, identifier, escn, **changes):
    return {"cardNumber": escn, "personIdentifier": identifier, "issuerIdentifier": pic,
            "cardType": "SMART_NO_CDZ", "cardStatusType": "ACTIVE",
            "issuedAt": today().isoformat(), "expiresAt": days(365).isoformat(),
            "displayName": "Alice Martin"} | changes


def new_escn(establishment):
    return str(generate_escn(establishment.escn_prefix, establishment.pic))


@pytest.fixture
def alice(router_a, est_a):
    """A person registered by A."""
    response = router_a.post("/persons", person_body(est_a.pic, esi("1000000001A"),
                                                     email="alice@example.org",
                                                     academicLevel="MASTER"))
    assert response.status_code == 201, response.content
    return response.json()["identifier"]


@pytest.fixture
def card_a(router_a, est_a, alice):
    """An active card issued by A to alice; its ESCN."""
    response = router_a.post("/cards", card_body(est_a.pic, alice, new_escn(est_a)))
    assert response.status_code == 201, response.content
    return response.json()["cardNumber"]


def jpeg(width, height, colour=(30, 90, 160)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message"} and body["message"]
    if code is not None:
        assert body["code"] == code
    return body["message"]
