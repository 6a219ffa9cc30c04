"""A small SAML 2 identity provider for the tests: pysaml2's Server behind a WSGI app, run as a
separate process over real HTTP (`RunningIdP`), or used in the test's own process to make
answers (`idp_server`).

- GET  /metadata         its metadata, signed with its key;
- GET  /sso/redirect     an AuthnRequest (HTTP-Redirect, signature checked): the log-in form, or
                         straight back to the SP when the browser has an IdP session;
- POST /sso/login        user name and password: a signed assertion with eduPerson attributes,
                         sent to the SP's ACS with the HTTP-POST binding;
- GET  /slo/redirect     a LogoutRequest: the IdP session ends, a LogoutResponse goes back;
- GET  /sessions         the users with an IdP session (JSON), for the tests to look at.

Keys and certificates are made by `write_key_pair` in a temporary folder, never committed.
"""

import datetime
import html
import json
import secrets
import shutil
import subprocess
import sys
import threading
from http.cookies import SimpleCookie
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from urllib.request import urlopen
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import AUTHN_PASSWORD_PROTECTED, NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server

COOKIE = "test_idp_session"


def write_key_pair(directory, name):
    """A new RSA key and its self-signed certificate, as PEM files: (key path, cert path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    directory = Path(directory)
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.crt"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


def idp_settings(base_url, key_file, cert_file, sp_metadata=None):
    """pysaml2 settings of the IdP at base_url; sp_metadata: {"url": …} or {"file": …}."""
    conf = {
        "entityid": f"{base_url}/metadata",
        "xmlsec_binary": shutil.which("xmlsec1"),
        "key_file": key_file,
        "cert_file": cert_file,
        "delete_tmpfiles": True,
        "service": {"idp": {
            "name": "Test IdP",
            "endpoints": {
                "single_sign_on_service": [(f"{base_url}/sso/redirect", BINDING_HTTP_REDIRECT)],
                "single_logout_service": [(f"{base_url}/slo/redirect", BINDING_HTTP_REDIRECT)],
            },
            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
            "want_authn_requests_signed": True,
            "policy": {"default": {"lifetime": {"minutes": 15},
                                   "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
        }},
    }
    if sp_metadata and "url" in sp_metadata:
        conf["metadata"] = {"remote": [{"url": sp_metadata["url"]}]}
    elif sp_metadata:
        conf["metadata"] = {"local": [sp_metadata["file"]]}
    return conf


def idp_server(base_url, key_file, cert_file, sp_metadata):
    return Server(config=IdPConfig().load(idp_settings(base_url, key_file, cert_file,
                                                       sp_metadata)))


def signed_metadata(base_url, key_file, cert_file):
    conf = IdPConfig().load(idp_settings(base_url, key_file, cert_file))
    return create_metadata_string(None, config=conf, sign=True, valid=24)


def authn_response(server, request, identity, name_id_text, relay_state, **options):
    """The HTML page (HTTP-POST binding) carrying a signed assertion for `request`."""
    sp_entity_id = request.issuer.text
    _, destination = server.pick_binding("assertion_consumer_service",
                                         bindings=[BINDING_HTTP_POST], entity_id=sp_entity_id,
                                         request=request)
    response = server.create_authn_response(
        identity, in_response_to=request.id, destination=destination,
        sp_entity_id=sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=name_id_text,
                       sp_name_qualifier=sp_entity_id, name_qualifier=server.config.entityid),
        authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": server.config.entityid},
        sign_assertion=options.pop("sign_assertion", True), sign_response=False, **options)
    return destination, str(response), server.apply_binding(
        BINDING_HTTP_POST, str(response), destination, relay_state, response=True)


class IdP:
    """The WSGI app. `users`: name -> {"password": …, "attributes": {friendly name: [values]}}."""

    def __init__(self, base_url, key_file, cert_file, sp_metadata, users):
        self.base_url, self.key_file, self.cert_file = base_url, key_file, cert_file
        self.sp_metadata, self.users = sp_metadata, users
        self.sessions = {}     # cookie value -> {"user": …, "name_ids": set()}
        self.lock = threading.Lock()
        self._server = None

    @property
    def server(self):
        # Built at the first message: the SP's metadata is read from the running SP then.
        with self.lock:
            if self._server is None:
                self._server = idp_server(self.base_url, self.key_file, self.cert_file,
                                          self.sp_metadata)
            return self._server

    def __call__(self, environ, start_response):
        route = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        handler = {("GET", "/metadata"): self.metadata,
                   ("GET", "/sso/redirect"): self.sso,
                   ("POST", "/sso/login"): self.login,
                   ("GET", "/slo/redirect"): self.slo,
                   ("GET", "/sessions"): self.list_sessions}.get(route)
        if handler is None:
            return self.answer(start_response, "404 Not Found", "not found")
        try:
            return handler(environ, start_response)
        except Exception as exc:  # shown to the test, which fails on it
            return self.answer(start_response, "400 Bad Request", f"refused: {exc!r}")

    # --- routes ---------------------------------------------------------------------------

    def metadata(self, environ, start_response):
        return self.answer(start_response, "200 OK",
                           signed_metadata(self.base_url, self.key_file, self.cert_file),
                           "text/xml")

    def sso(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        request = self.parse_request(query)
        session = self.session_of(environ)
        if session is not None:
            return self.send_assertion(start_response, request, session, query)
        return self.login_form(start_response, query)

    def login(self, environ, start_response):
        form = self.form_of(environ)
        request = self.parse_request(form)
        user = self.users.get(form.get("username", ""))
        if user is None or user["password"] != form.get("password"):
            return self.login_form(start_response, form, error="Wrong user name or password")
        cookie = secrets.token_urlsafe(16)
        session = {"user": form["username"], "name_ids": set()}
        with self.lock:
            self.sessions[cookie] = session
        return self.send_assertion(start_response, request, session, form,
                                   [("Set-Cookie", f"{COOKIE}={cookie}; Path=/; HttpOnly")])

    def slo(self, environ, start_response):
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        request = self.server.parse_logout_request(
            query["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"), signature=query.get("Signature")).message
        with self.lock:
            for cookie, session in list(self.sessions.items()):
                if request.name_id.text in session["name_ids"]:
                    del self.sessions[cookie]
        response = self.server.create_logout_response(request, [BINDING_HTTP_REDIRECT])
        _, destination = self.server.pick_binding("single_logout_service",
                                                  bindings=[BINDING_HTTP_REDIRECT],
                                                  entity_id=request.issuer.text, request=request)
        info = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination,
                                         query.get("RelayState", ""), response=True, sign=True)
        location = dict(info["headers"])["Location"]
        start_response("303 See Other", [("Location", location),
                                         ("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")])
        return [b""]

    def list_sessions(self, environ, start_response):
        with self.lock:
            users = sorted(session["user"] for session in self.sessions.values())
        return self.answer(start_response, "200 OK", json.dumps(users), "application/json")

    # --- helpers --------------------------------------------------------------------------

    def parse_request(self, values):
        return self.server.parse_authn_request(
            values["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=values.get("RelayState"),
            sigalg=values.get("SigAlg"), signature=values.get("Signature")).message

    def send_assertion(self, start_response, request, session, values, headers=()):
        name_id = secrets.token_hex(16)
        session["name_ids"].add(name_id)
        identity = self.users[session["user"]]["attributes"]
        _, _, info = authn_response(self.server, request, identity, name_id,
                                    values.get("RelayState", ""))
        return self.answer(start_response, "200 OK", info["data"], headers=list(headers))

    def login_form(self, start_response, values, error=""):
        hidden = "".join(f'<input type="hidden" name="{html.escape(key)}" '
                         f'value="{html.escape(values[key])}">'
                         for key in ("SAMLRequest", "RelayState", "SigAlg", "Signature")
                         if key in values)
        page = (f"<!doctype html><title>Test IdP</title><h1>Test IdP log-in</h1>"
                f"{f'<p role=alert>{error}</p>' if error else ''}"
                f'<form method="post" action="/sso/login">{hidden}'
                '<label>IdP user <input name="username"></label>'
                '<label>IdP password <input name="password" type="password"></label>'
                '<button type="submit">Sign in at the IdP</button></form>')
        return self.answer(start_response, "200 OK", page)

    def session_of(self, environ):
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", "")).get(COOKIE)
        with self.lock:
            return self.sessions.get(cookie.value) if cookie else None

    @staticmethod
    def form_of(environ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode()
        return {k: v[0] for k, v in parse_qs(body).items()}

    @staticmethod
    def answer(start_response, status, body, content_type="text/html", headers=()):
        start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"),
                                *headers])
        return [body.encode() if isinstance(body, str) else body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def serve(settings_path):
    """The process's main: bind a free port on loopback, say it on stdout, serve forever."""
    options = json.loads(Path(settings_path).read_text())
    app = IdP("", options["key_file"], options["cert_file"], options["sp_metadata"],
              options["users"])
    httpd = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer,
                        handler_class=_QuietHandler)
    app.base_url = f"http://localhost:{httpd.server_port}"
    print(httpd.server_port, flush=True)
    httpd.serve_forever()


class RunningIdP:
    """The IdP in a process of its own, on a free port of 127.0.0.1 (named localhost, the live
    server's host, so that both are the same site for the browser)."""

    def __init__(self, directory, sp_metadata_url, users):
        self.key_file, self.cert_file = write_key_pair(directory, "idp")
        settings_path = Path(directory) / "idp.json"
        settings_path.write_text(json.dumps({
            "key_file": self.key_file, "cert_file": self.cert_file,
            "sp_metadata": {"url": sp_metadata_url}, "users": users}))
        self.process = subprocess.Popen([sys.executable, __file__, str(settings_path)],
                                        stdout=subprocess.PIPE, text=True)
        port = self.process.stdout.readline().strip()
        if not port:
            self.stop()
            raise RuntimeError("the test IdP did not start")
        self.url = f"http://localhost:{port}"
        self.entity_id = f"{self.url}/metadata"

    def sessions(self):
        with urlopen(f"{self.url}/sessions", timeout=10) as answer:  # noqa: S310 (http, ours)
            return json.loads(answer.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


if __name__ == "__main__":
    serve(sys.argv[1])
