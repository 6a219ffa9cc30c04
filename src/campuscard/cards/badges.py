"""A chip serial number (CSN) as people and readers write it, turned into the normalised forms
`Card.csn` is stored in (core.validators: 4, 7 or 10 bytes, upper-case hex, no separators).

Readers differ: some print the bytes in the order the chip sends them, some reversed, some the
number in decimal. A badge typed or read is therefore every CSN it may stand for; a card matches
if its CSN is one of them.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEX_LENGTHS = (8, 14, 20)  # 4, 7 and 10 bytes
SEPARATORS = re.compile(r"[\s:\-]")
HEX = re.compile(r"[0-9A-F]+")
DECIMAL = re.compile(r"[0-9]+")
LONGEST_INPUT = 80


def csn_readings(text):
    """The normalised CSNs `text` may stand for, or ValidationError if it stands for none."""
    raw = SEPARATORS.sub("", text or "").upper()
    readings = set()
    if len(raw) <= LONGEST_INPUT:
        readings = _as_hex(raw) | _as_decimal(raw)
    if not readings:
        raise ValidationError(
            _("“%(text)s” is not a chip serial number: type it in hexadecimal (4, 7 or 10 bytes, "
              "such as 04:A2:3B:1C:5D:80:00) or as the decimal number the reader shows.")
            % {"text": (text or "").strip()[:LONGEST_INPUT]}, code="csn")
    return readings


def _as_hex(raw):
    if len(raw) not in HEX_LENGTHS or not HEX.fullmatch(raw):
        return set()
    return {raw, reversed_bytes(raw)}


def _as_decimal(raw):
    if not DECIMAL.fullmatch(raw):
        return set()
    value = int(raw)
    readings = set()
    for length in HEX_LENGTHS:
        if value < 16 ** length:
            written = f"{value:0{length}X}"
            readings |= {written, reversed_bytes(written)}
    return readings


def reversed_bytes(hex_text):
    return "".join(reversed([hex_text[i:i + 2] for i in range(0, len(hex_text), 2)]))


def cards_with_badge(cards, text):
    """The cards of the queryset `cards` whose chip `text` may be (ValidationError if malformed)."""
    return cards.filter(csn__in=sorted(csn_readings(text)))
