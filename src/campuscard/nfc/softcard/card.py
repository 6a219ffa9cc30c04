"""A software MIFARE DESFire EV2 card: ISO-wrapped APDUs in, `data 91 ST` out.

This module is the card's framing and session state machine (chaining, the authentication
handshakes, which session is running); what each command does is in `commands`, what the
EEPROM holds in `state`.
"""

import os

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.codes import Ins
from campuscard.nfc.desfire.messaging import NoSession
from campuscard.nfc.softcard import commands
from campuscard.nfc.softcard.auth import handshake_for
from campuscard.nfc.softcard.state import Memory
from campuscard.nfc.transport import GET_UID

RESPONSE_FRAME = 59
ISO_OK = b"\x90\x00"
CLASS_NOT_SUPPORTED = b"\x6e\x00"
AUTHENTICATIONS = (Ins.AUTHENTICATE_LEGACY, Ins.AUTHENTICATE_ISO, Ins.AUTHENTICATE_AES,
                   Ins.AUTHENTICATE_EV2_FIRST, Ins.AUTHENTICATE_EV2_NON_FIRST)


def random_uid():
    return b"\x04" + os.urandom(6)


def parse_wrapped(apdu):
    """`(ins, data)` of `90 INS 00 00 [Lc data] 00`; ValueError for anything else."""
    if len(apdu) < 5 or apdu[0] != 0x90 or apdu[2:4] != b"\x00\x00":
        raise ValueError("not a wrapped DESFire command")
    if len(apdu) == 5:
        return apdu[1], b""
    if len(apdu) != 6 + apdu[4]:
        raise ValueError("Lc does not match the command's length")
    return apdu[1], apdu[5:-1]


def answer(data, st):
    return data + bytes([0x91, st])


class SoftCard:
    """The card. `path`: file-backed, saved after every command that succeeds (the card can
    then be "carried" to another process with SoftCard.load). `random_bytes(n)` gives the
    card's challenges and TI (injectable for tests)."""

    def __init__(self, memory=None, *, uid=None, capacity=None, path=None,
                 random_bytes=os.urandom):
        self.memory = memory or Memory(uid=uid or random_uid())
        if capacity is not None:
            self.memory.capacity = capacity
        self.path = path
        self.random_bytes = random_bytes
        self.selected = None  # None: the PICC level; else an Application
        self.reset_authentication()
        self._clear_pending()

    @classmethod
    def load(cls, path, *, file_backed=False, random_bytes=os.urandom):
        return cls(Memory.load(path), path=path if file_backed else None,
                   random_bytes=random_bytes)

    def save(self, path=None):
        self.memory.save(path or self.path)

    @property
    def uid(self):
        return self.memory.uid

    def reset_authentication(self):
        self.session = NoSession()
        self.auth_key = None

    def _clear_pending(self):
        self.pending_frames = []
        self.pending_handshake = None
        self.pending_command = None

    # --- framing -----------------------------------------------------------------------

    def process(self, apdu: bytes) -> bytes:
        if apdu == GET_UID:
            return self.uid + ISO_OK
        try:
            ins, data = parse_wrapped(apdu)
        except ValueError:
            return CLASS_NOT_SUPPORTED
        if ins == Ins.ADDITIONAL_FRAME:
            return self._continue(data)
        self._clear_pending()
        if ins in AUTHENTICATIONS:
            return self._guarded(self._start_authentication, ins, data)
        expected = commands.expected_length(self, ins, data)
        if expected is not None and len(data) < expected:
            self.pending_command = (ins, data, expected)
            return answer(b"", status.ADDITIONAL_FRAME)
        return self._execute(ins, data)

    def _continue(self, data):
        if self.pending_frames:
            return self._next_frame()
        if self.pending_handshake:
            return self._guarded(self._finish_authentication, data)
        if self.pending_command:
            ins, gathered, expected = self.pending_command
            gathered += data
            if len(gathered) < expected:
                self.pending_command = (ins, gathered, expected)
                return answer(b"", status.ADDITIONAL_FRAME)
            self.pending_command = None
            return self._execute(ins, gathered)
        return answer(b"", status.IllegalCommand.status)

    def _next_frame(self):
        frame = self.pending_frames.pop(0)
        more = status.ADDITIONAL_FRAME if self.pending_frames else status.OK
        return answer(frame, more)

    def _send(self, ins, data):
        sizes = [7, 7, len(data) - 14] if ins == Ins.GET_VERSION else None
        frames = []
        while data:
            size = sizes.pop(0) if sizes else RESPONSE_FRAME
            frames.append(data[:size])
            data = data[size:]
        self.pending_frames = frames or [b""]
        return self._next_frame()

    def _guarded(self, step, *args):
        try:
            return step(*args)
        except status.DesfireError as error:
            self.reset_authentication()
            self._clear_pending()
            return answer(b"", error.status)

    # --- commands ----------------------------------------------------------------------

    def _execute(self, ins, body):
        handler = commands.HANDLERS.get(ins)
        if handler is None:
            self.reset_authentication()
            return answer(b"", status.IllegalCommand.status)
        response = self._guarded(self._run, handler, ins, body)
        if response[-1] == status.OK and self.path:
            self.save()
        return response

    def _run(self, handler, ins, body):
        request = commands.Request(self, ins, body)
        data = handler(self, request)
        protected = self.session.protect_response(status.OK, data, request.response_comm)
        if request.end_session:
            self.reset_authentication()
        return self._send(ins, protected)

    # --- authentication ----------------------------------------------------------------

    def _start_authentication(self, ins, data):
        previous = self.session
        self.reset_authentication()
        first = ins == Ins.AUTHENTICATE_EV2_FIRST
        if len(data) != (2 + data[1] if first and len(data) > 1 else 1 + first):
            raise status.LengthError("authentication takes the key number")
        key = commands.key_for(self, data[0])
        handshake = handshake_for(ins, key, self.random_bytes, previous)
        self.pending_handshake = (handshake, data[0])
        return answer(handshake.start(), status.ADDITIONAL_FRAME)

    def _finish_authentication(self, token):
        handshake, key_no = self.pending_handshake
        self.pending_handshake = None
        self.session, response = handshake.finish(token)
        self.auth_key = key_no
        return answer(response, status.OK)
