"""Card layouts: presets, every check of a declaration, immutable versions, the admin."""

import copy
import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from campuscard.cards.states import State
from campuscard.core.models import AuditEntry
from campuscard.nfc import keys, services
from campuscard.nfc.layouts import (
    bound_card_id,
    encode_value,
    estimated_bytes,
    validate_layout,
)
from campuscard.nfc.models import CardLayout, CardLayoutVersion, ChipEncoding
from campuscard.nfc.presets import PRESETS, preset_declaration
from campuscard.printing.models import CardTemplate
from tests.conftest import card_in_state

ADMIN = "/django-admin/nfc/cardlayout"


def esup():
    return preset_declaration("esup-sgc", "rouen")


def paths(declaration):
    return [error.path for error in validate_layout(declaration)]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate(name):
    declaration = preset_declaration(name, "rouen")
    assert validate_layout(declaration) == []
    assert "{layout}" not in str(declaration) and "file:rouen/" in str(declaration)


def test_the_esup_preset_is_esup_sgc_s_layout():
    declaration = esup()
    apps = declaration["applications"]
    assert [app["aid"] for app in apps] == ["F585C0", "F585C1", "F58540"]
    for app in apps:
        assert (app["key_settings_1"], app["key_settings_2"], len(app["keys"])) == ("0B", "84", 4)
        file = app["files"][0]
        assert (file["number"], file["communication"], file["access_rights"], file["size"]) == (
            0, "enciphered", "1223", 32)
    assert [app["files"][0]["holds"] for app in apps] == [
        "access_control_id", "access_control_id", "crous_number"]
    assert declaration["picc"]["key"]["type"] == "aes"


def test_the_esc_preset_keeps_the_escn_in_its_own_application():
    apps = preset_declaration("esc", "rouen")["applications"]
    escn_apps = [app for app in apps if any(f["holds"] == "escn" for f in app["files"])]
    assert len(escn_apps) == 1 and escn_apps[0]["aid"] == "F585E5"
    assert [f["holds"] for f in escn_apps[0]["files"]] == ["escn", "card_id_bound_to_csn"]
    assert escn_apps[0]["files"][0]["access_rights"][0] == "E"  # read freely, like the QR code
    assert any(f["holds"] == "access_control_id" for app in apps for f in app["files"])


def mutated(change):
    declaration = esup()
    change(declaration)
    return declaration


def app(declaration, index=0):
    return declaration["applications"][index]


def file(declaration, app_index=0, index=0):
    return app(declaration, app_index)["files"][index]


def set_(target, **values):
    target.update(values)


CASES = {
    "not an object": (lambda d: d.clear(), "picc"),
    "duplicate AID": (lambda d: set_(app(d, 1), aid="f585c0"), "applications[1].aid"),
    "AID of 2 bytes": (lambda d: set_(app(d), aid="F585"), "applications[0].aid"),
    "AID of the PICC": (lambda d: set_(app(d), aid="000000"), "applications[0].aid"),
    "KS2 count differs from the keys": (lambda d: set_(app(d), key_settings_2="83"),
                                        "applications[0].keys"),
    "no key": (lambda d: set_(app(d), key_settings_2="80"), "applications[0].key_settings_2"),
    "15 keys": (lambda d: set_(app(d), key_settings_2="8F"), "applications[0].key_settings_2"),
    "KS2 crypto unknown": (lambda d: set_(app(d), key_settings_2="C4"),
                           "applications[0].key_settings_2"),
    "KS3 not supported": (lambda d: set_(app(d), key_settings_2="94"),
                          "applications[0].key_settings_2"),
    "KS1 not hex": (lambda d: set_(app(d), key_settings_1="0G"), "applications[0].key_settings_1"),
    "KS1 change key missing": (lambda d: set_(app(d), key_settings_1="5B"),
                               "applications[0].key_settings_1"),
    "keys out of order": (lambda d: set_(app(d)["keys"][1], number=3),
                          "applications[0].keys[1].number"),
    "right names a missing key": (lambda d: set_(file(d), access_rights="1253"),
                                  "applications[0].files[0].access_rights"),
    "rights malformed": (lambda d: set_(file(d), access_rights="12"),
                         "applications[0].files[0].access_rights"),
    "file number twice": (lambda d: app(d)["files"].append(dict(file(d))),
                          "applications[0].files[1].number"),
    "file number 32": (lambda d: set_(file(d), number=32), "applications[0].files[0].number"),
    "size 0": (lambda d: set_(file(d), size=0), "applications[0].files[0].size"),
    "access-control number does not fit": (lambda d: set_(file(d), size=8),
                                           "applications[0].files[0].size"),
    "ESCN does not fit": (lambda d: set_(file(d), holds="escn", encoding="uuid16", size=15),
                          "applications[0].files[0].size"),
    "constant does not fit": (lambda d: set_(file(d), holds="constant", value="CAFEBABE",
                                             encoding="hex", size=3),
                              "applications[0].files[0].size"),
    "constant not hex": (lambda d: set_(file(d), holds="constant", value="CAFE1", encoding="hex"),
                         "applications[0].files[0].value"),
    "unknown content": (lambda d: set_(file(d), holds="photo"), "applications[0].files[0].holds"),
    "encoding not for this content": (lambda d: set_(file(d), encoding="uuid16"),
                                      "applications[0].files[0].encoding"),
    "bound id without key": (lambda d: set_(file(d), holds="card_id_bound_to_csn",
                                            encoding="cmac16"),
                             "applications[0].files[0].key"),
    "communication unknown": (lambda d: set_(file(d), communication="secret"),
                              "applications[0].files[0].communication"),
    "file type unknown": (lambda d: set_(file(d), type="cyclic"), "applications[0].files[0].type"),
    "value outside its limits": (lambda d: app(d)["files"].append(
        {"number": 1, "type": "value", "communication": "mac", "access_rights": "1223",
         "lower_limit": 0, "upper_limit": 10, "value": 11}), "applications[0].files[1].value"),
    "3TDEA key in an AES application": (lambda d: set_(app(d)["keys"][2], type="3tdea"),
                                        "applications[0].keys[2].type"),
    "key version 256": (lambda d: set_(app(d)["keys"][0], version=256),
                        "applications[0].keys[0].version"),
    "two keys alike": (lambda d: set_(app(d)["keys"][2], reference=app(d)["keys"][1]["reference"]),
                       "applications[0].keys[2].reference"),
    "one reference, two types": (lambda d: set_(d["picc"]["key"], type="3tdea",
                                                reference=app(d)["keys"][0]["reference"]),
                                 "applications[0].keys[0].reference"),
    "reference out of the key folder": (lambda d: set_(app(d)["keys"][0], reference="file:../x"),
                                        "applications[0].keys[0].reference"),
    "key bytes instead of a reference": (
        lambda d: set_(app(d)["keys"][0], reference="00112233445566778899AABBCCDDEEFF"),
        "applications[0].keys[0].reference"),
    "PICC key type unknown": (lambda d: set_(d["picc"]["key"], type="rsa"), "picc.key.type"),
    "DAM with a DES card key": (lambda d: set_(d, picc={"key": {"reference": "default",
                                                                "type": "des"}},
                                               dam_keys=dam_keys()), "dam_keys"),
    "DAM missing a key": (lambda d: set_(d, dam_keys={"auth": dam_keys()["auth"]}), "dam_keys"),
    "diversified without a system id": (lambda d: d.pop("system_id"), "system_id"),
    "system id too long for TDEA": (lambda d: set_(d["picc"]["key"], type="2tdea"), "system_id"),
    "system id not hex": (lambda d: set_(d, system_id="Campus"), "system_id"),
    "card size": (lambda d: set_(d, card_size_kib=3), "card_size_kib"),
    "too big for the card": (lambda d: set_(file(d), size=4000), "card_size_kib"),
    "ISO flag without FID": (lambda d: set_(app(d), key_settings_2="A4"),
                             "applications[0].iso_fid"),
    "FID without ISO flag": (lambda d: set_(app(d), iso_fid="1001"), "applications[0].iso_fid"),
    "reserved FID": (lambda d: set_(app(d), key_settings_2="A4", iso_fid="3F00"),
                     "applications[0].iso_fid"),
    "ISO application, file without FID": (lambda d: set_(app(d), key_settings_2="A4",
                                                         iso_fid="1001"),
                                          "applications[0].files[0].iso_fid"),
    "no application": (lambda d: set_(d, applications=[]), "applications"),
}


def dam_keys():
    return {name: {"reference": f"file:rouen/dam-{name}.hex", "version": 0}
            for name in ("auth", "mac", "enc")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_problem_is_found_with_its_path(case):
    change, path = CASES[case]
    errors = validate_layout(mutated(change))
    assert path in [error.path for error in errors], errors
    assert all(error.message and str(error).startswith(error.path) for error in errors)


JUNK = [None, 0, -1, 1.5, True, "", "x", "FF", [], {}, [1], {"a": 1}, "file:../x", 10 ** 9]


def value_paths(value, path=()):
    if path:
        yield path
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        yield from value_paths(child, (*path, key))


def replaced(declaration, path, junk):
    changed = copy.deepcopy(declaration)
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    if junk is KeyError:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(junk)
    return changed


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_no_malformed_declaration_raises(name):
    """Any value replaced by any JSON value, or removed: a list of errors, never an exception."""
    base = preset_declaration(name, "rouen") | {"dam_keys": dam_keys()}
    for path in value_paths(base):
        for junk in [*JUNK, KeyError]:
            errors = validate_layout(replaced(base, path, junk))
            assert all(isinstance(error.message, str) for error in errors)


def test_a_declaration_that_is_not_an_object_is_refused():
    assert [str(e) for e in validate_layout(["F585C0"])] == ["A layout is a JSON object."]


def test_dam_keys_with_an_aes_card_key_are_accepted():
    assert validate_layout(mutated(lambda d: set_(d, dam_keys=dam_keys()))) == []


def test_an_iso_application_with_its_identifiers_is_accepted():
    def iso(d):
        set_(app(d), key_settings_2="A4", iso_fid="1001", df_name="A000000614")
        set_(file(d), iso_fid="1002")
    assert validate_layout(mutated(iso)) == []


def test_the_capacity_estimate_counts_blocks():
    """Per application: one block, one per key, per file one block of settings plus its data in
    32-byte blocks (a backup file twice)."""
    assert estimated_bytes(esup()) == 3 * (1 + 4 + 1 + 1) * 32
    backup = mutated(lambda d: set_(file(d), type="backup", size=33))
    assert estimated_bytes(backup) == estimated_bytes(esup()) + (2 * 2 - 1) * 32
    assert validate_layout(mutated(lambda d: set_(d, card_size_kib=2))) == []
    assert paths(mutated(lambda d: set_(d, card_size_kib=2) or set_(file(d), size=1500))) == [
        "card_size_kib"]


def test_values_are_written_as_esup_writes_them():
    esup_file = file(esup())
    written = encode_value(esup_file, "1234500000000001")
    assert written == bytes.fromhex("0" * 48 + "1234500000000001") and len(written) == 32
    escn = uuid.UUID("c3b2a1d4-1234-4abc-8def-0123456789ab")
    assert encode_value({"holds": "escn", "size": 16}, escn) == escn.bytes
    assert encode_value({"holds": "constant", "value": "CAFE", "size": 4}) == bytes.fromhex(
        "CAFE0000")
    with pytest.raises(ValueError):
        encode_value(esup_file, "12a4")
    with pytest.raises(ValueError):
        encode_value(dict(esup_file, size=2), "12345")


def test_the_bound_card_id_depends_on_the_chip():
    binding = keys.ChipKey("aes", bytes(range(16)))
    uid = bytes.fromhex("04782E21801D80")
    first = bound_card_id(binding, uid, "1234500000000001")
    assert len(first) == 16
    assert first != bound_card_id(binding, bytes.fromhex("04782E21801D81"), "1234500000000001")
    assert first != bound_card_id(binding, uid, "1234500000000002")


@pytest.fixture
def layout(db):
    return services.create_layout_from_preset("esup-sgc", code="rouen", name="Rouen")


def test_a_layout_from_a_preset_has_version_one(layout):
    version = layout.current_version
    assert version.number == 1 and version.declaration == esup()
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == [
        "nfc.layout.created", "nfc.layout.version_saved"]


def test_versions_are_immutable(layout):
    version = layout.current_version
    version.declaration = mutated(lambda d: set_(d, card_size_kib=8))
    with pytest.raises(ValidationError):
        version.save()
    assert CardLayoutVersion.objects.get().declaration == esup()


def test_a_changed_declaration_is_a_new_version(layout):
    assert services.save_layout_version(layout, esup()).number == 1  # unchanged: no version
    rotated = mutated(lambda d: set_(app(d)["keys"][1], version=2,
                                     reference="file:rouen/f585c0-1-2027.hex"))
    assert services.save_layout_version(layout, rotated).number == 2
    assert layout.current_version.declaration == rotated
    assert CardLayoutVersion.objects.get(number=1).declaration == esup()


def test_an_invalid_declaration_changes_nothing(layout):
    with pytest.raises(ValidationError) as caught:
        services.save_layout_version(layout, mutated(lambda d: set_(file(d), size=0)))
    assert "applications[0].files[0].size" in caught.value.messages[0]
    assert layout.versions.count() == 1
    version = CardLayoutVersion(layout=layout, number=9, declaration={"applications": []})
    with pytest.raises(ValidationError):
        version.full_clean()


def test_the_layout_that_fits_best_is_chosen(db, est_a, est_b):
    template = CardTemplate.objects.create(code="staff", name="Staff")
    everyone = services.create_layout_from_preset("esup-sgc", code="all", name="All")
    mine = services.create_layout_from_preset("esc", code="a", name="A", establishment=est_a)
    mine_staff = services.create_layout_from_preset("esc", code="a-staff", name="A staff",
                                                    establishment=est_a, template=template)
    assert services.layout_for(est_a) == mine
    assert services.layout_for(est_a, template) == mine_staff
    assert services.layout_for(est_b, template) == everyone
    CardLayout.objects.filter(pk=everyone.pk).update(active=False)
    assert services.layout_for(est_b) is None


def test_cards_on_an_older_version_are_the_ones_to_re_encode(layout, student, other_student,
                                                            manager_a):
    old, again = (card_in_state(person, State.PRINTED, manager_a)
                  for person in (student, other_student))
    v1 = layout.current_version
    ChipEncoding.objects.create(card=old, version=v1, csn="04A1B2C3D4E5F6", verified=True)
    ChipEncoding.objects.create(card=again, version=v1, csn="04A1B2C3D4E5F7", verified=True)
    v2 = services.save_layout_version(layout, mutated(lambda d: set_(d, card_size_kib=8)))
    ChipEncoding.objects.create(card=again, version=v2, csn="04A1B2C3D4E5F7", verified=True)
    assert [e.card for e in services.encodings_behind(layout)] == [old]
    assert services.latest_encoding(again).version == v2


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def form(**values):
    return {"code": "caen", "name": "Caen", "format_before_write": "on", "active": "on",
            "preset": "", "declaration": "", "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0"} | values


def test_the_admin_creates_a_layout_from_a_preset(admin_client, settings, tmp_path):
    settings.CAMPUSCARD_NFC_KEY_DIR = tmp_path
    response = admin_client.post(f"{ADMIN}/add/", form(preset="esc"), follow=True)
    assert response.status_code == 200
    layout = CardLayout.objects.get(code="caen")
    assert layout.current_version.declaration == preset_declaration("esc", "caen")
    assert "cannot read a key yet" in response.content.decode()  # no key files here yet
    assert AuditEntry.objects.filter(action="cardlayout.created").exists()


def test_the_admin_shows_each_problem_and_saves_nothing(admin_client):
    bad = mutated(lambda d: set_(file(d), size=0) or set_(app(d, 1), aid="F585C0"))
    response = admin_client.post(f"{ADMIN}/add/", form(declaration=json.dumps(bad)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "applications[0].files[0].size" in page and "applications[1].aid" in page
    assert not CardLayout.objects.exists()
    empty = admin_client.post(f"{ADMIN}/add/", form())
    assert "Choose a preset or write a declaration." in empty.content.decode()


def test_the_admin_saves_a_new_version_only_when_the_declaration_changes(admin_client, layout):
    change = f"{ADMIN}/{layout.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "F585C0" in page
    values = form(declaration=json.dumps(esup()), name="Rouen (ESUP)",
                  **{"versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
                     "versions-0-id": str(layout.current_version.pk),
                     "versions-0-layout": str(layout.pk)})
    values.pop("code")
    assert admin_client.post(change, values).status_code == 302
    assert layout.versions.count() == 1
    changed = copy.deepcopy(esup()) | {"card_size_kib": 8}
    response = admin_client.post(change, values | {"declaration": json.dumps(changed)})
    assert response.status_code == 302
    assert layout.current_version.number == 2
    assert layout.current_version.declaration["card_size_kib"] == 8


def test_the_command_refuses_bad_input_and_creates_nothing(db, settings, tmp_path):
    settings.CAMPUSCARD_NFC_KEY_DIR = tmp_path / "keys"
    with pytest.raises(CommandError, match="Unknown establishment"):
        call_command("nfc-layout", "create", "esc", "--code", "x", "--name", "X",
                     "--establishment", "nowhere")
    with pytest.raises(CommandError):
        call_command("nfc-layout", "create", "esc", "--code", "not a slug", "--name", "X")
    assert not CardLayout.objects.exists() and not AuditEntry.objects.exists()
    call_command("nfc-layout", "create", "esc", "--code", "caen", "--name", "Caen")
    with pytest.raises(CommandError, match="8 keys cannot be read"):
        call_command("nfc-layout", "check-keys", "caen")
    with pytest.raises(CommandError, match="Unknown card layout"):
        call_command("nfc-layout", "check-keys", "rouen")
