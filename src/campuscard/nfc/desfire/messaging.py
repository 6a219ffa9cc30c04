"""Secure messaging: what a session does to each command and answer, on both sides.

One channel object per session kind: none (before any authentication), legacy (0A), EV1 (1A
and AA: a running CMAC IV, CRC32) and EV2 (71/77: MACt over CmdCtr and TI, full mode with ISO
padding). The reader calls `protect_command` and `open_response`; the software card calls the
mirror pair `open_command` and `protect_response`. A card-side check that fails raises
IntegrityError (status 1E); a reader-side one raises ResponseError.

Every method works on a whole logical command or answer; `apdu` does the framing.
"""

from campuscard.nfc.desfire import crypto
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.status import IntegrityError, ResponseError

MAC_SIZE = 8
CHANGE_KEY = 0xC4
CHANGE_KEY_EV2 = 0xC6


def strip_checksum(plain, checksum, size, block, length=None):
    """`data` out of `data ‖ checksum(data) ‖ zero padding`; with no known length, try each
    length the padding allows, shortest first (a longer guess would take checksum bytes for
    data, and CRC16 over data ‖ CRC is often zero-tailed). Raises ValueError when nothing
    checks out."""
    longest = len(plain) - size
    candidates = [length] if length is not None else range(longest - block + 1, longest + 1)
    for n in candidates:
        if 0 <= n <= longest and not any(plain[n + size:]) and (
                checksum(plain[:n]) == plain[n:n + size]):
            return plain[:n]
    raise ValueError("checksum or padding does not match")


def ack_comm(file_comm):
    """How the answer to a write (or the command of a read) travels for a file's comm mode."""
    return Comm.PLAIN if file_comm == Comm.PLAIN else Comm.SIGNED


class NoSession:
    """Before any authentication: everything in plain."""

    kind = None

    def protect_command(self, ins, header, data, comm):
        return header + data

    def open_response(self, st, body, comm, length=None):
        return body

    def open_command(self, ins, body, header_len, comm, length=None):
        return body

    def protect_response(self, st, data, comm):
        return data

    def wire_length(self, comm, length):
        return length

    def change_key_cryptogram(self, key_no, new, old, version):
        raise ResponseError("ChangeKey needs an authenticated session")


class LegacySession(NoSession):
    """After a legacy 0A authentication: DES CBC-MAC (4 bytes) and CRC16 enciphered data, from
    a zero IV for every message; the reader deciphers to send (crypto.legacy_send)."""

    kind = "legacy"
    MAC = 4

    def __init__(self, session_key):
        self.key = session_key

    def _mac(self, data):
        return crypto.cbc_encrypt(self.key, bytes(8), crypto.pad_zeros(data, 8),
                                  crypto.Algorithm.TDES)[-8:][:self.MAC]

    def _encipher(self, data):
        return crypto.cbc_encrypt(self.key, bytes(8), data, crypto.Algorithm.TDES)

    def _decipher(self, data):
        return crypto.cbc_decrypt(self.key, bytes(8), data, crypto.Algorithm.TDES)

    def _strip(self, plain, length):
        return strip_checksum(plain, crypto.crc16, 2, 8, length)

    def protect_command(self, ins, header, data, comm):
        if comm == Comm.FULL:
            return header + crypto.legacy_send(self.key, crypto.pad_zeros(
                data + crypto.crc16(data), 8))
        return header + data + (self._mac(data) if comm == Comm.MAC else b"")

    def open_response(self, st, body, comm, length=None):
        try:
            return self._open(body, comm, length, self._decipher)
        except ValueError as error:
            raise ResponseError(str(error)) from None

    def open_command(self, ins, body, header_len, comm, length=None):
        header, rest = body[:header_len], body[header_len:]
        unsend = lambda data: crypto.legacy_unsend(self.key, data)  # noqa: E731
        try:
            return header + self._open(rest, comm, length, unsend)
        except ValueError as error:
            raise IntegrityError(str(error)) from None

    def _open(self, body, comm, length, decipher):
        if comm == Comm.FULL:
            if len(body) % 8:
                raise ValueError("enciphered data is not whole blocks")
            return self._strip(decipher(body), length)
        if comm == Comm.MAC:
            data, mac = body[:-self.MAC], body[-self.MAC:]
            if len(body) < self.MAC or self._mac(data) != mac:
                raise ValueError("wrong MAC")
            return data
        return body

    def protect_response(self, st, data, comm):
        if comm == Comm.FULL:
            return self._encipher(crypto.pad_zeros(data + crypto.crc16(data), 8))
        return data + (self._mac(data) if comm == Comm.MAC else b"")

    def wire_length(self, comm, length):
        if comm == Comm.FULL:
            return length + 2 + (-(length + 2) % 8)
        return length + (self.MAC if comm == Comm.MAC else 0)

    def change_key_cryptogram(self, key_no, new, old, version):
        body = (new if old is None else crypto.xor(new, old)) + version
        plain = body + crypto.crc16(body) + (b"" if old is None else crypto.crc16(new))
        return crypto.legacy_send(self.key, crypto.pad_zeros(plain, 8))

    def open_change_key(self, key_no, cryptogram, new_length, has_version, old):
        plain = crypto.legacy_unsend(self.key, cryptogram)
        size = new_length + has_version
        body, rest = plain[:size], plain[size:]
        new = body[:new_length] if old is None else crypto.xor(body[:new_length], old)
        expected = crypto.crc16(body) + (b"" if old is None else crypto.crc16(new))
        _check_key_plain(rest, expected)
        return new, body[new_length:]


def _check_key_plain(rest, expected):
    if rest[:len(expected)] != expected or any(rest[len(expected):]):
        raise IntegrityError("ChangeKey cryptogram does not check out")


class Ev1Session(NoSession):
    """After 1A or AA: one running IV; a CMAC over every command and answer, CRC32 in
    enciphered data. `algorithm` is AES, or TDES for an ISO (1A) session."""

    kind = "ev1"

    def __init__(self, session_key, algorithm):
        self.key = session_key
        self.algorithm = algorithm
        self.block = algorithm.block_size
        self.iv = bytes(self.block)

    def _cmac(self, data):
        self.iv = crypto.cmac(self.key, data, self.algorithm, iv=self.iv)
        return self.iv[:MAC_SIZE]

    def _encrypt(self, plain):
        out = crypto.cbc_encrypt(self.key, self.iv, crypto.pad_zeros(plain, self.block),
                                 self.algorithm)
        self.iv = out[-self.block:]
        return out

    def _decrypt(self, data):
        if not data or len(data) % self.block:
            raise ValueError("enciphered data is not whole blocks")
        plain = crypto.cbc_decrypt(self.key, self.iv, data, self.algorithm)
        self.iv = data[-self.block:]
        return plain

    def protect_command(self, ins, header, data, comm):
        if comm == Comm.FULL:
            crc = crypto.crc32(bytes([ins]) + header + data)
            return header + self._encrypt(data + crc)
        mac = self._cmac(bytes([ins]) + header + data)
        return header + data + (mac if comm == Comm.MAC else b"")

    def open_response(self, st, body, comm, length=None):
        try:
            if comm == Comm.FULL:
                return strip_checksum(self._decrypt(body),
                                      lambda data: crypto.crc32(data + bytes([st])),
                                      4, self.block, length)
            data, mac = body[:-MAC_SIZE], body[-MAC_SIZE:]
            if len(body) < MAC_SIZE or self._cmac(data + bytes([st])) != mac:
                raise ValueError("wrong CMAC in the card's answer")
            return data
        except ValueError as error:
            raise ResponseError(str(error)) from None

    def open_command(self, ins, body, header_len, comm, length=None):
        header, rest = body[:header_len], body[header_len:]
        prefix = bytes([ins]) + header
        try:
            if comm == Comm.FULL:
                return header + strip_checksum(
                    self._decrypt(rest), lambda data: crypto.crc32(prefix + data), 4,
                    self.block, length)
        except ValueError as error:
            raise IntegrityError(str(error)) from None
        if comm == Comm.MAC:
            data, mac = rest[:-MAC_SIZE], rest[-MAC_SIZE:]
            if len(rest) < MAC_SIZE or self._cmac(prefix + data) != mac:
                raise IntegrityError("wrong CMAC")
            return header + data
        self._cmac(prefix + rest)
        return body

    def protect_response(self, st, data, comm):
        if comm == Comm.FULL and data:
            return self._encrypt(data + crypto.crc32(data + bytes([st])))
        return data + self._cmac(data + bytes([st]))

    def wire_length(self, comm, length):
        if comm == Comm.FULL:
            return length + 4 + (-(length + 4) % self.block)
        return length + (MAC_SIZE if comm == Comm.MAC else 0)

    def change_key_cryptogram(self, key_no, new, old, version):
        body = (new if old is None else crypto.xor(new, old)) + version
        plain = body + crypto.crc32(bytes([CHANGE_KEY, key_no]) + body)
        return self._encrypt(plain + (b"" if old is None else crypto.crc32(new)))

    def open_change_key(self, key_no, cryptogram, new_length, has_version, old):
        try:
            plain = self._decrypt(cryptogram)
        except ValueError as error:
            raise IntegrityError(str(error)) from None
        size = new_length + has_version
        body, rest = plain[:size], plain[size:]
        new = body[:new_length] if old is None else crypto.xor(body[:new_length], old)
        expected = crypto.crc32(bytes([CHANGE_KEY, key_no]) + body) + (
            b"" if old is None else crypto.crc32(new))
        _check_key_plain(rest, expected)
        return new, body[new_length:]


class Ev2Session(NoSession):
    """After 71 (EV2First) or 77 (EV2NonFirst): MACt over INS ‖ CmdCtr ‖ TI ‖ data, full mode
    enciphered with a per-message IV; CmdCtr counts command/answer pairs."""

    kind = "ev2"

    def __init__(self, enc_key, mac_key, ti, cmd_ctr=0):
        self.enc_key = enc_key
        self.mac_key = mac_key
        self.ti = ti
        self.cmd_ctr = cmd_ctr

    @staticmethod
    def _mode(comm):
        return Comm.MAC if comm == Comm.SIGNED else comm

    def _mac(self, code, counter, data):
        return crypto.ev2_mac_t(self.mac_key, code, counter, self.ti, data)

    def _iv(self, response):
        counter = (self.cmd_ctr + response) & 0xFFFF
        return crypto.ev2_iv(self.enc_key, self.ti, counter, response=response)

    def protect_command(self, ins, header, data, comm):
        comm = self._mode(comm)
        if comm == Comm.PLAIN:
            return header + data
        if comm == Comm.FULL and data:
            data = crypto.cbc_encrypt(self.enc_key, self._iv(False), crypto.pad_iso(data))
        return header + data + self._mac(ins, self.cmd_ctr, header + data)

    def open_response(self, st, body, comm, length=None):
        comm = self._mode(comm)
        self.cmd_ctr = (self.cmd_ctr + 1) & 0xFFFF
        if comm == Comm.PLAIN:
            return body
        data, mac = body[:-MAC_SIZE], body[-MAC_SIZE:]
        if len(body) < MAC_SIZE or self._mac(st, self.cmd_ctr, data) != mac:
            raise ResponseError("wrong MAC in the card's answer")
        try:
            return self._decipher(data, comm, response=True)
        except ValueError as error:
            raise ResponseError(str(error)) from None

    def _decipher(self, data, comm, response):
        if comm != Comm.FULL or not data:
            return data
        if len(data) % 16:
            raise ValueError("enciphered data is not whole blocks")
        iv = crypto.ev2_iv(self.enc_key, self.ti, self.cmd_ctr, response=response)
        return crypto.unpad_iso(crypto.cbc_decrypt(self.enc_key, iv, data))

    def open_command(self, ins, body, header_len, comm, length=None):
        comm = self._mode(comm)
        if comm == Comm.PLAIN:
            return body
        data, mac = body[:-MAC_SIZE], body[-MAC_SIZE:]
        if len(body) < MAC_SIZE or self._mac(ins, self.cmd_ctr, data) != mac:
            raise IntegrityError("wrong MACt")
        try:
            return data[:header_len] + self._decipher(data[header_len:], comm, response=False)
        except ValueError as error:
            raise IntegrityError(str(error)) from None

    def protect_response(self, st, data, comm):
        comm = self._mode(comm)
        self.cmd_ctr = (self.cmd_ctr + 1) & 0xFFFF
        if comm == Comm.PLAIN:
            return data
        if comm == Comm.FULL and data:
            iv = crypto.ev2_iv(self.enc_key, self.ti, self.cmd_ctr, response=True)
            data = crypto.cbc_encrypt(self.enc_key, iv, crypto.pad_iso(data))
        return data + self._mac(st, self.cmd_ctr, data)

    def wire_length(self, comm, length):
        comm = self._mode(comm)
        if comm == Comm.FULL and length:
            return length + 16 - length % 16 + MAC_SIZE
        return length + (0 if comm == Comm.PLAIN else MAC_SIZE)

    @staticmethod
    def _key_command(key_no, key_set):
        """ChangeKey (C4) or, with a key set, ChangeKeyEV2 (C6): INS and clear header."""
        if key_set is None:
            return CHANGE_KEY, bytes([key_no])
        return CHANGE_KEY_EV2, bytes([key_set, key_no])

    def change_key_cryptogram(self, key_no, new, old, version, key_set=None):
        data = new + version if old is None else (
            crypto.xor(new, old) + version + crypto.crc32(new))
        ins, header = self._key_command(key_no, key_set)
        return self.protect_command(ins, header, data, Comm.FULL)[len(header):]

    def open_change_key(self, key_no, cryptogram, new_length, has_version, old, key_set=None):
        ins, header = self._key_command(key_no, key_set)
        plain = self.open_command(ins, header + cryptogram, len(header), Comm.FULL)
        plain = plain[len(header):]
        size = new_length + has_version
        body, rest = plain[:size], plain[size:]
        new = body[:new_length] if old is None else crypto.xor(body[:new_length], old)
        _check_key_plain(rest, b"" if old is None else crypto.crc32(new))
        return new, body[new_length:]
