"""The bridge's side of the vpcd protocol, against a socket server playing vpcd (no pcscd
needed), and the errors of `campuscard nfc softcard-vpcd` and of PC/SC without pyscard."""

import re
import socket
import struct
import sys
import time
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from campuscard.nfc import pcsc
from campuscard.nfc.desfire.status import TransportError
from campuscard.nfc.vpcd import DESFIRE_ATR, GET_ATR, POWER_OFF, POWER_ON, RESET, VpcdBridge

from .fake_card import GET_VERSION, UID, VERSION_FRAMES, ChainingCard


class FakeVpcd:
    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.peer = None

    def accept(self):
        self.server.settimeout(5)
        self.peer, _address = self.server.accept()
        self.peer.settimeout(5)

    def send(self, message):
        self.peer.sendall(struct.pack("!H", len(message)) + message)

    def receive(self):
        header = self._exactly(2)
        return self._exactly(struct.unpack("!H", header)[0])

    def exchange(self, message):
        self.send(message)
        return self.receive()

    def _exactly(self, length):
        data = b""
        while len(data) < length:
            chunk = self.peer.recv(length - len(data))
            if not chunk:
                raise ConnectionError("the bridge hung up")
            data += chunk
        return data

    def close(self):
        if self.peer:
            self.peer.close()
        self.server.close()


@pytest.fixture
def fake_vpcd():
    server = FakeVpcd()
    yield server
    server.close()


@pytest.fixture
def bridged(fake_vpcd):
    card = ChainingCard()
    bridge = VpcdBridge(card, port=fake_vpcd.port).insert(wait=2)
    fake_vpcd.accept()
    yield SimpleNamespace(card=card, bridge=bridge, vpcd=fake_vpcd)
    bridge.remove()


def test_bridge_answers_the_atr_and_apdus_in_length_prefixed_messages(bridged):
    assert bridged.vpcd.exchange(bytes([GET_ATR])) == bytes.fromhex("3B8180018080")
    assert bridged.vpcd.exchange(bytes.fromhex("FFCA000000")) == UID + b"\x90\x00"
    assert bridged.vpcd.exchange(GET_VERSION) == VERSION_FRAMES[0] + b"\x91\xaf"
    long_command = bytes.fromhex("80EE0000FA") + bytes(range(250))
    assert bridged.vpcd.exchange(long_command) == bytes(range(250)) + b"\x90\x00"


def test_bridge_passes_power_controls_to_the_card_without_answering(bridged):
    bridged.vpcd.send(bytes([POWER_ON]))
    bridged.vpcd.send(bytes([RESET]))
    bridged.vpcd.send(bytes([POWER_OFF]))
    bridged.vpcd.send(bytes([0x7F]))  # unknown control: ignored
    # The next answer is the ATR's: none of the four was answered.
    assert bridged.vpcd.exchange(bytes([GET_ATR])) == DESFIRE_ATR
    assert bridged.card.powered == [True, False, True, False]


def test_bridge_reads_a_message_that_arrives_in_pieces(bridged):
    message = struct.pack("!H", 5) + bytes.fromhex("FFCA000000")
    for byte in message:
        bridged.vpcd.peer.sendall(bytes([byte]))
        time.sleep(0.005)
    assert bridged.vpcd.receive() == UID + b"\x90\x00"


def test_a_card_that_fails_answers_6f00_and_the_bridge_stays_up(bridged):
    bridged.card.process = lambda apdu: 1 / 0
    assert bridged.vpcd.exchange(GET_VERSION) == b"\x6f\x00"
    assert bridged.vpcd.exchange(bytes([GET_ATR])) == DESFIRE_ATR
    assert bridged.bridge.inserted


def test_removing_the_card_hangs_up_on_vpcd(bridged):
    bridged.bridge.remove()
    assert not bridged.bridge.inserted
    assert bridged.vpcd.peer.recv(1) == b""


def test_bridge_ends_when_vpcd_hangs_up(bridged):
    bridged.vpcd.peer.close()
    bridged.vpcd.peer = None
    for _ in range(100):
        if not bridged.bridge.inserted:
            break
        time.sleep(0.01)
    assert not bridged.bridge.inserted


def test_no_vpcd_listening_is_a_clear_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(TransportError) as error:
        VpcdBridge(ChainingCard(), port=port).insert(wait=0.3)
    assert f"No virtual reader (vpcd) listens on 127.0.0.1:{port}" in error.value.detail
    assert 0.3 <= time.monotonic() - started < 3


def test_without_pyscard_pcsc_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "smartcard", None)
    with pytest.raises(TransportError) as error:
        pcsc.PcscTransport()
    assert error.value.detail == ("PC/SC readers need pyscard: install campuscard[nfc] "
                                  "(pip install 'campuscard[nfc]').")
    with pytest.raises(CommandError, match=re.escape("install campuscard[nfc]")):
        call_command("nfc", "readers")


def test_the_cli_names_a_missing_card_loader_or_card_file(tmp_path):
    with pytest.raises(CommandError, match=r"Cannot load cards with campuscard\.nfc\.nosuch:Card"):
        call_command("nfc", "softcard-vpcd", "--card", str(tmp_path / "card"),
                     "--loader", "campuscard.nfc.nosuch:Card.load")
    with pytest.raises(CommandError, match=r"Cannot read the card file .*/card: "):
        call_command("nfc", "softcard-vpcd", "--card", str(tmp_path / "card"),
                     "--loader", "tests.nfc.fake_card:ChainingCard.load")
