"""The card's QR code: the verifier prefix followed by the ESCN, as SVG or PNG.

The ESC's rules for the artwork: QR version 4 at least, error correction M, a 4-module quiet
zone, at least 41 px wide.
"""

import io

import segno

MIN_VERSION = 4
QUIET_ZONE = 4


def verify_url(prefix, escn):
    """What the QR code holds: `prefix` (ending with a slash) and the ESCN in lower case."""
    return f"{prefix}{str(escn).lower()}"


def card_verify_url(card):
    return verify_url(card.establishment.verifier_prefix, card.escn)


def make_qr(data):
    """The QR symbol for `data`, never smaller than version 4, error correction M."""
    qr = segno.make_qr(data, error="m", boost_error=False)
    if qr.version < MIN_VERSION:
        qr = segno.make_qr(data, error="m", version=MIN_VERSION, boost_error=False)
    return qr


def qr_svg(data, *, scale=4, dark="#000000", light="#ffffff", border=QUIET_ZONE):
    """A standalone SVG document (no XML declaration, so it can be inlined too)."""
    buffer = io.BytesIO()
    make_qr(data).save(buffer, kind="svg", scale=scale, dark=dark, light=light, border=border,
                       xmldecl=False, title="QR code")
    return buffer.getvalue().decode()


def qr_png(data, *, scale=4, dark="#000000", light="#ffffff", border=QUIET_ZONE):
    buffer = io.BytesIO()
    make_qr(data).save(buffer, kind="png", scale=scale, dark=dark, light=light, border=border)
    return buffer.getvalue()
