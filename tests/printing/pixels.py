"""Comparing rendered PNGs by their pixels, not their bytes."""

import io

from PIL import Image, ImageChops


def differing_pixels(png, other):
    """How many pixels of two same-sized PNGs differ, in any channel."""
    first, second = (Image.open(io.BytesIO(data)).convert("RGB") for data in (png, other))
    changed = ImageChops.difference(first, second).point(lambda value: 255 if value else 0)
    return sum(changed.convert("L").histogram()[1:])
