"""Access rights and key settings, as the card encodes them."""

import dataclasses

from campuscard.nfc.desfire.keys import CRYPTO_BITS

FREE = 0xE
NEVER = 0xF


@dataclasses.dataclass(frozen=True)
class AccessRights:
    """A file's four rights, each a key number (0-13), FREE (E) or NEVER (F).

    Written as the four hex digits R W RW C (ESUP's "1223"); on the wire two bytes, LSB first:
    RW<<4 | C, then R<<4 | W.
    """

    read: int
    write: int
    read_write: int
    change: int

    @classmethod
    def parse(cls, digits):
        if len(digits) != 4:
            raise ValueError("access rights are four hex digits R W RW C")
        return cls(*(int(digit, 16) for digit in digits))

    @classmethod
    def from_wire(cls, two):
        return cls(two[1] >> 4, two[1] & 0xF, two[0] >> 4, two[0] & 0xF)

    def to_wire(self):
        return bytes([self.read_write << 4 | self.change, self.read << 4 | self.write])

    def __str__(self):
        return f"{self.read:X}{self.write:X}{self.read_write:X}{self.change:X}"


FREE_ACCESS = AccessRights(FREE, FREE, FREE, FREE)

# Key settings 1 (of the PICC or an application).
ALLOW_CHANGE_MASTER_KEY = 0x01
FREE_DIRECTORY_LIST = 0x02
FREE_CREATE_DELETE = 0x04
CONFIGURATION_CHANGEABLE = 0x08
# Application key settings 1, bits 7-4: who may change the application's keys.
CHANGE_KEY_WITH_MASTER = 0x0
CHANGE_KEY_WITH_SAME_KEY = 0xE
CHANGE_KEY_FROZEN = 0xF
# Key settings 2.
ISO_FILE_IDS = 0x20
KS3_PRESENT = 0x10


def key_settings_2(key_type, key_count, iso_file_ids=False):
    """KS2 of CreateApplication: the keys' crypto, ISO file ids, the number of keys (1-14)."""
    if not 1 <= key_count <= 14:
        raise ValueError("an application has 1 to 14 keys")
    return CRYPTO_BITS[key_type] | (ISO_FILE_IDS if iso_file_ids else 0) | key_count


def key_type_of(ks2):
    """The key type an application's KS2 announces (DES-family apps answer 2tdea)."""
    return {0x00: "2tdea", 0x40: "3tdea", 0x80: "aes"}.get(ks2 & 0xC0)
