"""Batches of cards (printing/batch.py): one PDF front then back per card, or each card's
panels, rendered in worker processes that never touch the database."""

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from campuscard.esc.qr import card_verify_url
from campuscard.printing import defaults
from campuscard.printing.batch import (
    UnprintableCards,
    render_batch_panels,
    render_batch_pdf,
)
from campuscard.printing.choosing import NoTemplate
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import render_panels
from campuscard.printing.services import record_print, save_template_version

from ..conftest import actor, make_person
from .conftest import HOLDERS, chunk_of
from .pixels import differing_pixels


def page_texts(pdf):
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def qr_text(png):
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [barcode.format for barcode in found] == [zxingcpp.BarcodeFormat.QRCode]
    return found[0].text


def test_a_batch_pdf_is_front_then_back_for_each_card_in_order(cards):
    texts = page_texts(render_batch_pdf(cards, workers=2, chunk_cards=1))
    assert len(texts) == 2 * len(cards)
    for number, name in enumerate(HOLDERS):
        front, back = texts[2 * number], texts[2 * number + 1]
        assert name.capitalize() in front and str(cards[number].escn) in front
        assert "personal" in back and name.capitalize() not in back


def test_one_worker_and_two_workers_make_the_same_pages(cards):
    alone = page_texts(render_batch_pdf(cards, workers=1))
    pooled = page_texts(render_batch_pdf(cards, workers=2, chunk_cards=2))
    assert pooled == alone and len(alone) == 6


def test_a_batch_pdf_can_be_written_to_a_file(cards, tmp_path):
    target = tmp_path / "batch.pdf"
    assert render_batch_pdf(cards[:2], target, workers=1) is None
    assert len(page_texts(target.read_bytes())) == 4


def test_a_card_no_template_fits_stops_the_batch_before_anything_is_rendered(
        cards, est_a, staff_population, tmp_path):
    CardTemplate.objects.get(code=defaults.CODE).populations.set([cards[0].person.population])
    staff = make_person("dora", est_a, staff_population, employee_id="E42")
    from campuscard.cards.services import request_card

    unprintable = request_card(staff, actor(staff.user))
    target = tmp_path / "batch.pdf"
    with pytest.raises(UnprintableCards) as raised:
        render_batch_pdf([cards[0], unprintable, cards[1]], target, workers=2, chunk_cards=1)
    assert isinstance(raised.value, NoTemplate)  # what the stations already handle
    assert raised.value.cards == [unprintable]
    assert "No card template applies to the holder of card" in str(raised.value)
    assert unprintable.number in str(raised.value)
    assert not target.exists()
    with pytest.raises(UnprintableCards):
        next(iter(render_batch_panels([unprintable], workers=1)))


def test_an_empty_batch_is_refused(db):
    with pytest.raises(ValueError, match="no card to print"):
        render_batch_pdf([])


def test_a_reprint_in_a_batch_keeps_its_version_and_frozen_values(cards, manager_a):
    record_print(cards[0], by=manager_a)
    template = CardTemplate.objects.get(code=defaults.CODE)
    save_template_version(template, front_html="NEW FRONT {{ first_name }}")
    cards[0].person.first_name = "Renamed"
    cards[0].person.save()
    texts = page_texts(render_batch_pdf(cards, workers=2, chunk_cards=1))
    assert "Alice" in texts[0] and "NEW FRONT" not in texts[0]  # version 1, values frozen
    assert "NEW FRONT Bob" in texts[2] and "NEW FRONT Chantal" in texts[4]


def test_batch_panels_come_in_order_with_each_cards_qr(cards):
    pooled = list(render_batch_panels(cards, workers=2, chunk_cards=1))
    assert [card for card, _ in pooled] == cards
    for card, panels in pooled:
        assert set(panels) == {"color", "black", "overlay", "back_color", "back_black"}
        assert Image.open(io.BytesIO(panels["color"])).size == (1011, 638)
        assert qr_text(panels["black"]) == card_verify_url(card)
    alone = list(render_batch_panels(cards, workers=1))
    for (card, ours), (_, theirs) in zip(pooled, alone, strict=True):
        assert set(ours) == set(theirs)
        for name in ours:
            assert same_pixels(ours[name], theirs[name]), (card.number, name)


def test_a_template_reaches_only_the_pictures_of_its_batch():
    from campuscard.printing.pages import CardURLFetcher, Pictures

    pictures = Pictures()
    url = pictures.add("image/jpeg", b"photo bytes")
    assert pictures.add("image/jpeg", b"photo bytes") == url and len(pictures) == 1
    assert CardURLFetcher(pictures).fetch(url).read() == b"photo bytes"
    for elsewhere in ("card-picture:" + "0" * 64, "file:///etc/passwd", "http://example.org/"):
        with pytest.raises(ValueError, match="not allowed on a card"):
            CardURLFetcher(pictures).fetch(elsewhere)


def test_a_back_the_cards_share_is_laid_out_once_and_printed_for_each(cards):
    sections, places = chunk_of(cards).pages()
    assert len(sections) == len(cards) + 1  # three fronts, one back
    assert [len(set(pages)) for pages in places] == [2, 2, 2]
    assert len({pages[1] for pages in places}) == 1

    texts = page_texts(render_batch_pdf(cards, workers=1))
    assert len(texts) == 2 * len(cards)
    for number, name in enumerate(HOLDERS):
        assert name.capitalize() in texts[2 * number] and "personal" in texts[2 * number + 1]

    batch = [panels for _, panels in render_batch_panels(cards, workers=1)]
    assert len({panels["back_color"] for panels in batch}) == 1
    for card, panels in zip(cards, batch, strict=True):
        alone = render_panels(card)
        for name in panels:
            assert same_pixels(panels[name], alone[name]), name


def test_a_template_whose_css_counts_sides_lays_each_side_out(cards):
    template = CardTemplate.objects.get(code=defaults.CODE)
    css = template.current_version.css + "\n.side:nth-child(4n) .chip-type { color: red }"
    save_template_version(template, css=css)
    sections, places = chunk_of(cards).pages()
    assert len(sections) == 2 * len(cards)
    assert places == [[0, 1], [2, 3], [4, 5]]


def same_pixels(png, other):
    return differing_pixels(png, other) == 0
