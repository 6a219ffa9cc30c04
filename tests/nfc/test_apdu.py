"""ISO 7816-4 wrapping, AF chaining both ways, and native statuses turned into exceptions."""

import pytest

from campuscard.nfc.desfire import apdu, status
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.settings import FREE_ACCESS
from campuscard.nfc.softcard import SoftCardTransport

h = bytes.fromhex


class Recording:
    def __init__(self, inner):
        self.inner = inner
        self.sent = []

    def transmit(self, data):
        self.sent.append(data)
        return self.inner.transmit(data)


def test_wrap_and_unwrap():
    assert apdu.wrap(0x60) == h("9060000000")
    assert apdu.wrap(0x5A, h("C085F5")) == h("905A000003C085F500")
    assert apdu.unwrap(h("0102 9100")) == (h("0102"), 0x00)
    with pytest.raises(status.TransportError):
        apdu.unwrap(h("6A82"))


def test_split_frames_keeps_each_frame_small():
    frames = apdu.split_frames(bytes(150))
    assert [len(frame) for frame in frames] == [55, 55, 40]
    assert [len(frame) for frame in apdu.split_frames(bytes(50), first=10)] == [10, 40]


@pytest.mark.parametrize(("st", "error"), [
    (0x0E, status.OutOfEeprom), (0x1C, status.IllegalCommand), (0x1E, status.IntegrityError),
    (0x40, status.NoSuchKey), (0x7E, status.LengthError), (0x9D, status.PermissionDenied),
    (0x9E, status.ParameterError), (0xA0, status.ApplicationNotFound),
    (0xAE, status.AuthenticationError), (0xBE, status.BoundaryError),
    (0xCA, status.CommandAborted), (0xCE, status.CountError), (0xDE, status.DuplicateError),
    (0xF0, status.FileNotFound),
])
def test_every_failure_status_raises_its_exception(st, error):
    class Answering:
        def transmit(self, data):
            return bytes([0x91, st])

    with pytest.raises(error) as raised:
        apdu.Link(Answering()).command(0x60)
    assert raised.value.status == st
    assert raised.value.code == f"91{st:02X}"


def test_get_version_gathers_three_frames(card):
    recording = Recording(SoftCardTransport(card))
    data, st = apdu.Link(recording).command(0x60)
    assert st == 0 and len(data) == 28 and data[14:21] == card.uid
    assert recording.sent == [h("9060000000"), h("90AF000000"), h("90AF000000")]


def test_long_commands_and_answers_are_chained(picc, card):
    picc.select_application(0)
    picc.create_application(0x010203, 0x0F, 0x81)
    picc.select_application(0x010203)
    picc.create_std_data_file(1, Comm.PLAIN, FREE_ACCESS, 300)
    recording = Recording(SoftCardTransport(card))
    picc.link.transport = recording
    data = bytes(range(256)) + bytes(44)
    picc.write_data(1, data)
    sizes = [len(frame) - 6 for frame in recording.sent]  # less CLA INS P1 P2 Lc Le
    assert len(recording.sent) == 6  # 7 + 300 bytes: 55 per frame
    assert all(size <= apdu.MAX_FRAME_DATA for size in sizes)
    assert picc.read_data(1) == data
    assert len(recording.sent) == 6 + 6  # 300 bytes back: 59 per frame, AF to get the rest
