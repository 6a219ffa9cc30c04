"""Our PNG writer (printing/raster.to_png): what any PNG reader decodes is the image given,
pixel for pixel, at the resolution given, in each mode the panels use."""

import io
import random

import pytest
from PIL import Image, ImageChops

from campuscard.printing.raster import Bitmap, to_png


def noisy(mode, size=(1011, 638)):
    rng = random.Random(7)
    image = Image.new("RGB", size, "white")
    pixels = image.load()
    for _ in range(20_000):
        pixels[rng.randrange(size[0]), rng.randrange(size[1])] = (
            rng.randrange(256), rng.randrange(256), rng.randrange(256))
    return image.convert(mode) if mode != "1" else image.convert("L").point(
        lambda v: 255 if v > 200 else 0, "1")


@pytest.mark.parametrize("mode", ["RGB", "L", "1"])
@pytest.mark.parametrize("size", [(1011, 638), (13, 5)])  # 13: rows that end mid-byte in 1-bit
def test_a_png_reader_decodes_the_same_pixels(mode, size):
    image = noisy(mode, size)
    decoded = Image.open(io.BytesIO(to_png(image, dpi=300)))
    decoded.load()
    assert decoded.mode == mode and decoded.size == size
    assert ImageChops.difference(decoded.convert("RGB"), image.convert("RGB")).getbbox() is None
    assert [round(value) for value in decoded.info["dpi"]] == [300, 300]


def test_an_unknown_mode_is_refused():
    with pytest.raises(KeyError):
        to_png(Image.new("CMYK", (2, 2)))


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_bitmap_with_padded_rows_is_written_without_its_padding(mode):
    image = noisy(mode, (13, 5))
    channels = len(mode)
    stride = 13 * channels + 3  # pdfium pads rows to four bytes, plus what it rounds up
    raw = image.tobytes()
    buffer = bytearray(b"\xff" * stride * 5)
    for row in range(5):
        buffer[row * stride:row * stride + 13 * channels] = raw[row * 13 * channels:
                                                                (row + 1) * 13 * channels]
    decoded = Image.open(io.BytesIO(to_png(Bitmap(mode, (13, 5), stride, buffer))))
    decoded.load()
    assert decoded.mode == mode and decoded.size == (13, 5)
    assert ImageChops.difference(decoded.convert("RGB"), image.convert("RGB")).getbbox() is None
