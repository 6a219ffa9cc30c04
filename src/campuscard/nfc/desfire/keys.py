"""A DESFire key as the reader holds it: its type, its value and its version."""

import dataclasses

from campuscard.nfc.desfire import crypto

KEY_LENGTHS = {"des": 8, "2tdea": 16, "3tdea": 24, "aes": 16}
# Key settings 2, bits 7-6: the crypto of an application's keys.
CRYPTO_BITS = {"des": 0x00, "2tdea": 0x00, "3tdea": 0x40, "aes": 0x80}


@dataclasses.dataclass(frozen=True)
class Key:
    type: str
    value: bytes
    version: int = 0

    def __post_init__(self):
        if KEY_LENGTHS.get(self.type) != len(self.value):
            raise ValueError(f"a {self.type} key is {KEY_LENGTHS.get(self.type)} bytes")
        if not 0 <= self.version <= 0xFF:
            raise ValueError("a key version is one byte")

    def __repr__(self):  # never show the value
        return f"Key({self.type!r}, version={self.version})"

    @classmethod
    def zero(cls, type_="aes", version=0):
        return cls(type_, bytes(KEY_LENGTHS[type_]), version)

    @property
    def algorithm(self):
        return crypto.Algorithm.AES if self.type == "aes" else crypto.Algorithm.TDES

    def wire_value(self):
        """The key as ChangeKey carries it (and the card stores it): DES doubled to 16 bytes,
        DES-family keys with their version in the parity bits (AES keys send the version as a
        separate byte). A value whose parity bits already say the version is kept as given,
        so the factory zero keys stay zeros."""
        if self.type == "aes":
            return self.value
        value = self.value
        if crypto.key_version(value) != self.version:
            value = crypto.set_key_version(value, self.version)
        return value * 2 if self.type == "des" else value


def without_parity(value):
    return bytes(byte & 0xFE for byte in value)


def session_key_type(key_type, value):
    """What kind of session key an authentication with this key makes: a 16-byte DES-family
    key whose halves are equal (a DES key as the card stores it) is single DES."""
    if key_type in ("aes", "3tdea", "des"):
        return key_type
    stripped = without_parity(value)
    return "des" if stripped[:8] == stripped[8:] else "2tdea"
