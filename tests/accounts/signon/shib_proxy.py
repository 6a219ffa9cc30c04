"""A reverse proxy playing Apache with mod_shib, for the trusted-header tests: it listens on
127.0.0.1 and reaches the live server FROM 127.0.0.2, so that the server can tell it apart
from the browser (127.0.0.1) by REMOTE_ADDR alone.

- the protected path (/signon/header/<name>/login/) needs a "Shibboleth session": without
  one the proxy asks for a user name and password (its own form), then passes the request on
  with the user's eppn and affiliations in headers, as mod_shib does;
- whatever eppn/affiliation header the browser sends is dropped first, as mod_shib does;
- /Shibboleth.sso/Logout ends the proxy's session and goes to ?return=;
- every other request is passed on as it is, with X-Forwarded-For.
"""

import html
import http.client
import secrets
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SOURCE = "127.0.0.2"
COOKIE = "_shibsession_test"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "host", "content-length"}


class ShibProxy:
    def __init__(self, upstream_port, protected_prefix, users):
        self.upstream_port, self.protected_prefix, self.users = (upstream_port,
                                                                  protected_prefix, users)
        self.sessions = {}  # cookie -> user name
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self):
                self.handle_any()

            def do_POST(self):
                self.handle_any()

            def handle_any(self):
                path = urlsplit(self.path).path
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if path == "/Shibboleth.sso/Logout":
                    return self.logout()
                if path == "/Shibboleth.sso/Login":
                    return self.login(body)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_BY_HOP | {"eppn", "affiliation"}}
                if path.startswith(proxy.protected_prefix):
                    user = proxy.sessions.get(self.cookie())
                    if user is None:
                        return self.login_form(self.path)
                    headers["eppn"] = proxy.users[user]["eppn"]
                    headers["affiliation"] = ";".join(proxy.users[user]["affiliation"])
                headers["X-Forwarded-For"] = self.client_address[0]
                self.forward(body, headers)

            def forward(self, body, headers):
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port,
                                                      timeout=30, source_address=(SOURCE, 0))
                headers["Host"] = self.headers["Host"]
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                content = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
                upstream.close()

            def login_form(self, target, error=""):
                page = ("<!doctype html><title>Shibboleth</title><h1>Establishment log-in</h1>"
                        f"{f'<p role=alert>{error}</p>' if error else ''}"
                        '<form method="post" action="/Shibboleth.sso/Login">'
                        f'<input type="hidden" name="target" value="{html.escape(target)}">'
                        '<label>Shibboleth user <input name="username"></label>'
                        '<label>Shibboleth password <input name="password" type="password">'
                        '</label><button type="submit">Sign in with Shibboleth</button></form>')
                self.answer(200, page)

            def login(self, body):
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                user = proxy.users.get(form.get("username", ""))
                if user is None or user["password"] != form.get("password"):
                    return self.login_form(form.get("target", "/"), "Wrong password")
                cookie = secrets.token_urlsafe(16)
                proxy.sessions[cookie] = form["username"]
                self.send_response(303)
                self.send_header("Location", form.get("target", "/"))
                self.send_header("Set-Cookie", f"{COOKIE}={cookie}; Path=/; HttpOnly")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def logout(self):
                proxy.sessions.pop(self.cookie(), None)
                query = parse_qs(urlsplit(self.path).query)
                self.send_response(303)
                self.send_header("Location", query.get("return", ["/"])[0])
                self.send_header("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def cookie(self):
                morsel = SimpleCookie(self.headers.get("Cookie", "")).get(COOKIE)
                return morsel.value if morsel else None

            def answer(self, status, page):
                content = page.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler
