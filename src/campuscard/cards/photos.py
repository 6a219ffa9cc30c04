"""The card photo pipeline: the server never trusts the browser's image.

`prepare_photo` reads an upload, refuses anything that is not a sound, reasonably sized
JPEG/PNG/WebP picture, applies EXIF orientation, the user's rotation and crop box itself,
drops every piece of metadata and re-encodes a JPEG at the establishment's fixed size.

Speed: a JPEG is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's "draft" mode) whenever the crop
still holds at least the output's pixels at that scale; the crop is resampled straight from
the stored pixels and only the small result is turned upright. See docs/benchmarks.md.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, JpegImagePlugin

Transpose = Image.Transpose

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
RATIO_TOLERANCE = 0.02
JPEG_QUALITY = 90
DRAFT_SCALES = (8, 4, 2)
# Modes Pillow resamples with a real filter (alpha premultiplied); others go through RGBA.
RESAMPLED_MODES = {"RGB", "RGBA", "L", "LA", "CMYK"}

# What turns the stored pixels upright, per EXIF orientation (ImageOps.exif_transpose's table).
EXIF_TRANSPOSES = {
    2: Transpose.FLIP_LEFT_RIGHT,
    3: Transpose.ROTATE_180,
    4: Transpose.FLIP_TOP_BOTTOM,
    5: Transpose.TRANSPOSE,
    6: Transpose.ROTATE_270,
    7: Transpose.TRANSVERSE,
    8: Transpose.ROTATE_90,
}
# The student turns clockwise; Pillow's ROTATE_n turns counter-clockwise.
USER_ROTATIONS = {0: None, 90: Transpose.ROTATE_270, 180: Transpose.ROTATE_180,
                  270: Transpose.ROTATE_90}
INVERSES = {Transpose.ROTATE_90: Transpose.ROTATE_270, Transpose.ROTATE_270: Transpose.ROTATE_90}
AXES_SWAPPING = {Transpose.ROTATE_90, Transpose.ROTATE_270, Transpose.TRANSPOSE,
                 Transpose.TRANSVERSE}


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
    if rotation not in USER_ROTATIONS:
        raise ValidationError(_("A photo can only be turned by a quarter, half or three "
                                "quarters of a turn."), code="rotation")
    image = _open_image(_read_within_limit(upload))
    turns = [t for t in (_exif_transpose(image), USER_ROTATIONS[rotation]) if t is not None]
    shown_box = _checked_crop(crop, _turned_size(image.size, turns), size)
    box = _box_in_stored_pixels(shown_box, image.size, turns)
    lying_size = _turned_size(size, turns)  # the output as it lies in the file, before turning
    image, box = _decode(image, box, lying_size)
    photo = _resample(image, box, lying_size)
    for turn in turns:
        photo = photo.transpose(turn)
    return ContentFile(_encode_jpeg(_flatten_to_rgb(photo)), name="photo.jpg")


def _read_within_limit(upload):
    limit = settings.CAMPUSCARD_PHOTO_MAX_BYTES
    too_large = ValidationError(_("The photo file is too large: %(limit)s at most."),
                                code="too_large", params={"limit": filesizeformat(limit)})
    if (getattr(upload, "size", None) or 0) > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)  # the declared size is the client's word
    if len(data) > limit:
        raise too_large
    return data


def _open_image(data):
    """Read the header only: format and dimensions, no pixels yet."""
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # warning: if errors
        raise _too_many_pixels() from None
    except (OSError, ValueError, SyntaxError):
        raise ValidationError(_("This file is not a photo we can read: send a JPEG, PNG or "
                                "WebP picture."), code="not_image") from None
    width, height = image.size
    if width * height > settings.CAMPUSCARD_PHOTO_MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels():
    megapixels = settings.CAMPUSCARD_PHOTO_MAX_PIXELS / 1_000_000
    return ValidationError(_("The photo has too many pixels: %(megapixels)s megapixels at most."),
                           code="too_many_pixels", params={"megapixels": f"{megapixels:g}"})


def _exif_transpose(image):
    if not _is_jpeg(image):
        _load(image)  # a PNG's eXIf chunk may follow its pixels; only JPEG gains by waiting
    orientation = image.getexif().get(ExifTags.Base.Orientation)
    return EXIF_TRANSPOSES.get(orientation)


def _is_jpeg(image):
    return isinstance(image, JpegImagePlugin.JpegImageFile)  # MPO (many phones) included


def _load(image):
    """Decode the pixels; a file that ends early or breaks midway is refused, never padded."""
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(_("The photo file is incomplete or damaged: send it again."),
                              code="truncated") from None


def _turned_size(size, turns):
    width, height = size
    swaps = sum(turn in AXES_SWAPPING for turn in turns) % 2
    return (height, width) if swaps else (width, height)


def _checked_crop(crop, shown_size, size):
    """The crop box as (left, top, right, bottom) in the picture as shown, once validated."""
    shown_width, shown_height = shown_size
    if crop is None:
        crop = _centred_crop(shown_size, size)
    elif crop.width <= 0 or crop.height <= 0:
        raise ValidationError(_("The framed area is empty: frame the photo again."),
                              code="crop_empty")
    elif (crop.x < 0 or crop.y < 0 or crop.x + crop.width > shown_width
          or crop.y + crop.height > shown_height):
        raise ValidationError(_("The framed area goes beyond the photo: frame it again."),
                              code="crop_outside")
    elif abs(crop.width * size[1] / (crop.height * size[0]) - 1) > RATIO_TOLERANCE:
        raise ValidationError(_("The framed area does not have the shape of the card photo: "
                                "frame it again."), code="crop_ratio")
    if crop.width < size[0] or crop.height < size[1]:
        raise ValidationError(
            _("The photo is too small to print: the framed part must be at least "
              "%(width)s by %(height)s pixels."),
            code="too_small", params={"width": size[0], "height": size[1]})
    return (crop.x, crop.y, crop.x + crop.width, crop.y + crop.height)


def _centred_crop(shown_size, size):
    shown_width, shown_height = shown_size
    width = min(shown_width, round(shown_height * size[0] / size[1]))
    height = min(shown_height, round(width * size[1] / size[0]))
    return CropBox((shown_width - width) // 2, (shown_height - height) // 2, width, height)


def _box_in_stored_pixels(box, stored_size, turns):
    """Undo the turns, last first, on the box's corners: where the box lies in the file."""
    sizes = [stored_size]
    for turn in turns:
        sizes.append(_turned_size(sizes[-1], [turn]))
    for turn, size in zip(reversed(turns), reversed(sizes[1:]), strict=True):
        box = _transposed_box(box, INVERSES.get(turn, turn), size)
    return box


def _transposed_box(box, turn, size):
    """`box` in an image of `size`, as it lies once that image is transposed by `turn`."""
    width, height = size
    moves = {
        Transpose.FLIP_LEFT_RIGHT: lambda x, y: (width - x, y),
        Transpose.FLIP_TOP_BOTTOM: lambda x, y: (x, height - y),
        Transpose.ROTATE_180: lambda x, y: (width - x, height - y),
        Transpose.ROTATE_90: lambda x, y: (y, width - x),
        Transpose.ROTATE_270: lambda x, y: (height - y, x),
        Transpose.TRANSPOSE: lambda x, y: (y, x),
        Transpose.TRANSVERSE: lambda x, y: (height - y, width - x),
    }
    (x0, y0), (x1, y1) = moves[turn](*box[:2]), moves[turn](*box[2:])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _decode(image, box, out_size):
    """Decode the pixels; a JPEG at the coarsest scale that keeps the box >= `out_size`.

    Returns the image and the box in its decoded pixels (fractional after a draft)."""
    if _is_jpeg(image):
        scale = _draft_scale(box, out_size)
        if scale > 1:
            full_width = image.size[0]
            drafted = image.draft("RGB", (image.size[0] // scale, image.size[1] // scale))
            if drafted:
                scale = full_width / drafted[1][2]
                box = tuple(edge / scale for edge in box)
    _load(image)
    return image, box


def _draft_scale(box, out_size):
    width, height = box[2] - box[0], box[3] - box[1]
    for scale in DRAFT_SCALES:
        if width / scale >= out_size[0] and height / scale >= out_size[1]:
            return scale
    return 1


def _resample(image, box, size):
    if image.mode.startswith("I"):  # 16-bit grey PNG: Pillow would clip, not scale, to 8 bits
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode not in RESAMPLED_MODES or "transparency" in image.info:
        image = image.convert("RGBA")  # palette and bilevel would only be resized as nearest
    # reducing_gap: a fast integer reduction first, then Lanczos over at least 3 times the output.
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _flatten_to_rgb(image):
    if "A" not in image.getbands():
        return image.convert("RGB")
    white = Image.new("RGB", image.size, "white")
    white.paste(image.convert("RGBA"), mask=image.getchannel("A"))
    return white


def _encode_jpeg(image):
    image.info.clear()  # Pillow carries the source's EXIF, ICC profile, comment along
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()
