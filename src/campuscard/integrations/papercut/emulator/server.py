"""A threaded XML-RPC server on 127.0.0.1 (stdlib xmlrpc.server):

    with PapercutEmulator("token", users=["alice"]) as server:
        server.url                       # http://127.0.0.1:<port>/rpc/api/xmlrpc
        server.users["alice"]            # {"card-number": "…", …}
        server.go_down(); server.come_back()
"""

import hmac
import json
import threading
import xmlrpc.client
from pathlib import Path
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

PATH = "/rpc/api/xmlrpc"
PROPERTIES = ("card-number", "secondary-card-number", "full-name", "email", "department",
              "office", "notes", "disabled-print", "balance")
AUTH_FAULT = 1  # what PaperCut answers a bad token: a fault that says so


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = (PATH,)

    def log_message(self, format, *args):
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


class _Server(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    allow_reuse_address = True



class PapercutEmulator:
    def __init__(self, token, *, users=(), host="127.0.0.1", port=0, store_path=None,
                 verbose=False):
        self.token = token
        self.host = host
        self.store_path = Path(store_path) if store_path else None
        self.verbose = verbose
        self._lock = threading.RLock()
        self.users = self._load()
        for username in users:
            self.users.setdefault(username, {})
        self.calls = []
        self._httpd = self._bind(port)
        self.port = self._httpd.server_address[1]
        self.down = False

    # --- the API ---------------------------------------------------------------------------

    def _check(self, token):
        if not hmac.compare_digest(str(token), self.token):
            raise xmlrpc.client.Fault(AUTH_FAULT, "Authentication token is not valid")

    def _user(self, username):
        if username not in self.users:
            raise xmlrpc.client.Fault(2, f"User does not exist: {username}")
        return self.users[username]

    def is_user_exists(self, token, username):
        self._record("isUserExists", username)
        self._check(token)
        return username in self.users

    def get_user_property(self, token, username, name):
        self._record("getUserProperty", username, name)
        self._check(token)
        with self._lock:
            self._known(name)
            return str(self._user(username).get(name, ""))

    def set_user_property(self, token, username, name, value):
        self._record("setUserProperty", username, name, value)
        self._check(token)
        with self._lock:
            self._known(name)
            self._user(username)[name] = str(value)
            self._save()
        return True

    def add_new_user(self, token, username):
        self._record("addNewUser", username)
        self._check(token)
        with self._lock:
            self.users.setdefault(username, {})
            self._save()
        return True

    @staticmethod
    def _known(name):
        if name not in PROPERTIES:
            raise xmlrpc.client.Fault(3, f"Unknown property: {name}")

    def _record(self, method, *args):
        with self._lock:
            self.calls.append((method, *args))

    # --- the store ---------------------------------------------------------------------------

    def _load(self):
        if self.store_path and self.store_path.exists():
            return json.loads(self.store_path.read_text() or "{}")
        return {}

    def _save(self):
        if self.store_path:
            temporary = self.store_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self.users, indent=1, sort_keys=True))
            temporary.replace(self.store_path)

    # --- serving -----------------------------------------------------------------------------

    def _bind(self, port):
        server = _Server((self.host, port), requestHandler=_Handler, allow_none=True,
                         logRequests=True)
        server.verbose = self.verbose
        for name, function in (("api.isUserExists", self.is_user_exists),
                               ("api.getUserProperty", self.get_user_property),
                               ("api.setUserProperty", self.set_user_property),
                               ("api.addNewUser", self.add_new_user)):
            server.register_function(function, name)
        return server

    @property
    def url(self):
        return f"http://{self.host}:{self.port}{PATH}"

    def start(self):
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def serve_forever(self):
        self._httpd.serve_forever(0.2)

    def stop(self):
        with self._lock:
            if not self.down:
                self._httpd.shutdown()
                self._httpd.server_close()
            self.down = True

    def go_down(self):
        """Stop listening: connections are refused until come_back()."""
        self.stop()

    def come_back(self):
        with self._lock:
            if self.down:
                self._httpd = self._bind(self.port)
                self.down = False
                self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
