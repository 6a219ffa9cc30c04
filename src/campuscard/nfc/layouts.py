"""A card layout's declaration (JSON data): what a chip holds and who may read it, checked before
it is saved, with an estimate of the EEPROM it takes (docs/nfc-layouts.md).

`validate_layout(declaration)` returns every problem at once, each with the path of the value
at fault (`applications[1].files[0].size`) and a translated message; an empty list means the
declaration can be saved. The check reads references (`file:…`, `env:…`) without opening them:
whether this host can read the keys is `check_keys`.
"""

import math
import re
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _

from campuscard.nfc import keys
from campuscard.nfc.desfire import crypto

BLOCK = 32  # DESFire allocates EEPROM in 32-byte blocks
CARD_SIZES_KIB = (2, 4, 8)
MAX_APPLICATIONS = 28  # a DESFire EV1/EV2 PICC holds at most 28 applications
MAX_FILE_NUMBER = 31
MAX_KEYS = 14
MAX_FILE_SIZE = 0xFFFFFF  # three bytes on the wire
COMMUNICATION = {"plain": 0x00, "mac": 0x01, "enciphered": 0x03}
FILE_TYPES = ("std", "backup", "value")
APP_CRYPTO = {0x00: ("2tdea", "des"), 0x40: ("3tdea",), 0x80: ("aes",)}  # first: the default
KS2_ISO_FILE_IDS = 0x20
KS2_KS3_PRESENT = 0x10
FREE, NEVER = 0xE, 0xF
RESERVED_FIDS = {"3F00", "3FFF", "FFFF"}  # ISO 7816-4: the MF, the path escape, reserved
DAM_KEYS = ("auth", "mac", "enc")  # PICC keys 0x10, 0x11, 0x12
INT32 = (-(2 ** 31), 2 ** 31 - 1)
ACCESS_CONTROL_DIGITS = 20  # cards.Card.access_control_id holds up to 20 digits

# What a file may hold, with each encoding and the bytes the longest value takes (None: the
# value's own length, known only when it is written).
HOLDS = {
    "access_control_id": {"decimal_nibbles": ACCESS_CONTROL_DIGITS // 2,
                          "ascii": ACCESS_CONTROL_DIGITS},
    "crous_number": {"decimal_nibbles": None, "ascii": None},
    "escn": {"uuid16": 16, "ascii": 36},
    "card_id_bound_to_csn": {"cmac16": 16},
    "constant": {"hex": None},
}
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_ACCESS_RIGHTS = re.compile(r"^[0-9A-Fa-f]{4}$")


@dataclass(frozen=True)
class LayoutError:
    path: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


def _one_of(value, choices):
    """Whether `value` is one of `choices` (a JSON value may be a list, which no dict holds)."""
    return isinstance(value, str | int) and not isinstance(value, bool) and value in choices


class _Errors(list):
    def add(self, path, message):
        self.append(LayoutError(path, message))


def validate_layout(declaration):
    """Every problem of `declaration`, as LayoutErrors; [] when it can be saved."""
    errors = _Errors()
    if not isinstance(declaration, dict):
        errors.add("", _("A layout is a JSON object."))
        return errors
    _check_card_size(declaration, errors)
    types = {}  # reference -> (key type, path): one reference names one key
    picc_type = _check_picc(declaration.get("picc"), errors, types)
    system_id = _check_system_id(declaration, errors)
    apps = declaration.get("applications")
    if not isinstance(apps, list) or not apps:
        errors.add("applications", _("List at least one application."))
        apps = []
    elif len(apps) > MAX_APPLICATIONS:
        errors.add("applications", _("A card holds at most %(max)d applications.")
                   % {"max": MAX_APPLICATIONS})
    for index, app in enumerate(apps):
        _check_application(app, f"applications[{index}]", errors, types)
    _check_unique_applications(apps, errors)
    _check_dam(declaration.get("dam_keys"), picc_type, errors, types)
    _check_diversification_inputs(declaration, system_id, errors)
    if not errors:
        _check_capacity(declaration, errors)
    return list(errors)


def _check_card_size(declaration, errors):
    if not _one_of(declaration.get("card_size_kib"), CARD_SIZES_KIB):
        errors.add("card_size_kib", _("The card size is 2, 4 or 8 (KiB)."))


def _check_system_id(declaration, errors):
    system_id = declaration.get("system_id", "")
    if system_id == "":
        return b""
    if not isinstance(system_id, str) or not _HEX.match(system_id):
        errors.add("system_id", _("The system identifier is written in hexadecimal, "
                                  "two digits a byte."))
        return b""
    return bytes.fromhex(system_id)


def _check_key(key, path, errors, types, key_type=None, allowed_types=None):
    """One key declaration: reference, version, diversified; `key_type` when the application
    decides it, else the key's own `type`. Returns the key type (or None)."""
    if not isinstance(key, dict):
        errors.add(path, _("A key is an object with a reference."))
        return None
    own_type = key.get("type")
    if key_type is None:
        if not _one_of(own_type, keys.KEY_LENGTHS):
            errors.add(f"{path}.type", _("The key type is des, 2tdea, 3tdea or aes."))
            return None
        key_type = own_type
    elif own_type is not None and not _one_of(own_type, allowed_types or (key_type,)):
        errors.add(f"{path}.type",
                   _("A %(crypto)s application takes %(allowed)s keys, not %(type)s.")
                   % {"crypto": key_type, "allowed": " / ".join(allowed_types or (key_type,)),
                      "type": own_type})
        return None
    else:
        key_type = own_type or key_type
    version = key.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 255:
        errors.add(f"{path}.version", _("A key version is a number from 0 to 255."))
    if not isinstance(key.get("diversified", False), bool):
        errors.add(f"{path}.diversified", _("Write true or false."))
    if key.get("diversified") and key_type == "des":
        errors.add(f"{path}.diversified", _("AN10922 does not diversify single DES keys."))
    _check_reference(key.get("reference"), key_type, f"{path}.reference", errors, types)
    return key_type


def _check_reference(reference, key_type, path, errors, types):
    try:
        ref = keys.parse_reference(reference)
    except keys.KeyUnavailable as exc:
        errors.add(path, str(exc))
        return
    if ref.scheme == keys.DEFAULT:
        return
    seen = types.setdefault(str(ref), (key_type, path))
    if seen[0] != key_type:
        errors.add(path, _("%(ref)s is a %(type)s key at %(other)s.")
                   % {"ref": ref, "type": seen[0], "other": seen[1]})


def _check_picc(picc, errors, types):
    if not isinstance(picc, dict):
        errors.add("picc", _("Declare the card's master key (picc.key)."))
        return None
    if "start_key" in picc:
        _check_key(picc["start_key"], "picc.start_key", errors, {})
    return _check_key(picc.get("key"), "picc.key", errors, types)


def _check_application(app, path, errors, types):
    if not isinstance(app, dict):
        errors.add(path, _("An application is an object."))
        return
    _check_aid(app.get("aid"), f"{path}.aid", errors)
    _check_key_settings_1(app, path, errors)
    crypto_types, key_count, iso = _check_key_settings_2(app, path, errors)
    _check_iso_names(app, path, iso, errors)
    key_list = app.get("keys")
    if not isinstance(key_list, list) or not key_list:
        errors.add(f"{path}.keys", _("List the application's keys."))
        key_list = []
    elif key_count is not None and len(key_list) != key_count:
        errors.add(f"{path}.keys", _("Key settings 2 says %(count)d keys; %(listed)d are listed.")
                   % {"count": key_count, "listed": len(key_list)})
    _check_app_keys(key_list, path, crypto_types, errors, types)
    numbers = {k["number"] for k in _objects(key_list) if _one_of(k.get("number"), range(15))}
    _check_change_key_right(app, path, numbers, errors)
    _check_files(app.get("files"), path, numbers, iso, errors, types)


def _check_aid(aid, path, errors):
    if not isinstance(aid, str) or not re.fullmatch(r"[0-9A-Fa-f]{6}", aid):
        errors.add(path, _("An AID is 3 bytes in hexadecimal (6 digits), most significant "
                           "first, as ESUP-SGC writes it (F585C0)."))
    elif int(aid, 16) == 0:
        errors.add(path, _("000000 is the card itself (the PICC), not an application."))


def _hex_byte(value):
    if isinstance(value, str) and re.fullmatch(r"[0-9A-Fa-f]{2}", value):
        return int(value, 16)
    return None


def _check_key_settings_1(app, path, errors):
    if _hex_byte(app.get("key_settings_1")) is None:
        errors.add(f"{path}.key_settings_1", _("Key settings 1 is one byte in hexadecimal (0B)."))


def _check_key_settings_2(app, path, errors):
    """(allowed key types, key count, ISO file ids) from key settings 2 (ESUP's `nok`)."""
    ks2 = _hex_byte(app.get("key_settings_2"))
    if ks2 is None:
        errors.add(f"{path}.key_settings_2", _("Key settings 2 is one byte in hexadecimal (84)."))
        return None, None, False
    crypto_types = APP_CRYPTO.get(ks2 & 0xC0)
    if crypto_types is None:
        errors.add(f"{path}.key_settings_2", _("Its first digit sets the keys' cipher: 0 "
                                               "(DES or 2TDEA), 4 (3TDEA) or 8 (AES), plus 2 "
                                               "for ISO file identifiers."))
    if ks2 & KS2_KS3_PRESENT:
        errors.add(f"{path}.key_settings_2", _("Key settings 3 (EV2 key sets) is not supported."))
    count = ks2 & 0x0F
    if not 1 <= count <= MAX_KEYS:
        errors.add(f"{path}.key_settings_2", _("An application has 1 to 14 keys (the last "
                                               "digit)."))
        count = None
    return crypto_types, count, bool(ks2 & KS2_ISO_FILE_IDS)


def _check_iso_fid(fid, path, errors):
    if not isinstance(fid, str) or not re.fullmatch(r"[0-9A-Fa-f]{4}", fid):
        errors.add(path, _("An ISO file identifier is 2 bytes in hexadecimal (4 digits)."))
    elif fid.upper() in RESERVED_FIDS:
        errors.add(path, _("ISO 7816-4 reserves %(fid)s.") % {"fid": fid.upper()})


def _check_iso_names(app, path, iso, errors):
    if iso:
        _check_iso_fid(app.get("iso_fid"), f"{path}.iso_fid", errors)
    elif "iso_fid" in app or "df_name" in app:
        errors.add(f"{path}.iso_fid", _("An ISO identifier or DF name needs the ISO flag (2) "
                                        "in key settings 2."))
    df_name = app.get("df_name")
    if iso and df_name is not None and (not isinstance(df_name, str) or not _HEX.match(df_name)
                                        or len(df_name) > 32):
        errors.add(f"{path}.df_name", _("A DF name is 1 to 16 bytes in hexadecimal."))


def _check_app_keys(key_list, path, crypto_types, errors, types):
    references = {}
    for index, key in enumerate(key_list):
        key_path = f"{path}.keys[{index}]"
        key_type = crypto_types[0] if crypto_types else None
        if crypto_types:
            _check_key(key, key_path, errors, types, key_type, crypto_types)
        if not isinstance(key, dict):
            continue
        number = key.get("number")
        if number != index:
            errors.add(f"{key_path}.number", _("Keys are numbered 0, 1, 2… in order."))
        reference = key.get("reference")
        if not isinstance(reference, str):
            continue
        if reference != keys.DEFAULT and reference in references:
            errors.add(f"{key_path}.reference",
                       _("Keys %(first)s and %(second)s would be the same key: give each its "
                         "own master key.") % {"first": references[reference],
                                               "second": number})
        references.setdefault(reference, number)


def _right_ok(right, numbers):
    return right in (FREE, NEVER) or right in numbers


def _check_change_key_right(app, path, numbers, errors):
    ks1 = _hex_byte(app.get("key_settings_1"))
    if ks1 is not None and numbers and not _right_ok(ks1 >> 4, numbers):
        errors.add(f"{path}.key_settings_1",
                   _("Its first digit names key %(key)d to change keys; the application has "
                     "no such key.") % {"key": ks1 >> 4})


def _check_files(files, path, numbers, iso, errors, types):
    if not isinstance(files, list):
        errors.add(f"{path}.files", _("List the application's files (may be empty)."))
        return
    seen_numbers, seen_fids = set(), set()
    for index, file in enumerate(files):
        file_path = f"{path}.files[{index}]"
        if not isinstance(file, dict):
            errors.add(file_path, _("A file is an object."))
            continue
        number = file.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or not (
                0 <= number <= MAX_FILE_NUMBER):
            errors.add(f"{file_path}.number", _("A file number is 0 to 31."))
        elif number in seen_numbers:
            errors.add(f"{file_path}.number", _("File %(number)d is declared twice.")
                       % {"number": number})
        else:
            seen_numbers.add(number)
        _check_file_iso(file, file_path, iso, seen_fids, errors)
        _check_file(file, file_path, numbers, errors, types)


def _check_file_iso(file, path, iso, seen, errors):
    if not iso:
        if "iso_fid" in file:
            errors.add(f"{path}.iso_fid", _("The application has no ISO file identifiers."))
        return
    fid = file.get("iso_fid")
    _check_iso_fid(fid, f"{path}.iso_fid", errors)
    if isinstance(fid, str) and fid.upper() in seen:
        errors.add(f"{path}.iso_fid", _("Two files have ISO identifier %(fid)s.")
                   % {"fid": fid.upper()})
    seen.add(str(fid).upper())


def _check_file(file, path, numbers, errors, types):
    if not _one_of(file.get("type"), FILE_TYPES):
        errors.add(f"{path}.type", _("A file is std, backup or value."))
        return
    if not _one_of(file.get("communication"), COMMUNICATION):
        errors.add(f"{path}.communication", _("Communication is plain, mac or enciphered."))
    _check_access_rights(file.get("access_rights"), f"{path}.access_rights", numbers, errors)
    if file["type"] == "value":
        _check_value_file(file, path, errors)
    else:
        _check_data_file(file, path, errors, types)


def _check_access_rights(rights, path, numbers, errors):
    if not isinstance(rights, str) or not _ACCESS_RIGHTS.match(rights):
        errors.add(path, _("Access rights are 4 digits, read, write, read-write, change "
                           "(1223): a key number, E (free) or F (never)."))
        return
    for digit in rights:
        if not _right_ok(int(digit, 16), numbers):
            errors.add(path, _("Key %(key)s is not a key of this application.")
                       % {"key": digit.upper()})


def _check_value_file(file, path, errors):
    limits = [file.get(name, 0) for name in ("lower_limit", "value", "upper_limit")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and INT32[0] <= v <= INT32[1]
               for v in limits):
        errors.add(path, _("A value file's lower_limit, value and upper_limit are 32-bit "
                           "whole numbers."))
    elif not limits[0] <= limits[1] <= limits[2]:
        errors.add(f"{path}.value", _("The value lies between lower_limit and upper_limit."))
    if not isinstance(file.get("limited_credit", False), bool):
        errors.add(f"{path}.limited_credit", _("Write true or false."))
    if "holds" in file or "size" in file:
        errors.add(path, _("A value file holds a number: no size or holds."))


def _check_data_file(file, path, errors, types):
    size = file.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= MAX_FILE_SIZE:
        errors.add(f"{path}.size", _("A file's size is a number of bytes, more than 0."))
        size = None
    holds = file.get("holds")
    if not _one_of(holds, HOLDS):
        errors.add(f"{path}.holds", _("A file holds one of: %(choices)s.")
                   % {"choices": ", ".join(HOLDS)})
        return
    encodings = HOLDS[holds]
    encoding = file.get("encoding", next(iter(encodings)))
    if not _one_of(encoding, encodings):
        errors.add(f"{path}.encoding", _("%(holds)s is written as %(choices)s.")
                   % {"holds": holds, "choices": " or ".join(encodings)})
        return
    needed = encodings[encoding]
    if holds == "constant":
        needed = _check_constant(file, path, errors)
    if holds == "card_id_bound_to_csn":
        _check_key(file.get("key"), f"{path}.key", errors, types, "aes")
    if size is not None and needed is not None and size < needed:
        errors.add(f"{path}.size", _("%(holds)s takes %(needed)d bytes written as "
                                     "%(encoding)s; the file has %(size)d.")
                   % {"holds": holds, "needed": needed, "encoding": encoding, "size": size})


def _check_constant(file, path, errors):
    value = file.get("value")
    if not isinstance(value, str) or not _HEX.match(value):
        errors.add(f"{path}.value", _("A constant is written in hexadecimal, two digits a byte."))
        return None
    return len(value) // 2


def _check_unique_applications(apps, errors):
    seen_aids, seen_fids, seen_names = {}, {}, {}
    for index, app in enumerate(apps):
        if not isinstance(app, dict):
            continue
        for field, seen in (("aid", seen_aids), ("iso_fid", seen_fids), ("df_name", seen_names)):
            value = app.get(field)
            if not isinstance(value, str):
                continue
            if value.upper() in seen:
                errors.add(f"applications[{index}].{field}",
                           _("applications[%(other)d] has the same %(field)s.")
                           % {"other": seen[value.upper()], "field": field})
            seen.setdefault(value.upper(), index)


def _check_dam(dam, picc_type, errors, types):
    if dam is None:
        return
    if picc_type is not None and picc_type != "aes":
        errors.add("dam_keys", _("Delegated application keys need an AES card master key."))
    if not isinstance(dam, dict) or set(dam) != set(DAM_KEYS):
        errors.add("dam_keys", _("Declare the three DAM keys: auth, mac and enc."))
        return
    for name in DAM_KEYS:
        _check_key(dam[name], f"dam_keys.{name}", errors, types, "aes")


def _objects(value):
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _diversified_keys(declaration):
    """(path, key type) of every diversified key (of a declaration maybe malformed)."""
    picc = declaration.get("picc") if isinstance(declaration.get("picc"), dict) else {}
    dam = declaration.get("dam_keys") if isinstance(declaration.get("dam_keys"), dict) else {}
    found = [("picc.key", picc.get("key"), None)]
    found += [(f"dam_keys.{name}", dam.get(name), "aes") for name in DAM_KEYS]
    for index, app in enumerate(_objects(declaration.get("applications"))):
        crypto_types = APP_CRYPTO.get((_hex_byte(app.get("key_settings_2")) or 0) & 0xC0, ("",))
        for key_index, key in enumerate(_objects(app.get("keys"))):
            found.append((f"applications[{index}].keys[{key_index}]", key, crypto_types[0]))
        for file_index, file in enumerate(_objects(app.get("files"))):
            found.append((f"applications[{index}].files[{file_index}].key", file.get("key"),
                          "aes"))
    return [(path, key.get("type") or key_type) for path, key, key_type in found
            if isinstance(key, dict) and key.get("diversified") is True]


def _check_diversification_inputs(declaration, system_id, errors):
    """AN10922 takes at most 31 input bytes for AES and 15 for TDEA: UID 7 + AID 3 + the
    system identifier."""
    for path, key_type in _diversified_keys(declaration):
        room = (31 if key_type == "aes" else 15) - keys.UID_LENGTH - 3
        if not system_id:
            errors.add("system_id", _("%(path)s is diversified: give the layout a system "
                                      "identifier.") % {"path": path})
            return
        if len(system_id) > room:
            errors.add("system_id", _("%(path)s (%(type)s) takes a system identifier of at "
                                      "most %(room)d bytes.")
                       % {"path": path, "type": key_type, "room": room})
            return


def file_blocks(file):
    if file["type"] == "value":
        return 1
    blocks = math.ceil(file["size"] / BLOCK)
    return 2 * blocks if file["type"] == "backup" else blocks


def application_bytes(app):
    """EEPROM an application takes in our model: one block for the application, one per key,
    and per file one block of settings plus its data rounded up to blocks (twice for a backup
    file, which keeps a mirror)."""
    blocks = 1 + len(app["keys"]) + sum(1 + file_blocks(file) for file in app["files"])
    return blocks * BLOCK


def estimated_bytes(declaration):
    dam = len(DAM_KEYS) if declaration.get("dam_keys") else 0
    return sum(application_bytes(app) for app in declaration["applications"]) + dam * BLOCK


def _check_capacity(declaration, errors):
    needed = estimated_bytes(declaration)
    capacity = declaration["card_size_kib"] * 1024
    if needed > capacity:
        errors.add("card_size_kib", _("The layout takes about %(needed)d bytes; a %(kib)d KiB "
                                      "card has %(capacity)d.")
                   % {"needed": needed, "kib": declaration["card_size_kib"],
                      "capacity": capacity})


def key_entries(declaration):
    """(path, reference, key type) of every key the layout names, for check_keys."""
    entries = []
    picc = declaration["picc"]
    for name in ("start_key", "key"):
        if name in picc:
            entries.append((f"picc.{name}", picc[name]["reference"], picc[name]["type"]))
    for name, key in (declaration.get("dam_keys") or {}).items():
        entries.append((f"dam_keys.{name}", key["reference"], "aes"))
    for index, app in enumerate(declaration["applications"]):
        default_type = APP_CRYPTO[int(app["key_settings_2"], 16) & 0xC0][0]
        for key in app["keys"]:
            entries.append((f"applications[{index}].keys[{key['number']}]", key["reference"],
                            key.get("type", default_type)))
        for file in app["files"]:
            if "key" in file:
                entries.append((f"applications[{index}].files[{file['number']}].key",
                                file["key"]["reference"], "aes"))
    return entries


def check_keys(declaration):
    """LayoutErrors for the keys of a valid declaration this host cannot read."""
    errors = []
    for path, reference, key_type in key_entries(declaration):
        try:
            keys.resolve_key(reference, key_type)
        except keys.KeyUnavailable as exc:
            errors.append(LayoutError(path, str(exc)))
    return errors


# -- what a file holds, as the bytes written to it -------------------------------------------

def encode_value(file, value=None):
    """The `size` bytes written to a data file for `value` (a string, or the bound id's 16
    bytes); ValueError when it does not fit."""
    encoding = file.get("encoding") or next(iter(HOLDS[file["holds"]]))
    size = file["size"]
    if file["holds"] == "constant":
        data = bytes.fromhex(file["value"])
    elif encoding == "decimal_nibbles":
        data = _decimal_nibbles(str(value), size)
    elif encoding == "uuid16":
        data = uuid.UUID(str(value)).bytes
    elif encoding == "ascii":
        data = str(value).encode("ascii")
    else:  # cmac16
        data = bytes(value)
    if len(data) > size:
        raise ValueError(f"{len(data)} bytes do not fit a {size}-byte file")
    return data + bytes(size - len(data))


def _decimal_nibbles(digits, size):
    """ESUP-SGC's form: the decimal digits, left-padded with 0 to two per byte, read as hex."""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError("decimal_nibbles writes decimal digits only")
    if len(digits) > 2 * size:
        raise ValueError(f"{len(digits)} digits do not fit a {size}-byte file")
    return bytes.fromhex(digits.rjust(2 * size, "0"))


def bound_card_id(binding_key, uid, access_control_id):
    """The card id bound to the chip: AES-CMAC(binding key, UID ‖ access-control number in
    ASCII). A reader holding the binding key recomputes it from the UID and the access-control
    file; the same files copied onto another chip no longer match."""
    return crypto.cmac(binding_key.material, bytes(uid) + str(access_control_id).encode("ascii"))
