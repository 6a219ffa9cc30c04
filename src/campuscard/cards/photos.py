"""The card photo pipeline: the server never trusts the browser's image.

`prepare_photo` reads an upload, refuses anything that is not a sound, reasonably sized
JPEG/PNG/WebP picture, applies EXIF orientation, the user's rotation and crop box itself,
drops every piece of metadata and re-encodes a JPEG at the establishment's fixed size.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CropBox:
    """A crop in pixels of the image as the student saw it: EXIF orientation applied, then
    turned clockwise by `rotation` degrees (0, 90, 180 or 270)."""

    x: int
    y: int
    width: int
    height: int


def prepare_photo(upload, *, size, crop=None, rotation=0):
    """Return a django ContentFile holding the final JPEG (`size` = (width, height) pixels).

    `crop` None means the largest centred box at the ratio of `size`.
    Raises django.core.exceptions.ValidationError (translated message, a `code`) when refused.
    """
    raise NotImplementedError  # implemented in the photo pipeline change
