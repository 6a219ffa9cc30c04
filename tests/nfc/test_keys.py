"""Chip keys: references to files and variables, never bytes; per-card keys by AN10922."""

import json
import logging
import os
import pickle

import pytest
from django.core.management import call_command

from campuscard.core.models import AuditEntry
from campuscard.nfc import keys
from campuscard.nfc.layouts import check_keys, key_entries
from campuscard.nfc.models import CardLayout

MASTER = "00112233445566778899AABBCCDDEEFF"
UID = bytes.fromhex("04782E21801D80")
# AN10922's example sends AID 30 42 F5; declared most significant byte first, that is F54230.
AID = "F54230"
SYSTEM_ID = bytes.fromhex("4E585020416275")
AN10922_AES = bytes.fromhex("A8DD63A3B89D54B37CA802473FDA9175")


@pytest.fixture
def key_dir(settings, tmp_path):
    folder = tmp_path / "nfc-keys"
    folder.mkdir(mode=0o700)
    settings.CAMPUSCARD_NFC_KEY_DIR = folder
    return folder


def write_key(folder, name, text, mode=0o600):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_key_comes_from_a_file_of_the_key_folder(key_dir):
    write_key(key_dir, "rouen/ac.hex", f"{MASTER[:16]} {MASTER[16:].lower()}\n")
    key = keys.resolve_key("file:rouen/ac.hex", "aes", version=2)
    assert key.material == bytes.fromhex(MASTER)
    assert (key.key_type, key.version, key.reference) == ("aes", 2, "file:rouen/ac.hex")


def test_a_key_comes_from_an_environment_variable(monkeypatch):
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_ROUEN_AC", MASTER)
    assert keys.resolve_key("env:CAMPUSCARD_NFC_KEY_ROUEN_AC", "aes").material == bytes.fromhex(
        MASTER)
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_TDES", "00" * 24)
    assert len(keys.resolve_key("env:CAMPUSCARD_NFC_KEY_TDES", "3tdea").material) == 24


def test_default_is_the_factory_key():
    assert keys.resolve_key("default", "des").material == bytes(8)
    assert keys.resolve_key("default", "aes").material == bytes(16)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused(key_dir, mode):
    write_key(key_dir, "open.hex", MASTER, mode)
    with pytest.raises(keys.KeyUnavailable, match="chmod 600") as caught:
        keys.resolve_key("file:open.hex", "aes")
    assert MASTER not in str(caught.value)


def test_a_key_of_the_wrong_length_is_refused_without_showing_it(key_dir, monkeypatch):
    write_key(key_dir, "short.hex", MASTER[:-2])
    with pytest.raises(keys.KeyUnavailable, match="15 bytes; a aes key is 16") as caught:
        keys.resolve_key("file:short.hex", "aes")
    assert MASTER[:-2] not in str(caught.value)
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_LONG", MASTER + "00")
    with pytest.raises(keys.KeyUnavailable, match="17 bytes"):
        keys.resolve_key("env:CAMPUSCARD_NFC_KEY_LONG", "aes")
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_AES", MASTER)
    with pytest.raises(keys.KeyUnavailable, match="16 bytes; a 3tdea key is 24"):
        keys.resolve_key("env:CAMPUSCARD_NFC_KEY_AES", "3tdea")


def test_a_key_that_is_not_hexadecimal_is_refused_without_showing_it(monkeypatch):
    secret = "not-hex-" + MASTER[8:]
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_BAD", secret)
    with pytest.raises(keys.KeyUnavailable, match="hexadecimal") as caught:
        keys.resolve_key("env:CAMPUSCARD_NFC_KEY_BAD", "aes")
    assert secret not in str(caught.value)


@pytest.mark.parametrize("reference, message", [
    ("", "not a key reference"),
    ("rouen-ac", "not a key reference"),
    ("file:../secret_key", "without"),
    ("file:/etc/campuscard/key.hex", "relative to the key folder"),
    ("env:DATABASE_URL", "CAMPUSCARD_NFC_KEY_"),
    ("env:CAMPUSCARD_SECRET_KEY", "CAMPUSCARD_NFC_KEY_"),
    ("pkcs11:token=campus;object=ac", "no key provider knows"),
])
def test_unknown_or_malformed_references_are_refused(key_dir, reference, message):
    with pytest.raises(keys.KeyUnavailable, match=message):
        keys.resolve_key(reference, "aes")


def test_a_missing_key_says_where_it_was_looked_for(key_dir, monkeypatch):
    with pytest.raises(keys.KeyUnavailable, match="no such key file"):
        keys.resolve_key("file:absent.hex", "aes")
    monkeypatch.delenv("CAMPUSCARD_NFC_KEY_UNSET", raising=False)
    with pytest.raises(keys.KeyUnavailable, match="not set"):
        keys.resolve_key("env:CAMPUSCARD_NFC_KEY_UNSET", "aes")
    with pytest.raises(keys.KeyUnavailable, match="not a key type"):
        keys.resolve_key("default", "aes256")


def test_a_link_out_of_the_key_folder_is_refused(key_dir, tmp_path):
    outside = write_key(tmp_path, "elsewhere.hex", MASTER)
    (key_dir / "link.hex").symlink_to(outside)
    with pytest.raises(keys.KeyUnavailable, match="outside the key folder"):
        keys.resolve_key("file:link.hex", "aes")


def test_card_keys_follow_the_an10922_vector(monkeypatch):
    """M = UID ‖ AID (as sent) ‖ system identifier: AN10922's own example, byte for byte."""
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_MASTER", MASTER)
    master = keys.resolve_key("env:CAMPUSCARD_NFC_KEY_MASTER", "aes")
    assert keys.diversification_input(UID, AID, SYSTEM_ID) == bytes.fromhex(
        "04782E21801D80" "3042F5" "4E585020416275")
    assert keys.derive_card_key(master, UID, AID, SYSTEM_ID).material == AN10922_AES
    derived = keys.card_key("env:CAMPUSCARD_NFC_KEY_MASTER", "aes", version=1, diversified=True,
                            uid=UID, aid=AID, system_id=SYSTEM_ID)
    assert derived.material == AN10922_AES and derived.version == 1


def test_tdea_card_keys_follow_the_an10922_vectors(monkeypatch):
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_2TDEA", MASTER)
    two = keys.card_key("env:CAMPUSCARD_NFC_KEY_2TDEA", "2tdea", diversified=True, uid=UID,
                        aid=AID, system_id=b"NXP A")
    assert two.material == bytes.fromhex("16F9587D9E8910C96B9649D007107DD6")
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_3TDEA", MASTER + "0102030405060708")
    three = keys.card_key("env:CAMPUSCARD_NFC_KEY_3TDEA", "3tdea", diversified=True, uid=UID,
                          aid=AID, system_id=b"NXP")
    assert three.material == bytes.fromhex("2E0DD03774D3FA9B5705AB0BDA91CA0B55B8E07FCDBF10EC")


def test_each_card_and_each_application_gets_its_own_key(monkeypatch):
    monkeypatch.setenv("CAMPUSCARD_NFC_KEY_MASTER", MASTER)

    def key(uid, aid):
        return keys.card_key("env:CAMPUSCARD_NFC_KEY_MASTER", "aes", diversified=True, uid=uid,
                             aid=aid, system_id=SYSTEM_ID)

    other_uid = bytes.fromhex("04782E21801D81")
    assert key(UID, AID) != key(other_uid, AID) != key(UID, "F585C0")
    assert key(UID, AID) == key(UID, AID)
    with pytest.raises(ValueError, match="7 bytes"):
        key(UID[:4], AID)
    with pytest.raises(ValueError, match="not single DES"):
        keys.card_key("default", "des", diversified=True, uid=UID, system_id=SYSTEM_ID)


class VaultProvider(keys.KeyProvider):
    """What an HSM provider looks like: master keys never leave it, only card keys do."""

    calls = []

    def diversify(self, reference, key_type, m):
        self.calls.append((str(reference), key_type, m))
        return keys.diversify(bytes.fromhex(MASTER), key_type, m)


def test_a_provider_can_keep_master_keys_to_itself(settings):
    settings.CAMPUSCARD_NFC_KEY_PROVIDER = "tests.nfc.test_keys.VaultProvider"
    derived = keys.card_key("pkcs11:object=ac", "aes", diversified=True, uid=UID, aid=AID,
                            system_id=SYSTEM_ID)
    assert derived.material == AN10922_AES
    assert VaultProvider.calls[-1] == ("pkcs11:object=ac", "aes",
                                       keys.diversification_input(UID, AID, SYSTEM_ID))
    with pytest.raises(keys.KeyUnavailable, match="cannot read it"):
        keys.resolve_key("pkcs11:object=ac", "aes")


def test_a_key_never_shows_its_bytes():
    key = keys.ChipKey("aes", bytes.fromhex(MASTER), version=3, reference="env:X")
    for shown in (str(key), repr(key), f"{key}", str([key]), str({"k": key})):
        assert MASTER not in shown.upper() and "0x" not in shown
        assert "aes" in shown and "v3" in shown
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert not hasattr(key, "__dict__")


def test_new_key_files_are_random_and_owner_only(key_dir):
    assert keys.create_key_file("file:rouen/picc.hex", "aes")
    path = key_dir / "rouen" / "picc.hex"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (key_dir / "rouen").stat().st_mode & 0o777 == 0o700
    first = keys.resolve_key("file:rouen/picc.hex", "aes")
    assert not keys.create_key_file("file:rouen/picc.hex", "aes")  # never replaced
    assert keys.resolve_key("file:rouen/picc.hex", "aes") == first
    assert keys.create_key_file("file:rouen/other.hex", "aes")
    assert keys.resolve_key("file:rouen/other.hex", "aes") != first


def test_no_key_reaches_the_audit_the_logs_or_the_command_output(db, key_dir, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    call_command("nfc-layout", "create", "esup-sgc", "--code", "rouen", "--name", "Rouen")
    call_command("nfc-layout", "make-keys", "rouen")
    call_command("nfc-layout", "check-keys", "rouen")
    declaration = CardLayout.objects.get(code="rouen").current_version.declaration
    assert check_keys(declaration) == []
    secrets = set()
    for _path, reference, key_type in key_entries(declaration):
        if reference == keys.DEFAULT:
            continue  # the factory key a new card comes with is no secret
        master = keys.resolve_key(reference, key_type)
        card = keys.derive_card_key(master, UID, "F585C0", b"CampusCard")
        logging.getLogger("campuscard.nfc").info("using %s and %r", master, card)
        secrets |= {master.material.hex(), card.material.hex()}
    written = json.dumps([[entry.before, entry.after, entry.reason]
                          for entry in AuditEntry.objects.all()])
    shown = (caplog.text + capsys.readouterr().out + written).lower()
    assert AuditEntry.objects.filter(action="nfc.layout.version_saved").exists()
    assert len(secrets) == 26  # 13 master keys and their card keys
    assert not [secret for secret in secrets if secret in shown]
    assert os.listdir(key_dir / "rouen")
