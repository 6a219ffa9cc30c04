"""Person pictures: a 200 by 300 JPEG, re-encoded by the card photo pipeline (cards.photos), which
also refuses what is not a sound JPEG, PNG or WebP image and drops every piece of metadata."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import ExifTags, Image

from campuscard.cards.photos import prepare_photo
from campuscard.router.errors import BadRequest

PICTURE_SIZE = (200, 300)
SIDEWAYS_ORIENTATIONS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def picture_jpeg(upload, *, resize):
    """The JPEG to store for `upload`. Without `resize` the picture must already be 200 by 300;
    with it, the largest centred 2:3 part is cut out and scaled to that size."""
    shown = _shown_size(upload)
    if not resize and shown is not None and shown != PICTURE_SIZE:
        raise BadRequest(_("The picture must be %(width)s by %(height)s pixels (it is "
                           "%(actual_width)s by %(actual_height)s): send it with resize=true to "
                           "have it cropped and scaled.")
                         % {"width": PICTURE_SIZE[0], "height": PICTURE_SIZE[1],
                            "actual_width": shown[0], "actual_height": shown[1]})
    try:
        return prepare_photo(upload, size=PICTURE_SIZE).read()
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from None


def _shown_size(upload):
    """Width and height as the picture is seen (EXIF orientation applied); None when the
    file cannot be read (prepare_photo then says why)."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            width, height = image.size
            orientation = image.getexif().get(ExifTags.Base.Orientation)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    finally:
        upload.seek(0)
    return (height, width) if orientation in SIDEWAYS_ORIENTATIONS else (width, height)
