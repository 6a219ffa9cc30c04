"""What one chip must hold: a layout version's declaration with every key resolved for this
chip's UID and every file's bytes computed from the card's numbers.

A plan holds key values in memory only (desfire.keys.Key never shows them); it is rebuilt for
each step of a relayed session, never stored.
"""

import dataclasses

from campuscard.nfc import keys, layouts
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import FREE, NEVER, AccessRights

COMMS = {"plain": Comm.PLAIN, "mac": Comm.MAC, "enciphered": Comm.FULL}


class PlanError(Exception):
    """The chip cannot be planned: a number the layout writes is missing, or a key cannot be
    read. The message is translated and names no key."""


@dataclasses.dataclass(frozen=True)
class FilePlan:
    number: int
    type: str  # std, backup or value
    comm: Comm
    access: AccessRights
    holds: str | None = None
    encoding: str | None = None
    size: int | None = None
    iso_fid: bytes | None = None
    data: bytes | None = None  # what a data file must hold; None when only reading
    lower: int = 0
    upper: int = 0
    value: int = 0
    limited_credit: bool = False

    def writer(self):
        """The right that writes the file: the write right, else read-write (FREE, a key
        number, or NEVER)."""
        if FREE in (self.access.write, self.access.read_write):
            return FREE
        return self.access.write if self.access.write != NEVER else self.access.read_write

    def readers(self):
        """The rights that let one read it: key numbers, and FREE when anyone may."""
        return {right for right in (self.access.read, self.access.read_write) if right != NEVER}


@dataclasses.dataclass(frozen=True)
class ApplicationPlan:
    aid: int
    aid_text: str
    ks1: int
    ks2: int
    key_type: str
    keys: tuple  # Key per key number, as the chip must end with them
    files: tuple
    iso_fid: bytes | None = None
    df_name: bytes | None = None

    @property
    def change_right(self):
        return self.ks1 >> 4

    def zero_key(self):
        return Key.zero(self.key_type)


@dataclasses.dataclass(frozen=True)
class ChipPlan:
    uid: bytes
    picc_candidates: tuple  # keys the chip's master key may be now, the likeliest first
    picc_key: Key  # the master key it ends with
    applications: tuple
    format_before_write: bool = True
    dam_keys: tuple = ()  # (key number, Key)
    previous_dam_keys: tuple = ()  # what the DAM keys are before writing (zero if empty)


def desfire_key(chip_key):
    return Key(chip_key.key_type, chip_key.material, chip_key.version)


def resolve(declared, key_type, *, uid, aid, system_id):
    """The Key the chip `uid` holds for one key declaration of a layout."""
    chip_key = keys.card_key(declared["reference"], declared.get("type") or key_type,
                             version=declared.get("version", 0),
                             diversified=declared.get("diversified", False), uid=uid, aid=aid,
                             system_id=system_id)
    return desfire_key(chip_key)


def picc_key(declaration, uid):
    declared = declaration["picc"]["key"]
    return resolve(declared, declared["type"], uid=uid, aid=keys.PICC_AID,
                   system_id=_system_id(declaration))


def start_key(declaration, uid):
    declared = declaration["picc"].get("start_key") or {"reference": "default", "type": "des"}
    return resolve(declared, declared["type"], uid=uid, aid=keys.PICC_AID,
                   system_id=_system_id(declaration))


def dam_keys(declaration, uid):
    dam = declaration.get("dam_keys") or {}
    numbers = {"auth": 0x10, "mac": 0x11, "enc": 0x12}
    return tuple((numbers[name], resolve(dam[name], "aes", uid=uid, aid=keys.PICC_AID,
                                         system_id=_system_id(declaration)))
                 for name in layouts.DAM_KEYS if name in dam)


def _system_id(declaration):
    return bytes.fromhex(declaration.get("system_id", ""))


def _file_data(file, uid, values, system_id):
    holds = file["holds"]
    if holds == "constant":
        return layouts.encode_value(file)
    if holds == "card_id_bound_to_csn":
        access_control_id = values.get("access_control_id")
        if access_control_id is None:
            return None
        binding = keys.card_key(file["key"]["reference"], "aes",
                                version=file["key"].get("version", 0))
        return layouts.encode_value(file, layouts.bound_card_id(binding, uid, access_control_id))
    value = values.get(holds)
    return None if value is None else layouts.encode_value(file, value)


def _file_plan(file, uid, values, system_id):
    common = {"number": file["number"], "type": file["type"],
              "comm": COMMS[file["communication"]],
              "access": AccessRights.parse(file["access_rights"]),
              "iso_fid": bytes.fromhex(file["iso_fid"])[::-1] if file.get("iso_fid") else None}
    if file["type"] == "value":
        return FilePlan(**common, lower=file.get("lower_limit", 0),
                        upper=file.get("upper_limit", 0), value=file.get("value", 0),
                        limited_credit=file.get("limited_credit", False))
    encoding = file.get("encoding") or next(iter(layouts.HOLDS[file["holds"]]))
    return FilePlan(**common, holds=file["holds"], encoding=encoding, size=file["size"],
                    data=_file_data(file, uid, values, system_id))


def _application_plan(app, uid, values, system_id):
    ks2 = int(app["key_settings_2"], 16)
    key_type = layouts.APP_CRYPTO[ks2 & 0xC0][0]
    app_keys = tuple(resolve(key, key_type, uid=uid, aid=app["aid"], system_id=system_id)
                     for key in app["keys"])
    return ApplicationPlan(
        aid=int(app["aid"], 16), aid_text=app["aid"].upper(),
        ks1=int(app["key_settings_1"], 16), ks2=ks2, key_type=key_type, keys=app_keys,
        files=tuple(_file_plan(file, uid, values, system_id) for file in app["files"]),
        iso_fid=bytes.fromhex(app["iso_fid"])[::-1] if app.get("iso_fid") else None,
        df_name=bytes.fromhex(app["df_name"]) if app.get("df_name") else None)


def plan_chip(declaration, uid, values=None, *, format_before_write=True, known_picc_keys=(),
              previous_dam_keys=()):
    """The ChipPlan of `declaration` for the chip `uid` (7 bytes), its files holding `values`
    (access_control_id, crous_number, escn; a file whose value is missing is only read).

    `known_picc_keys`: master keys the chip may hold already (an earlier encoding's), tried
    before the layout's start key. Raises keys.KeyUnavailable when a key cannot be read."""
    values = values or {}
    system_id = _system_id(declaration)
    final = picc_key(declaration, uid)
    candidates = []
    for key in (*known_picc_keys, start_key(declaration, uid), final):
        if key not in candidates:
            candidates.append(key)
    return ChipPlan(
        uid=bytes(uid), picc_candidates=tuple(candidates), picc_key=final,
        applications=tuple(_application_plan(app, uid, values, system_id)
                           for app in declaration["applications"]),
        format_before_write=format_before_write, dam_keys=dam_keys(declaration, uid),
        previous_dam_keys=tuple(previous_dam_keys))
