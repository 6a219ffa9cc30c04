"""Passport-like placeholder photos for the demo's card requests."""

import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

BACKGROUNDS = [(214, 226, 240), (230, 222, 238), (222, 236, 224), (242, 230, 214), (236, 236, 236)]
CLOTHES = [(31, 95, 191), (120, 60, 140), (27, 115, 64), (164, 22, 26), (60, 64, 80)]
SKIN = [(241, 204, 177), (224, 172, 138), (198, 134, 96), (141, 85, 54), (255, 219, 190)]


def portrait_jpeg(first, last, size=(600, 750)):
    """A passport-like placeholder: plain background, head and shoulders, initials."""
    pick = hashlib.sha256(f"{first} {last}".encode()).digest()
    image = Image.new("RGB", size, BACKGROUNDS[pick[0] % len(BACKGROUNDS)])
    draw = ImageDraw.Draw(image)
    width, height = size
    clothes = CLOTHES[pick[1] % len(CLOTHES)]
    draw.ellipse((width * 0.1, height * 0.66, width * 0.9, height * 1.3), fill=clothes)
    draw.ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.62),
                 fill=SKIN[pick[2] % len(SKIN)])
    initials = f"{first[:1]}{last[:1]}".upper()
    font = ImageFont.load_default(size=int(height * 0.12))
    draw.text((width / 2, height * 0.86), initials, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
