"""A card's PDF pages as pixels, and the PNG panels made from them; nothing from Django, so
that the batch workers (printing/workers.py) can import it without setting Django up."""

import json
import struct
import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache

import pypdfium2
from isal import isal_zlib
from PIL import Image, ImageDraw

from campuscard.printing import geometry

PNG_DEFLATE_LEVEL = 1  # ISA-L's levels go 0 to 3: 1 is as small as zlib's 1, five times faster

# PDFium is not thread-safe, not even on different documents (pypdfium2's documentation: two
# calls at once crash or corrupt the process). A threaded server renders previews and panels in
# several threads, so every pdfium call in a process holds this lock; batches get their
# parallelism from processes (batch.py).
PDFIUM = threading.RLock()


@dataclass(frozen=True)
class Bitmap:
    """A rendered page as pdfium left it: rows of `stride` bytes, of which the first
    width times channels are the pixels (RGB or L), without copying them into Pillow."""

    mode: str
    size: tuple
    stride: int
    buffer: object

    def rows(self):
        width, height = self.size
        used = width * (3 if self.mode == "RGB" else 1)
        view = memoryview(self.buffer).cast("B")
        return (view[row * self.stride:row * self.stride + used] for row in range(height))

    def to_pil(self):
        return Image.frombuffer(self.mode, self.size, self.buffer, "raw", self.mode,
                                self.stride, 1)


def rendered_pages(pdf, dpi, gray=False, underlays=None):
    """Each page of the PDF, one at a time, as a Bitmap (RGB, or `gray`: L) of exactly the
    card's size in pixels (pdfium rounds the page up by a pixel; the extra is left out).

    `underlays`, one per page or None: a Bitmap rendered the same way that the page is drawn
    over (a static layer, printing/layers.py), instead of white."""
    size = geometry.page_size_px(dpi)
    with PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        count = len(document)
    underlays = underlays or [None] * count
    try:
        for index, underlay in zip(range(count), underlays, strict=True):
            with PDFIUM:
                page = document[index]
                bitmap = page.render(scale=dpi / 72, grayscale=gray, rev_byteorder=not gray,
                                     bitmap_maker=_bitmap_maker(underlay))
                page.close()
                bitmap.close()  # a native bitmap: pdfium's handle goes, our buffer stays
            if bitmap.width < size[0] or bitmap.height < size[1]:
                raise ValueError(f"page of {bitmap.width}x{bitmap.height} pixels, not a card")
            yield Bitmap("L" if gray else "RGB", size, bitmap.stride, bitmap.buffer)
    finally:
        with PDFIUM:
            document.close()


class _Underlaid(pypdfium2.PdfBitmap):
    """A bitmap already holding the pixels to draw over: pdfium's render must not clear it."""

    def fill_rect(self, *args, **kwargs):
        pass


def _bitmap_maker(underlay):
    if underlay is None:
        return pypdfium2.PdfBitmap.new_native

    def over_underlay(width, height, format, rev_byteorder):
        if underlay.stride * height != len(underlay.buffer):
            raise ValueError("the underlay is not of this page's size")
        pixels = type(underlay.buffer).from_buffer_copy(underlay.buffer)
        return _Underlaid.new_native(width, height, format, rev_byteorder, buffer=pixels,
                                     stride=underlay.stride)

    return over_underlay


def overlay_image(zones, side, dpi):
    """White where the varnish goes, black over the zones to leave empty."""
    size = geometry.page_size_px(dpi)
    image = Image.new("1", size, 1)
    draw = ImageDraw.Draw(image)
    for zone in geometry.zones_on(zones, side):
        rect = geometry.zone_rect(zone)
        box = [geometry.mm_to_px(v, dpi) for v in
               (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height)]
        draw.rectangle(box, fill=0)
    return image


def overlay_png(zones, side, dpi):
    """The overlay panel as a PNG: the same for every card of a template version."""
    return _overlay_png(json.dumps(zones, sort_keys=True), side, dpi)


@lru_cache(maxsize=32)
def _overlay_png(zones_json, side, dpi):
    return to_png(overlay_image(json.loads(zones_json), side, dpi), dpi)


def one_bit(image, threshold=128):
    """Black below `threshold`, white above, no dithering (the K panel prints solid black)."""
    if isinstance(image, Bitmap):
        image = image.to_pil()
    return image.convert("L").point(_threshold_table(threshold), "1")


@lru_cache(maxsize=4)
def _threshold_table(threshold):
    return [255 if value >= threshold else 0 for value in range(256)]


def to_png(image, dpi=300):
    """`image` (a Bitmap, or a Pillow image in RGB, L or 1-bit) as a PNG: every row
    unfiltered, deflated by ISA-L at a fast level.

    Pillow's encoder tries each PNG filter on every row; for card sides, flat colour and text,
    filtering saves next to nothing and takes four fifths of the time, so this writes the PNG
    chunks itself (IHDR, pHYs for the resolution, IDAT, IEND)."""
    color_type, bit_depth = PNG_MODES[image.mode]
    width, height = image.size
    per_metre = round(dpi / 0.0254)
    return b"".join((
        PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type,
                                        0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _png_chunk(b"IDAT", isal_zlib.compress(_unfiltered(image), PNG_DEFLATE_LEVEL)),
        _png_chunk(b"IEND", b""),
    ))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MODES = {"RGB": (2, 8), "L": (0, 8), "1": (0, 1)}  # PNG colour type, bits per sample


def _unfiltered(image):
    """The image's rows, each after the 0 byte of PNG's "no filter"."""
    if isinstance(image, Bitmap):
        rows = image.rows()
    else:
        raw = image.tobytes()
        stride = len(raw) // image.size[1]
        rows = (raw[start:start + stride] for start in range(0, len(raw), stride))
    return b"\x00" + b"\x00".join(rows)


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def color_pngs(pdf, dpi, underlays=None):
    """Each page of the PDF as a colour PNG (drawn over its underlay, if any)."""
    return [to_png(page, dpi) for page in rendered_pages(pdf, dpi, underlays=underlays)]


def black_pngs(pdf, dpi, underlays=None):
    """Each page of the PDF as a 1-bit PNG, black below mid-grey (the K panel)."""
    return [to_png(one_bit(page), dpi)
            for page in rendered_pages(pdf, dpi, gray=True, underlays=underlays)]


def panels(color, black, zones, dpi):
    """The panels of one card from the PNGs of its sides (front, then back if any) in colour
    and in black: see rendering.render_panels."""
    found = {"color": color[0], "black": black[0], "overlay": overlay_png(zones, "front", dpi)}
    if len(color) > 1:
        found["back_color"], found["back_black"] = color[1], black[1]
    return found
