"""The router's QR artwork: the card's QR code with an "ESC" mark beside it (horizontal) or
above it (vertical), in normal or inverted colours, at three sizes.

The QR code itself comes from campuscard.esc.qr (version 4 at least, error correction M, a
4-module quiet zone); it is drawn at one unit per module and nested, scaled, in the artwork.
Sizes are the side of the QR code in pixels: XS 41, S 61.5, M 164.
"""

import re

from django.utils.html import escape
from django.utils.translation import gettext as _

from campuscard.esc.qr import qr_svg

SIZES = {"XS": 41, "S": 61.5, "M": 164}
ORIENTATIONS = ("horizontal", "vertical")
COLOURS = {"normal": ("#000000", "#ffffff"), "inverted": ("#ffffff", "#000000")}
SVG_NS = "http://www.w3.org/2000/svg"
ROOT_TAG_RE = re.compile(r"^<svg\b([^>]*)>")
WIDTH_RE = re.compile(r'\swidth="([\d.]+)"')
HEIGHT_RE = re.compile(r'\sheight="([\d.]+)"')


def qr_artwork(data, *, orientation="horizontal", colours="normal", size="S"):
    """An SVG document: the QR code of `data` and the ESC mark, side by side or stacked."""
    side = SIZES[size]
    dark, light = COLOURS[colours]
    vertical = orientation == "vertical"
    mark_at, qr_at = ((0, 0), (0, side)) if vertical else ((side, 0), (0, 0))
    width, height = (side, 2 * side) if vertical else (2 * side, side)
    parts = [_nested_qr(qr_svg(data, scale=1, dark=dark, light=light), qr_at, side),
             _esc_mark(mark_at, side, dark, light)]
    title = escape(_("European Student Card"))
    return (f'<svg xmlns="{SVG_NS}" width="{_number(width)}" height="{_number(height)}" '
            f'viewBox="0 0 {_number(width)} {_number(height)}">'
            f"<title>{title}</title>{''.join(parts)}</svg>")


def _number(value):
    return f"{value:g}"


def _nested_qr(document, at, side):
    """The QR document as a nested <svg>, placed at `at` and scaled to `side` pixels."""
    match = ROOT_TAG_RE.match(document)
    width = match and WIDTH_RE.search(match[1])
    height = match and HEIGHT_RE.search(match[1])
    if not (width and height):
        raise ValueError("unexpected QR document: no root <svg> with a width and a height")
    attributes = HEIGHT_RE.sub("", WIDTH_RE.sub("", match[1]))
    x, y = at
    root = (f'<svg{attributes} x="{_number(x)}" y="{_number(y)}" width="{_number(side)}" '
            f'height="{_number(side)}" viewBox="0 0 {width[1]} {height[1]}" '
            f'shape-rendering="crispEdges">')
    return root + document[match.end():]


def _esc_mark(at, side, dark, light):
    """A square of the QR code's size holding the letters ESC."""
    x, y = at
    inset, stroke = side * 0.1, side * 0.04
    return (f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(side)}" '
            f'height="{_number(side)}" fill="{light}"/>'
            f'<rect x="{_number(x + inset)}" y="{_number(y + inset)}" '
            f'width="{_number(side - 2 * inset)}" height="{_number(side - 2 * inset)}" '
            f'rx="{_number(side * 0.08)}" fill="none" stroke="{dark}" '
            f'stroke-width="{_number(stroke)}"/>'
            f'<text x="{_number(x + side / 2)}" y="{_number(y + side / 2)}" fill="{dark}" '
            f'font-family="Arial, Helvetica, sans-serif" font-weight="bold" '
            f'font-size="{_number(side * 0.3)}" text-anchor="middle" '
            f'dominant-baseline="central">ESC</text>')
