"""A real OpenID provider for the tests: django-oidc-provider in its own Django project
(oidcproject/), served by `runserver` in a separate process over HTTP on a free port.

Its fixtures (`oidc_provider`, `at_provider`) are imported by the test modules that use them."""

import hashlib
import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from ...conftest import PASSWORD

PROJECT = Path(__file__).resolve().parent / "oidcproject"
HOST = "127.0.0.1"  # CampusCard's live server is "localhost": the cookies never mix
OP_USER = {"username": "jdupont", "first_name": "Jeanne", "last_name": "Dupont",
           "email": "jeanne.dupont@mail.example.org", "groups": ["library", "students"]}
UNVERIFIED_USER = "mlefevre"  # the provider has not verified his e-mail address
EPPN = "jdupont@univ-a.example.org"  # what the provider releases as eduperson_principal_name
CLIENT_ID = "campuscard-test"
CLIENT_SECRET = "client-secret-for-tests"
_HIDDEN = re.compile(r'<input name="(\w+)" type="hidden" value="([^"]*)"')


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Provider:
    def __init__(self, workdir, eppn_domain):
        self.workdir = Path(workdir)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.issuer = f"{self.url}/openid"
        self.database = self.workdir / "op.sqlite3"
        self.env = {key: value for key, value in os.environ.items()
                    if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH"}}
        self.env |= {"DJANGO_SETTINGS_MODULE": "op_settings", "PYTHONPATH": str(PROJECT),
                     "OP_SECRET_KEY": "provider-test-secret-key-" + "x" * 32,
                     "OP_SITE_URL": self.url, "OP_DATABASE": str(self.database),
                     "OP_EPPN_DOMAIN": eppn_domain}
        self.process = None

    def _prepare(self, *args):
        subprocess.run([sys.executable, str(PROJECT / "op_prepare.py"), *args], env=self.env,
                       cwd=self.workdir, check=True, capture_output=True, timeout=120)

    def start(self):
        self._prepare("setup")
        log = (self.workdir / "op.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"{HOST}:{self.port}"],
            env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_up()
        return self

    def _wait_until_up(self, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the provider stopped: " + self.log())
            try:
                if httpx.get(self.discovery_url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the provider did not start: " + self.log())

    def log(self):
        return (self.workdir / "op.log").read_text(errors="replace")[-3000:]

    @property
    def discovery_url(self):
        return f"{self.issuer}/.well-known/openid-configuration"

    def add_user(self, username, password, first_name, last_name, email, groups):
        self._prepare("user", username, password, first_name, last_name, email,
                      ",".join(groups))

    def add_client(self, client_id, secret, redirect_uris, post_logout_uris, public=False):
        self._prepare("client", client_id, secret, ",".join(redirect_uris),
                      ",".join(post_logout_uris), *(["public"] if public else []))

    def signing_key(self):
        """(kid, PEM) of the key the provider signs ID tokens with (to forge tokens in tests)."""
        with sqlite3.connect(self.database) as db:
            (pem,) = db.execute("SELECT key FROM oidc_provider_rsakey").fetchone()
        return hashlib.md5(pem.encode()).hexdigest(), pem  # noqa: S324 (the provider's kid)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


class ProviderBrowser:
    """A person at the provider without a browser: logs in and answers the consent page,
    returning the URL the provider sends them back to (with the code and state)."""

    def __init__(self, provider):
        self.provider = provider
        self.http = httpx.Client(follow_redirects=False, timeout=10)

    def authorize(self, authorization_url, username, password, allow=True):
        response = self.http.get(authorization_url)
        if response.status_code == 302 and "/accounts/login/" in response.headers["location"]:
            response = self._log_in(urljoin(authorization_url, response.headers["location"]),
                                    username, password)
            response = self.http.get(urljoin(authorization_url, response.headers["location"]))
        if response.status_code == 302:  # no consent asked
            return response.headers["location"]
        fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(response.text)}
        fields["csrfmiddlewaretoken"] = self.http.cookies["op_csrftoken"]
        if allow:
            fields["allow"] = "Authorize"
        response = self.http.post(f"{self.provider.issuer}/authorize", data=fields)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def _log_in(self, login_url, username, password):
        self.http.get(login_url)
        next_url = httpx.URL(login_url).params["next"]
        response = self.http.post(login_url, data={
            "username": username, "password": password, "next": next_url,
            "csrfmiddlewaretoken": self.http.cookies["op_csrftoken"]})
        assert response.status_code == 302, "the provider refused the password"
        return response

    def close(self):
        self.http.close()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The provider, with one user and a client for the test client's callback."""
    provider = Provider(tmp_path_factory.mktemp("oidc-provider"), "univ-a.example.org")
    provider.start()
    try:
        provider.add_user(OP_USER["username"], PASSWORD, OP_USER["first_name"],
                          OP_USER["last_name"], OP_USER["email"], OP_USER["groups"])
        provider.add_user(UNVERIFIED_USER, PASSWORD, "Marc", "Lefèvre",
                          "marc.lefevre@mail.example.org", ["email-unverified"])
        provider.add_client(CLIENT_ID, CLIENT_SECRET,
                            ["http://testserver/signon/oidc/univ-a/callback/"],
                            ["http://testserver/login/"])
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def at_provider(oidc_provider):
    person = ProviderBrowser(oidc_provider)
    yield person
    person.close()
