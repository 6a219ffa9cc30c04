"""WeasyPrint, imported without its side effect: on import it sets Pillow's global
LOAD_TRUNCATED_IMAGES, which would let truncated photo uploads through cards/photos.py.
Every module of printing/ takes WeasyPrint from here."""

from PIL import ImageFile

_load_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
from weasyprint import HTML  # noqa: E402
from weasyprint.formatting_structure.boxes import ReplacedBox, TextBox  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

ImageFile.LOAD_TRUNCATED_IMAGES = _load_truncated

__all__ = ["HTML", "FontConfiguration", "ReplacedBox", "TextBox", "URLFetcher",
           "URLFetcherResponse"]
