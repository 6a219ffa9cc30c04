"""Validators for the identifiers that cross system boundaries. Stored normalised."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PIC_RE = re.compile(r"^\d{9}$")
UAI_RE = re.compile(r"^\d{7}[A-Z]$")
ESCN_PREFIX_RE = re.compile(r"^\d{3}$")
CSN_RE = re.compile(r"^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$")
# INE: 11 characters. 10 digits + 1 letter (BEA before 2018), 9 digits + 2 letters (since
# 2018), or the RNIE/INES form: 10 alphanumerics ending with a key letter.
INE_RE = re.compile(r"^(?:\d{10}[A-Z]|\d{9}[A-Z]{2}|[0-9A-Z]{10}[A-Z])$")


def normalise_code(value):
    return re.sub(r"[\s:-]", "", value or "").upper()


def validate_pic(value):
    if not PIC_RE.match(value or ""):
        raise ValidationError(_("A PIC is exactly 9 digits."), code="pic")


def validate_uai(value):
    if value and not UAI_RE.match(value):
        raise ValidationError(_("A UAI is 7 digits followed by a letter."), code="uai")


def validate_escn_prefix(value):
    if not ESCN_PREFIX_RE.match(value or ""):
        raise ValidationError(_("The ESCN prefix is exactly 3 digits."), code="escn_prefix")


def validate_ine(value):
    if value and not INE_RE.match(value):
        raise ValidationError(
            _("An INE has 11 characters: 10 digits and a letter, or 9 digits and 2 letters."),
            code="ine",
        )


def validate_csn(value):
    if not CSN_RE.match(value or ""):
        raise ValidationError(
            _("A chip serial number is 4, 7 or 10 bytes written in hexadecimal."), code="csn"
        )


def validate_verifier_prefix(value):
    """A QR verifier prefix is an http(s) address ending with a slash: the ESCN follows."""
    if not re.fullmatch(r"https?://[^\s/?#]+/(?:[^\s?#]*/)?", value or ""):
        raise ValidationError(
            _("Give an http:// or https:// address ending with a slash, such as "
              "https://s.esc-r.eu/: the card number is written after it."),
            code="verifier_prefix")
