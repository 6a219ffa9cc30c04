"""Every command of the client against the software card, under every kind of session."""

import pytest

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import FREE_ACCESS, AccessRights, key_settings_2

from .conftest import FACTORY_KEY, UID

AID = 0xF585C0
RW1 = AccessRights.parse("1111")

KINDS = {  # (KS2 crypto and key type, authentication)
    "legacy": ("des", "authenticate_legacy"),
    "iso-2tdea": ("2tdea", "authenticate_iso"),
    "iso-3tdea": ("3tdea", "authenticate_iso"),
    "aes": ("aes", "authenticate_aes"),
    "ev2": ("aes", "authenticate_ev2_first"),
}


def make_application(picc, kind, key_count=3, ks1=0x0F):
    key_type, method = KINDS[kind]
    picc.select_application(0)
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, ks1, key_settings_2(key_type, key_count))
    picc.select_application(AID)
    key = Key.zero(key_type)
    if key_type == "2tdea":  # real two-key keys, not DES keys doubled
        getattr(picc, method)(0, key)
        key = Key("2tdea", bytes(range(16)))
        for key_no in [*range(1, key_count), 0]:
            picc.change_key(key_no, key, Key.zero(key_type))
    return key, lambda key_no=1: getattr(picc, method)(key_no, key)


def test_get_version_and_uid(picc):
    version = picc.get_version()
    assert version.uid == UID and version.vendor == 0x04 and version.major == 0x12
    assert version.storage_bytes == 8192
    assert picc.link.transport.get_uid() == UID


@pytest.mark.parametrize("kind", ["legacy", "iso-3tdea", "aes", "ev2"])
def test_get_card_uid_is_enciphered(picc, kind):
    _, login = make_application(picc, kind)
    with pytest.raises(status.AuthenticationError):
        picc.get_card_uid()
    login(0)
    assert picc.get_card_uid() == UID


def test_applications(picc, card):
    picc.authenticate(0, FACTORY_KEY)
    before = picc.free_memory()
    picc.create_application("F585C0", 0x0B, 0x84)
    picc.create_application(0xF585C1, 0x0B, 0xA4, iso_fid=b"\x01\xe1", df_name=b"campus")
    assert sorted(picc.get_application_ids()) == [0xF585C0, 0xF585C1]
    assert picc.free_memory() == before - 2 * 32 * 5
    assert card.memory.applications[0xF585C0].aid == 0xF585C0  # LSB-first on the wire
    picc.delete_application(0xF585C1)
    assert picc.get_application_ids() == [0xF585C0]
    picc.format_picc()
    assert picc.get_application_ids() == []
    assert picc.free_memory() == before


def test_select_application_ends_the_session(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x81)
    picc.select_application(AID)
    assert picc.auth_key_no is None
    with pytest.raises(status.ApplicationNotFound):
        picc.select_application(0x999999)


def test_an_application_master_deletes_its_application(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0x81)
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    picc.delete_application(AID)
    assert picc.aid == 0
    assert picc.get_application_ids() == []  # the PICC's free directory listing


@pytest.mark.parametrize("kind", KINDS)
def test_key_settings_and_versions(picc, kind):
    _, login = make_application(picc, kind, ks1=0x0F)
    login(0)
    assert picc.get_key_settings() == (0x0F, key_settings_2(KINDS[kind][0], 3))
    picc.change_key_settings(0x0B)
    assert picc.get_key_settings()[0] == 0x0B
    assert picc.get_key_version(2) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_change_key_same_and_other(picc, kind):
    key_type, method = KINDS[kind]
    old, login = make_application(picc, kind)
    login(0)
    value_size = len(old.value)
    new_other = Key(key_type, bytes(range(40, 40 + value_size)), version=5)
    other_no = 2
    picc.change_key(other_no, new_other, old)
    assert picc.session.kind is not None  # another key: the session goes on
    assert picc.get_key_version(other_no) == 5
    new_master = Key(key_type, bytes(range(80, 80 + value_size)), version=6)
    picc.change_key(0, new_master)
    assert picc.session.kind is None  # its own key: the session ends
    getattr(picc, method)(0, new_master)
    getattr(picc, method)(other_no, new_other)
    with pytest.raises(status.AuthenticationError):
        getattr(picc, method)(0, old)


def test_change_key_rights_follow_the_key_settings(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0xEF, 0x83)  # E: a key changes itself
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    with pytest.raises(status.PermissionDenied):
        picc.change_key(1, Key("aes", b"\x01" * 16), Key.zero())
    picc.authenticate_aes(1, Key.zero())
    picc.change_key(1, Key("aes", b"\x01" * 16))
    picc.authenticate_aes(1, Key("aes", b"\x01" * 16))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("comm", [Comm.PLAIN, Comm.MAC, Comm.FULL])
@pytest.mark.parametrize("size", [5, 31, 200])
def test_read_and_write_data(picc, kind, comm, size):
    _, login = make_application(picc, kind)
    login(0)
    picc.create_std_data_file(1, comm, RW1, size)
    login(1)
    data = bytes((7 * i) & 0xFF for i in range(size))
    picc.write_data(1, data, comm=comm)
    assert picc.read_data(1, comm=comm) == data
    assert picc.read_data(1, offset=2, length=3, comm=comm) == data[2:5]
    picc.write_data(1, b"\xff\xfe", offset=size - 2, comm=comm)
    assert picc.read_data(1, comm=comm)[-2:] == b"\xff\xfe"


@pytest.mark.parametrize("kind", ["legacy", "aes", "ev2"])
def test_free_rights_travel_in_plain_under_a_session(picc, kind):
    _, login = make_application(picc, kind)
    login(0)
    picc.create_std_data_file(0, Comm.FULL, FREE_ACCESS, 40)
    picc.write_data(0, b"\x12" * 40)
    assert picc.read_data(0) == b"\x12" * 40
    picc.select_application(AID)
    assert picc.read_data(0, length=4) == b"\x12" * 4  # no session at all


def test_file_settings_and_ids(picc):
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0F, 0xA4)  # ISO file ids, 4 keys
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    picc.create_std_data_file(0, Comm.FULL, AccessRights.parse("1223"), 32, iso_fid=b"\x01\xe1")
    picc.create_backup_data_file(3, Comm.MAC, RW1, 64)
    picc.create_value_file(4, Comm.PLAIN, RW1, -10, 1000, 25, limited_credit=True)
    assert picc.get_file_ids() == [0, 3, 4]
    settings = picc.get_file_settings(0)
    assert (settings.kind, settings.comm, str(settings.access), settings.size) == (
        "std", Comm.FULL, "1223", 32)
    value = picc.get_file_settings(4)
    assert (value.kind, value.lower, value.upper, value.limited_credit) == ("value", -10, 1000, 1)
    with pytest.raises(status.PermissionDenied):  # the change right is key 3
        picc.change_file_settings(0, Comm.MAC, AccessRights.parse("1111"))
    picc.authenticate_aes(3, Key.zero())
    picc.change_file_settings(0, Comm.MAC, AccessRights.parse("1111"))
    picc.authenticate_aes(0, Key.zero())
    assert str(picc.get_file_settings(0).access) == "1111"
    picc.delete_file(3)
    assert picc.get_file_ids() == [0, 4]


def test_backup_files_wait_for_the_commit(picc):
    _, login = make_application(picc, "aes")
    login(0)
    picc.create_backup_data_file(2, Comm.FULL, RW1, 20)
    picc.create_value_file(3, Comm.MAC, RW1, 0, 100, 42)
    login(1)
    picc.write_data(2, b"first", comm=Comm.FULL)
    assert picc.read_data(2, length=5, comm=Comm.FULL) == bytes(5)
    picc.commit_transaction()
    assert picc.read_data(2, length=5, comm=Comm.FULL) == b"first"
    picc.write_data(2, b"other", comm=Comm.FULL)
    picc.abort_transaction()
    assert picc.read_data(2, length=5, comm=Comm.FULL) == b"first"
    assert picc.get_value(3, comm=Comm.MAC) == 42


def test_apdu_count_is_one_per_frame(picc):
    picc.get_version()
    assert picc.apdu_count == 3
    picc.authenticate(0, FACTORY_KEY)
    assert picc.apdu_count == 5


@pytest.mark.parametrize("kind", ["legacy", "iso-3tdea", "aes", "ev2"])
def test_chained_answers_under_a_session(picc, kind):
    _, login = make_application(picc, kind)
    login(0)
    assert picc.get_version().uid == UID  # three frames, one MAC over them all
    picc.select_application(0)
    picc.authenticate(0, FACTORY_KEY)
    for aid in range(1, 25):
        picc.create_application(aid, 0x0F, 0x81)
    assert len(picc.get_application_ids()) == 25  # 75 bytes: two frames


def test_ev2_counts_a_chained_command_once(picc, card):
    _, login = make_application(picc, "ev2")
    login(0)
    picc.create_std_data_file(1, Comm.MAC, RW1, 300)
    login(1)
    before, frames = picc.session.cmd_ctr, picc.apdu_count
    picc.write_data(1, b"\x33" * 300, comm=Comm.MAC)
    assert picc.apdu_count - frames == 6
    assert picc.session.cmd_ctr == card.session.cmd_ctr == before + 1
    assert picc.read_data(1, comm=Comm.MAC) == b"\x33" * 300
    assert picc.session.cmd_ctr == before + 2


def test_change_key_ev2_on_the_active_key_set(picc):
    _, login = make_application(picc, "ev2")
    login(0)
    new = Key("aes", b"\x61" * 16, version=4)
    picc.change_key_ev2(0, 2, new, Key.zero())
    assert picc.get_key_version(2) == 4
    with pytest.raises(status.NoSuchKey):
        picc.change_key_ev2(1, 2, Key.zero(), new)
    login(0)
    picc.change_key_ev2(0, 0, new)
    assert picc.session.kind is None
    picc.authenticate_ev2_first(0, new)
    picc.authenticate_aes(0, new)
    with pytest.raises(ValueError):
        picc.change_key_ev2(0, 1, new, Key.zero())
