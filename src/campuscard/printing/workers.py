"""What a batch worker process does with a chunk of cards (printing/batch.py): HTML already
built, pictures already read, so a worker never touches the database nor sets Django up.

One WeasyPrint document per chunk: fonts and CSS are parsed and laid out once for all its
cards, several times faster than one document per card."""

import itertools
from dataclasses import dataclass, field

from campuscard.printing.pages import (
    PRINT,
    Pictures,
    color_and_black_pdfs,
    html_document,
    layout_html,
)
from campuscard.printing.raster import panels, rasterised_pages


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

    def layout(self, mode=PRINT):
        html = html_document(self.language, self.css, mode,
                             itertools.chain.from_iterable(self.sides))
        return layout_html(html, self.pictures)

    def pdf(self, mode=PRINT):
        return self.layout(mode).write_pdf()

    def color_and_black_pdfs(self):
        return color_and_black_pdfs(self.layout, self.css)


def pdf_of_chunk(chunk):
    return chunk.pdf()


def panels_of_chunk(chunk, dpi):
    """Each card's panels, in order, the pages rasterised one card at a time."""
    color_pdf, black_pdf = chunk.color_and_black_pdfs()
    color = rasterised_pages(color_pdf, dpi)
    black = rasterised_pages(black_pdf, dpi, gray=True)
    found = []
    for sides in chunk.sides:
        count = len(sides)
        found.append(panels(list(itertools.islice(color, count)),
                            list(itertools.islice(black, count)), chunk.zones, dpi))
    return found
