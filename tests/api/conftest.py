"""API clients for the tests, and a helper that calls the API with a token."""

import json

import pytest
from django.test import Client

from campuscard.api.clients import create_client
from campuscard.api.models import ApiScope

ALL_SCOPES = list(ApiScope.values)


class Caller:
    """Calls the API as the holder of `token` (None: no Authorization header)."""

    def __init__(self, token):
        self.token = token
        self.http = Client()

    def _headers(self):
        headers = {"Accept-Language": "en"}  # the tests read the English messages
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, url, data=None, **headers):
        return self.http.get(url, data, headers=self._headers() | headers)

    def post(self, url, body, **headers):
        return self.http.post(url, json.dumps(body), content_type="application/json",
                              headers=self._headers() | headers)


@pytest.fixture
def make_api_client(db):
    def make(name="client", scopes=ALL_SCOPES, establishments=(), **kwargs):
        codes = [e.code for e in establishments]
        client, token = create_client(name, scopes, codes, **kwargs)
        return client, Caller(token)
    return make


@pytest.fixture
def caller_a(make_api_client, est_a):
    """Every scope, over establishment A only."""
    return make_api_client("client-a", ALL_SCOPES, [est_a])[1]
