"""The one seam between stations and the card renderer (campuscard.printing)."""


def job_pdf(job):
    """The PDF a station prints for `job`: the card's front then back pages."""
    from campuscard.printing.render import render_pdf  # the printing app renders cards

    return render_pdf(job.card)
