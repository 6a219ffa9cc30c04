import os
import random

import pytest

from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.softcard import SoftCard, SoftCardTransport

from . import pcscd as pcscd_helper

UID = bytes.fromhex("04782E21801D80")
FACTORY_KEY = Key.zero("des")


def seeded(seed):
    """A reproducible random source, in place of os.urandom."""
    return random.Random(seed).randbytes


class Script:
    """A random source that hands out the given byte strings in order (published examples)."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)

    def __call__(self, size):
        chunk = self.chunks.pop(0)
        assert len(chunk) == size
        return chunk


class TamperingTransport:
    """Flips one bit of the n-th command (or answer) on its way, as a noisy link would."""

    def __init__(self, inner):
        self.inner = inner
        self.count = 0
        self.flip_command = self.flip_answer = None

    def transmit(self, apdu):
        self.count += 1
        if self.flip_command and self.flip_command[0] == self.count:
            apdu = _flip(apdu, self.flip_command[1])
        answer = self.inner.transmit(apdu)
        if self.flip_answer and self.flip_answer[0] == self.count:
            answer = _flip(answer, self.flip_answer[1])
        return answer

    def get_uid(self):
        return self.inner.get_uid()

    def close(self):
        self.inner.close()

    def on_next(self, command_byte=None, answer_byte=None, later=1):
        """Tamper with the next exchange (or the `later`-th): a byte index of the command or
        of the answer."""
        if command_byte is not None:
            self.flip_command = (self.count + later, command_byte)
        if answer_byte is not None:
            self.flip_answer = (self.count + later, answer_byte)


def _flip(data, index):
    data = bytearray(data)
    data[index] ^= 0x01
    return bytes(data)


@pytest.fixture
def card():
    return SoftCard(uid=UID, random_bytes=seeded(1))


@pytest.fixture
def picc(card):
    return Desfire(SoftCardTransport(card), random_bytes=seeded(2))


@pytest.fixture
def tampering(card):
    return TamperingTransport(SoftCardTransport(card))


@pytest.fixture(scope="session")
def pcscd():
    try:
        import smartcard  # noqa: F401
    except ImportError:
        reason = "pyscard is not installed (pip install 'campuscard[nfc]')"
    else:
        reason = pcscd_helper.missing()
    if reason:
        if os.environ.get("CAMPUSCARD_REQUIRE_NFC"):
            pytest.fail(f"{reason} (CI installs it: .ci/run)")
        pytest.skip(reason)
    server = pcscd_helper.Pcscd().start()
    saved = {name: os.environ.get(name) for name in server.environment()}
    os.environ.update(server.environment())
    yield server
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# --- the encoding flow's tests (test_encoding_flow, test_encode_page, test_station_chip_cli) ---

@pytest.fixture
def key_dir(settings, tmp_path):
    settings.CAMPUSCARD_NFC_KEY_DIR = tmp_path / "nfc-keys"
    return settings.CAMPUSCARD_NFC_KEY_DIR


@pytest.fixture
def crous_a(est_a):
    from campuscard.integrations.crous.models import CrousEstablishment

    return CrousEstablishment.objects.create(establishment=est_a, id_transmitter=0x1234,
                                             id_mapping=7, card_number_base=99990000)


@pytest.fixture
def layout(est_a, crous_a, key_dir):
    """ESUP-SGC's layout for establishment A (which numbers CROUS cards), its keys made."""
    from .flow import make_layout

    return make_layout(est_a)


@pytest.fixture
def printed(student, manager_a):
    from campuscard.cards.states import State
    from tests.conftest import card_in_state

    return card_in_state(student, State.PRINTED, manager_a)
