"""ESUP-SGC's encoding sequence (reference desfire.md §1.3) end to end on the software card,
each step in a fresh session as esup-nfc-tag-server does, then read back as its readers do."""

import pytest

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import FREE_ACCESS, AccessRights
from campuscard.nfc.softcard import SoftCardTransport

from .conftest import FACTORY_KEY, seeded

APPS = [0xF585C0, 0xF585C1, 0xF58540]
PICC_KEY = Key("aes", bytes.fromhex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"), version=1)


def app_keys(aid):
    return [Key("aes", bytes([aid & 0xFF, n]) * 8, version=1) for n in range(4)]


def access_control_id(sequence):
    """esup-sgc's GenericCardIdService: the decimal digits, 0-padded to 64, read as hex."""
    return bytes.fromhex(str(1234500000000000 + sequence).rjust(64, "0"))


def encode(picc, content):
    picc.authenticate_legacy(0, FACTORY_KEY)
    picc.format_picc()
    for aid in APPS:
        picc.select_application(0)
        picc.authenticate_legacy(0, FACTORY_KEY)
        picc.create_application(aid, 0x0B, 0x84)
        master, *others = app_keys(aid)
        picc.select_application(aid)
        picc.authenticate_aes(0, Key.zero())
        picc.change_key(0, master)
        for key_no, key in enumerate(others, start=1):
            picc.select_application(aid)
            picc.authenticate_aes(0, master)
            picc.change_key(key_no, key, Key.zero())
        picc.select_application(aid)
        picc.authenticate_aes(0, master)
        picc.create_std_data_file(0, Comm.FULL, FREE_ACCESS, len(content[aid]))
        picc.select_application(aid)
        picc.authenticate_aes(0, master)
        picc.write_data(0, content[aid])  # plain: every right is still free
        picc.select_application(aid)
        picc.authenticate_aes(0, master)
        picc.change_file_settings(0, Comm.FULL, AccessRights.parse("1223"), plain=True)
    picc.select_application(0)
    picc.authenticate_legacy(0, FACTORY_KEY)
    picc.change_key(0, PICC_KEY)


def read_back(picc, aid):
    picc.select_application(aid)
    settings = picc.get_file_settings(0)  # KS1 0B: free directory listing
    picc.authenticate_aes(1, app_keys(aid)[1])
    return settings, picc.read_data(0, comm=settings.comm)


def test_esup_layout_encodes_and_reads_back(card):
    content = {0xF585C0: access_control_id(1), 0xF585C1: access_control_id(2),
               0xF58540: bytes.fromhex("0000000000000000000000000000000000000000000000004242")}
    encode(Desfire(SoftCardTransport(card), random_bytes=seeded(10)), content)
    reader = Desfire(SoftCardTransport(card), random_bytes=seeded(11))
    for aid in APPS:
        settings, data = read_back(reader, aid)
        assert (settings.comm, str(settings.access), settings.size) == (
            Comm.FULL, "1223", len(content[aid]))
        assert data == content[aid]
    assert access_control_id(1).hex().lstrip("0") == "1234500000000001"
    reader.select_application(0)
    with pytest.raises(status.AuthenticationError):
        reader.authenticate_legacy(0, FACTORY_KEY)
    reader.authenticate_aes(0, PICC_KEY)
    assert sorted(reader.get_application_ids()) == sorted(APPS)
    assert reader.get_key_version(0) == 1


def test_the_file_is_locked_once_encoded(card):
    content = dict.fromkeys(APPS, access_control_id(3))
    encode(Desfire(SoftCardTransport(card), random_bytes=seeded(12)), content)
    reader = Desfire(SoftCardTransport(card))
    reader.select_application(0xF585C0)
    with pytest.raises(status.PermissionDenied):
        reader.read_data(0)
    reader.authenticate_aes(1, app_keys(0xF585C0)[1])
    with pytest.raises(status.PermissionDenied):
        reader.write_data(0, b"\x00", comm=Comm.FULL)  # the read key cannot write


def test_encoding_again_formats_first(card):
    first = dict.fromkeys(APPS, access_control_id(4))
    encode(Desfire(SoftCardTransport(card)), first)
    picc = Desfire(SoftCardTransport(card))
    picc.authenticate_aes(0, PICC_KEY)
    picc.change_key(0, FACTORY_KEY)  # a half-written chip is formatted and redone
    encode(picc, dict.fromkeys(APPS, access_control_id(5)))
    assert read_back(Desfire(SoftCardTransport(card)), 0xF58540)[1] == access_control_id(5)
