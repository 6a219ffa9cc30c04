"""A template's static SVG art drawn as a picture of the batch instead of inline.

WeasyPrint draws an inline `<svg>` as an image made of that element, but only after styling
each of its elements as if it were HTML (the whole cascade, for every circle and path: about
9 ms a card for the default template's art). A batch (printing/batch.py) puts, in place of
each inline `<svg>` that holds no template syntax, an `<img>` with the same class, id and style
whose picture is that SVG (pages.Pictures): WeasyPrint then reads the SVG once a chunk, and
draws it the same (tests/printing/test_art.py compares the pixels).

The two differ only in what CSS can select: not done for an `<svg>` holding a `<style>` (inline,
its rules apply to the whole page), nor for a template whose CSS names the `svg` or `img`
element, has an attribute selector, `:empty` or a `*-of-type` pseudo-class (`can_separate`).
The base CSS's `img.qr` only sets how raster pictures are scaled, nothing an SVG uses."""

import html
import re
from functools import lru_cache
from xml.etree import ElementTree

import tinyhtml5

from campuscard.printing import selectors
from campuscard.printing.pages import picture_url

SVG_MEDIA_TYPE = "image/svg+xml"
SVG_ELEMENT = "{http://www.w3.org/2000/svg}svg"
XMLNS = "{http://www.w3.org/2000/xmlns/}"
PAGE_WIDE = frozenset({"style", "link"})
KEPT_ATTRIBUTES = ("class", "id", "style", "hidden", "title", "lang", "dir")
TEMPLATE_SYNTAX = re.compile(r"\{[{%#]")
SVG_TAG = re.compile(r"<(/?)svg\b[^>]*?(/?)>", re.IGNORECASE)


def can_separate(css):
    """Whether the template's CSS styles an `<img>` holding the art as it styles the `<svg>`."""
    return not selectors.tells_img_from_svg(css)


@lru_cache(maxsize=64)
def separated(source):
    """(`source` with each static top-level `<svg>` replaced by an `<img>`, {picture URL:
    (media type, the SVG as XML)}): what a batch renders and adds to its pictures."""
    pieces, art, done = [], {}, 0
    for start, end in _top_level_svgs(source):
        block = source[start:end]
        svg = None if TEMPLATE_SYNTAX.search(block) else _svg_element(block)
        if svg is None:
            continue
        xml = ElementTree.tostring(svg)
        url = picture_url(xml)
        art[url] = (SVG_MEDIA_TYPE, xml)
        pieces += [source[done:start], _img_tag(url, svg.attrib)]
        done = end
    pieces.append(source[done:])
    return "".join(pieces), art


def _top_level_svgs(source):
    depth, start = 0, 0
    for match in SVG_TAG.finditer(source):
        closing, self_closing = match.group(1), match.group(2)
        if closing:
            if depth:
                depth -= 1
                if depth == 0:
                    yield start, match.end()
        elif self_closing:
            if depth == 0:
                yield match.start(), match.end()
        else:
            if depth == 0:
                start = match.start()
            depth += 1


def _svg_element(block):
    """The block parsed as WeasyPrint parses the page, ready to be written as an SVG
    document; None unless it is exactly one `<svg>` element, without a `<style>` (which, inline,
    styles the whole page)."""
    body = tinyhtml5.parse(f"<!doctype html><body>{block}",
                           namespace_html_elements=False).find("body")
    children = list(body)
    if (len(children) != 1 or children[0].tag != SVG_ELEMENT or (body.text or "").strip()
            or (children[0].tail or "").strip()):
        return None
    svg = children[0]
    if any(str(element.tag).rsplit("}", 1)[-1] in PAGE_WIDE for element in svg.iter()):
        return None
    svg.tail = None
    for name in [name for name in svg.attrib if name.startswith(XMLNS)]:
        del svg.attrib[name]  # namespace declarations: ElementTree writes its own
    return svg


def _img_tag(url, attributes):
    kept = "".join(f' {name}="{html.escape(attributes[name])}"' for name in KEPT_ATTRIBUTES
                   if name in attributes)
    return f'<img{kept} src="{url}" alt="">'
