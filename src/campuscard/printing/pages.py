"""A card's HTML document and its PDF, with nothing from Django: the batch workers
(printing/workers.py) import this without setting Django up."""

import hashlib
import threading

from campuscard.printing import geometry, kpanel
from campuscard.printing.fonts import FONT_DIR, font_face_css
from campuscard.printing.weasy import HTML, FontConfiguration, URLFetcher, URLFetcherResponse

PRINT, PREVIEW, BLACK = "print", "preview", "black"
PICTURE_SCHEME = "card-picture:"

BASE_CSS = f"""
@page {{ size: {geometry.CARD_WIDTH_MM}mm {geometry.CARD_HEIGHT_MM}mm; margin: 0 }}
html, body {{ margin: 0; padding: 0 }}
.side {{ position: relative; width: {geometry.CARD_WIDTH_MM}mm;
  height: {geometry.CARD_HEIGHT_MM}mm; overflow: hidden; break-after: page;
  font-family: CardSans, sans-serif; font-size: 7pt; line-height: 1.15; color: #111 }}
.side:last-child {{ break-after: auto }}
.bleed {{ position: absolute; left: -{geometry.BLEED_MM}mm; top: -{geometry.BLEED_MM}mm;
  right: -{geometry.BLEED_MM}mm; bottom: -{geometry.BLEED_MM}mm }}
img.qr {{ image-rendering: pixelated }}
.fit {{ display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis }}
.zone {{ position: absolute; outline: 0.25mm dashed #d00; color: #d00; font-size: 4pt }}
.safe-area {{ position: absolute; outline: 0.15mm dotted #08c }}
body.black * {{ color: #000 !important; background: transparent !important;
  border-color: transparent !important }}
body.black .art, body.black .photo, body.black .logo {{ visibility: hidden !important }}
"""


def html_document(language, css, mode, sections):
    """The whole page: the card fonts, the base CSS and the version's CSS, then each side's
    `<section>` (one card's sides, or a batch's, in order)."""
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            f"<style>{font_face_css()}{BASE_CSS}{css}</style></head>"
            f'<body class="{mode}">{"".join(sections)}</body></html>')


def picture_url(data):
    return f"{PICTURE_SCHEME}{hashlib.sha256(data).hexdigest()}"


class Pictures(dict):
    """Pictures a batch's HTML names by a short `card-picture:` URL instead of a data URI:
    an HTML parser reads a 100 kB base64 attribute far slower than WeasyPrint decodes the
    JPEG, and the same logo in every card is one URL, so one image in the PDF."""

    def add(self, media_type, data):
        url = picture_url(data)
        self[url] = (media_type, data)
        return url


class CardURLFetcher(URLFetcher):
    """Data URIs, the card fonts and the batch's own pictures only: a template cannot reach
    the network or the disk."""

    def __init__(self, pictures=None):
        super().__init__()
        self.pictures = pictures or {}

    def fetch(self, url, headers=None):
        if url.startswith(PICTURE_SCHEME) and url in self.pictures:
            media_type, data = self.pictures[url]
            return URLFetcherResponse(url, data, {"Content-Type": media_type})
        if url.startswith("data:") or url.startswith(f"file://{FONT_DIR}/"):
            return super().fetch(url, headers)
        raise ValueError(f"not allowed on a card: {url[:60]}")


def layout_html(html, pictures=None):
    return HTML(string=html, url_fetcher=CardURLFetcher(pictures)).render(
        font_config=font_config())


_per_thread = threading.local()


def font_config():
    """This thread's WeasyPrint font configuration: the card fonts' @font-face are loaded into
    it once (it keeps each face it has seen), not again for every document."""
    if not hasattr(_per_thread, "font_config"):
        _per_thread.font_config = FontConfiguration()
    return _per_thread.font_config


def color_and_black_pdfs(layout, css):
    """The colour PDF and the black (K) one of the same sides, `layout(mode)` giving a laid-out
    document: the K one repainted from the colour layout where the CSS allows (kpanel.py)."""
    document = layout(PRINT)
    color = document.write_pdf(uncompressed_pdf=True)  # rasterised at once, never stored
    if kpanel.can_derive(css):
        return color, kpanel.blacken(document).write_pdf(uncompressed_pdf=True)
    return color, layout(BLACK).write_pdf(uncompressed_pdf=True)
