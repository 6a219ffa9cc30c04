"""European Student Card Numbers (ESCN).

An ESCN is an RFC 4122 version-1 UUID in lower case whose node (the last 12 digits) is the
establishment's 3-digit prefix followed by its 9-digit PIC, written as those decimal digits.
The timestamp counts 100-ns intervals since 1582-10-15, as RFC 4122 says (ESUP's Java library
adds the Gregorian offset in milliseconds instead). The clock sequence is 14 random bits drawn
for each number.

Uniqueness: a tick is never handed out twice on one machine. Processes reserve their ticks
from a small shared file under an exclusive lock (RFC 4122's "stable storage" for the last
timestamp), so a burst, several threads or several workers each get ticks of their own.
Machines tell themselves apart by their prefix: give each generating server its own. The
database's unique index on Card.escn stays as the last guard (see cards.services).
"""

import fcntl
import os
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

class SharedClock:
    """Hands out 100-ns ticks since 1582, each once on this machine, never behind the clock."""

    def __init__(self, path=None):
        self._path = path
        self._lock = threading.Lock()
        self._fd = None
        self._pid = None

    def reserve(self, count):
        """The first of `count` consecutive ticks now reserved for the caller."""
        with self._lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                last = int.from_bytes(os.pread(fd, 8, 0).ljust(8, b"\0"), "big")
                first = max(time.time_ns() // 100 + GREGORIAN_OFFSET, last + 1)
                os.pwrite(fd, (first + count - 1).to_bytes(8, "big"), 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            return first

    def _file(self):
        # A forked child shares its parent's open file, and with it the lock: open its own.
        if self._pid != os.getpid():
            self._fd = os.open(self._path or _clock_path(), os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


def _clock_path():
    from django.conf import settings

    return os.path.join(settings.HOME, "escn-clock")


_clock = SharedClock()


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
    return escn_from(_clock.reserve(1), secrets.randbits(14), node_for(prefix, pic))


def generate_escns(prefix, pic, count):
    """`count` new ESCNs on consecutive ticks, reserved at once (the last one is
    count times 100 ns ahead of the clock: 0.1 s for a million)."""
    node = node_for(prefix, pic)
    first = _clock.reserve(count)
    return [escn_from(first + i, secrets.randbits(14), node) for i in range(count)]


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


def escn_short(value):
    """The short form people read and type: the first eight hex digits (the fastest-moving part
    of the timestamp), grouped by four, e.g. "1a2b-3c4d"."""
    head = str(value).lower()[:8]
    return f"{head[:4]}-{head[4:]}"


SHORT_ESCN_RE = re.compile(r"^(?:esc\s*)?([0-9a-f]{4})[-\s]?([0-9a-f]{4})$", re.IGNORECASE)


def escn_prefix_from_short(text):
    """The eight hex digits an ESCN starts with when `text` is a short form, else None."""
    match = SHORT_ESCN_RE.match(text.strip())
    return (match.group(1) + match.group(2)).lower() if match else None


def escn_time(value):
    """When the ESCN was minted, as Unix seconds (for checks and display)."""
    return (uuid.UUID(str(value)).time - GREGORIAN_OFFSET) / 10_000_000
