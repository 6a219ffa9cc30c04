"""PC/SC through pyscard, for real: a pcscd with vsmartcard's vpcd driver (tests/nfc/pcscd.py),
a card-like object laid on its virtual reader by our vpcd bridge, and PcscTransport reading it the
way it reads a reader on a station."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.status import TransportError
from campuscard.nfc.pcsc import PcscTransport, list_readers
from campuscard.nfc.vpcd import DESFIRE_ATR, VpcdBridge

from . import pcscd as pcscd_helper
from .fake_card import (
    ADDITIONAL_FRAME,
    FILE,
    GET_VERSION,
    READ_BINARY_LE_0,
    SELECT,
    SELECTED,
    UID,
    VERSION_FRAMES,
    ChainingCard,
)
from .pcscd import wait_for_reader

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.nfc


@pytest.fixture
def card_on_reader(pcscd):
    card = ChainingCard()
    bridge = VpcdBridge(card, port=pcscd.port).insert(wait=5)
    yield SimpleNamespace(card=card, bridge=bridge)
    bridge.remove()
    wait_for_reader(present=False)


def test_the_readers_are_listed(pcscd):
    assert list_readers() == ["Virtual PCD 00 00", "Virtual PCD 00 01"]


def test_the_uid_comes_from_get_data_through_pcsc(card_on_reader):
    with PcscTransport(timeout=5) as transport:
        assert transport.reader == "Virtual PCD 00 00"
        assert transport.atr == DESFIRE_ATR
        assert transport.get_uid() == UID


def test_a_chained_answer_comes_frame_by_frame(card_on_reader):
    frames = []
    with PcscTransport("Virtual PCD 00 00", timeout=5) as transport:
        answer = transport.transmit(GET_VERSION)
        while answer[-2:] == b"\x91\xaf":
            frames.append(answer[:-2])
            answer = transport.transmit(ADDITIONAL_FRAME)
        frames.append(answer[:-2])
        assert answer[-2:] == b"\x91\x00"
        long_command = bytes.fromhex("80EE0000FA") + bytes(range(250))
        assert transport.transmit(long_command) == bytes(range(250)) + b"\x90\x00"
    assert frames == VERSION_FRAMES


def test_t0_habits_are_absorbed_get_response_and_wrong_le(card_on_reader):
    with PcscTransport("Virtual PCD", timeout=5) as transport:
        assert transport.transmit(SELECT) == SELECTED + b"\x90\x00"
        assert transport.transmit(READ_BINARY_LE_0) == FILE + b"\x90\x00"


def test_a_card_taken_off_is_a_transport_error(card_on_reader):
    bridge = card_on_reader.bridge
    with PcscTransport(timeout=5) as transport:
        assert transport.get_uid() == UID
        bridge.remove()
        with pytest.raises(TransportError) as error:
            transport.transmit(GET_VERSION)
        assert error.value.detail in ("The card was taken off the reader.",
                                      "The card stopped answering: was it taken off the reader?")
        wait_for_reader(present=False)
        with pytest.raises(TransportError) as error:
            transport.get_uid()
        assert error.value.detail == "The card was taken off the reader."


def test_a_reader_held_by_another_program_is_a_clear_error(card_on_reader):
    from smartcard import scard

    wait_for_reader(present=True)
    _result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    result, handle, _protocol = scard.SCardConnect(
        context, pcscd_helper.READER, scard.SCARD_SHARE_EXCLUSIVE, scard.SCARD_PROTOCOL_T1)
    assert result == scard.SCARD_S_SUCCESS
    try:
        with pytest.raises(TransportError) as error:
            PcscTransport(timeout=5)
        assert error.value.detail == "Another program holds the card reader."
    finally:
        scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(context)


def test_a_card_laid_during_the_wait_is_taken(pcscd):
    bridge = VpcdBridge(ChainingCard(bytes.fromhex("04010203040506")), port=pcscd.port)
    laying = threading.Timer(0.3, bridge.insert)
    laying.start()
    try:
        with PcscTransport(timeout=5) as transport:
            assert transport.get_uid() == bytes.fromhex("04010203040506")
    finally:
        laying.join()
        bridge.remove()
        wait_for_reader(present=False)


def test_no_card_on_the_reader_is_a_clear_error(pcscd):
    with pytest.raises(TransportError) as error:
        PcscTransport("Virtual PCD 00 01")
    assert error.value.detail == "No card on Virtual PCD 00 01."
    started = time.monotonic()
    with pytest.raises(TransportError) as error:
        PcscTransport("Virtual PCD 00 01", timeout=0.3)
    assert error.value.detail == "No card was laid on Virtual PCD 00 01 within 0.3 s."
    assert time.monotonic() - started >= 0.3


def test_an_unknown_reader_name_lists_the_readers(pcscd):
    with pytest.raises(TransportError) as error:
        PcscTransport("ACS ACR122U")
    assert error.value.detail == ("No reader named “ACS ACR122U”; the readers are: "
                                  "Virtual PCD 00 00, Virtual PCD 00 01.")


PROBE = """
import django
from django.conf import settings
settings.configure()  # gettext needs settings, not the project's apps: a quick start
django.setup()
from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.status import TransportError
from campuscard.nfc.pcsc import PcscTransport, list_readers
try:
    print(list_readers())
    PcscTransport()
except TransportError as error:
    print(error.detail)
"""


def probe_in_a_process(socket_path):
    """pcsc-lite keeps the first socket path a process used, so another pcscd needs another
    process."""
    environment = {**os.environ, "PCSCLITE_CSOCK_NAME": str(socket_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True,
                          text=True, timeout=30, check=True)
    return done.stdout.splitlines()


def test_no_pcscd_is_a_clear_error(pcscd, tmp_path):
    assert probe_in_a_process(tmp_path / "pcscd.comm") == [
        "The smart-card service (pcscd) is not running."]


def test_no_reader_is_a_clear_error(pcscd):
    if not pcscd.private:
        pytest.skip("a second pcscd needs a mount namespace (unshare)")
    empty = pcscd_helper.Pcscd(readers=False).start()
    try:
        assert probe_in_a_process(empty.socket) == ["[]", "No card reader is connected."]
    finally:
        empty.stop()


def test_the_cli_lays_a_card_file_on_the_virtual_reader(pcscd, tmp_path):
    card_file = tmp_path / "card"
    card_file.write_text("04C0FFEE000001")
    command = [sys.executable, "-m", "campuscard.cli", "nfc", "softcard-vpcd",
               "--card", str(card_file), "--port", str(pcscd.port),
               "--loader", "tests.nfc.fake_card:ChainingCard.load"]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        with PcscTransport(timeout=10) as transport:
            assert transport.get_uid() == bytes.fromhex("04C0FFEE000001")
    finally:
        process.terminate()
        process.wait(timeout=5)
        wait_for_reader(present=False)
    assert "card on the virtual reader at 127.0.0.1" in process.stderr.read()


def test_the_software_card_works_through_pcsc_as_a_real_card_would(pcscd, tmp_path):
    """The whole stack over pyscard, pcscd and vpcd: factory DES key, an AES application,
    an enciphered file written and read back, the card saved and carried to a new bridge."""
    from campuscard.nfc.desfire.client import Desfire
    from campuscard.nfc.desfire.codes import Comm
    from campuscard.nfc.desfire.keys import Key
    from campuscard.nfc.desfire.settings import AccessRights, key_settings_2
    from campuscard.nfc.softcard import SoftCard

    card = SoftCard(uid=bytes.fromhex("04782E21801D80"))
    bridge = VpcdBridge(card, port=pcscd.port).insert(wait=5)
    try:
        with PcscTransport(timeout=5) as transport:
            picc = Desfire(transport)
            assert picc.get_version().uid == card.uid == transport.get_uid()
            picc.authenticate(0, Key.zero("des"))
            picc.create_application(0xF585C0, 0x0B, key_settings_2("aes", 2))
            picc.select_application(0xF585C0)
            picc.authenticate_aes(0, Key.zero())
            picc.create_std_data_file(0, Comm.FULL, AccessRights.parse("0000"), 32)
            picc.write_data(0, bytes(range(32)), comm=Comm.FULL)
            assert picc.read_data(0, comm=Comm.FULL) == bytes(range(32))
    finally:
        bridge.remove()
        wait_for_reader(present=False)
    card.save(tmp_path / "card.json")
    carried = SoftCard.load(tmp_path / "card.json")
    bridge = VpcdBridge(carried, port=pcscd.port).insert(wait=5)
    try:
        with PcscTransport(timeout=5) as transport:
            picc = Desfire(transport)
            picc.select_application(0xF585C0)
            with pytest.raises(status.PermissionDenied):
                picc.read_data(0, comm=Comm.FULL)
            picc.authenticate_aes(0, Key.zero())
            assert picc.read_data(0, comm=Comm.FULL) == bytes(range(32))
    finally:
        bridge.remove()
        wait_for_reader(present=False)
