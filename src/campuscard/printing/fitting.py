"""Text that does not fit its box shrinks down to a minimum size, then is cut with an ellipsis:
chosen here, from the glyph widths of the card's font, before WeasyPrint lays it out (the CSS
adds `text-overflow: ellipsis` as a second guard)."""

from dataclasses import dataclass

from campuscard.printing.fonts import text_width_em

PT_PER_MM = 72 / 25.4
ELLIPSIS = "…"


@dataclass(frozen=True)
class Fit:
    text: str
    size_pt: float
    cut: bool


def text_width_mm(text, size_pt, face):
    return text_width_em(text, face) * size_pt / PT_PER_MM


def fit_text(text, width_mm, *, max_pt, min_pt, face="bold", step_pt=0.25):
    """The largest size from max_pt down to min_pt (in steps) at which `text` fits in
    `width_mm`; at min_pt, the longest start of the text that fits followed by an ellipsis."""
    text = " ".join(str(text).split())
    width_at_one_pt = text_width_mm(text, 1, face)
    if width_at_one_pt == 0:
        return Fit(text, max_pt, False)
    size = min(max_pt, width_mm / width_at_one_pt)
    if size >= min_pt:
        size = max(min_pt, int(size / step_pt) * step_pt)
        return Fit(text, size, False)
    return Fit(_cut(text, width_mm, min_pt, face), min_pt, True)


def _cut(text, width_mm, size_pt, face):
    kept = text
    while kept and text_width_mm(kept.rstrip(" -'") + ELLIPSIS, size_pt, face) > width_mm:
        kept = kept[:-1]
    return kept.rstrip(" -'") + ELLIPSIS
