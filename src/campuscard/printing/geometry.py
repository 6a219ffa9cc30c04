"""CR80 (ISO/IEC 7810 ID-1) geometry: the card, its bleed and safe area, and the zones a
printer must leave empty, all in millimetres with the origin at the top left of each side."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CARD_WIDTH_MM = 85.60
CARD_HEIGHT_MM = 53.98
BLEED_MM = 1.0  # background art runs this far past the trim; the page clips it
SAFE_MM = 3.0  # text and pictures stay this far inside the trim
SIDES = ("front", "back")
ZONE_KINDS = ("hologram", "chip", "magstripe", "other")

MM_PER_INCH = 25.4
CSS_PX_PER_INCH = 96  # WeasyPrint lays out in CSS pixels


def mm_to_px(mm, dpi):
    return mm / MM_PER_INCH * dpi


def css_px_to_mm(px):
    return px * MM_PER_INCH / CSS_PX_PER_INCH


def page_size_px(dpi):
    """The size in whole pixels of a side rasterised at `dpi` (1011 by 638 at 300 dpi)."""
    return round(mm_to_px(CARD_WIDTH_MM, dpi)), round(mm_to_px(CARD_HEIGHT_MM, dpi))


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other):
        return (self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.y + other.height and other.y < self.y + self.height)


SAFE_AREA = Rect(SAFE_MM, SAFE_MM, CARD_WIDTH_MM - 2 * SAFE_MM, CARD_HEIGHT_MM - 2 * SAFE_MM)


def zone_rect(zone):
    return Rect(float(zone["x"]), float(zone["y"]), float(zone["width"]), float(zone["height"]))


def zones_on(zones, side):
    return [zone for zone in zones or () if zone.get("side") == side]


def validate_zones(zones):
    """Zones are a list of {side, kind, label?, x, y, width, height} inside the card."""
    if not isinstance(zones, list):
        raise ValidationError(_("The zones must be a list."))
    for number, zone in enumerate(zones, start=1):
        problem = _zone_problem(zone)
        if problem:
            raise ValidationError(_("Zone %(number)d: %(problem)s")
                                  % {"number": number, "problem": problem})


def _zone_problem(zone):
    if not isinstance(zone, dict):
        return _("each zone must be an object.")
    if zone.get("side") not in SIDES:
        return _("the side must be “front” or “back”.")
    if zone.get("kind") not in ZONE_KINDS:
        return _("the kind must be one of %(kinds)s.") % {"kinds": ", ".join(ZONE_KINDS)}
    try:
        rect = zone_rect(zone)
    except (KeyError, TypeError, ValueError):
        return _("x, y, width and height must be numbers of millimetres.")
    inside = (rect.x >= 0 and rect.y >= 0 and rect.width > 0 and rect.height > 0
              and rect.x + rect.width <= CARD_WIDTH_MM + 0.01
              and rect.y + rect.height <= CARD_HEIGHT_MM + 0.01)
    return "" if inside else _("the rectangle must lie within the card (85.60 by 53.98 mm).")
