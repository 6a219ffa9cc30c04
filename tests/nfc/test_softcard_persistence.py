"""An encoded software card carried to another object, and to another process."""

import json
import os
import subprocess
import sys

from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import AccessRights
from campuscard.nfc.softcard import SoftCard, SoftCardTransport

from .conftest import FACTORY_KEY

AID = 0xF585C1
KEY = Key("aes", bytes(range(16)))
READ_BACK = """
import sys
from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.softcard import SoftCard, SoftCardTransport
card = SoftCard.load(sys.argv[1])
picc = Desfire(SoftCardTransport(card))
picc.select_application(0xF585C1)
picc.authenticate_ev2_first(1, Key("aes", bytes(range(16))))
print(card.uid.hex(), picc.read_data(0, comm=Comm.FULL).hex())
"""


def encode(card):
    picc = Desfire(SoftCardTransport(card))
    picc.authenticate(0, FACTORY_KEY)
    picc.create_application(AID, 0x0B, 0x82)
    picc.select_application(AID)
    picc.authenticate_aes(0, Key.zero())
    picc.change_key(1, KEY, Key.zero())
    picc.create_std_data_file(0, Comm.FULL, AccessRights.parse("1111"), 8)
    picc.create_backup_data_file(1, Comm.PLAIN, AccessRights.parse("EEEE"), 8)
    picc.create_value_file(2, Comm.PLAIN, AccessRights.parse("EEEE"), 0, 10, 4)
    picc.authenticate_aes(1, KEY)
    picc.write_data(0, b"carried!", comm=Comm.FULL)


def read(card):
    picc = Desfire(SoftCardTransport(card))
    picc.select_application(AID)
    picc.authenticate_aes(1, KEY)
    return picc.read_data(0, comm=Comm.FULL)


def test_save_and_load_in_a_new_object(card, tmp_path):
    encode(card)
    path = tmp_path / "card.json"
    card.save(path)
    assert os.stat(path).st_mode & 0o077 == 0  # the card's keys: owner only
    again = SoftCard.load(path)
    assert again.uid == card.uid and read(again) == b"carried!"
    assert again.memory.to_json() == card.memory.to_json()
    assert json.loads(path.read_text())["uid"] == card.uid.hex()


def test_a_file_backed_card_saves_after_each_write(tmp_path):
    path = tmp_path / "card.json"
    SoftCard(uid=bytes.fromhex("04010203040506"), path=path).save()
    encode(SoftCard.load(path, file_backed=True))
    assert read(SoftCard.load(path)) == b"carried!"


def test_another_process_reads_the_card(card, tmp_path):
    encode(card)
    path = tmp_path / "card.json"
    card.save(path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", READ_BACK, str(path)], capture_output=True,
                          text=True, env=env, check=True, timeout=60)
    assert done.stdout.split() == [card.uid.hex(), b"carried!".hex()]


def test_a_new_card_has_a_random_nxp_uid():
    first, second = SoftCard(), SoftCard()
    assert first.uid[0] == 0x04 and len(first.uid) == 7 and first.uid != second.uid


def test_keys_stay_out_of_reprs(card):
    encode(card)
    shown = repr(card.memory) + repr(KEY)
    assert repr(KEY.value) not in shown and KEY.value.hex() not in shown
