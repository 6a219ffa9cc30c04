"""The card's fonts: DejaVu from Debian's fonts-dejavu-core (.ci/run installs it), never
whatever the machine has; and their glyph widths, to fit text before rendering."""

from functools import cache
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILY = "CardSans"
FACES = {
    # (weight, file)
    "normal": (400, "DejaVuSans.ttf"),
    "bold": (700, "DejaVuSans-Bold.ttf"),
    "condensed": (400, "DejaVuSansCondensed.ttf"),
    "condensed-bold": (700, "DejaVuSansCondensed-Bold.ttf"),
}
# Measured over DejaVu Sans Bold on A-Z, a-z and common accented letters, in em: the
# fallback for a character the font lacks.
AVERAGE_CHAR_EM = 0.69


def font_path(face):
    return FONT_DIR / FACES[face][1]


def font_face_css():
    """@font-face rules pointing at the Debian files; templates use font-family: CardSans."""
    rules = []
    for face, (weight, filename) in FACES.items():
        family = f"{FAMILY} Condensed" if face.startswith("condensed") else FAMILY
        rules.append(f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
                     f'src: url("file://{FONT_DIR / filename}"); }}')
    return "\n".join(rules)


@cache
def _advances(face):
    """Each character's advance width in em, read from the font file."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_path(face), lazy=True)
    units = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}


def text_width_em(text, face="bold"):
    advances = _advances(face)
    return sum(advances.get(ord(char), AVERAGE_CHAR_EM) for char in text)
