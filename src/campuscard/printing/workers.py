"""What a batch worker process does with a chunk of cards (printing/batch.py): HTML already
built, pictures already read, so a worker never touches the database nor sets Django up.

One WeasyPrint document per chunk: fonts and CSS are parsed and laid out once for all its
cards, several times faster than one document per card. A side that several cards of the chunk
share, word for word (the back of an establishment's cards, mostly), is laid out, drawn and
rasterised once, unless the template's CSS could tell where a side stands among the others
(selectors.depends_on_position). For the panels, what the cards' differing sides share is
rasterised once a worker too, each card's own elements drawn over it (printing/layers.py)."""

import itertools
from dataclasses import dataclass, field

from campuscard.printing import layers, raster, selectors
from campuscard.printing.pages import (
    PRINT,
    Pictures,
    color_and_black_pdfs,
    html_document,
    layout_html,
)


@dataclass
class Chunk:
    """Consecutive cards of a batch printed with the same template version, in one language."""

    version_id: int
    language: str
    css: str
    zones: list
    sides: list = field(default_factory=list)  # each card's <section>s, front then back
    pictures: Pictures = field(default_factory=Pictures)

    def __len__(self):
        return len(self.sides)

    def pages(self):
        """(the sections to lay out, each a page; for each card, the pages of its sides)."""
        if selectors.depends_on_position(self.css):
            sections = list(itertools.chain.from_iterable(self.sides))
            starts = itertools.accumulate((len(sides) for sides in self.sides), initial=0)
            return sections, [list(range(start, start + len(sides)))
                              for start, sides in zip(starts, self.sides, strict=False)]
        index = {}
        places = [[index.setdefault(section, len(index)) for section in sides]
                  for sides in self.sides]
        return list(index), places

    def layout(self, sections, mode=PRINT):
        return layout_html(html_document(self.language, self.css, mode, sections), self.pictures)


def pdf_of_chunk(chunk):
    """The chunk's PDF, each distinct side once, and the pages of its cards in order."""
    sections, places = chunk.pages()
    return chunk.layout(sections).write_pdf(), list(itertools.chain.from_iterable(places))


def panels_of_chunk(chunk, dpi, static_layers=True):
    """Each card's panels, in order; a page shared by several cards is one PNG for all, and
    what the cards of a side share is drawn once a worker (printing/layers.py)."""
    sections, places = chunk.pages()
    layered = [None] * len(sections)
    if static_layers:
        layered = layers.attach_static_layers(
            chunk, layers.layers_of(chunk.css, sections, places), dpi)
    color, black = _page_pngs(chunk, [layer.section if layer else section
                                      for layer, section in zip(layered, sections, strict=True)],
                              layered, dpi)
    whole = [page for page, layer in enumerate(layered) if layer is not None and not layer.fits]
    if whole:
        again = _page_pngs(chunk, [sections[page] for page in whole], [None] * len(whole), dpi)
        for page, page_color, page_black in zip(whole, *again, strict=True):
            color[page], black[page] = page_color, page_black
    return [raster.panels([color[page] for page in pages], [black[page] for page in pages],
                          chunk.zones, dpi) for pages in places]


def _page_pngs(chunk, sections, layered, dpi):
    """The colour and K PNGs of these sections, each layered one over its static layer."""
    def layout(mode):
        document = chunk.layout(sections, mode)
        if mode == PRINT:  # checked before the K panel repaints the same boxes
            layers.check_layers(document, layered, dpi)
        return document

    color_pdf, black_pdf = color_and_black_pdfs(layout, chunk.css)
    over = [layer if layer is not None and layer.fits else None for layer in layered]
    return (raster.color_pngs(color_pdf, dpi, [layer and layer.static.color for layer in over]),
            raster.black_pngs(black_pdf, dpi, [layer and layer.static.black for layer in over]))
