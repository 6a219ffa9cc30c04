"""What a software DESFire card keeps in its EEPROM: the PICC master key and settings, the DAM
keys, the applications with their keys and files. Saved as JSON (test-only secrets: the file
is the card's memory, nothing else reads it). Memory is counted in 32-byte blocks."""

import dataclasses
import json
import math
import os

from campuscard.nfc.desfire import crypto
from campuscard.nfc.desfire.settings import AccessRights

BLOCK = 32
DEFAULT_CAPACITY = 8192  # an 8 KiB EV2
MAX_APPLICATIONS = 28
DAM_AUTH_KEY, DAM_MAC_KEY, DAM_ENC_KEY = 0x10, 0x11, 0x12
KEY_SIZES = {"2tdea": 16, "3tdea": 24, "aes": 16}


def blocks(size):
    return math.ceil(size / BLOCK)


@dataclasses.dataclass
class CardKey:
    """A key as the card stores it: DES-family keys 16 (a DES key doubled) or 24 bytes."""

    type: str  # 2tdea (DES family), 3tdea or aes
    value: bytes = dataclasses.field(repr=False)  # kept out of reprs and test reports
    aes_version: int = 0

    @classmethod
    def zero(cls, type_):
        return cls(type_, bytes(KEY_SIZES[type_]))

    @property
    def version(self):
        return self.aes_version if self.type == "aes" else crypto.key_version(self.value)

    def to_json(self):
        return {"type": self.type, "value": self.value.hex(), "version": self.aes_version}

    @classmethod
    def from_json(cls, data):
        return cls(data["type"], bytes.fromhex(data["value"]), data["version"])


@dataclasses.dataclass
class DataFile:
    kind: str  # std, backup or value
    comm: int
    access: AccessRights
    size: int = 0
    data: bytes = b""
    iso_fid: bytes | None = None
    pending: bytes | None = None  # a backup file's or value file's uncommitted state
    lower: int = 0
    upper: int = 0
    value: int = 0
    limited_credit: int = 0

    @property
    def cost(self):
        if self.kind == "value":
            return 1
        return blocks(self.size) * (2 if self.kind == "backup" else 1)

    def to_json(self):
        fields = dataclasses.asdict(self)
        fields["access"] = str(self.access)
        for name in ("data", "iso_fid", "pending"):
            fields[name] = None if fields[name] is None else fields[name].hex()
        return fields

    @classmethod
    def from_json(cls, data):
        data = dict(data, access=AccessRights.parse(data["access"]))
        for name in ("data", "iso_fid", "pending"):
            data[name] = None if data[name] is None else bytes.fromhex(data[name])
        return cls(**data)


@dataclasses.dataclass
class Application:
    aid: int
    ks1: int
    ks2: int
    keys: list
    files: dict = dataclasses.field(default_factory=dict)
    iso_fid: bytes | None = None
    df_name: bytes | None = None
    quota: int | None = None  # blocks, for a delegated application
    dam_slot: int | None = None
    dam_slot_version: int | None = None

    @property
    def key_type(self):
        return self.keys[0].type

    @property
    def used_blocks(self):
        return 1 + len(self.keys) + sum(file.cost for file in self.files.values())

    @property
    def cost(self):
        return self.quota if self.quota is not None else self.used_blocks

    def to_json(self):
        return {
            "aid": self.aid, "ks1": self.ks1, "ks2": self.ks2,
            "keys": [key.to_json() for key in self.keys],
            "files": {str(no): file.to_json() for no, file in self.files.items()},
            "iso_fid": self.iso_fid.hex() if self.iso_fid else None,
            "df_name": self.df_name.hex() if self.df_name else None,
            "quota": self.quota, "dam_slot": self.dam_slot,
            "dam_slot_version": self.dam_slot_version,
        }

    @classmethod
    def from_json(cls, data):
        hex_or_none = lambda value: bytes.fromhex(value) if value else None  # noqa: E731
        return cls(
            aid=data["aid"], ks1=data["ks1"], ks2=data["ks2"],
            keys=[CardKey.from_json(key) for key in data["keys"]],
            files={int(no): DataFile.from_json(file) for no, file in data["files"].items()},
            iso_fid=hex_or_none(data["iso_fid"]), df_name=hex_or_none(data["df_name"]),
            quota=data["quota"], dam_slot=data["dam_slot"],
            dam_slot_version=data["dam_slot_version"])


def factory_dam_keys():
    return {no: CardKey.zero("aes") for no in (DAM_AUTH_KEY, DAM_MAC_KEY, DAM_ENC_KEY)}


@dataclasses.dataclass
class Memory:
    """The whole EEPROM."""

    uid: bytes
    capacity: int = DEFAULT_CAPACITY
    picc_key: CardKey = dataclasses.field(default_factory=lambda: CardKey.zero("2tdea"))
    picc_settings: int = 0x0F
    dam_keys: dict = dataclasses.field(default_factory=factory_dam_keys)
    applications: dict = dataclasses.field(default_factory=dict)
    max_applications: int = MAX_APPLICATIONS

    @property
    def free_bytes(self):
        used = sum(app.cost for app in self.applications.values())
        return max(0, self.capacity - used * BLOCK)

    def to_json(self):
        return {
            "uid": self.uid.hex(), "capacity": self.capacity,
            "picc_key": self.picc_key.to_json(), "picc_settings": self.picc_settings,
            "dam_keys": {str(no): key.to_json() for no, key in self.dam_keys.items()},
            "applications": [app.to_json() for app in self.applications.values()],
            "max_applications": self.max_applications,
        }

    @classmethod
    def from_json(cls, data):
        apps = [Application.from_json(app) for app in data["applications"]]
        return cls(
            uid=bytes.fromhex(data["uid"]), capacity=data["capacity"],
            picc_key=CardKey.from_json(data["picc_key"]), picc_settings=data["picc_settings"],
            dam_keys={int(no): CardKey.from_json(key) for no, key in data["dam_keys"].items()},
            applications={app.aid: app for app in apps},
            max_applications=data["max_applications"])

    def save(self, path):
        """Write atomically, readable by the owner only (the file holds the card's keys)."""
        temporary = f"{path}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(self.to_json(), out)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path):
        with open(path) as source:
            return cls.from_json(json.load(source))
