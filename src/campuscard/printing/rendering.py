"""A card rendered with WeasyPrint: the PDF (front then back), each side as a PNG, and the
panels of a YMCKO printer (docs/printing.md)."""

import io

import pypdfium2
from django.utils.html import escape
from PIL import Image, ImageDraw

from campuscard.printing import geometry
from campuscard.printing.choosing import choose_template
from campuscard.printing.fonts import FONT_DIR, font_face_css
from campuscard.printing.models import CardPrint
from campuscard.printing.templating import render_string
from campuscard.printing.variables import card_language, template_variables
from campuscard.printing.weasy import HTML, URLFetcher

PRINT, PREVIEW, BLACK = "print", "preview", "black"

BASE_CSS = f"""
@page {{ size: {geometry.CARD_WIDTH_MM}mm {geometry.CARD_HEIGHT_MM}mm; margin: 0 }}
html, body {{ margin: 0; padding: 0 }}
.side {{ position: relative; width: {geometry.CARD_WIDTH_MM}mm;
  height: {geometry.CARD_HEIGHT_MM}mm; overflow: hidden; break-after: page;
  font-family: CardSans, sans-serif; font-size: 7pt; line-height: 1.15; color: #111 }}
.side:last-child {{ break-after: auto }}
.bleed {{ position: absolute; left: -{geometry.BLEED_MM}mm; top: -{geometry.BLEED_MM}mm;
  right: -{geometry.BLEED_MM}mm; bottom: -{geometry.BLEED_MM}mm }}
.fit {{ display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis }}
.zone {{ position: absolute; outline: 0.25mm dashed #d00; color: #d00; font-size: 4pt }}
.safe-area {{ position: absolute; outline: 0.15mm dotted #08c }}
body.black * {{ color: #000 !important; background: transparent !important;
  border-color: transparent !important }}
body.black .art, body.black .photo, body.black .logo {{ visibility: hidden !important }}
"""


class CardURLFetcher(URLFetcher):
    """Data URIs and the card fonts only: a template cannot reach the network or the disk."""

    def fetch(self, url, headers=None):
        if url.startswith("data:") or url.startswith(f"file://{FONT_DIR}/"):
            return super().fetch(url, headers)
        raise ValueError(f"not allowed on a card: {url[:60]}")


def version_for(card, version=None):
    """The version asked for, else the one the card was last printed with, else the current
    version of the template chosen for its holder."""
    if version is not None:
        return version
    last_print = last_print_of(card)
    if last_print is not None and last_print.version is not None:
        return last_print.version
    return choose_template(card.person, card.establishment).current_version


def last_print_of(card):
    return CardPrint.objects.filter(card=card).select_related("version").first()


def frozen_values(card, version):
    last_print = last_print_of(card)
    if last_print is not None and last_print.version_id == version.pk:
        return last_print.values
    return None


def card_html(card, version, mode=PRINT, sides=geometry.SIDES):
    variables = template_variables(card, version, frozen_values(card, version))
    sections = []
    for side in sides:
        source = version.front_html if side == "front" else version.back_html
        if side == "back" and not version.has_back:
            continue
        overlay = _preview_marks(version, side) if mode == PREVIEW else ""
        sections.append(f'<section class="side {side}">{render_string(source, variables)}'
                        f"{overlay}</section>")
    return (f'<!doctype html><html lang="{card_language(card)}"><head><meta charset="utf-8">'
            f"<style>{font_face_css()}{BASE_CSS}{version.css}</style></head>"
            f'<body class="{mode}">{"".join(sections)}</body></html>')


def _preview_marks(version, side):
    """The safe area and the zones to leave empty, outlined: drawn in the preview only."""
    safe = geometry.SAFE_AREA
    marks = [f'<div class="safe-area" style="{_box_style(safe)}"></div>']
    for zone in geometry.zones_on(version.zones, side):
        rect = geometry.zone_rect(zone)
        label = zone.get("label") or zone["kind"]
        marks.append(f'<div class="zone zone-{zone["kind"]}" style="{_box_style(rect)}">'
                     f"{escape(label)}</div>")
    return "".join(marks)


def _box_style(rect):
    return (f"left: {rect.x}mm; top: {rect.y}mm; width: {rect.width}mm; "
            f"height: {rect.height}mm")


def layout(card, version=None, mode=PRINT, sides=geometry.SIDES):
    version = version_for(card, version)
    return HTML(string=card_html(card, version, mode, sides),
                url_fetcher=CardURLFetcher()).render()


def render_pdf(card, version=None, mode=PRINT):
    """The card as a PDF: the front page, then the back page if the template has a back."""
    return layout(card, version, mode).write_pdf()


def render_png(card, side, dpi=300, version=None, mode=PRINT):
    pdf = layout(card, version, mode, sides=(side,)).write_pdf()
    return _to_png(rasterise(pdf, dpi)[0])


def rasterise(pdf, dpi):
    """Each page of the PDF as an RGB image of exactly the card's size in pixels."""
    document = pypdfium2.PdfDocument(pdf)
    size = geometry.page_size_px(dpi)
    try:
        images = []
        for page in document:
            image = page.render(scale=dpi / 72).to_pil().convert("RGB")
            images.append(image.crop((0, 0, *size)) if image.size != size else image)
        return images
    finally:
        document.close()


def render_panels(card, version=None, dpi=300):
    """The panels a YMCKO printer takes, as ESUP's client sends them: `color` (the full front),
    `black` (K: text and QR only, 1-bit), `overlay` (white where varnish goes, black holes over
    the zones to leave empty) and, with a back, `back_color` and `back_black`."""
    version = version_for(card, version)
    color = rasterise(layout(card, version, PRINT).write_pdf(), dpi)
    black = rasterise(layout(card, version, BLACK).write_pdf(), dpi)
    panels = {"color": _to_png(color[0]), "black": _to_png(_one_bit(black[0])),
              "overlay": _to_png(overlay_panel(version, "front", dpi))}
    if len(color) > 1:
        panels["back_color"] = _to_png(color[1])
        panels["back_black"] = _to_png(_one_bit(black[1]))
    return panels


def overlay_panel(version, side, dpi):
    size = geometry.page_size_px(dpi)
    image = Image.new("1", size, 1)
    draw = ImageDraw.Draw(image)
    for zone in geometry.zones_on(version.zones, side):
        rect = geometry.zone_rect(zone)
        box = [geometry.mm_to_px(v, dpi) for v in
               (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height)]
        draw.rectangle(box, fill=0)
    return image


def _one_bit(image, threshold=128):
    return image.convert("L").point(lambda value: 255 if value >= threshold else 0).convert("1")


def _to_png(image, dpi=300):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def render_batch_pdf(cards):
    """One PDF of several cards, front then back for each (for an office without a station)."""
    documents = [layout(card) for card in cards]
    if not documents:
        raise ValueError("no card to print")
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
