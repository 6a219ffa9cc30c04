"""Chip keys: where they come from, how a card's own keys are derived, and how they stay secret.

A layout never holds key bytes, only a reference (docs/nfc-layouts.md, "Keys"):

- `file:<name>`: the file `<name>` in `CAMPUSCARD_NFC_KEY_DIR` (default
  `$CAMPUSCARD_HOME/nfc-keys`), holding the key in hexadecimal; refused when group or others
  may read it, as ssh refuses such a private key;
- `env:CAMPUSCARD_NFC_KEY_<NAME>`: an environment variable holding the key in hexadecimal;
- `default`: the factory key (all zeros), for the key a new card comes with;
- any other `<scheme>:<name>` goes to the provider named by `CAMPUSCARD_NFC_KEY_PROVIDER`
  (a dotted path), the extension point for an HSM or a PKCS#11 token.

A reference reaches only keys meant for chips (one folder, one variable prefix): a layout edited
in django-admin cannot make the instance use its Django secret key or its database password.

Per-card keys are diversified from the chip's UID with NXP AN10922:
M = UID (7 bytes) ‖ AID (3 bytes, as sent to the card: least significant byte first) ‖ the
layout's system identifier. The provider does the diversification, so a provider whose master
keys never leave an HSM computes the CMAC there.
"""

import functools
import hmac
import os
import re
import stat
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from campuscard.nfc.desfire import crypto

KEY_LENGTHS = {"des": 8, "2tdea": 16, "3tdea": 24, "aes": 16}
DEFAULT = "default"
ENV_PREFIX = "CAMPUSCARD_NFC_KEY_"
UID_LENGTH = 7
PICC_AID = "000000"
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_ENV_NAME = re.compile(rf"^{ENV_PREFIX}[A-Z0-9_]+$")
_SCHEME = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*):(?P<name>.+)$")
_HEX = re.compile(r"^[0-9A-Fa-f]*$")


class KeyUnavailable(Exception):
    """A key reference that is malformed, unknown, or whose key cannot be read; the message
    (translated) names the reference, never the key."""


@dataclass(frozen=True)
class KeyReference:
    scheme: str  # "default", "file", "env" or a provider's own
    name: str = ""

    def __str__(self):
        return self.scheme if self.scheme == DEFAULT else f"{self.scheme}:{self.name}"


def parse_reference(text):
    """The KeyReference `text` names; KeyUnavailable when it is not a reference we accept."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if text == DEFAULT:
        return KeyReference(DEFAULT)
    match = _SCHEME.match(text)
    if not match:
        raise KeyUnavailable(_('"%(ref)s" is not a key reference: write file:<name>, '
                               'env:%(prefix)s<NAME> or default.')
                             % {"ref": text, "prefix": ENV_PREFIX})
    scheme, name = match["scheme"], match["name"]
    if scheme == "file" and (not _FILE_NAME.match(name) or ".." in name.split("/")):
        raise KeyUnavailable(_('"%(ref)s": a key file is named relative to the key folder, '
                               'without "..".') % {"ref": text})
    if scheme == "env" and not _ENV_NAME.match(name):
        raise KeyUnavailable(_('"%(ref)s": a key variable is named %(prefix)s<NAME> '
                               '(capitals, digits and _).') % {"ref": text, "prefix": ENV_PREFIX})
    return KeyReference(scheme, name)


class ChipKey:
    """A key in memory. Its bytes are reachable only through `material`; str, repr and
    comparisons never show them, and it refuses to be pickled (into a cache or a session)."""

    __slots__ = ("_material", "key_type", "reference", "version")

    def __init__(self, key_type, material, *, version=0, reference=""):
        expected = KEY_LENGTHS.get(key_type)
        if expected is None:
            raise ValueError(f"unknown key type {key_type!r}")
        if len(material) != expected:
            raise ValueError(f"a {key_type} key is {expected} bytes, not {len(material)}")
        self.key_type = key_type
        self.version = version
        self.reference = str(reference)
        self._material = bytes(material)

    @property
    def material(self):
        return self._material

    @property
    def algorithm(self):
        return crypto.Algorithm.AES if self.key_type == "aes" else crypto.Algorithm.TDES

    def __repr__(self):
        source = f" from {self.reference}" if self.reference else ""
        return f"<ChipKey {self.key_type} v{self.version}{source}>"

    __str__ = __repr__

    def __eq__(self, other):
        if not isinstance(other, ChipKey):
            return NotImplemented
        return (self.key_type == other.key_type
                and hmac.compare_digest(self._material, other._material))

    __hash__ = None

    def __reduce__(self):
        raise TypeError("a chip key is not pickled")


class KeyProvider:
    """Where master keys live. `load` gives a key's bytes; `diversify` gives a card's key from a
    master key and the AN10922 input. A provider whose keys cannot leave their device (an HSM,
    a PKCS#11 token) overrides `diversify` to compute the CMAC there, and `load` to refuse."""

    def load(self, reference, key_type):
        raise KeyUnavailable(_("%(ref)s: this key provider cannot read it.") % {"ref": reference})

    def diversify(self, reference, key_type, m):
        return diversify(self.load(reference, key_type), key_type, m)


class FileOrEnvKeyProvider(KeyProvider):
    """Keys in files of CAMPUSCARD_NFC_KEY_DIR or in CAMPUSCARD_NFC_KEY_* variables."""

    def load(self, reference, key_type):
        if reference.scheme == "file":
            text = _read_key_file(reference)
        elif reference.scheme == "env":
            text = os.environ.get(reference.name)
            if text is None:
                raise KeyUnavailable(_("%(ref)s: the variable is not set.") % {"ref": reference})
        else:
            raise KeyUnavailable(_("%(ref)s: no key provider knows this kind of reference "
                                   "(see CAMPUSCARD_NFC_KEY_PROVIDER).") % {"ref": reference})
        return _key_bytes(text, reference, key_type)


def _read_key_file(reference):
    folder = settings.CAMPUSCARD_NFC_KEY_DIR.resolve()
    path = (folder / reference.name).resolve()
    if not path.is_relative_to(folder):
        raise KeyUnavailable(_("%(ref)s: the file is outside the key folder.")
                             % {"ref": reference})
    try:
        status = path.stat()
    except OSError:
        raise KeyUnavailable(_("%(ref)s: there is no such key file in %(folder)s.")
                             % {"ref": reference, "folder": folder}) from None
    if not stat.S_ISREG(status.st_mode):
        raise KeyUnavailable(_("%(ref)s: not a file.") % {"ref": reference})
    if status.st_mode & 0o077:
        raise KeyUnavailable(_("%(ref)s: group or others may read this key file; allow its "
                               "owner only (chmod 600).") % {"ref": reference})
    try:
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise KeyUnavailable(_("%(ref)s: the key file cannot be read.")
                             % {"ref": reference}) from None


def _key_bytes(text, reference, key_type):
    digits = "".join(text.split())
    if not _HEX.match(digits) or len(digits) % 2:
        raise KeyUnavailable(_("%(ref)s: a key is written in hexadecimal digits.")
                             % {"ref": reference})
    expected = KEY_LENGTHS[key_type]
    if len(digits) != 2 * expected:
        raise KeyUnavailable(
            _("%(ref)s holds %(found)d bytes; a %(type)s key is %(expected)d bytes.")
            % {"ref": reference, "found": len(digits) // 2, "type": key_type,
               "expected": expected})
    return bytes.fromhex(digits)


@functools.cache
def _provider(dotted_path):
    return import_string(dotted_path)()


def provider():
    return _provider(settings.CAMPUSCARD_NFC_KEY_PROVIDER)


def _checked_type(key_type):
    if key_type not in KEY_LENGTHS:
        raise KeyUnavailable(_('"%(type)s" is not a key type: des, 2tdea, 3tdea or aes.')
                             % {"type": key_type})
    return key_type


def resolve_key(reference, key_type, version=0):
    """The ChipKey `reference` names (text or KeyReference), checked against `key_type`."""
    ref = reference if isinstance(reference, KeyReference) else parse_reference(reference)
    _checked_type(key_type)
    if ref.scheme == DEFAULT:
        material = bytes(KEY_LENGTHS[key_type])
    else:
        material = provider().load(ref, key_type)
    return ChipKey(key_type, material, version=version, reference=ref)


def aid_on_the_wire(aid):
    """An AID as declared (hexadecimal, most significant byte first, as ESUP writes it) in
    the order the card receives it: least significant byte first."""
    return bytes.fromhex(aid)[::-1]


def diversification_input(uid, aid, system_id):
    """AN10922's M: UID ‖ AID (as sent) ‖ system identifier."""
    if len(uid) != UID_LENGTH:
        raise ValueError(f"a DESFire UID is {UID_LENGTH} bytes, not {len(uid)}")
    return bytes(uid) + aid_on_the_wire(aid) + bytes(system_id)


def diversify(master, key_type, m):
    """The AN10922 diversified key of `master` (bytes) for the input `m`."""
    if key_type == "aes":
        return crypto.diversify_aes(master, m)
    if key_type in ("2tdea", "3tdea"):
        return crypto.diversify_tdes(master, m)
    raise ValueError("AN10922 diversifies AES, 2TDEA and 3TDEA keys, not single DES")


def derive_card_key(master, uid, aid, system_id):
    """This card's key from a master ChipKey: AN10922 with M = UID ‖ AID ‖ system identifier."""
    material = diversify(master.material, master.key_type,
                         diversification_input(uid, aid, system_id))
    return ChipKey(master.key_type, material, version=master.version,
                   reference=f"{master.reference} diversified")


def card_key(reference, key_type, *, version=0, diversified=False, uid=None, aid=PICC_AID,
             system_id=b""):
    """The key a card holds for one key of its layout: the master key itself, or the master key
    diversified for this card by the provider (which may keep the master key in an HSM)."""
    ref = reference if isinstance(reference, KeyReference) else parse_reference(reference)
    if not diversified:
        return resolve_key(ref, key_type, version)
    _checked_type(key_type)
    m = diversification_input(uid, aid, system_id)
    if ref.scheme == DEFAULT:
        material = diversify(bytes(KEY_LENGTHS[key_type]), key_type, m)
    else:
        material = provider().diversify(ref, key_type, m)
    return ChipKey(key_type, material, version=version, reference=f"{ref} diversified")


def create_key_file(reference, key_type):
    """Write a new random key for the `file:` reference, owner-only (folders 0700, file 0600);
    False when the file exists already (an existing key is never replaced)."""
    ref = reference if isinstance(reference, KeyReference) else parse_reference(reference)
    if ref.scheme != "file":
        raise KeyUnavailable(_("%(ref)s: only file: keys are created here.") % {"ref": ref})
    folder = settings.CAMPUSCARD_NFC_KEY_DIR
    path = folder / ref.name
    try:
        for parent in reversed(path.relative_to(folder).parents):
            (folder / parent).mkdir(mode=0o700, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise KeyUnavailable(_("%(ref)s: the key file cannot be created (%(reason)s).")
                             % {"ref": ref, "reason": exc.strerror or exc}) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(os.urandom(KEY_LENGTHS[_checked_type(key_type)]).hex().upper() + "\n")
    return True
