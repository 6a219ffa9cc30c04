"""The one seam between stations and the card renderer (campuscard.printing)."""

import io
import zipfile

from django.utils.translation import gettext as _

# The YMCKO panels of a card as files of the zip a station downloads, in the order a printer
# takes them (docs/stations.md). The keys are printing.rendering.render_panels's.
PANEL_FILES = {
    "color": "front-color.png",
    "black": "front-black.png",
    "overlay": "front-overlay.png",
    "back_color": "back-color.png",
    "back_black": "back-black.png",
}


class NotPrintable(Exception):
    """No card template applies to this card's holder."""


def job_pdf(job):
    """The PDF a station prints for `job`: the card's front then back pages."""
    from campuscard.printing.choosing import NoTemplate
    from campuscard.printing.rendering import render_pdf  # the printing app renders cards

    try:
        return render_pdf(job.card)
    except NoTemplate as exc:
        raise NotPrintable(_("No card template applies to the holder of this card: an "
                             "administrator adds one on the card templates page.")) from exc


def job_panels_zip(job):
    """The job's panels as a zip of PNGs named by PANEL_FILES (a one-sided card has no back
    files)."""
    from campuscard.printing.choosing import NoTemplate
    from campuscard.printing.rendering import render_panels

    try:
        panels = render_panels(job.card)
    except NoTemplate as exc:
        raise NotPrintable(_("No card template applies to the holder of this card: an "
                             "administrator adds one on the card templates page.")) from exc
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # PNGs are compressed
        for key, name in PANEL_FILES.items():
            if key in panels:
                archive.writestr(name, panels[key])
    return buffer.getvalue()


def values_printed(job):
    """The values the job's card was just printed with, frozen when it became PRINTED
    (printing.services.freeze_when_printed); the print is credited to whoever sent the card to
    the station."""
    from campuscard.printing.rendering import last_print_of

    card_print = last_print_of(job.card)
    if card_print is None:
        return {}
    if card_print.printed_by_id is None and job.asked_by_id is not None:
        card_print.printed_by_id = job.asked_by_id
        card_print.save(update_fields=["printed_by"])
    return card_print.values
