"""The reader's side of every DESFire authentication; each returns the session's channel
(`messaging`). `random_bytes(n)` is injectable so that tests can replay published examples."""

import os

from campuscard.nfc.desfire import crypto, status
from campuscard.nfc.desfire.codes import Ins
from campuscard.nfc.desfire.keys import session_key_type
from campuscard.nfc.desfire.messaging import Ev1Session, Ev2Session, LegacySession

TDES = crypto.Algorithm.TDES


def _whole_blocks(answer, block):
    """A cryptogram from the card is whole cipher blocks; anything else is a broken answer,
    not a reason to fail inside the cipher."""
    if not answer or len(answer) % block:
        _refuse(f"the card sent {len(answer)} bytes where whole {block}-byte blocks belong")
    return answer


def _first_step(link, ins, data, block=8):
    answer, st = link.exchange(ins, data)
    status.raise_for_status(st, f"authentication {ins:02X}")
    if st != status.ADDITIONAL_FRAME:
        raise status.ResponseError(f"authentication {ins:02X}: no challenge from the card")
    return _whole_blocks(answer, block)


def _last_step(link, token, block=8):
    answer, st = link.exchange(Ins.ADDITIONAL_FRAME, token)
    status.raise_for_status(st, "authentication")
    if st != status.OK:
        raise status.ResponseError("authentication: the card asked for more")
    return _whole_blocks(answer, block)


def _refuse(reason):
    raise status.ResponseError(f"authentication: {reason}")


def authenticate_legacy(link, key_no, key, random_bytes=os.urandom):
    """0A with a DES or 2TDEA key (the factory DES zero PICC key)."""
    if key.type not in ("des", "2tdea"):
        raise ValueError("legacy authentication takes a DES or 2TDEA key")
    rnd_b = crypto.ecb_decrypt(key.value, _first_step(link, Ins.AUTHENTICATE_LEGACY,
                                                      bytes([key_no])), TDES)
    rnd_a = random_bytes(8)
    answer = _last_step(link, crypto.legacy_send(key.value, rnd_a + crypto.rotate_left(rnd_b)))
    if crypto.ecb_decrypt(key.value, answer, TDES) != crypto.rotate_left(rnd_a):
        _refuse("the card did not prove the key")
    return LegacySession(_tdes_session_key(rnd_a, rnd_b, key))


def _tdes_session_key(rnd_a, rnd_b, key):
    return crypto.ev1_session_key(rnd_a, rnd_b, session_key_type(key.type, key.value))


def _chained_handshake(link, ins, key_no, key, random_bytes):
    """1A and AA: CBC whose IV runs through the three cryptograms."""
    algorithm, block = key.algorithm, key.algorithm.block_size
    challenge = _first_step(link, ins, bytes([key_no]), block)
    rnd_b = crypto.cbc_decrypt(key.value, bytes(block), challenge, algorithm)
    rnd_a = random_bytes(len(rnd_b))
    token = crypto.cbc_encrypt(key.value, challenge[-block:],
                               rnd_a + crypto.rotate_left(rnd_b), algorithm)
    answer = _last_step(link, token, block)
    if crypto.cbc_decrypt(key.value, token[-block:], answer, algorithm) != (
            crypto.rotate_left(rnd_a)):
        _refuse("the card did not prove the key")
    return rnd_a, rnd_b


def authenticate_iso(link, key_no, key, random_bytes=os.urandom):
    """1A with a 3TDEA key (or DES/2TDEA in ISO mode): EV1 secure messaging on TDES."""
    if key.type == "aes":
        raise ValueError("ISO authentication takes a DES-family key")
    rnd_a, rnd_b = _chained_handshake(link, Ins.AUTHENTICATE_ISO, key_no, key, random_bytes)
    return Ev1Session(_tdes_session_key(rnd_a, rnd_b, key), TDES)


def authenticate_aes(link, key_no, key, random_bytes=os.urandom):
    """AA, EV1 AES: EV1 secure messaging on AES."""
    if key.type != "aes":
        raise ValueError("AES authentication takes an AES key")
    rnd_a, rnd_b = _chained_handshake(link, Ins.AUTHENTICATE_AES, key_no, key, random_bytes)
    return Ev1Session(crypto.ev1_session_key(rnd_a, rnd_b, "aes"), crypto.Algorithm.AES)


def _ev2_challenge(link, ins, data, key, random_bytes):
    rnd_b = crypto.cbc_decrypt(key.value, bytes(16), _first_step(link, ins, data, 16))
    rnd_a = random_bytes(16)
    answer = _last_step(link, crypto.cbc_encrypt(key.value, bytes(16),
                                                 rnd_a + crypto.rotate_left(rnd_b)), 16)
    return rnd_a, rnd_b, crypto.cbc_decrypt(key.value, bytes(16), answer)


def authenticate_ev2_first(link, key_no, key, random_bytes=os.urandom):
    """71: a new transaction (TI from the card, CmdCtr 0); IV 0 for each cryptogram."""
    if key.type != "aes":
        raise ValueError("EV2 authentication takes an AES key")
    rnd_a, rnd_b, plain = _ev2_challenge(link, Ins.AUTHENTICATE_EV2_FIRST,
                                         bytes([key_no, 0]), key, random_bytes)
    if len(plain) != 32 or plain[4:20] != crypto.rotate_left(rnd_a):
        _refuse("the card did not prove the key")
    return Ev2Session(*crypto.ev2_session_keys(key.value, rnd_a, rnd_b), ti=plain[:4])


def authenticate_ev2_non_first(link, key_no, key, session, random_bytes=os.urandom):
    """77: new session keys inside the running transaction (TI and CmdCtr kept)."""
    if not isinstance(session, Ev2Session):
        raise ValueError("EV2NonFirst needs a running EV2 session")
    rnd_a, rnd_b, plain = _ev2_challenge(link, Ins.AUTHENTICATE_EV2_NON_FIRST,
                                         bytes([key_no]), key, random_bytes)
    if plain != crypto.rotate_left(rnd_a):
        _refuse("the card did not prove the key")
    return Ev2Session(*crypto.ev2_session_keys(key.value, rnd_a, rnd_b), ti=session.ti,
                      cmd_ctr=session.cmd_ctr)
