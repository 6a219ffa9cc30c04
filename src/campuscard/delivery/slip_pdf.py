"""A delivery slip as an A4 PDF, rendered with WeasyPrint and the card fonts (printing/): a
header repeated on every page, one row per card, a column for the holder's signature."""

from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from campuscard.printing.fonts import font_face_css
from campuscard.printing.rendering import CardURLFetcher
from campuscard.printing.weasy import HTML


def slip_rows(cards):
    return [{"number": card.number, "last_name": card.person.last_name,
             "first_name": card.person.first_name,
             "person_number": card.person.student_id or card.person.employee_id}
            for card in cards]


def slip_html(slip, cards):
    return render_to_string("delivery/slip_pdf.html", {
        "slip": slip, "rows": slip_rows(cards), "fonts": font_face_css(),
        "made_on": date_format(localtime(slip.made_at), "DATE_FORMAT"),
        "place": slip.place or _("No pick-up place is set"),
        "page_css": _page_counter_css(),
    })


def _page_counter_css():
    """ "Page 2 of 5" in the reader's language, as CSS content with the page counters."""
    words = _("Page %(page)s of %(pages)s")
    content = "".join(c for c in str(words) if c not in '"\\<>')
    content = content.replace("%(page)s", '" counter(page) "').replace(
        "%(pages)s", '" counter(pages) "')
    return mark_safe(f'"{content}"')  # noqa: S308 - quotes, backslashes and brackets removed


def render_slip_pdf(slip, cards):
    return HTML(string=slip_html(slip, cards), url_fetcher=CardURLFetcher()).write_pdf()
