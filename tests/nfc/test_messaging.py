"""Secure messaging checked against the published examples (AN12343), and the reader and card
sides of each session kind against each other."""

import pytest

from campuscard.nfc.desfire import crypto, status
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.messaging import (
    Ev1Session,
    Ev2Session,
    LegacySession,
    strip_checksum,
)

from .conftest import Script

h = bytes.fromhex

# AN12343 p.54: a WriteData (8D) then a ReadData (AD) in MAC mode.
MAC_KEY = h("9366FA195EB566F5BD2BAD4020B83002")
TI = h("E2D3AF69")


def test_ev2_mac_mode_reproduces_an12343():
    reader = Ev2Session(bytes(16), MAC_KEY, TI)
    sent = reader.protect_command(0x8D, h("00000000190000"), b"\x22" * 25, Comm.MAC)
    assert sent[-8:] == h("68F2C28C575A1628")
    assert reader.open_response(0x00, h("0820F68898C2A7F1"), Comm.MAC) == b""
    assert reader.cmd_ctr == 1
    sent = reader.protect_command(0xAD, h("00000000300000"), b"", Comm.MAC)
    assert sent == h("00000000300000") + h("0D9BE191D5960834")
    data = b"\x22" * 25 + bytes(23)
    assert reader.open_response(0x00, data + h("A49A44222D926666"), Comm.MAC) == data
    assert reader.cmd_ctr == 2


def test_ev2_mac_of_a_wrong_answer_is_refused():
    reader = Ev2Session(bytes(16), MAC_KEY, TI)
    reader.protect_command(0x8D, h("00000000190000"), b"\x22" * 25, Comm.MAC)
    with pytest.raises(status.ResponseError):
        reader.open_response(0x00, h("0820F68898C2A7F0"), Comm.MAC)


def test_ev2_authentication_reproduces_an12343_session_keys(card, picc):
    # AN12343 p.33-34: key 00…00, RndA from the reader, RndB (then TI) from the card.
    rnd_a, rnd_b = h("B04D0787C93EE0CC8CACC8E86F16C6FE"), h("FA659AD0DCA738DD65DC7DC38612AD81")
    card.random_bytes = Script(rnd_b, h("9D00C4DF"))
    picc.random_bytes = Script(rnd_a)
    picc.select_application(0)
    picc.create_application(0x000001, 0x0F, 0x81)
    picc.select_application(0x000001)
    picc.authenticate_ev2_first(0, Key.zero("aes"))
    assert picc.session.enc_key == h("63DC07286289A7A6C0334CA31C314A04")
    assert picc.session.mac_key == h("774F26743ECE6AF5033B6AE8522946F6")
    assert picc.session.ti == h("9D00C4DF") and picc.session.cmd_ctr == 0


SESSIONS = {
    "legacy": lambda: LegacySession(h("0011223344556677")),
    "iso": lambda: Ev1Session(bytes(range(24)), crypto.Algorithm.TDES),
    "aes": lambda: Ev1Session(bytes(range(16)), crypto.Algorithm.AES),
    "ev2": lambda: Ev2Session(bytes(range(16)), bytes(range(1, 17)), h("01020304")),
}


@pytest.mark.parametrize("kind", SESSIONS)
@pytest.mark.parametrize("comm", [Comm.PLAIN, Comm.MAC, Comm.FULL, Comm.SIGNED])
@pytest.mark.parametrize("size", [1, 15, 16, 17, 100])
def test_card_and_reader_sides_agree(kind, comm, size):
    reader, card = SESSIONS[kind](), SESSIONS[kind]()
    header, data = h("01000000") + size.to_bytes(3, "little"), bytes(range(size))
    sent = reader.protect_command(0x3D, header, data, comm)
    assert len(sent) == 7 + card.wire_length(comm, size)
    assert card.open_command(0x3D, sent, 7, comm, length=size) == header + data
    answer = card.protect_response(0x00, data, comm)
    assert reader.open_response(0x00, answer, comm, length=size or None) == data
    if comm in (Comm.MAC, Comm.FULL):
        tampered = bytearray(sent)
        tampered[-1] ^= 1
        with pytest.raises(status.IntegrityError):
            SESSIONS[kind]().open_command(0x3D, bytes(tampered), 7, comm, length=size)


def test_ev1_keeps_the_iv_running_across_commands():
    reader, card = SESSIONS["aes"](), SESSIONS["aes"]()
    for _ in range(3):
        card.open_command(0x6E, reader.protect_command(0x6E, b"", b"", Comm.SIGNED), 0,
                          Comm.SIGNED)
        reader.open_response(0x00, card.protect_response(0x00, h("001F00"), Comm.SIGNED),
                             Comm.SIGNED)
    assert reader.iv == card.iv != bytes(16)


def test_strip_checksum_finds_the_data_length():
    data = b"\x04\x44\x0f\x32\x76\x31\x80"
    plain = crypto.pad_zeros(data + crypto.crc32(data + b"\x00"), 16)
    check = lambda part: crypto.crc32(part + b"\x00")  # noqa: E731
    assert strip_checksum(plain, check, 4, 16) == data
    with pytest.raises(ValueError):
        strip_checksum(plain[:-1] + b"\x01", check, 4, 16)
