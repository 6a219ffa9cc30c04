"""A card-like object on vsmartcard's virtual reader, so that pcscd and pyscard see it as a card.

vpcd is a PC/SC reader driver (Debian's vsmartcard-vpcd): pcscd shows it as "Virtual PCD 00 00"
and it waits on a TCP port (35963 by default; slot n on port + n) for the card to connect. Every
message both ways is two bytes of length, big-endian, then the bytes. One-byte messages from vpcd
are control messages: 0 power off, 1 power on, 2 reset (none answered) and 4 "ATR?", answered
with the ATR; vpcd asks for the ATR each time pcscd polls the reader, so a card that stops
answering is a card taken off. Any longer message is a command APDU, answered `data ‖ SW1 SW2`.

The card is anything with `process(apdu: bytes) -> bytes`; it may also have an `atr` (bytes) and
`power_on()` / `power_off()` methods (a DESFire forgets its authentication when the field drops).
"""

import contextlib
import logging
import socket
import struct
import threading
import time

from django.utils.translation import gettext as _

from campuscard.nfc.desfire.status import TransportError

logger = logging.getLogger(__name__)

DEFAULT_PORT = 35963  # 0x8C7B, as in Debian's /etc/reader.conf.d/vpcd
# The ATR a PC/SC reader makes up for an ISO 14443-4 type A card (PC/SC part 3): T=0 and T=1
# offered, one historical byte (a DESFire's ATS has just 0x80), then the check byte.
DESFIRE_ATR = bytes.fromhex("3B8180018080")

POWER_OFF, POWER_ON, RESET, GET_ATR = 0, 1, 2, 4
NO_PRECISE_DIAGNOSIS = b"\x6f\x00"


class VpcdBridge:
    """Connects `card` to vpcd; `insert()` puts it on the reader (answering in a background
    thread), `remove()` takes it off. `run()` does the same in the foreground, for the CLI."""

    def __init__(self, card, port=DEFAULT_PORT, host="127.0.0.1", atr=None):
        self.card = card
        self.address = (host, port)
        self.atr = atr or getattr(card, "atr", None) or DESFIRE_ATR
        self._socket = None
        self._thread = None

    def insert(self, wait=10.0):
        self._socket = self._connect(wait)
        self._thread = threading.Thread(target=self._serve, args=(self._socket,),
                                        name=f"vpcd-bridge-{self.address[1]}", daemon=True)
        self._thread.start()
        return self

    def remove(self):
        sock, self._socket = self._socket, None
        if sock is not None:
            _hang_up(sock)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def run(self, wait=10.0):
        """Serve until interrupted; connects again if vpcd hangs up (pcscd restarted)."""
        while True:
            self._socket = self._connect(wait)
            logger.info("card on the virtual reader at %s:%s", *self.address)
            self._serve(self._socket)
            logger.info("vpcd hung up; connecting again")

    @property
    def inserted(self):
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self):
        return self.insert()

    def __exit__(self, *exc):
        self.remove()

    def _connect(self, wait):
        """vpcd listens only once pcscd has loaded the driver, so try until `wait` runs out."""
        deadline = time.monotonic() + wait
        while True:
            try:
                sock = socket.create_connection(self.address, timeout=2)
            except OSError as exc:
                if time.monotonic() >= deadline:
                    raise TransportError(_(
                        "No virtual reader (vpcd) listens on %(host)s:%(port)s: is pcscd "
                        "running with the vpcd driver?") % {"host": self.address[0],
                                                            "port": self.address[1]}) from exc
                time.sleep(0.1)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

    def _serve(self, sock):
        try:
            while (message := _receive(sock)) is not None:
                answer = self.answer(message)
                if answer is not None:
                    sock.sendall(struct.pack("!H", len(answer)) + answer)
        except OSError:
            pass  # taken off (remove() hung up) or vpcd went away: both end the session
        finally:
            sock.close()

    def answer(self, message):
        """What the card says to one message from vpcd; None for the unanswered controls."""
        if len(message) == 1:
            return self._control(message[0])
        try:
            return self.card.process(message)
        except Exception:
            # A real card answers even when it is confused; keep the bridge up for the next one.
            logger.exception("the card failed on APDU %s", message.hex().upper())
            return NO_PRECISE_DIAGNOSIS

    def _control(self, code):
        if code == GET_ATR:
            return self.atr
        if code in (POWER_OFF, RESET):
            _call_if_defined(self.card, "power_off")
        if code in (POWER_ON, RESET):
            _call_if_defined(self.card, "power_on")
        return None


def _call_if_defined(card, name):
    method = getattr(card, name, None)
    if method is not None:
        method()


def _receive(sock):
    """One message, or None when the peer hung up."""
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack("!H", header)
    return _receive_exactly(sock, length)


def _receive_exactly(sock, length):
    data = b""
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _hang_up(sock):
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
