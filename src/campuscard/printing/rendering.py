"""A card rendered with WeasyPrint: the PDF (front then back), each side as a PNG, and the
panels of a YMCKO printer (docs/printing.md)."""

from django.utils.html import escape

from campuscard.printing import art, geometry, raster
from campuscard.printing.choosing import choose_template
from campuscard.printing.models import CardPrint
from campuscard.printing.pages import (  # noqa: F401 (BASE_CSS, CardURLFetcher: used from here)
    BASE_CSS,
    BLACK,
    PREVIEW,
    PRINT,
    CardURLFetcher,
    color_and_black_pdfs,
    html_document,
    layout_html,
)
from campuscard.printing.templating import render_string
from campuscard.printing.variables import card_language, template_variables


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
    return html_document(card_language(card), version.css, mode,
                         card_sections(version, variables, mode, sides))


def card_sections(version, variables, mode=PRINT, sides=geometry.SIDES, pictures=None):
    """One `<section class="side …">` per side the version has, in the order of `sides`;
    given a batch's `pictures`, with the static SVG art among them (art.py)."""
    sections = []
    separate = pictures is not None and art.can_separate(version.css)
    for side in sides:
        source = version.front_html if side == "front" else version.back_html
        if side == "back" and not version.has_back:
            continue
        if separate:
            source, pictures_of_art = art.separated(source)
            pictures.update(pictures_of_art)
        overlay = _preview_marks(version, side) if mode == PREVIEW else ""
        sections.append(f'<section class="side {side}">{render_string(source, variables)}'
                        f"{overlay}</section>")
    return sections


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
    return layout_html(card_html(card, version, mode, sides))


def render_pdf(card, version=None, mode=PRINT):
    """The card as a PDF: the front page, then the back page if the template has a back."""
    return layout(card, version, mode).write_pdf()


def render_png(card, side, dpi=300, version=None, mode=PRINT):
    pdf = layout(card, version, mode, sides=(side,)).write_pdf()
    return raster.color_pngs(pdf, dpi)[0]


def render_panels(card, version=None, dpi=300):
    """The panels a YMCKO printer takes, as ESUP's client sends them: `color` (the full front),
    `black` (K: text and QR only, 1-bit), `overlay` (white where varnish goes, black holes over
    the zones to leave empty) and, with a back, `back_color` and `back_black`."""
    version = version_for(card, version)
    color_pdf, black_pdf = color_and_black_pdfs(
        lambda mode: layout(card, version, mode), version.css)
    return raster.panels(raster.color_pngs(color_pdf, dpi), raster.black_pngs(black_pdf, dpi),
                         version.zones, dpi)


def overlay_panel(version, side, dpi):
    return raster.overlay_image(version.zones, side, dpi)


def render_batch_pdf(cards, target=None, *, workers=None):
    """One PDF of several cards, front then back for each: see printing/batch.py."""
    from campuscard.printing import batch  # batch builds on this module

    return batch.render_batch_pdf(cards, target, workers=workers)
