"""Every authentication against the software card: the reader's and the card's side of each
handshake, right and wrong keys, and the PICC key's life from factory DES to AES."""

import pytest

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.messaging import Ev1Session, Ev2Session, LegacySession

from .conftest import FACTORY_KEY

AID = 0x112233


def test_factory_des_key_then_aes_picc_key(picc):
    picc.authenticate_legacy(0, FACTORY_KEY)
    assert isinstance(picc.session, LegacySession)
    new = Key("aes", bytes(range(16)), version=7)
    picc.change_key(0, new)
    assert picc.session.kind is None and picc.auth_key_no is None  # its own key: it ends
    with pytest.raises(status.AuthenticationError):
        picc.authenticate_legacy(0, FACTORY_KEY)
    picc.authenticate_aes(0, new)
    assert isinstance(picc.session, Ev1Session)
    assert picc.get_key_version(0) == 7
    assert picc.get_key_settings()[1] & 0xC0 == 0x80  # the PICC key is AES now


def test_picc_key_to_3tdea_and_iso_authentication(picc):
    picc.authenticate_legacy(0, FACTORY_KEY)
    new = Key("3tdea", bytes(range(24)), version=0x42)
    picc.change_key(0, new)
    picc.authenticate_iso(0, new)
    assert picc.get_key_version(0) == 0x42
    picc.change_key(0, FACTORY_KEY)  # and back to the factory DES key, under ISO
    picc.authenticate_legacy(0, FACTORY_KEY)


def test_des_and_2tdea_application_keys(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x02)  # DES/2TDEA, 2 keys
    picc.select_application(AID)
    picc.authenticate_legacy(0, FACTORY_KEY)
    des = Key("des", bytes.fromhex("0011223344556677"), version=3)
    picc.change_key(1, des, FACTORY_KEY)
    assert picc.get_key_version(1) == 3
    two_key = Key("2tdea", bytes(range(16)), version=9)
    picc.change_key(0, two_key)
    picc.authenticate_legacy(0, two_key)
    picc.authenticate_iso(1, des)  # a DES key in ISO mode
    assert isinstance(picc.session, Ev1Session)
    picc.authenticate_iso(0, two_key)
    assert picc.get_key_version(0) == 9


def test_aes_application_every_kind(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x83)
    picc.select_application(AID)
    picc.authenticate_aes(2, Key.zero())
    picc.authenticate_ev2_first(2, Key.zero())
    assert isinstance(picc.session, Ev2Session)


def test_ev2_non_first_keeps_the_transaction(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x82)
    picc.select_application(AID)
    picc.authenticate_ev2_first(0, Key.zero())
    first = picc.session
    picc.get_key_settings()
    picc.get_file_ids()
    assert first.cmd_ctr == 2
    picc.authenticate_ev2_non_first(1, Key.zero())
    assert picc.session.ti == first.ti and picc.session.cmd_ctr == 2
    assert picc.session.mac_key != first.mac_key
    picc.get_key_version(1)
    assert picc.session.cmd_ctr == 3


def test_ev2_non_first_needs_a_first(picc, card):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x82)
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    picc.session = Ev2Session(bytes(16), bytes(16), bytes(4))  # the reader pretends
    with pytest.raises(status.AuthenticationError):
        picc.authenticate_ev2_non_first(0, Key.zero())


@pytest.mark.parametrize("method", ["authenticate_aes", "authenticate_ev2_first"])
def test_a_wrong_key_is_refused(picc, card, method):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x81)
    picc.select_application(AID)
    with pytest.raises(status.AuthenticationError):
        getattr(picc, method)(0, Key("aes", b"\x01" * 16))
    assert picc.auth_key_no is None and card.auth_key is None


def test_a_key_of_the_wrong_type_and_a_missing_key(picc):
    with pytest.raises(status.AuthenticationError):
        picc.authenticate_aes(0, Key.zero())  # the PICC key is DES
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x81)
    picc.select_application(AID)
    with pytest.raises(status.NoSuchKey):
        picc.authenticate_aes(1, Key.zero())


def test_a_forged_card_answer_is_caught(card, tampering):
    from campuscard.nfc.desfire.client import Desfire

    picc = Desfire(tampering)
    tampering.on_next(answer_byte=3)  # the card's challenge: the card sees a wrong RndB'
    with pytest.raises(status.AuthenticationError):
        picc.authenticate_legacy(0, FACTORY_KEY)
    tampering.on_next(answer_byte=3, later=2)  # the card's proof: the reader refuses it
    with pytest.raises(status.ResponseError):
        picc.authenticate_legacy(0, FACTORY_KEY)
    assert picc.session.kind is None
