"""Serving the emulator: a threaded HTTP server that tests start in-process and the
`campuscard crous-emulator` command runs in the foreground.

    with EmulatorServer({"campuscard": "secret"}) as server:
        server.url            # http://127.0.0.1:<port>
        server.token_url      # …/api/oauth/token
        server.emulator       # the WSGI app: its store, faults and counts
        server.go_down(5)     # refuses connections for 5 s, then listens again
"""

import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from campuscard.integrations.crous.emulator.app import CrousEmulator
from campuscard.integrations.crous.emulator.store import Store


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting resets its connection: nothing to report


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class _LoggingHandler(WSGIRequestHandler):
    """The command's log: method, path and status (paths hold identifiers: emulator data)."""


class EmulatorServer:
    def __init__(self, clients, *, host="127.0.0.1", port=0, db_path=":memory:",
                 token_seconds=3600, quiet=True, seed=11):
        self.host = host
        self.emulator = CrousEmulator(clients, store=Store(db_path), token_seconds=token_seconds,
                                      seed=seed)
        self.emulator.server = self
        self._handler = _QuietHandler if quiet else _LoggingHandler
        self._lock = threading.Lock()
        self._httpd = self._bind(port)
        self.port = self._httpd.server_port
        self._thread = None
        self.down = False

    def _bind(self, port):
        return make_server(self.host, port, self.emulator, server_class=_ThreadingServer,
                           handler_class=self._handler)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self):
        return f"{self.url}/api/oauth/token"

    def start(self):
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._httpd.serve_forever(0.2)

    def stop(self):
        with self._lock:
            if not self.down:
                self._httpd.shutdown()
                self._httpd.server_close()
            self.down = True
        self.emulator.store.close()

    def go_down(self, seconds=None):
        """Stop listening (connections are refused); with `seconds`, come back after that."""
        with self._lock:
            if self.down:
                return
            self.down = True
            self._httpd.shutdown()
            self._httpd.server_close()
        if seconds:
            threading.Timer(seconds, self.come_back).start()

    def come_back(self):
        with self._lock:
            if not self.down:
                return
            self._httpd = self._bind(self.port)
            self.down = False
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            daemon=True)
            self._thread.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
