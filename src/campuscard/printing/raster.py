"""A card's PDF pages as pixels, and the PNG panels made from them; nothing from Django, so
that the batch workers (printing/workers.py) can import it without setting Django up."""

import io

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
    # zlib's fastest level: a few per cent larger files, several times less CPU per panel.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), compress_level=1)
    return buffer.getvalue()


def panels(color_pages, black_pages, zones, dpi):
    """The panels of one card from its rasterised sides (front, then back if any), in the
    colour and the black mode: see rendering.render_panels."""
    found = {"color": to_png(color_pages[0], dpi), "black": to_png(one_bit(black_pages[0]), dpi),
             "overlay": to_png(overlay_image(zones, "front", dpi), dpi)}
    if len(color_pages) > 1:
        found["back_color"] = to_png(color_pages[1], dpi)
        found["back_black"] = to_png(one_bit(black_pages[1]), dpi)
    return found
