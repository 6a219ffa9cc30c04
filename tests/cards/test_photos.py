"""The card photo pipeline: what it refuses (with which code), and what it makes of a picture.

Most pictures here are built as the student *sees* them (`shown`), four coloured quadrants
and sometimes a magenta frame; `stored_as` then lays them in the file the way a camera would
(EXIF orientation) and the way the student turned them (rotation), so that each test can say
which colours must land in which corner of the card photo.
"""

import io
import random
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import (
    Image,
    ImageChops,
    ImageCms,
    ImageDraw,
    ImageFile,
    ImageOps,
    ImageStat,
    JpegImagePlugin,
)

from campuscard.cards.photos import CropBox, prepare_photo

SIZE = (350, 450)
RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 60), (40, 60, 220), (240, 220, 40)
MAGENTA, WHITE = (230, 0, 230), (255, 255, 255)
T = Image.Transpose
EXIF_TURN = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM,
             5: T.TRANSPOSE, 6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}
CLOCKWISE = {0: None, 90: T.ROTATE_270, 180: T.ROTATE_180, 270: T.ROTATE_90}
UNDO = {T.ROTATE_90: T.ROTATE_270, T.ROTATE_270: T.ROTATE_90}


# --- building pictures ---------------------------------------------------------------------

def quadrants(width, height):
    image = Image.new("RGB", (width, height), RED)
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 2, 0, width, height // 2), fill=GREEN)
    draw.rectangle((0, height // 2, width // 2, height), fill=BLUE)
    draw.rectangle((width // 2, height // 2, width, height), fill=YELLOW)
    return image


def stored_as(shown, orientation=1, rotation=0):
    """The pixels to put in a file so that, EXIF orientation then a clockwise `rotation`
    applied, the student sees `shown`."""
    image = shown
    for turn in (CLOCKWISE[rotation], EXIF_TURN[orientation]):
        if turn is not None:
            image = image.transpose(UNDO.get(turn, turn))
    return image


def encode(image, fmt="JPEG", orientation=1, **options):
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    if fmt == "JPEG":
        options.setdefault("quality", 92)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def run(data, crop=None, rotation=0, size=SIZE):
    result = prepare_photo(upload(data), size=size, crop=crop, rotation=rotation)
    image = Image.open(io.BytesIO(result.read()))
    assert (image.format, image.size, image.mode) == ("JPEG", size, "RGB")
    return image


def mean(image, box):
    return tuple(ImageStat.Stat(image.crop(box)).mean)


def assert_colour(actual, expected, tolerance=24):
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (
        f"{tuple(round(a) for a in actual)} is not {expected}")


def corners(image):
    """Mean colour of each quarter, away from the middle lines: TL, TR, BL, BR."""
    w, h = image.size
    mx, my = w // 10, h // 10
    return [mean(image, box) for box in (
        (mx, my, w // 2 - mx, h // 2 - my), (w // 2 + mx, my, w - mx, h // 2 - my),
        (mx, h // 2 + my, w // 2 - mx, h - my), (w // 2 + mx, h // 2 + my, w - mx, h - my))]


def assert_quadrants(image):
    for actual, expected in zip(corners(image), (RED, GREEN, BLUE, YELLOW), strict=True):
        assert_colour(actual, expected)


def refusal(data, *, code, name="photo.jpg", size=SIZE, crop=None, rotation=0):
    with pytest.raises(ValidationError) as caught:
        prepare_photo(upload(data, name), size=size, crop=crop, rotation=rotation)
    assert caught.value.code == code
    message = caught.value.messages[0]
    assert isinstance(message, str) and message
    return message


def png_header(width, height):
    """A PNG that declares `width`x`height` and carries almost no data (a bomb's header)."""
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


@pytest.fixture
def no_decoding(monkeypatch):
    def refuse_to_decode(self):
        raise AssertionError("pixels decoded")
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_to_decode)


@pytest.fixture
def drafts(monkeypatch):
    """The scales libjpeg was asked to decode at."""
    scales, original = [], JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        width = self.size[0]
        result = original(self, mode, size)
        scales.append(round(width / result[1][2]) if result else 1)
        return result
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return scales


# --- what comes out ----------------------------------------------------------------------------

def test_output_is_a_jpeg_of_exactly_the_size():
    result = prepare_photo(upload(encode(quadrants(1000, 800))), size=SIZE)
    assert result.name == "photo.jpg"
    image = Image.open(result)
    assert (image.format, image.size, image.mode) == ("JPEG", SIZE, "RGB")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_metadata_is_stripped():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    data = encode(quadrants(700, 900), exif=exif, icc_profile=icc, comment=b"secret comment")
    assert b"Camera maker" in data and b"secret comment" in data  # the input does carry them
    result = prepare_photo(upload(data), size=SIZE).read()
    image = Image.open(io.BytesIO(result))
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    assert not image.getexif()
    assert b"Exif" not in result and b"ICC_PROFILE" not in result
    assert b"Camera maker" not in result and b"secret comment" not in result


def test_centred_crop_by_default():
    shown = Image.new("RGB", (1600, 900), BLUE)  # the centred 700x900 box is x 450..1150
    ImageDraw.Draw(shown).rectangle((450, 0, 1149, 899), fill=MAGENTA)
    ImageDraw.Draw(shown).rectangle((1150, 0, 1600, 900), fill=GREEN)
    image = run(encode(shown))
    for quarter in corners(image):
        assert_colour(quarter, MAGENTA)
    assert_colour(mean(image, (0, 0, 4, 450)), MAGENTA, tolerance=40)  # no blue edge
    assert_colour(mean(image, (346, 0, 350, 450)), MAGENTA, tolerance=40)  # no green edge


def test_centred_crop_of_a_tall_picture():
    shown = Image.new("RGB", (700, 1500), BLUE)  # the centred 700x900 box is y 300..1200
    ImageDraw.Draw(shown).rectangle((0, 300, 699, 1199), fill=MAGENTA)
    image = run(encode(shown))
    assert_colour(mean(image, (0, 0, 350, 4)), MAGENTA, tolerance=40)
    assert_colour(mean(image, (0, 446, 350, 450)), MAGENTA, tolerance=40)


@pytest.mark.parametrize("orientation", [1, 2, 3, 4, 5, 6, 7, 8])
def test_exif_orientation_is_honoured(orientation):
    shown = quadrants(700, 900)
    data = encode(stored_as(shown, orientation), orientation=orientation)
    assert_quadrants(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))  # as Pillow sees it
    assert_quadrants(run(data))


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_is_clockwise_as_shown(rotation):
    assert_quadrants(run(encode(stored_as(quadrants(700, 900), rotation=rotation)),
                         rotation=rotation))


@pytest.mark.parametrize(("orientation", "rotation"),
                         [(6, 90), (6, 270), (8, 90), (3, 90), (5, 180), (7, 270), (2, 90)])
def test_exif_orientation_then_rotation(orientation, rotation):
    data = encode(stored_as(quadrants(700, 900), orientation, rotation), orientation=orientation)
    assert_quadrants(run(data, rotation=rotation))


def framed(width=1600, height=1200, frame=(900, 200, 700, 900)):
    """Quadrants with a magenta frame: CropBox(*frame) must give an all-magenta photo."""
    shown = quadrants(width, height)
    x, y, w, h = frame
    ImageDraw.Draw(shown).rectangle((x, y, x + w - 1, y + h - 1), fill=MAGENTA)
    return shown, CropBox(*frame)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize(("orientation", "rotation"),
                         [(1, 0), (6, 0), (8, 0), (3, 0), (1, 90), (1, 270), (6, 90), (8, 180),
                          (5, 270), (7, 90), (4, 0)])
def test_crop_box_is_in_the_picture_as_shown(fmt, orientation, rotation):
    shown, crop = framed()
    data = encode(stored_as(shown, orientation, rotation), fmt, orientation=orientation)
    image = run(data, crop=crop, rotation=rotation)
    for quarter in corners(image):
        assert_colour(quarter, MAGENTA)
    for edge in ((0, 0, 350, 3), (0, 447, 350, 450), (0, 0, 3, 450), (347, 0, 350, 450)):
        assert_colour(mean(image, edge), MAGENTA, tolerance=40)


@pytest.mark.parametrize(("orientation", "rotation"), [(1, 0), (6, 0), (8, 90), (3, 270)])
def test_draft_decoding_keeps_the_same_region(orientation, rotation, drafts):
    """A 12 MP JPEG is decoded at 1/4 scale; the result matches a full decode done naively."""
    shown = quadrants(4000, 3000)
    crop = CropBox(1300, 600, 1400, 1800)  # straddles the middle lines: a quadrant per corner
    data = encode(stored_as(shown, orientation, rotation), orientation=orientation)
    image = run(data, crop=crop, rotation=rotation)
    assert drafts == [4]
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    if rotation:
        reference = reference.transpose(CLOCKWISE[rotation])
    reference = reference.crop((1300, 600, 2700, 2400)).resize(SIZE, Image.Resampling.LANCZOS)
    assert_quadrants(image)
    for ours, naive in zip(corners(image), corners(reference), strict=True):
        assert_colour(ours, naive, tolerance=3)
    assert max(ImageStat.Stat(ImageChops.difference(image, reference)).mean) < 2


def test_no_draft_when_the_crop_is_barely_big_enough(drafts):
    shown, crop = framed(frame=(900, 200, 600, 771))  # 600x771 → 350x450: under 2 times each way
    run(encode(shown), crop=crop)
    assert drafts == []


def test_png_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (700, 900), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((350, 0, 700, 900), fill=(*RED, 255))
    out = run(encode(image, "PNG"))
    assert_colour(mean(out, (10, 10, 160, 440)), WHITE, tolerance=4)
    assert_colour(mean(out, (190, 10, 340, 440)), RED, tolerance=8)


def test_palette_png_with_transparency_is_flattened_on_white():
    image = Image.new("P", (700, 900), 0)
    image.putpalette([0, 0, 0, *RED] + [0] * 762)
    ImageDraw.Draw(image).rectangle((350, 0, 700, 900), fill=1)
    out = run(encode(image, "PNG", transparency=0))
    assert_colour(mean(out, (10, 10, 160, 440)), WHITE, tolerance=4)
    assert_colour(mean(out, (190, 10, 340, 440)), RED, tolerance=8)


def test_grey_png_with_a_transparent_value_is_flattened_on_white():
    image = Image.new("L", (700, 900), 0)
    ImageDraw.Draw(image).rectangle((350, 0, 700, 900), fill=100)
    out = run(encode(image, "PNG", transparency=0))
    assert_colour(mean(out, (10, 10, 160, 440)), WHITE, tolerance=4)
    assert_colour(mean(out, (190, 10, 340, 440)), (100, 100, 100), tolerance=6)


@pytest.mark.parametrize("mode", ["L", "LA", "1", "I;16", "CMYK"])
def test_other_modes_are_turned_into_rgb(mode):
    grey = {"L": 128, "LA": (128, 255), "1": 1, "I;16": 128 * 256, "CMYK": (0, 0, 0, 127)}[mode]
    expected = (255, 255, 255) if mode == "1" else (128, 128, 128)
    fmt = "JPEG" if mode in ("L", "CMYK") else "PNG"
    out = run(encode(Image.new(mode, (700, 900), grey), fmt))
    assert_colour(mean(out, (0, 0, 350, 450)), expected, tolerance=6)


def test_cmyk_jpeg_is_accepted():
    image = quadrants(700, 900).convert("CMYK")
    assert_quadrants(run(encode(image)))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(fmt):
    shown = quadrants(700, 900)
    data = encode(stored_as(shown, 6), fmt, orientation=6, **({"quality": 95} if fmt == "WEBP"
                                                              else {}))
    assert_quadrants(run(data))


def test_multi_picture_jpeg_from_phones_is_accepted():
    first = quadrants(700, 900)
    data = encode(first, "MPO", save_all=True, append_images=[Image.new("RGB", (700, 900))])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert_quadrants(run(data))


def test_name_and_content_type_do_not_matter():
    data = encode(quadrants(700, 900), "PNG")
    result = prepare_photo(SimpleUploadedFile("x.pdf", data, content_type="application/pdf"),
                           size=SIZE)
    assert Image.open(result).format == "JPEG"


def test_crop_ratio_within_tolerance_is_accepted():
    shown, _crop = framed()
    image = run(encode(shown), crop=CropBox(900, 200, 700, 890))  # 1.1 % off
    assert_colour(corners(image)[0], MAGENTA)


# --- what is refused ---------------------------------------------------------------------------

@pytest.mark.parametrize("rotation", [45, -90, 360, "90"])
def test_rotation_must_be_a_quarter_turn(rotation):
    refusal(encode(quadrants(700, 900)), code="rotation", rotation=rotation)


def test_file_over_the_limit_is_refused_before_decoding(settings, no_decoding):
    data = encode(Image.effect_noise((700, 900), 60).convert("RGB"))
    settings.CAMPUSCARD_PHOTO_MAX_BYTES = len(data) - 1
    refusal(data, code="too_large")
    settings.CAMPUSCARD_PHOTO_MAX_BYTES = 1024 * 1024
    assert "1.0\xa0MB" in refusal(random.Random(1).randbytes(1024 * 1024 + 1), code="too_large")


def test_file_over_the_limit_is_refused_whatever_size_it_declares(settings):
    settings.CAMPUSCARD_PHOTO_MAX_BYTES = 2000
    file = upload(encode(Image.effect_noise((400, 400), 60).convert("RGB")))
    file.size = 100
    with pytest.raises(ValidationError) as caught:
        prepare_photo(file, size=SIZE)
    assert caught.value.code == "too_large"


def test_default_limit_is_said_in_megabytes(settings):
    settings.CAMPUSCARD_PHOTO_MAX_BYTES = 10 * 1024 * 1024
    file = upload(b"")
    file.size = 11 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        prepare_photo(file, size=SIZE)
    assert "10.0\xa0MB" in caught.value.messages[0]


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="700" height="900">'
       b'<rect width="700" height="900" fill="red"/></svg>')
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
       b"/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 350 450]>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.mark.parametrize("data", [
    pytest.param(SVG, id="svg"),
    pytest.param(PDF, id="pdf"),
    pytest.param(random.Random(2).randbytes(50_000), id="random bytes"),
    pytest.param(b"", id="empty"),
    pytest.param(encode(quadrants(700, 900), "GIF"), id="gif"),
    pytest.param(encode(quadrants(700, 900), "BMP"), id="bmp"),
    pytest.param(encode(quadrants(700, 900), "TIFF"), id="tiff"),
])
def test_what_is_not_a_jpeg_png_or_webp_is_refused(data):
    refusal(data, code="not_image", name="x.jpg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_refused(fmt):
    data = encode(Image.effect_noise((800, 1000), 40).convert("RGB"), fmt)
    refusal(data[: len(data) // 2], code="truncated")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_decompression_bomb_is_refused_from_its_header(no_decoding):
    """30000x30000: Pillow's own guard trips (900 MP), before a single pixel is allocated."""
    data = png_header(30000, 30000)
    assert len(data) < 1000
    assert "50" in refusal(data, code="too_many_pixels")


def test_over_our_pixel_limit_but_under_pillows_is_refused_from_the_header(no_decoding):
    refusal(png_header(8000, 7000), code="too_many_pixels")  # 56 MP > 50 MP


def test_pixel_limit_follows_the_setting(settings):
    settings.CAMPUSCARD_PHOTO_MAX_PIXELS = 500_000
    refusal(encode(quadrants(800, 700)), code="too_many_pixels")
    run(encode(quadrants(700, 700)))


def test_too_small_picture_is_refused():
    message = refusal(encode(quadrants(200, 200)), code="too_small")
    assert "350" in message and "450" in message


def test_too_small_crop_is_refused():
    refusal(encode(quadrants(1600, 1200)), code="too_small", crop=CropBox(100, 100, 280, 360))


@pytest.mark.parametrize("crop", [CropBox(-1, 0, 700, 900), CropBox(0, -5, 700, 900),
                                  CropBox(901, 0, 700, 900), CropBox(0, 301, 700, 900),
                                  CropBox(1600, 1200, 700, 900)])
def test_crop_outside_the_picture_is_refused(crop):
    refusal(encode(quadrants(1600, 1200)), code="crop_outside", crop=crop)


def test_crop_outside_is_judged_on_the_picture_as_shown():
    # Stored 1400x1000, shown 1000x1400: the box fits the file, not what the student saw.
    data = encode(stored_as(quadrants(1000, 1400), 6), orientation=6)
    refusal(data, code="crop_outside", crop=CropBox(600, 0, 700, 900))
    run(data, crop=CropBox(300, 500, 700, 900))


@pytest.mark.parametrize("crop", [CropBox(0, 0, 700, 700), CropBox(0, 0, 900, 700),
                                  CropBox(0, 0, 700, 870)])
def test_crop_with_another_shape_is_refused(crop):
    refusal(encode(quadrants(1600, 1200)), code="crop_ratio", crop=crop)


@pytest.mark.parametrize("crop", [CropBox(0, 0, 0, 900), CropBox(10, 10, 700, -900)])
def test_empty_crop_is_refused(crop):
    refusal(encode(quadrants(1600, 1200)), code="crop_empty", crop=crop)


def test_a_refusal_stores_nothing(settings):
    refusal(SVG, code="not_image")
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(media.iterdir())
