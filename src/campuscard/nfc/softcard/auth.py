"""The card's side of each authentication: a challenge, then the reader's answer checked.
`start()` gives the first cryptogram; `finish(token)` gives `(session, answer)` or raises
AuthenticationError. The reader's side is campuscard.nfc.desfire.auth."""

from campuscard.nfc.desfire import crypto
from campuscard.nfc.desfire.codes import Ins
from campuscard.nfc.desfire.keys import session_key_type
from campuscard.nfc.desfire.messaging import Ev1Session, Ev2Session, LegacySession
from campuscard.nfc.desfire.status import AuthenticationError, LengthError

TDES = crypto.Algorithm.TDES
# Which stored key types each authentication accepts.
ACCEPTS = {
    Ins.AUTHENTICATE_LEGACY: ("2tdea",),
    Ins.AUTHENTICATE_ISO: ("2tdea", "3tdea"),
    Ins.AUTHENTICATE_AES: ("aes",),
    Ins.AUTHENTICATE_EV2_FIRST: ("aes",),
    Ins.AUTHENTICATE_EV2_NON_FIRST: ("aes",),
}


def _check_length(token, size):
    if len(token) != size:
        raise LengthError(f"the answer is {len(token)} bytes, not {size}")


class LegacyHandshake:
    def __init__(self, key, random_bytes):
        self.key = key.value
        self.rnd_b = random_bytes(8)

    def start(self):
        return crypto.ecb_encrypt(self.key, self.rnd_b, TDES)

    def finish(self, token):
        _check_length(token, 16)
        plain = crypto.legacy_unsend(self.key, token)
        if plain[8:] != crypto.rotate_left(self.rnd_b):
            raise AuthenticationError("wrong key")
        rnd_a = plain[:8]
        key_type = session_key_type("2tdea", self.key)
        session = LegacySession(crypto.ev1_session_key(rnd_a, self.rnd_b, key_type))
        return session, crypto.ecb_encrypt(self.key, crypto.rotate_left(rnd_a), TDES)


class ChainedHandshake:
    """1A and AA: the CBC IV runs through the three cryptograms."""

    def __init__(self, key, random_bytes):
        self.key = key
        self.algorithm = crypto.Algorithm.AES if key.type == "aes" else TDES
        self.block = self.algorithm.block_size
        self.rnd_b = random_bytes(8 if key.type == "2tdea" else 16)

    def start(self):
        self.challenge = crypto.cbc_encrypt(self.key.value, bytes(self.block), self.rnd_b,
                                            self.algorithm)
        return self.challenge

    def finish(self, token):
        _check_length(token, 2 * len(self.rnd_b))
        plain = crypto.cbc_decrypt(self.key.value, self.challenge[-self.block:], token,
                                   self.algorithm)
        size = len(self.rnd_b)
        if plain[size:] != crypto.rotate_left(self.rnd_b):
            raise AuthenticationError("wrong key")
        rnd_a = plain[:size]
        key_type = session_key_type(self.key.type, self.key.value)
        session = Ev1Session(crypto.ev1_session_key(rnd_a, self.rnd_b, key_type),
                             self.algorithm)
        answer = crypto.cbc_encrypt(self.key.value, token[-self.block:],
                                    crypto.rotate_left(rnd_a), self.algorithm)
        return session, answer


class Ev2Handshake:
    """71 (first: a new TI, CmdCtr 0) and 77 (non-first: `previous` session's TI and CmdCtr)."""

    def __init__(self, key, random_bytes, previous=None):
        self.key = key.value
        self.random_bytes = random_bytes
        self.previous = previous
        self.rnd_b = random_bytes(16)

    def start(self):
        return crypto.cbc_encrypt(self.key, bytes(16), self.rnd_b)

    def finish(self, token):
        _check_length(token, 32)
        plain = crypto.cbc_decrypt(self.key, bytes(16), token)
        if plain[16:] != crypto.rotate_left(self.rnd_b):
            raise AuthenticationError("wrong key")
        rnd_a = plain[:16]
        keys = crypto.ev2_session_keys(self.key, rnd_a, self.rnd_b)
        if self.previous is not None:
            session = Ev2Session(*keys, ti=self.previous.ti, cmd_ctr=self.previous.cmd_ctr)
            answer = crypto.rotate_left(rnd_a)
        else:
            session = Ev2Session(*keys, ti=self.random_bytes(4))
            answer = session.ti + crypto.rotate_left(rnd_a) + bytes(12)  # PDcap2, PCDcap2
        return session, crypto.cbc_encrypt(self.key, bytes(16), answer)


def handshake_for(ins, key, random_bytes, previous=None):
    if key.type not in ACCEPTS[ins]:
        raise AuthenticationError(f"a {key.type} key cannot do authentication {ins:02X}")
    if ins == Ins.AUTHENTICATE_LEGACY:
        return LegacyHandshake(key, random_bytes)
    if ins in (Ins.AUTHENTICATE_ISO, Ins.AUTHENTICATE_AES):
        return ChainedHandshake(key, random_bytes)
    if ins == Ins.AUTHENTICATE_EV2_NON_FIRST and not isinstance(previous, Ev2Session):
        raise AuthenticationError("EV2NonFirst without a running EV2 transaction")
    return Ev2Handshake(key, random_bytes, previous if ins == Ins.AUTHENTICATE_EV2_NON_FIRST
                        else None)
