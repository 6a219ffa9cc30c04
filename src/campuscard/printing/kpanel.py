"""The black (K) panel from the colour layout, without laying the card out a second time.

The K panel is the card with only its text and QR code, in black: `body.black` in pages.py
hides `.art`, `.photo` and `.logo` (visibility keeps their place) and takes colours, backgrounds
and borders away, none of which moves a box. So the boxes WeasyPrint laid out for the colour
panel are the K panel's boxes too: repainting them black and drawing again gives the same
pixels as a second layout in black mode (tests/printing check it), for about a third of its
cost. A template whose CSS has rules of its own for the black mode (it names `black`) may move
boxes there, and is laid out twice as before.
"""

import tinycss2.color4

HIDDEN_IN_BLACK = frozenset({"art", "photo", "logo"})
SIDES = ("top", "right", "bottom", "left")
_BLACK = tinycss2.color4.parse_color("#000")
_TRANSPARENT = tinycss2.color4.parse_color("transparent")


def can_derive(css):
    """Whether the K panel of a template with this CSS can come from its colour layout."""
    return "black" not in (css or "")


def blacken(document):
    """Repaint a laid-out WeasyPrint document as the K panel (in place), once its colour PDF
    is written; returns it."""
    for page in document.pages:
        for box, hidden in _boxes(page._page_box, hidden=False):
            box.style = _black_style(box.style, hidden)
            if getattr(box, "background", None) is not None:
                box.background = None
    return document


def _boxes(box, hidden):
    element = getattr(box, "element", None)
    classes = element.get("class", "") if element is not None and hasattr(element, "get") else ""
    hidden = hidden or not HIDDEN_IN_BLACK.isdisjoint(classes.split())
    yield box, hidden
    for child in getattr(box, "children", None) or ():
        yield from _boxes(child, hidden)


def _black_style(style, hidden):
    # A copy: boxes of one element share its style, and anonymous styles read their parent's.
    style = style.copy()
    style["color"] = _BLACK
    for side in SIDES:
        style[f"border_{side}_color"] = _TRANSPARENT
    if hidden:
        style["visibility"] = "hidden"
    return style
