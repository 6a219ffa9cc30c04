"""write_chip sends exactly the APDUs a layout needs (encoding.minimum, derived from the layout
alone): on a blank software card, and again on a chip this layout encoded already."""

import copy

import pytest

from campuscard.nfc import keys, layouts
from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.encoding.minimum import esup_sequence_apdus, minimum_apdus, minimum_terms
from campuscard.nfc.encoding.plan import plan_chip
from campuscard.nfc.encoding.writing import write_chip
from campuscard.nfc.presets import preset_declaration
from campuscard.nfc.softcard import SoftCard, SoftCardTransport

UID = bytes.fromhex("04A1B2C3D4E5F6")
VALUES = {"access_control_id": "12345000000000001", "crous_number": "99990001",
          "escn": "c4b7a7a8-3f4e-11ef-9a3b-0242ac120002"}


@pytest.fixture(autouse=True)
def key_dir(settings, tmp_path):
    settings.CAMPUSCARD_NFC_KEY_DIR = tmp_path / "nfc-keys"


def with_keys(declaration):
    assert layouts.validate_layout(declaration) == []
    for _path, reference, key_type in layouts.key_entries(declaration):
        if reference.startswith("file:"):
            keys.create_key_file(reference, key_type)
    return declaration


def backup_and_value():
    """ESUP's layout with a 70-byte MAC backup file and a value file in F585C0."""
    declaration = preset_declaration("esup-sgc", "bv")
    declaration["applications"][0]["files"] += [
        {"number": 1, "type": "backup", "size": 70, "communication": "mac",
         "access_rights": "1223", "holds": "constant", "encoding": "hex", "value": "CAFE" * 35},
        {"number": 2, "type": "value", "communication": "enciphered", "access_rights": "1223",
         "lower_limit": 0, "upper_limit": 1000, "value": 250},
    ]
    return declaration


def free_write():
    """The ESC layout with a file anyone may write, and one no key may write, in F585E5."""
    declaration = preset_declaration("esc", "fw")
    declaration["applications"][1]["files"] += [
        {"number": 2, "type": "std", "size": 40, "communication": "enciphered",
         "access_rights": "1E11", "holds": "constant", "encoding": "hex", "value": "AB" * 40},
        {"number": 3, "type": "std", "size": 8, "communication": "plain",
         "access_rights": "EFF1", "holds": "constant", "encoding": "hex", "value": "01" * 8},
    ]
    return declaration


LAYOUTS = {"esup-sgc": lambda: preset_declaration("esup-sgc", "esup"),
           "esc": lambda: preset_declaration("esc", "esc"),
           "backup and value files": backup_and_value, "free-write file": free_write}


def encode(card, declaration, **plan_options):
    picc = Desfire(SoftCardTransport(card))
    plan = plan_chip(declaration, card.uid, VALUES, **plan_options)
    verified = write_chip(picc, plan)
    return picc.apdu_count, verified, plan


@pytest.mark.parametrize("name", LAYOUTS)
def test_a_blank_chip_is_encoded_with_the_minimum(name):
    declaration = with_keys(LAYOUTS[name]())
    count, verified, _plan = encode(SoftCard(uid=UID), declaration)
    assert verified == sum(len(app["files"]) for app in declaration["applications"])
    assert count == minimum_apdus(declaration)


@pytest.mark.parametrize("name", LAYOUTS)
def test_an_encoded_chip_is_encoded_again_with_the_minimum(name):
    declaration = with_keys(LAYOUTS[name]())
    card = SoftCard(uid=UID)
    _count, _verified, first = encode(card, declaration)
    count, _verified, _plan = encode(card, declaration, known_picc_keys=[first.picc_key])
    assert count == minimum_apdus(declaration, picc_key_changes=False)
    assert count == minimum_apdus(declaration) - 1  # no ChangeKey of the master key


def test_without_formatting_the_layouts_applications_are_deleted_then_created():
    declaration = with_keys(preset_declaration("esup-sgc", "esup"))
    card = SoftCard(uid=UID)
    _count, _verified, first = encode(card, declaration)
    count, _verified, _plan = encode(card, declaration, known_picc_keys=[first.picc_key],
                                     format_before_write=False)
    assert count == minimum_apdus(declaration, False, picc_key_changes=False,
                                  applications_on_chip=3)


def test_the_esup_preset_needs_44_apdus_and_esup_sends_more_than_twice_that():
    declaration = preset_declaration("esup-sgc", "esup")
    # PICC: select 1, authenticate 2, format 1, 3 applications, new master key 1 = 8; each
    # application: select 1, authenticate 2, CreateFile 1, 4 ChangeKeys, authenticate key 2
    # 2, one WriteData frame (7 + 48 bytes), one ReadData (48 bytes) = 12
    assert minimum_apdus(declaration) == 8 + 3 * 12
    assert esup_sequence_apdus(declaration) > 2 * minimum_apdus(declaration)


def test_frames_follow_the_files_size_and_mode():
    declaration = copy.deepcopy(preset_declaration("esup-sgc", "esup"))
    declaration["applications"] = declaration["applications"][:1]
    short = dict(minimum_terms(declaration))
    declaration["applications"][0]["files"][0]["size"] = 100  # 104 enciphered bytes + 7
    long = dict(minimum_terms(declaration))
    assert (short["F585C0: WriteData frames"], long["F585C0: WriteData frames"]) == (1, 3)
    assert (short["F585C0: read-back frames"], long["F585C0: read-back frames"]) == (1, 2)


def with_dam_keys():
    declaration = preset_declaration("esup-sgc", "dam")
    declaration["dam_keys"] = {name: {"reference": f"file:dam/{name}.hex", "version": 1}
                               for name in layouts.DAM_KEYS}
    return with_keys(declaration)


def test_dam_keys_take_one_more_session_only_when_the_master_key_changed():
    declaration = with_dam_keys()
    card = SoftCard(uid=UID)
    count, _verified, first = encode(card, declaration)
    assert count == minimum_apdus(declaration) == minimum_apdus(
        declaration, dam_keys_change=False) + 2 + 3
    again, _verified, _plan = encode(card, declaration, known_picc_keys=[first.picc_key],
                                     previous_dam_keys=first.dam_keys)
    assert again == minimum_apdus(declaration, picc_key_changes=False, dam_keys_change=False)


def test_dam_keys_new_to_a_chip_are_loaded_in_the_opening_session():
    plain = with_keys(preset_declaration("esup-sgc", "dam"))
    card = SoftCard(uid=UID)
    _count, _verified, first = encode(card, plain)
    declaration = with_dam_keys()
    count, _verified, plan = encode(card, declaration, known_picc_keys=[first.picc_key])
    assert count == minimum_apdus(declaration, picc_key_changes=False)
    picc = Desfire(SoftCardTransport(card))
    picc.select_application(0)
    picc.authenticate(0x10, dict(plan.dam_keys)[0x10])  # the DAM auth key is loaded
