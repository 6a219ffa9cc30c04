"""Many cards at once: one PDF (front then back per card) or each card's PNG panels, on every
core (docs/printing.md, "Batches").

This process reads the cards, their template versions and photos and builds each card's HTML,
a chunk of consecutive cards at a time; worker processes (`CAMPUSCARD_PRINT_WORKERS`, started
with `spawn`, Django never set up in them) lay each chunk out as one WeasyPrint document and
send back its PDF or its panels; the chunks come back in order. At most two chunks per worker
are in flight, so memory does not grow with the batch except for the merged PDF itself."""

import io
import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import pypdfium2
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campuscard.printing.choosing import NoTemplate, choose_template
from campuscard.printing.models import CardPrint
from campuscard.printing.raster import PDFIUM
from campuscard.printing.rendering import PRINT, card_sections
from campuscard.printing.variables import card_language, template_variables
from campuscard.printing.workers import Chunk, panels_of_chunk, pdf_of_chunk

CHUNK_CARDS = 10  # cards per WeasyPrint document: fonts and CSS shared, 2 chunks a worker
IN_FLIGHT_PER_WORKER = 2


class UnprintableCards(NoTemplate):
    """Cards of a batch that no card template applies to; nothing was rendered."""

    def __init__(self, cards):
        self.cards = cards
        numbers = ", ".join(str(card.number) for card in cards)
        super().__init__(ngettext(
            "No card template applies to the holder of card %(numbers)s: an administrator "
            "adds one on the card templates page.",
            "No card template applies to the holders of cards %(numbers)s: an administrator "
            "adds one on the card templates page.", len(cards)) % {"numbers": numbers})


def print_workers():
    return max(1, int(settings.CAMPUSCARD_PRINT_WORKERS))


def render_batch_pdf(cards, target=None, *, workers=None, chunk_cards=CHUNK_CARDS):
    """One PDF of `cards`, front then back for each, in their order: the bytes, or written to
    `target` (a path or a binary file) and None returned."""
    results = _rendered(pdf_of_chunk, _with_related(cards), workers, chunk_cards)
    with PDFIUM:
        merged = pypdfium2.PdfDocument.new()
    try:
        for pdf, pages in results:
            with PDFIUM:
                part = pypdfium2.PdfDocument(pdf)
                merged.import_pages(part, pages)
                part.close()
        with PDFIUM:
            if target is not None:
                merged.save(target)
                return None
            return _saved(merged)
    finally:
        with PDFIUM:
            merged.close()


def render_batch_panels(cards, dpi=300, *, workers=None, chunk_cards=CHUNK_CARDS):
    """(card, panels) for each card in order, the panels as `rendering.render_panels` makes
    them, as an iterator: a caller writing them out holds only a few chunks at a time."""
    cards = _with_related(cards)
    results = _rendered(partial(panels_of_chunk, dpi=dpi), cards, workers, chunk_cards)
    return zip(cards, (panels for chunk in results for panels in chunk), strict=True)


def _saved(document):
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rendered(function, cards, workers, chunk_cards):
    plans = print_plans(cards)
    if not plans:
        raise ValueError(_("There is no card to print."))
    chunks = _chunks(plans, chunk_cards)
    workers = print_workers() if workers is None else max(1, workers)
    if workers == 1 or len(plans) <= chunk_cards:
        return map(function, chunks)
    return _in_pool(function, chunks, workers)


def _with_related(cards):
    if hasattr(cards, "select_related"):
        return list(cards.select_related("person__population", "establishment"))
    return list(cards)


def _in_pool(function, chunks, workers):
    """Each chunk's result in order, rendered by `workers` processes."""
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(function, chunk))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


def print_plans(cards):
    """(card, version, frozen values) for each card, as `rendering.version_for` and
    `frozen_values` decide, with one query for the cards' last prints and one choice per
    kind of holder; raises UnprintableCards before anything is rendered."""
    last_prints = _last_prints(cards)
    chosen = {}
    plans, unprintable = [], []
    for card in cards:
        last_print = last_prints.get(card.pk)
        if last_print is not None and last_print.version is not None:
            version = last_print.version
        else:
            version = _chosen_version(card, chosen)
        if version is None:
            unprintable.append(card)
            continue
        frozen = (last_print.values if last_print is not None
                  and last_print.version_id == version.pk else None)
        plans.append((card, version, frozen))
    if unprintable:
        raise UnprintableCards(unprintable)
    return plans


def _last_prints(cards, batch=500):
    ids = [card.pk for card in cards]
    found = {}
    for start in range(0, len(ids), batch):
        prints = (CardPrint.objects.filter(card__in=ids[start:start + batch])
                  .select_related("version"))  # the model's order: the latest first per card
        for card_print in prints:
            found.setdefault(card_print.card_id, card_print)
    return found


def _chosen_version(card, chosen):
    person = card.person
    kind = (card.establishment_id, person.population_id, person.card_template)
    if kind not in chosen:
        try:
            chosen[kind] = choose_template(person, card.establishment).current_version
        except NoTemplate:
            chosen[kind] = None
    return chosen[kind]


def _chunks(plans, chunk_cards, mode=PRINT):
    """Runs of at most `chunk_cards` consecutive cards sharing a version and a language."""
    chunk = None
    for card, version, frozen in plans:
        language = card_language(card)
        if (chunk is None or len(chunk) >= chunk_cards or chunk.version_id != version.pk
                or chunk.language != language):
            if chunk is not None:
                yield chunk
            chunk = Chunk(version.pk, language, version.css, version.zones)
        variables = template_variables(card, version, frozen, chunk.pictures)
        chunk.sides.append(card_sections(version, variables, mode, pictures=chunk.pictures))
    if chunk is not None:
        yield chunk
