"""A side's static layer: the top-level elements every card of a batch chunk has the same on
that side (the art, the logo, the establishment's name, most often), laid out and rasterised
once a worker, and each card's own elements drawn by pdfium over a copy of those pixels. The
panels of the default template's front cost a third less this way (docs/benchmarks.md).

Drawing the static elements first and the others over them gives the pixels of the whole side
drawn at once only when every static element:
- is absolutely positioned, with its offsets set (`top` or `bottom`, `left` or `right`), so
  that taking the others away moves nothing, and taking it away moves nothing either;
- would not be painted over a card's own element it overlaps: in CSS's painting order, a
  positioned element is painted after the elements before it in the document and after every
  element that is not positioned. So a card's element that precedes it, or is not positioned,
  must not touch it: that is checked on each card's layout, from the boxes that paint (text,
  pictures, backgrounds, borders), widened by a margin for the glyphs' ink; an element with a
  shadow or a `transform` counts as painting everywhere.
And nothing may be painted twice or out of order: the page, `<html>`, `<body>` and the side's
`<section>` paint nothing of their own, no box has a `z-index`, none is `position: fixed`, and
the template's CSS cannot tell how many elements a side holds (selectors.depends_on_siblings).
Where a chunk breaks one of these rules, its sides are drawn whole as before: a card whose own
elements overlap a later static one is laid out again whole (`Layer.fits`), a template whose
static part breaks them gets no static layer. Only where the K panel comes from the colour
layout (kpanel.can_derive): the checks are made on that one layout.
"""

import math
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass

from campuscard.printing import kpanel, raster, selectors
from campuscard.printing.pages import color_and_black_pdfs

SECTION_END = "</section>"
TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>")
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                           "meta", "source", "track", "wbr"})
RAW_TEXT_ELEMENTS = frozenset({"script", "style", "textarea", "title", "template", "xmp",
                               "iframe", "noembed", "noframes", "noscript", "plaintext"})
GLYPH_OVERHANG_EM = 0.25  # how far a glyph's ink may reach out of its text box: accents, italics
EVERYWHERE = (-math.inf, -math.inf, math.inf, math.inf)
STATIC_LAYERS_KEPT = 8  # a process: a few establishments' and populations' fronts


@dataclass(frozen=True)
class Split:
    """A side's `<section>`: its opening tag, what it holds, and where each top-level element
    of that stands."""

    opening: str
    inner: str
    spans: tuple

    def elements(self):
        return [self.inner[start:end] for start, end in self.spans]


def split_section(section):
    """The side's top-level elements, or None where they cannot be told apart from its text
    alone: text or a comment between them, a raw-text element (`<style>`…), tags that do not
    nest as written."""
    opening_end = section.find(">") + 1
    if not section.startswith("<section") or not section.endswith(SECTION_END):
        return None
    inner = section[opening_end:-len(SECTION_END)]
    if "<!" in inner:
        return None
    spans, open_tags, start, done = [], [], 0, 0
    for match in TAG.finditer(inner):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if not open_tags and inner[done:match.start()].strip():
            return None
        if name in RAW_TEXT_ELEMENTS:
            return None
        if closing:
            if not open_tags or open_tags.pop() != name:
                return None
        elif self_closing or name in VOID_ELEMENTS:
            if not open_tags:
                start = match.start()
        else:
            if not open_tags:
                start = match.start()
            open_tags.append(name)
            continue
        if not open_tags:
            spans.append((start, match.end()))
            done = match.end()
    if open_tags or inner[done:].strip():
        return None
    return Split(section[:opening_end], inner, tuple(spans))


@dataclass
class Layer:
    """A page of a chunk drawn over a static layer: the side with only the card's own
    elements, and how many static elements precede each of those in the whole side."""

    static_section: str
    section: str
    static_before: tuple
    static: "StaticLayer | None" = None
    fits: bool = True


def layers_of(css, sections, places):
    """For each page of a chunk (`sections`, `places` as Chunk.pages gives them), its Layer or
    None: the pages of a side position (front, back) that differ from card to card, when what
    they share can be drawn once."""
    layered = [None] * len(sections)
    if selectors.depends_on_siblings(css) or not kpanel.can_derive(css):
        return layered
    for position in range(max((len(pages) for pages in places), default=0)):
        pages = sorted({pages[position] for pages in places if len(pages) > position})
        if len(pages) < 2:
            continue
        for page, layer in zip(pages, _layers_of_side([sections[page] for page in pages]),
                               strict=False):
            layered[page] = layer
    return layered


def _layers_of_side(sections):
    splits = [split_section(section) for section in sections]
    if any(split is None for split in splits) or len({s.opening for s in splits}) > 1:
        return []
    common = Counter(splits[0].elements())
    for split in splits[1:]:
        common &= Counter(split.elements())
    marked = [_marked_static(split.elements(), common) for split in splits]
    static = [[element for element, is_static in zip(split.elements(), marks, strict=True)
               if is_static] for split, marks in zip(splits, marked, strict=True)]
    if not static[0] or any(elements != static[0] for elements in static):
        return []
    static_section = splits[0].opening + "\n".join(static[0]) + SECTION_END
    return [_layer(static_section, split, marks) for split, marks in zip(splits, marked,
                                                                          strict=True)]


def _marked_static(elements, common):
    left = Counter(common)
    marks = []
    for element in elements:
        marks.append(left[element] > 0)
        left[element] -= 1
    return marks


def _layer(static_section, split, marks):
    kept, static_before, done, seen = [], [], 0, 0
    for (start, end), is_static in zip(split.spans, marks, strict=True):
        if is_static:
            kept.append(split.inner[done:start])
            done, seen = end, seen + 1
        else:
            static_before.append(seen)
    kept.append(split.inner[done:])
    return Layer(static_section, split.opening + "".join(kept) + SECTION_END,
                 tuple(static_before))


@dataclass
class StaticLayer:
    """A side's static elements rasterised, in colour and for the K panel, and the box each
    one paints in (CSS px, or None when it paints nothing)."""

    color: raster.Bitmap
    black: raster.Bitmap
    extents: list


_static_layers = OrderedDict()
_static_layers_lock = threading.Lock()  # small batches are drawn in a server's threads
_NOT_MADE = object()


def static_layer(chunk, static_section, dpi):
    """The chunk's static layer for this side, made once a process; None where its elements
    break the rules above."""
    key = (chunk.language, chunk.css, static_section, dpi)
    with _static_layers_lock:
        found = _static_layers.get(key, _NOT_MADE)
        if found is not _NOT_MADE:
            _static_layers.move_to_end(key)
            return found
    made = _made_static_layer(chunk, static_section, dpi)
    with _static_layers_lock:
        _static_layers[key] = made
        while len(_static_layers) > STATIC_LAYERS_KEPT:
            _static_layers.popitem(last=False)
    return made


def _made_static_layer(chunk, static_section, dpi):
    found = {}

    def layout(mode):
        document = chunk.layout([static_section], mode)
        found["page"] = _PageBoxes.of(document.pages[0], dpi)
        return document

    color_pdf, black_pdf = color_and_black_pdfs(layout, chunk.css)
    page = found["page"]
    if page is None or page.count != len(split_section(static_section).spans) or not all(
            page.anchored(index) for index in range(page.count)):
        return None
    [color] = raster.rendered_pages(color_pdf, dpi)
    [black] = raster.rendered_pages(black_pdf, dpi, gray=True)
    return StaticLayer(color, black, [page.extent(index) for index in range(page.count)])


def attach_static_layers(chunk, layered, dpi):
    """Each Layer's static layer; a page whose static layer cannot be made is drawn whole."""
    for page, layer in enumerate(layered):
        if layer is not None:
            layer.static = static_layer(chunk, layer.static_section, dpi)
            if layer.static is None:
                layered[page] = None
    return layered


def check_layers(document, layered, dpi):
    """Marks each layered page of the chunk's laid-out `document` that cannot go over its
    static layer (`fits` False): to be laid out again whole."""
    for page, layer in zip(document.pages, layered, strict=True):
        if layer is not None:
            boxes = _PageBoxes.of(page, dpi)
            layer.fits = boxes is not None and boxes.count == len(layer.static_before) and (
                boxes.clear_of(layer.static_before, layer.static.extents))


def _overlap(first, second):
    return (first is not None and second is not None and first[0] < second[2]
            and second[0] < first[2] and first[1] < second[3] and second[1] < first[3])


class _PageBoxes:
    """A laid-out side's boxes, by the top-level element of the side they belong to."""

    def __init__(self, dpi):
        self.margin = 96 / dpi  # a device pixel, for anti-aliasing
        self.styles, self.extents, self.count = {}, {}, 0

    @classmethod
    def of(cls, page, dpi):
        """The page's boxes, or None where something would be painted twice or out of order
        (see the module's notes)."""
        found = cls(dpi)
        section = next((box.element for box in _walk(page._page_box) if _tag(box) == "section"
                        and getattr(box, "pseudo_type", None) is None), None)
        if section is None:
            return None
        top_level = list(section)
        found.count = len(top_level)
        owner = {element: index for index, top in enumerate(top_level) for element in top.iter()}
        for box, clip in _walk_clipped(page._page_box, None):
            style = box.style
            if style["z_index"] != "auto" or style["position"] == "fixed":
                return None
            index = owner.get(getattr(box, "element", None))
            if index is None:
                if _paints(box) or style["transform"]:
                    return None
                continue
            if box.element is top_level[index]:
                found.styles.setdefault(index, style)
            if style["transform"] or style["box_shadow"]:
                found._widen(index, EVERYWHERE)  # painted away from the boxes, theirs too
            else:
                found._widen(index, _clipped(found._ink(box), clip))
        return found

    def anchored(self, index):
        style = self.styles.get(index)
        return style is not None and style["position"] == "absolute" and (
            style["top"] != "auto" or style["bottom"] != "auto") and (
            style["left"] != "auto" or style["right"] != "auto")

    def positioned(self, index):
        style = self.styles.get(index)
        return style is not None and style["position"] in ("absolute", "relative")

    def extent(self, index):
        return self.extents.get(index)

    def clear_of(self, static_before, static_extents):
        """Whether none of this card's elements touches a static element that would be
        painted over it."""
        for index, before in enumerate(static_before):
            later = static_extents[before:] if self.positioned(index) else static_extents
            if any(_overlap(self.extent(index), extent) for extent in later):
                return False
        return True

    def _ink(self, box):
        if not _paints(box):
            return None
        x, y = box.border_box_x(), box.border_box_y()
        margin = self.margin
        if hasattr(box, "text"):
            margin += GLYPH_OVERHANG_EM * box.style["font_size"]
        if box.style["outline_style"] != "none":
            margin += box.style["outline_width"] + max(0, box.style["outline_offset"])
        return (x - margin, y - margin, x + box.border_width() + margin,
                y + box.border_height() + margin)

    def _widen(self, index, ink):
        if ink is None:
            return
        known = self.extents.get(index)
        self.extents[index] = ink if known is None else (
            min(known[0], ink[0]), min(known[1], ink[1]), max(known[2], ink[2]),
            max(known[3], ink[3]))


def _walk_clipped(box, clip):
    """Each box with the rectangle its ancestors' `overflow` clips it to (None: unclipped).
    An absolutely positioned box escapes the clips, to stay on the safe side: it is clipped
    only by the ancestors of its containing block."""
    if box.style["position"] == "absolute":
        clip = None
    yield box, clip
    if box.style["overflow"] != "visible":
        clip = _clipped(_padding_box(box), clip)
    for child in getattr(box, "children", None) or ():
        yield from _walk_clipped(child, clip)


def _padding_box(box):
    x, y = box.padding_box_x(), box.padding_box_y()
    return (x, y, x + box.padding_width(), y + box.padding_height())


def _clipped(extent, clip):
    if extent is None or clip is None:
        return extent
    clipped = (max(extent[0], clip[0]), max(extent[1], clip[1]), min(extent[2], clip[2]),
               min(extent[3], clip[3]))
    return clipped if clipped[0] < clipped[2] and clipped[1] < clipped[3] else None


def _walk(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _walk(child)


def _tag(box):
    element = getattr(box, "element", None)
    return getattr(element, "tag", None)


def _background_paints(background):
    return background is not None and (background.color.alpha > 0 or any(
        layer.image is not None for layer in background.layers))


def _paints(box):
    """Whether the box draws anything: text, a picture, a background, a border, an outline
    or a shadow (a conservative reading: one that might draw counts)."""
    style = box.style
    if style["visibility"] != "visible":
        return False
    if hasattr(box, "text"):
        return bool(box.text.strip())
    if hasattr(box, "replacement"):
        return True
    if _background_paints(getattr(box, "background", None)) or style["marks"]:
        return True
    if style["box_shadow"]:
        return True
    if style["outline_width"] and style["outline_style"] != "none":
        return True
    return any(style[f"border_{side}_width"] for side in kpanel.SIDES)
