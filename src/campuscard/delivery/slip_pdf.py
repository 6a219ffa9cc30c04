"""A delivery slip as an A4 PDF, rendered with WeasyPrint and the card fonts (printing/): a
header repeated on every page, one row per card, a column for the holder's signature."""

from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campuscard.printing.fonts import font_face_css
from campuscard.printing.rendering import CardURLFetcher
from campuscard.printing.weasy import HTML

SLIP_CSS = """
@page {
  size: A4; margin: 34mm 14mm 16mm 14mm;
  @top-center { content: element(slip-header); vertical-align: bottom; width: 100% }
  @bottom-right { font-family: CardSans, sans-serif; font-size: 8pt }
}
html { font-family: CardSans, sans-serif; font-size: 9.5pt; color: #000 }
header.slip { position: running(slip-header); width: 100%; padding-bottom: 2mm;
  border-bottom: 0.4mm solid #000 }
header.slip h1 { font-size: 13pt; margin: 0 0 1.5mm 0 }
header.slip p { margin: 0.5mm 0 }
header.slip .reference { float: right; font-weight: bold }
table { width: 100%; border-collapse: collapse }
thead { display: table-header-group }
tr { break-inside: avoid }
th, td { border: 0.25mm solid #444; padding: 1.5mm 2mm; text-align: left; vertical-align: middle }
th { background: #eee; font-weight: bold }
td { height: 9mm }
td.number, td.person-number { white-space: nowrap }
th.signature { width: 38% }
"""


def slip_rows(cards):
    return [{"number": card.number, "last_name": card.person.last_name,
             "first_name": card.person.first_name,
             "person_number": card.person.student_id or card.person.employee_id}
            for card in cards]


def slip_html(slip, cards):
    body = render_to_string("delivery/slip_body.html", {
        "slip": slip, "rows": slip_rows(cards),
        "made_on": date_format(localtime(slip.made_at), "DATE_FORMAT"),
        "place": slip.place or _("No pick-up place is set"),
    })
    title = escape(_("Delivery slip %(reference)s") % {"reference": slip.reference})
    page_counter = f"@page {{ @bottom-right {{ content: {_page_counter_css()} }} }}"
    return (f'<!doctype html><html lang="{escape(get_language() or "en")}"><head>'
            f'<meta charset="utf-8"><title>{title}</title>'
            f"<style>{font_face_css()}{SLIP_CSS}{page_counter}</style></head>"
            f"<body>{body}</body></html>")


def _page_counter_css():
    """ "Page 2 of 5" in the reader's language, as CSS content with the page counters."""
    words = _("Page %(page)s of %(pages)s")
    content = "".join(c for c in str(words) if c not in '"\\<>')
    content = content.replace("%(page)s", '" counter(page) "').replace(
        "%(pages)s", '" counter(pages) "')
    return f'"{content}"'


def render_slip_pdf(slip, cards):
    return HTML(string=slip_html(slip, cards), url_fetcher=CardURLFetcher()).write_pdf()
