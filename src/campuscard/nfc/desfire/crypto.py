"""DESFire's cryptographic primitives as plain functions, each checkable against the published
vectors (NXP AN10922, AN12343; the test suite carries every vector of docs/nfc.md).

Keys are bytes: DES 8, 2TDEA 16, 3TDEA 24, AES 16. Functions that work with either family take
the cipher as an `Algorithm` (AES or TDES); a DES key K is used as the TDEA key K‖K‖K.
"""

import enum
import zlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ISO_PAD = b"\x80"


class Algorithm(enum.Enum):
    AES = "aes"
    TDES = "tdes"  # DES, 2TDEA and 3TDEA: the TripleDES primitive with K1‖K2‖K3

    @property
    def block_size(self):
        return 16 if self is Algorithm.AES else 8


def _primitive(key, algorithm):
    if algorithm is Algorithm.AES:
        return algorithms.AES(key)
    if len(key) == 8:  # single DES is 3DES with K1 = K2 = K3
        return TripleDES(key * 3)
    return TripleDES(key if len(key) == 24 else key + key[:8])


def ecb_encrypt(key, data, algorithm=Algorithm.AES):
    encryptor = Cipher(_primitive(key, algorithm), modes.ECB()).encryptor()  # noqa: S305
    return encryptor.update(data) + encryptor.finalize()


def ecb_decrypt(key, data, algorithm=Algorithm.AES):
    decryptor = Cipher(_primitive(key, algorithm), modes.ECB()).decryptor()  # noqa: S305
    return decryptor.update(data) + decryptor.finalize()


def cbc_encrypt(key, iv, data, algorithm=Algorithm.AES):
    encryptor = Cipher(_primitive(key, algorithm), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def cbc_decrypt(key, iv, data, algorithm=Algorithm.AES):
    decryptor = Cipher(_primitive(key, algorithm), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def legacy_send(key, data):
    """What the reader sends under a legacy (0A) DES/2TDEA session: each block is XORed with the
    previous result and then *deciphered*, from a zero IV for every message."""
    out, previous = b"", bytes(8)
    for start in range(0, len(data), 8):
        previous = ecb_decrypt(key, xor(data[start:start + 8], previous), Algorithm.TDES)
        out += previous
    return out


def legacy_unsend(key, data):
    """The card's inverse of `legacy_send`."""
    out, previous = b"", bytes(8)
    for start in range(0, len(data), 8):
        block = data[start:start + 8]
        out += xor(ecb_encrypt(key, block, Algorithm.TDES), previous)
        previous = block
    return out


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def rotate_left(data, count=1):
    return data[count:] + data[:count]


def pad_zeros(data, block_size=16):
    return data + bytes(-len(data) % block_size)


def pad_iso(data, block_size=16):
    """ISO/IEC 9797-1 method 2: 80 then zeros, always at least one byte added."""
    return pad_zeros(data + ISO_PAD, block_size)


def unpad_iso(data):
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(ISO_PAD):
        raise ValueError("bad ISO 9797-1 padding")
    return stripped[:-1]


def crc32(data):
    """DESFire's CRC32: poly EDB88320, preset FFFFFFFF, no final XOR, 4 bytes little-endian."""
    return ((~zlib.crc32(data)) & 0xFFFFFFFF).to_bytes(4, "little")


def crc16(data):
    """ISO 14443-A CRC (preset 6363), 2 bytes little-endian: the legacy DES sessions' CRC."""
    crc = 0x6363
    for byte in data:
        byte ^= crc & 0xFF
        byte = (byte ^ (byte << 4)) & 0xFF
        crc = ((crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)) & 0xFFFF
    return crc.to_bytes(2, "little")


def cmac_subkeys(key, algorithm=Algorithm.AES):
    size = algorithm.block_size
    constant = 0x87 if size == 16 else 0x1B
    ell = int.from_bytes(ecb_encrypt(key, bytes(size), algorithm), "big")
    subkeys = []
    for _ in range(2):
        carry = ell >> (size * 8 - 1)
        ell = ((ell << 1) & ((1 << size * 8) - 1)) ^ (constant if carry else 0)
        subkeys.append(ell.to_bytes(size, "big"))
    return tuple(subkeys)


def cmac(key, data, algorithm=Algorithm.AES, iv=None, pad_to=None):
    """CMAC (NIST SP 800-38B) of `data`, optionally from a running `iv` (EV1 sessions chain
    it) and padded to `pad_to` bytes (AN10922 pads its input to 32 or 16 bytes)."""
    size = algorithm.block_size
    k1, k2 = cmac_subkeys(key, algorithm)
    length = max(len(data), pad_to or 0, 1)
    length += -length % size
    complete = len(data) == length and len(data) > 0
    if complete:
        message = data[:-size] + xor(data[-size:], k1)
    else:
        padded = pad_zeros(data + ISO_PAD, size) + bytes(length - len(pad_iso(data, size)))
        message = padded[:-size] + xor(padded[-size:], k2)
    return cbc_encrypt(key, iv or bytes(size), message, algorithm)[-size:]


def truncate_mac(mac):
    """EV2's MACt: the eight odd-index bytes (1, 3, … 15) of a 16-byte CMAC."""
    return mac[1::2]


def ev1_session_key(rnd_a, rnd_b, key_type):
    """The session key of an EV1 (0A, 1A, AA) authentication; key_type: des, 2tdea, 3tdea, aes."""
    a, b = rnd_a, rnd_b
    if key_type == "aes":
        return a[0:4] + b[0:4] + a[12:16] + b[12:16]
    if key_type == "3tdea":
        return a[0:4] + b[0:4] + a[6:10] + b[6:10] + a[12:16] + b[12:16]
    if key_type == "2tdea":
        return a[0:4] + b[0:4] + a[4:8] + b[4:8]
    if key_type == "des":
        return a[0:4] + b[0:4]
    raise ValueError(f"unknown key type {key_type!r}")


def ev2_session_vectors(rnd_a, rnd_b):
    mixed = rnd_a[0:2] + xor(rnd_a[2:8], rnd_b[0:6]) + rnd_b[6:16] + rnd_a[8:16]
    return (b"\xa5\x5a\x00\x01\x00\x80" + mixed, b"\x5a\xa5\x00\x01\x00\x80" + mixed)


def ev2_session_keys(key, rnd_a, rnd_b):
    """KSesAuthENC and KSesAuthMAC of an EV2 authentication (AN12343)."""
    sv1, sv2 = ev2_session_vectors(rnd_a, rnd_b)
    return cmac(key, sv1), cmac(key, sv2)


def ev2_mac_t(mac_key, ins, cmd_ctr, ti, data=b""):
    """MACt over INS (or the response status) ‖ CmdCtr (2, LSB) ‖ TI ‖ data.
    A response is MACed with its status and the already incremented counter."""
    message = bytes([ins]) + cmd_ctr.to_bytes(2, "little") + ti + data
    return truncate_mac(cmac(mac_key, message))


def ev2_iv(enc_key, ti, cmd_ctr, response=False):
    """The IV of one EV2 full-mode message: E(KSesAuthENC, A55A|5AA5 ‖ TI ‖ CmdCtr ‖ 00…00)."""
    label = b"\x5a\xa5" if response else b"\xa5\x5a"
    return ecb_encrypt(enc_key, label + ti + cmd_ctr.to_bytes(2, "little") + bytes(8))


def diversify_aes(key, m):
    """AN10922 AES-128 diversification: CMAC(K, 01 ‖ M), the input padded to 32 bytes."""
    if not 1 <= len(m) <= 31:
        raise ValueError("AN10922 diversification input must be 1 to 31 bytes")
    return cmac(key, b"\x01" + m, pad_to=32)


def diversify_tdes(key, m):
    """AN10922 2TDEA (16-byte key, 21/22 constants) or 3TDEA (24-byte key, 31/32/33)
    diversification; the derived key keeps the master key's version in its parity bits."""
    if not 1 <= len(m) <= 15:
        raise ValueError("AN10922 TDEA diversification input must be 1 to 15 bytes")
    constants = {16: (0x21, 0x22), 24: (0x31, 0x32, 0x33)}.get(len(key))
    if constants is None:
        raise ValueError("TDEA diversification needs a 16- or 24-byte key")
    derived = b"".join(cmac(key, bytes([c]) + m, Algorithm.TDES, pad_to=16) for c in constants)
    return set_key_version(derived, key_version(key))


def key_version(des_key):
    """A DES-family key's version, carried in the parity bits of its first eight bytes."""
    return sum((byte & 1) << (7 - index) for index, byte in enumerate(des_key[:8]))


def set_key_version(des_key, version):
    """Write `version` into the parity bits; a 2TDEA key's second half takes the complement,
    so that setting a version never turns K1‖K2 into a single DES key (AN10922 2.4.1)."""
    versioned = bytearray(des_key)
    for index in range(8):
        bit = (version >> (7 - index)) & 1
        versioned[index] = (versioned[index] & 0xFE) | bit
        if len(des_key) == 16:
            versioned[index + 8] = (versioned[index + 8] & 0xFE) | (bit ^ 1)
    return bytes(versioned)


def dam_enc_k(dam_enc_key, app_key, key_version, random7):
    """EncK of CreateDelegatedApplication: E(DAMEncKey, IV 0, Random(7) ‖ key ‖ version ‖ 00…00)."""
    if len(random7) != 7 or len(app_key) != 16:
        raise ValueError("EncK takes 7 random bytes and a 16-byte application key")
    return cbc_encrypt(dam_enc_key, bytes(16), random7 + app_key + bytes([key_version]) + bytes(8))


def dam_mac(dam_mac_key, c9_data, enc_k):
    """DAMMAC: MACt of CMAC(DAMMACKey, C9 ‖ the first frame's data as sent ‖ EncK)."""
    return truncate_mac(cmac(dam_mac_key, b"\xc9" + c9_data + enc_k))
