"""Real readers through PC/SC (pcscd on Linux, the system's smart-card service on macOS and
Windows), with pyscard: the optional extra `campuscard[nfc]`.

`PcscTransport()` takes the first reader with a card on it, `PcscTransport("ACS ACR122U")` a named
one (its full name or the start of it, as `list_readers()` prints them); `timeout` is how long to
wait for a card to be laid on the reader. Every failure is a TransportError with a message a
station operator can act on."""

import time

from django.utils.translation import gettext as _

from campuscard.nfc.desfire.status import TransportError
from campuscard.nfc.transport import Transport

GET_RESPONSE = bytes.fromhex("00C00000")
MORE_DATA = 0x61  # T=0: `61 xx`, xx more bytes to fetch with GET RESPONSE
WRONG_LE = 0x6C  # T=0: `6C xx`, send again with Le = xx
MAX_GET_RESPONSES = 64  # a card that keeps saying "more" is broken, not patient


def list_readers():
    """The names of the PC/SC readers connected now (an empty list if none)."""
    scard = _scard()
    context = _establish_context(scard)
    try:
        return _reader_names(scard, context)
    finally:
        scard.SCardReleaseContext(context)


class PcscTransport(Transport):
    def __init__(self, reader_name=None, timeout=0.0):
        self._scard = scard = _scard()
        self._context = _establish_context(scard)
        self._card = None
        try:
            readers = _matching_readers(_reader_names(scard, self._context), reader_name)
            self.reader = _wait_for_card(scard, self._context, readers, timeout)
            self._card, self._protocol = _connect(scard, self._context, self.reader)
            self.atr = _atr(scard, self._card)
        except BaseException:
            self.close()
            raise

    def transmit(self, apdu: bytes) -> bytes:
        answer = self._exchange(apdu)
        if answer[-2] == WRONG_LE and len(apdu) >= 5:
            answer = self._exchange(apdu[:-1] + answer[-1:])
        return self._fetch_remaining(answer)

    def close(self):
        scard = self._scard
        if self._card is not None:
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
            self._card = None
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    def _fetch_remaining(self, answer):
        data = answer[:-2]
        for _round in range(MAX_GET_RESPONSES):
            if answer[-2] != MORE_DATA:
                return data + answer[-2:]
            answer = self._exchange(GET_RESPONSE + answer[-1:])
            data += answer[:-2]
        raise TransportError(_("The card kept announcing more data; it does not answer "
                               "as a card should."))

    def _exchange(self, apdu):
        scard = self._scard
        if self._card is None:
            raise TransportError(_("The reader connection is closed."))
        result, answer = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if result != scard.SCARD_S_SUCCESS:
            raise TransportError(_failure(scard, result))
        if len(answer) < 2:
            raise TransportError(_("The card's answer had no status word."))
        return bytes(answer)


def _scard():
    try:
        from smartcard import scard
    except ImportError as exc:
        raise TransportError(_("PC/SC readers need pyscard: install campuscard[nfc] "
                               "(pip install 'campuscard[nfc]').")) from exc
    return scard


def _establish_context(scard):
    result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if result != scard.SCARD_S_SUCCESS:
        raise TransportError(_failure(scard, result))
    return context


def _reader_names(scard, context):
    result, names = scard.SCardListReaders(context, [])
    if result == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if result != scard.SCARD_S_SUCCESS:
        raise TransportError(_failure(scard, result))
    return list(names)


def _matching_readers(names, reader_name):
    if not names:
        raise TransportError(_("No card reader is connected."))
    if reader_name is None:
        return names
    matching = [name for name in names if name == reader_name] or [
        name for name in names if name.startswith(reader_name)]
    if not matching:
        raise TransportError(_("No reader named “%(name)s”; the readers are: %(readers)s.")
                             % {"name": reader_name, "readers": ", ".join(names)})
    return matching[:1]


def _wait_for_card(scard, context, readers, timeout):
    """The first of `readers` with a card on it, waiting up to `timeout` seconds for one."""
    deadline = time.monotonic() + timeout
    states = [(name, scard.SCARD_STATE_UNAWARE) for name in readers]
    wait_ms = 0  # the first call only reads the current states
    while True:
        result, changed = scard.SCardGetStatusChange(context, wait_ms, states)
        if result == scard.SCARD_E_TIMEOUT:
            raise _no_card(readers, timeout)
        if result != scard.SCARD_S_SUCCESS:
            raise TransportError(_failure(scard, result))
        for name, event, _atr_bytes in changed:
            if event & scard.SCARD_STATE_PRESENT and not event & scard.SCARD_STATE_MUTE:
                return name
        wait_ms = int((deadline - time.monotonic()) * 1000)
        if wait_ms <= 0:
            raise _no_card(readers, timeout)
        states = [(name, event & ~scard.SCARD_STATE_CHANGED) for name, event, _ in changed]


def _no_card(readers, timeout):
    if timeout:
        return TransportError(_("No card was laid on %(readers)s within %(seconds)s s.")
                              % {"readers": ", ".join(readers), "seconds": f"{timeout:g}"})
    return TransportError(_("No card on %(readers)s.") % {"readers": ", ".join(readers)})


def _connect(scard, context, reader):
    """T=1 is what contactless readers speak; fall back to whichever the reader offers."""
    result = None
    for protocols in (scard.SCARD_PROTOCOL_T1, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1):
        result, card, protocol = scard.SCardConnect(context, reader, scard.SCARD_SHARE_SHARED,
                                                    protocols)
        if result == scard.SCARD_S_SUCCESS:
            return card, protocol
        if result != scard.SCARD_E_PROTO_MISMATCH:
            break
    raise TransportError(_failure(scard, result))


def _atr(scard, card):
    result, _reader, _state, _protocol, atr = scard.SCardStatus(card)
    return bytes(atr) if result == scard.SCARD_S_SUCCESS else b""


def _failure(scard, result):
    """What a PC/SC error code means for the person at the reader."""
    if result in (scard.SCARD_W_REMOVED_CARD, scard.SCARD_E_NO_SMARTCARD):
        return _("The card was taken off the reader.")
    if result in (scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_W_UNRESPONSIVE_CARD,
                  scard.SCARD_W_UNPOWERED_CARD, scard.SCARD_W_RESET_CARD):
        return _("The card stopped answering: was it taken off the reader?")
    if result in (scard.SCARD_E_READER_UNAVAILABLE, scard.SCARD_E_UNKNOWN_READER):
        return _("The card reader was disconnected.")
    if result in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED):
        return _("The smart-card service (pcscd) is not running.")
    if result == scard.SCARD_E_SHARING_VIOLATION:
        return _("Another program holds the card reader.")
    if result == scard.SCARD_E_PROTO_MISMATCH:
        return _("The card speaks neither T=0 nor T=1.")
    return _("The card reader failed: %(error)s") % {
        "error": scard.SCardGetErrorMessage(result)}
