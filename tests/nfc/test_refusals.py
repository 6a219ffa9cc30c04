"""What the card refuses, with the status a real card gives: a bad MAC on the way, a wrong
key, a missing right, a full card, a duplicate, a read past the end, an unknown command."""

import pytest

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import FREE_ACCESS, AccessRights
from campuscard.nfc.softcard import SoftCard, SoftCardTransport

from .conftest import FACTORY_KEY, seeded

AID = 0xF585C0
ESUP_RIGHTS = AccessRights.parse("1223")


def esup_application(picc, comm=Comm.FULL, size=32):
    picc.select_application(0)
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0B, 0x84)
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    picc.create_std_data_file(0, comm, ESUP_RIGHTS, size)


@pytest.mark.parametrize("login", ["authenticate_aes", "authenticate_ev2_first"])
@pytest.mark.parametrize("comm", [Comm.MAC, Comm.FULL])
def test_a_byte_changed_on_the_way_to_the_card(card, tampering, login, comm):
    picc = Desfire(tampering, random_bytes=seeded(3))
    esup_application(picc, comm)
    getattr(picc, login)(2, Key.zero())
    tampering.on_next(command_byte=12)  # in the data (or the cryptogram)
    with pytest.raises(status.IntegrityError):
        picc.write_data(0, b"\x01" * 20, comm=comm)
    assert picc.session.kind is None and card.auth_key is None  # both sides drop it
    getattr(picc, login)(2, Key.zero())
    picc.write_data(0, b"\x01" * 20, comm=comm)


@pytest.mark.parametrize("login", ["authenticate_aes", "authenticate_ev2_first"])
@pytest.mark.parametrize("comm", [Comm.PLAIN, Comm.MAC, Comm.FULL])
def test_a_byte_changed_on_the_way_back(tampering, login, comm):
    picc = Desfire(tampering, random_bytes=seeded(4))
    esup_application(picc, comm)
    getattr(picc, login)(1, Key.zero())
    tampering.on_next(answer_byte=3)
    if comm == Comm.PLAIN and login == "authenticate_ev2_first":
        assert picc.read_data(0, comm=comm) != bytes(32)  # EV2 plain: nothing to check
        return
    with pytest.raises(status.ResponseError):
        picc.read_data(0, comm=comm)
    assert picc.session.kind is None


def test_a_wrong_mac_under_a_legacy_session(tampering):
    picc = Desfire(tampering)
    picc.authenticate_legacy(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x02)
    picc.select_application(AID)
    picc.authenticate_legacy(0, FACTORY_KEY)
    picc.create_std_data_file(0, Comm.MAC, AccessRights.parse("0000"), 16)
    tampering.on_next(command_byte=13)
    with pytest.raises(status.IntegrityError):
        picc.write_data(0, b"\x05" * 16, comm=Comm.MAC)


def test_missing_rights(picc):
    esup_application(picc)
    picc.select_application(AID)
    with pytest.raises(status.PermissionDenied):
        picc.read_data(0)  # read is key 1 and the reader has no session
    picc.authenticate_aes(1, Key.zero())
    with pytest.raises(status.PermissionDenied):
        picc.write_data(0, b"x", comm=Comm.FULL)  # write is key 2
    picc.authenticate_aes(2, Key.zero())
    assert picc.read_data(0, comm=Comm.FULL) == bytes(32)  # read&write is key 2
    picc.authenticate_aes(3, Key.zero())
    with pytest.raises(status.PermissionDenied):
        picc.read_data(0, comm=Comm.FULL)
    with pytest.raises(status.PermissionDenied):  # KS1 0B: no free create
        picc.create_std_data_file(1, Comm.PLAIN, FREE_ACCESS, 8)


def test_never_is_never(picc):
    esup_application(picc)
    picc.create_std_data_file(1, Comm.PLAIN, AccessRights.parse("FFFF"), 8)
    with pytest.raises(status.PermissionDenied):
        picc.read_data(1)
    with pytest.raises(status.PermissionDenied):
        picc.change_file_settings(1, Comm.PLAIN, FREE_ACCESS)


def test_master_key_commands_need_the_master_key(picc):
    with pytest.raises(status.AuthenticationError):
        picc.format_picc()
    with pytest.raises(status.AuthenticationError):
        picc.change_key(0, Key.zero())
    picc.authenticate(0, FACTORY_KEY)
    picc.change_key_settings(0x09)  # no free create, no free listing
    picc.select_application(0)
    with pytest.raises(status.PermissionDenied):
        picc.create_application(AID, 0x0F, 0x81)
    with pytest.raises(status.PermissionDenied):
        picc.get_application_ids()


def test_frozen_settings_and_master_key(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x02, 0x81)  # configuration frozen, master key frozen
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    with pytest.raises(status.PermissionDenied):
        picc.change_key_settings(0x0F)
    picc.authenticate_aes(0, Key.zero())
    with pytest.raises(status.PermissionDenied):
        picc.change_key(0, Key("aes", b"\x01" * 16))


def test_a_full_card(card):
    small = SoftCard(capacity=1024, random_bytes=seeded(5))
    picc = Desfire(SoftCardTransport(small))
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x81)
    picc.select_application(AID)
    with pytest.raises(status.OutOfEeprom):
        picc.create_std_data_file(0, Comm.PLAIN, FREE_ACCESS, 1024)
    picc.create_std_data_file(0, Comm.PLAIN, FREE_ACCESS, 900)
    picc.select_application(0)
    picc.authenticate(0, FACTORY_KEY)
    with pytest.raises(status.OutOfEeprom):
        picc.create_application(0x000002, 0x0F, 0x8E)  # 14 keys: 15 blocks
    assert picc.free_memory() == 1024 - 32 * 2 - 29 * 32


def test_application_count_and_duplicates(picc):
    picc.authenticate(0, FACTORY_KEY)
    for aid in range(1, 29):
        picc.create_application(aid, 0x0F, 0x81)
    with pytest.raises(status.DuplicateError):
        picc.create_application(5, 0x0F, 0x81)
    picc.authenticate(0, FACTORY_KEY)
    with pytest.raises(status.CountError):
        picc.create_application(29, 0x0F, 0x81)
    picc.authenticate(0, FACTORY_KEY)
    with pytest.raises(status.ParameterError):
        picc.create_application(0x30, 0x0F, 0x8F)  # 15 keys


def test_files_refusals(picc):
    esup_application(picc)
    with pytest.raises(status.DuplicateError):
        picc.create_std_data_file(0, Comm.PLAIN, FREE_ACCESS, 8)
    picc.authenticate_aes(0, Key.zero())
    with pytest.raises(status.FileNotFound):
        picc.get_file_settings(7)
    picc.authenticate_aes(1, Key.zero())
    with pytest.raises(status.BoundaryError):
        picc.read_data(0, offset=30, length=3, comm=Comm.FULL)
    with pytest.raises(status.ApplicationNotFound):
        picc.select_application(0x010101)


def test_unknown_commands_and_bad_wrapping(card, picc):
    with pytest.raises(status.IllegalCommand):
        picc.link.command(0x3C, b"\x00")
    assert card.process(bytes.fromhex("00A4040000")) == bytes.fromhex("6E00")
    assert card.process(bytes.fromhex("90AF000000")) == bytes.fromhex("911C")


def test_a_pulled_card(card):
    transport = SoftCardTransport(card)
    picc = Desfire(transport)
    transport.close()
    with pytest.raises(status.TransportError):
        picc.get_version()
