"""The one seam between stations and the card renderer (campuscard.printing)."""

from django.utils.translation import gettext as _


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


def record_printed(job, by=None):
    """Freeze what the card shows and the template version it was printed with (a reprint uses
    both); returns the frozen values."""
    from campuscard.printing.services import record_print

    return record_print(job.card, by=by).values
