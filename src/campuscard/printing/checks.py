"""Does a template print over a zone the printer must leave empty? WeasyPrint lays the card
out; every text and picture box is compared with the zones of its side."""

from dataclasses import dataclass

from campuscard.printing import geometry
from campuscard.printing.rendering import PRINT, layout, version_for
from campuscard.printing.weasy import ReplacedBox, TextBox


@dataclass(frozen=True)
class Overlap:
    side: str
    zone: str
    content: str


def content_boxes(page):
    """(description, rectangle in mm) of each text run and picture, artwork excepted."""
    for box in _walk(page._page_box):
        if not isinstance(box, TextBox | ReplacedBox):
            continue
        element = box.element
        if element is not None and "art" in (element.get("class") or "").split():
            continue
        rect = geometry.Rect(*(geometry.css_px_to_mm(value) for value in (
            box.position_x, box.position_y, box.margin_width(), box.margin_height())))
        yield (box.text if isinstance(box, TextBox) else f"<{_tag(element)}>"), rect


def _walk(box):
    """Every box under `box`, absolutely positioned ones too (WeasyPrint's descendants() stops
    at their placeholders)."""
    box = getattr(box, "_box", box)
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _tag(element):
    return (element.tag.rsplit("}", 1)[-1]) if element is not None else "image"


def check_zones(card, version=None):
    """Every text or picture that overlaps a zone to leave empty, side by side."""
    version = version_for(card, version)
    sides = [side for side in geometry.SIDES if side == "front" or version.has_back]
    document = layout(card, version, PRINT)
    overlaps = []
    for side, page in zip(sides, document.pages, strict=False):
        zones = geometry.zones_on(version.zones, side)
        for content, rect in content_boxes(page):
            overlaps.extend(Overlap(side, zone.get("label") or zone["kind"], content)
                            for zone in zones if rect.overlaps(geometry.zone_rect(zone)))
    return overlaps
