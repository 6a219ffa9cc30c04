"""A card's PDF pages as pixels, and the PNG panels made from them; nothing from Django, so
that the batch workers (printing/workers.py) can import it without setting Django up."""

import struct
import zlib

import pypdfium2
from PIL import Image, ImageDraw

from campuscard.printing import geometry


def rasterised_pages(pdf, dpi, gray=False):
    """Each page of the PDF, one at a time, as an RGB (or `gray`: L) image of exactly the
    card's size."""
    document = pypdfium2.PdfDocument(pdf)
    size = geometry.page_size_px(dpi)
    try:
        for page in document:
            bitmap = page.render(scale=dpi / 72, grayscale=gray, rev_byteorder=not gray)
            image = bitmap.to_pil().convert("L" if gray else "RGB")
            page.close()
            yield image.crop((0, 0, *size)) if image.size != size else image
    finally:
        document.close()


def rasterise(pdf, dpi, gray=False):
    """Each page of the PDF as an RGB (or L) image of exactly the card's size in pixels."""
    return list(rasterised_pages(pdf, dpi, gray))


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


def one_bit(image, threshold=128):
    """Black below `threshold`, white above, no dithering (the K panel prints solid black)."""
    table = [255 if value >= threshold else 0 for value in range(256)]
    return image.convert("L").point(table, "1")


def to_png(image, dpi=300):
    """`image` (RGB, L or 1-bit) as a PNG: every row unfiltered, zlib at its fastest level.

    Pillow's encoder tries each PNG filter on every row; for card sides, flat colour and text,
    filtering saves next to nothing and takes four fifths of the time, so this writes the PNG
    chunks itself (IHDR, pHYs for the resolution, IDAT, IEND)."""
    color_type, bit_depth = PNG_MODES[image.mode]
    width, height = image.size
    raw = image.tobytes()
    stride = len(raw) // height
    rows = b"".join(b"\x00" + raw[row * stride:(row + 1) * stride] for row in range(height))
    per_metre = round(dpi / 0.0254)
    return b"".join((
        PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type,
                                        0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _png_chunk(b"IDAT", zlib.compress(rows, 1)),
        _png_chunk(b"IEND", b""),
    ))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_MODES = {"RGB": (2, 8), "L": (0, 8), "1": (0, 1)}  # PNG colour type, bits per sample


def _png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def panels(color_pages, black_pages, zones, dpi):
    """The panels of one card from its rasterised sides (front, then back if any), in the
    colour and the black mode: see rendering.render_panels."""
    found = {"color": to_png(color_pages[0], dpi), "black": to_png(one_bit(black_pages[0]), dpi),
             "overlay": to_png(overlay_image(zones, "front", dpi), dpi)}
    if len(color_pages) > 1:
        found["back_color"] = to_png(color_pages[1], dpi)
        found["back_black"] = to_png(one_bit(black_pages[1]), dpi)
    return found
