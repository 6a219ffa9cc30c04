"""European Student Card Numbers (ESCN).

An ESCN is an RFC 4122 version-1 UUID in lower case whose node (the last 12 digits) is the
establishment's 3-digit prefix followed by its 9-digit PIC, written as those decimal digits.
The timestamp counts 100-ns intervals since 1582-10-15, as RFC 4122 says (ESUP's Java library
adds the Gregorian offset in milliseconds instead). The clock sequence is 14 random bits drawn
for each number.

Uniqueness: within a process, timestamps never repeat (a burst takes the next free tick).
Across processes sharing a prefix, two numbers collide only if they fall on the same 100-ns
tick *and* draw the same 14 random bits; the database's unique index on Card.escn turns that
last chance into a retry (see cards.services).
"""

import re
import secrets
import threading
import time
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# 100-ns intervals between 1582-10-15 00:00 (the Gregorian reform) and 1970-01-01 00:00.
GREGORIAN_OFFSET = 0x01B21DD213814000
ESCN_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-(\d{3})(\d{9})$")

_lock = threading.Lock()
_last_tick = 0


def _next_tick():
    """The current 100-ns tick since 1582, strictly greater than any this process gave."""
    global _last_tick
    with _lock:
        tick = max(time.time_ns() // 100 + GREGORIAN_OFFSET, _last_tick + 1)
        _last_tick = tick
        return tick


def node_for(prefix, pic):
    """The 48-bit node: prefix and PIC as twelve decimal digits read as hexadecimal."""
    prefix, pic = f"{int(prefix):03d}", str(pic)
    if len(prefix) != 3 or not re.fullmatch(r"\d{9}", pic):
        raise ValueError(f"an ESCN needs a 3-digit prefix and a 9-digit PIC: {prefix!r}/{pic!r}")
    return int(prefix + pic, 16)


def escn_from(tick, clock_seq, node):
    """Assemble the version-1 UUID from its three parts."""
    time_low = tick & 0xFFFFFFFF
    time_mid = (tick >> 32) & 0xFFFF
    time_hi_version = ((tick >> 48) & 0x0FFF) | 0x1000
    clock = (clock_seq & 0x3FFF) | 0x8000  # RFC 4122 variant
    value = (time_low << 96) | (time_mid << 80) | (time_hi_version << 64) | (clock << 48) | node
    return uuid.UUID(int=value)


def generate_escn(prefix, pic):
    """A new ESCN (a uuid.UUID) for the generator `prefix` of the establishment `pic`."""
    return escn_from(_next_tick(), secrets.randbits(14), node_for(prefix, pic))


def generate_escns(prefix, pic, count):
    node = node_for(prefix, pic)
    return [escn_from(_next_tick(), secrets.randbits(14), node) for _ in range(count)]


def validate_escn(value, pic=None):
    """Return the ESCN normalised (lower case, as a string) or raise ValidationError.

    Checks the form, version 1, the RFC 4122 variant, the node's twelve decimal digits and,
    when `pic` is given, that the issuer is that PIC."""
    text = str(value or "").strip().lower()
    match = ESCN_RE.match(text)
    if match is None:
        raise ValidationError(
            _("“%(value)s” is not a European Student Card Number (a version-1 UUID ending with "
              "a 3-digit prefix and a 9-digit PIC)."), code="escn", params={"value": value})
    if pic is not None and match.group(2) != str(pic):
        raise ValidationError(_("This card number was not issued by PIC %(pic)s."),
                              code="escn_issuer", params={"pic": pic})
    return text


def escn_time(value):
    """When the ESCN was minted, as Unix seconds (for checks and display)."""
    return (uuid.UUID(str(value)).time - GREGORIAN_OFFSET) / 10_000_000
