"""Delegated Application Management end to end: the issuer loads the DAM keys, its back end
computes EncK and DAMMAC, a delegate holding only DAMAuthKey creates its application."""

import pytest

from campuscard.nfc.desfire import crypto, status
from campuscard.nfc.desfire.client import (
    Desfire,
    delegated_application_cryptogram,
    delegated_application_frame,
)
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import AccessRights
from campuscard.nfc.softcard import SoftCardTransport

from .conftest import FACTORY_KEY, UID, seeded

BASE = bytes.fromhex("00112233445566778899AABBCCDDEEFF")
PICC_KEY = Key("aes", b"\x5a" * 16)
DELEGATED = 0x123456


def dam_keys(uid):
    """ESUP's choice (desfire.md §3.3): AN10922 from a per-card base key and the UID."""
    auth = Key("aes", crypto.diversify_aes(BASE, uid))
    enc = Key("aes", crypto.diversify_aes(BASE, b"\x00" + uid[1:]))
    mac = Key("aes", crypto.diversify_aes(BASE, b"\xff" + uid[1:]))
    return auth, mac, enc


def load_dam_keys(card):
    issuer = Desfire(SoftCardTransport(card), random_bytes=seeded(20))
    issuer.authenticate_legacy(0, FACTORY_KEY)
    issuer.change_key(0, PICC_KEY)
    issuer.authenticate_aes(0, PICC_KEY)
    auth, mac, enc = dam_keys(card.uid)
    for key_no, key in ((0x10, auth), (0x12, enc), (0x11, mac)):
        issuer.change_key(key_no, key, Key.zero())
    return issuer


def server_cryptogram(uid, app_key, quota=16, slot=0, ks2=0x82, aid=DELEGATED):
    _, mac, enc = dam_keys(uid)
    frame = delegated_application_frame(aid, slot, 0xFF, quota, 0x0B, ks2)
    return (frame, *delegated_application_cryptogram(enc.value, mac.value, frame, app_key,
                                                     b"\x07" * 7))


@pytest.mark.parametrize("login", ["authenticate_aes", "authenticate_ev2_first"])
def test_a_delegate_creates_its_application(card, login):
    load_dam_keys(card)
    default_key = Key("aes", b"\x42" * 16, version=3)
    frame, enc_k, dam_mac = server_cryptogram(UID, default_key)
    delegate = Desfire(SoftCardTransport(card), random_bytes=seeded(21))
    getattr(delegate, login)(0x10, dam_keys(UID)[0])
    delegate.create_delegated_application(frame, enc_k, dam_mac)
    info = delegate.get_delegated_info(0)
    assert (info.slot_version, info.quota, info.aid) == (0xFF, 16, DELEGATED)
    assert info.free_blocks == 16 - 3  # the application and its two keys
    delegate.select_application(DELEGATED)
    getattr(delegate, login)(0, default_key)
    assert delegate.get_key_version(0) == 3
    own_key = Key("aes", b"\x24" * 16, version=1)
    delegate.change_key(1, own_key, Key.zero())
    delegate.create_std_data_file(0, Comm.FULL, AccessRights.parse("1111"), 64)
    getattr(delegate, login)(1, own_key)
    delegate.write_data(0, b"delegated" * 7, comm=Comm.FULL)
    assert delegate.read_data(0, length=63, comm=Comm.FULL) == b"delegated" * 7
    getattr(delegate, login)(0, default_key)
    with pytest.raises(status.OutOfEeprom):  # 5 blocks used, 13 more asked, 16 granted
        delegate.create_std_data_file(1, Comm.PLAIN, AccessRights.parse("EEEE"), 400)


def test_a_forged_dammac_or_foreign_enck_is_refused(card):
    load_dam_keys(card)
    frame, enc_k, dam_mac = server_cryptogram(UID, Key.zero())
    delegate = Desfire(SoftCardTransport(card))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    with pytest.raises(status.IntegrityError):
        delegate.create_delegated_application(frame[:-1] + b"\x84", enc_k, dam_mac)  # 4 keys
    other_card = dam_keys(bytes.fromhex("04000000000000"))
    _, mac, enc = other_card
    foreign = delegated_application_cryptogram(enc.value, mac.value, frame, Key.zero(),
                                               bytes(7))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    with pytest.raises(status.IntegrityError):
        delegate.create_delegated_application(frame, *foreign)


def test_only_the_dam_auth_key_may_create(card):
    issuer = load_dam_keys(card)
    frame, enc_k, dam_mac = server_cryptogram(UID, Key.zero())
    with pytest.raises(status.PermissionDenied):  # the PICC master key is not the delegate
        issuer.create_delegated_application(frame, enc_k, dam_mac)
    delegate = Desfire(SoftCardTransport(card))
    with pytest.raises(status.AuthenticationError):
        delegate.create_delegated_application(frame, enc_k, dam_mac)
    with pytest.raises(status.AuthenticationError):
        delegate.authenticate_aes(0x10, Key.zero())  # the factory DAM key was replaced


def test_slots_quota_and_key_type(card):
    load_dam_keys(card)
    delegate = Desfire(SoftCardTransport(card))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    delegate.create_delegated_application(*server_cryptogram(UID, Key.zero()))
    with pytest.raises(status.DuplicateError):  # slot 0 again (and the AID)
        delegate.create_delegated_application(*server_cryptogram(UID, Key.zero()))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    with pytest.raises(status.ParameterError):  # DES keys
        delegate.create_delegated_application(*server_cryptogram(UID, Key.zero(), slot=1,
                                                                 ks2=0x02, aid=2))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    with pytest.raises(status.OutOfEeprom):  # more than the card holds
        delegate.create_delegated_application(*server_cryptogram(UID, Key.zero(), slot=2,
                                                                 quota=300, aid=3))
    delegate.authenticate_aes(0x10, dam_keys(UID)[0])
    with pytest.raises(status.ApplicationNotFound):
        delegate.get_delegated_info(9)
