"""The local reader agent: a card reader of this machine offered to the station web page
(docs/nfc-encoding.md, "From the browser"). The page runs in the browser and cannot reach PC/SC;
the agent listens on 127.0.0.1 only and answers the page's origin only (CORS), so that another
web site open in the same browser cannot drive the reader.

    GET  /info               {"kind": "pcsc"} or {"kind": "softcard"}
    GET  /card               {"uid": "04…"}: the card on the reader (connects to it)
    POST /transmit           {"apdu": "90…"} -> {"answer": "…9100"}
    POST /release            the card is let go (the next /card connects again)
    POST /blank              software reader only: a new blank card on the reader

The software reader (`campuscard station agent --softcards DIR`, what the demo runs) keeps each
card it lays in DIR/<UID>.json, so an encoded card can be read again later.
"""

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.utils.translation import gettext as _

from campuscard.nfc.desfire.status import DesfireError
from campuscard.nfc.softcard import SoftCard, SoftCardTransport

MAX_BODY = 4096


class ReaderAgent:
    """One reader behind a lock: `open_transport()` gives a transport with a card on it."""

    kind = "pcsc"

    def __init__(self, open_transport):
        self.open_transport = open_transport
        self.transport = None
        self.lock = threading.Lock()

    def blank(self):
        raise LookupError(_("This reader is not a software reader: lay a card on it."))

    def card(self):
        with self.lock:
            self._release()
            self.transport = self.open_transport()
            return self.transport.get_uid().hex().upper()

    def transmit(self, apdu):
        with self.lock:
            if self.transport is None:
                raise LookupError(_("No card is connected: ask for /card first."))
            return self.transport.transmit(apdu)

    def release(self):
        with self.lock:
            self._release()

    def _release(self):
        if self.transport is not None:
            self.transport.close()
            self.transport = None


class SoftReader(ReaderAgent):
    """A software reader: blank software cards laid on demand, kept in `folder`."""

    kind = "softcard"

    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.chip = None
        super().__init__(self._transport)

    def _transport(self):
        if self.chip is None:
            raise LookupError(_("No software card is on the reader: lay a blank one."))
        return SoftCardTransport(self.chip)

    def blank(self):
        with self.lock:
            self._release()
            chip = SoftCard()
            chip.path = self.folder / f"{chip.uid.hex().upper()}.json"
            chip.save()
            self.chip = chip
            return {"uid": chip.uid.hex().upper()}


def make_handler(agent, origin):
    class Handler(BaseHTTPRequestHandler):
        server_version = "CampusCardReaderAgent"

        def log_message(self, *args):  # the page polls; keep the terminal for errors
            pass

        def do_OPTIONS(self):  # http.server's naming, as do_GET and do_POST
            if not self._origin_ok():
                return self._forbidden()
            self.send_response(HTTPStatus.NO_CONTENT)
            self._cors()
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Access-Control-Allow-Private-Network", "true")
            self.end_headers()

        def do_GET(self):
            if self.path == "/info":
                return self._guarded(lambda: {"kind": agent.kind})
            if self.path != "/card":
                return self._answer(HTTPStatus.NOT_FOUND, {"detail": _("No such path.")})
            self._guarded(lambda: {"uid": agent.card()})

        def do_POST(self):
            if self.path == "/release":
                return self._guarded(lambda: agent.release() or {"released": True})
            if self.path == "/blank":
                return self._guarded(agent.blank)
            if self.path != "/transmit":
                return self._answer(HTTPStatus.NOT_FOUND, {"detail": _("No such path.")})
            self._guarded(lambda: {"answer": agent.transmit(self._apdu()).hex().upper()})

        def _apdu(self):
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                raise ValueError(_("Send the APDU in hexadecimal as \"apdu\"."))
            body = json.loads(self.rfile.read(length))
            return bytes.fromhex(body["apdu"])

        def _guarded(self, work):
            if not self._origin_ok():
                return self._forbidden()
            try:
                return self._answer(HTTPStatus.OK, work())
            except (ValueError, KeyError, TypeError) as exc:
                return self._answer(HTTPStatus.BAD_REQUEST, {"detail": str(exc)})
            except LookupError as exc:
                return self._answer(HTTPStatus.CONFLICT, {"detail": str(exc)})
            except DesfireError as exc:
                return self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"detail": str(exc)})

        def _forbidden(self):
            return self._answer(HTTPStatus.FORBIDDEN,
                                {"detail": _("This page may not use the reader.")})

        def _origin_ok(self):
            return self.headers.get("Origin") == origin

        def _cors(self):
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")

        def _answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            if self._origin_ok():
                self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def serve_agent(agent, origin, port, host="127.0.0.1"):
    """The agent's HTTP server (not started): `serve_forever()` it."""
    return ThreadingHTTPServer((host, port), make_handler(agent, origin.rstrip("/")))
