"""A side's static layer (printing/layers.py): what the cards of a chunk share on a side drawn
once, each card's own elements drawn over it, giving the pixels of each side drawn whole."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from campuscard.printing import defaults, layers
from campuscard.printing.batch import render_batch_panels
from campuscard.printing.models import CardTemplate
from campuscard.printing.rendering import render_panels
from campuscard.printing.services import save_template_version
from campuscard.printing.workers import panels_of_chunk

from .conftest import chunk_of
from .pixels import differing_pixels

SECTION = '<section class="side front">{}</section>'


def split(inner):
    found = layers.split_section(SECTION.format(inner))
    return None if found is None else found.elements()


def test_a_side_splits_into_its_top_level_elements():
    inner = ('\n<div class="a"><span>x</span><img src="p"></div>\n<img class="qr" src="q">\n'
             '<svg viewBox="0 0 2 2"><rect width="1" height="1"/></svg> <br>')
    assert split(inner) == ['<div class="a"><span>x</span><img src="p"></div>',
                            '<img class="qr" src="q">',
                            '<svg viewBox="0 0 2 2"><rect width="1" height="1"/></svg>', "<br>"]
    assert split('<div title="a > b">x</div>') == ['<div title="a > b">x</div>']


@pytest.mark.parametrize("inner", [
    "loose text <div>x</div>",
    "<div>x</div> &nbsp;",
    "<!-- a comment --><div>x</div>",
    "<style>.a { color: red }</style><div>x</div>",
    "<div><span>x</div></span>",
    "<div>never closed",
    "<p>one<p>two",
])
def test_a_side_whose_elements_cannot_be_told_apart_is_not_split(inner):
    assert split(inner) is None


def layered_pages(chunk, dpi=300):
    sections, places = chunk.pages()
    return layers.attach_static_layers(chunk, layers.layers_of(chunk.css, sections, places),
                                       dpi)


def same_panels_as_drawn_whole(chunk, dpi=300):
    layered, whole = panels_of_chunk(chunk, dpi), panels_of_chunk(chunk, dpi,
                                                                  static_layers=False)
    for card_number, (ours, theirs) in enumerate(zip(layered, whole, strict=True)):
        assert set(ours) == set(theirs)
        for name in ours:
            assert differing_pixels(ours[name], theirs[name]) == 0, (card_number, name)


def front_layers(chunk):
    """Each card's front Layer, checked on the chunk's layout, or None."""
    sections, places = chunk.pages()
    layered = layered_pages(chunk)
    layers.check_layers(chunk.layout([layer.section if layer else section for layer, section
                                      in zip(layered, sections, strict=True)]), layered, 300)
    return [layered[pages[0]] for pages in places]


def drawn_over_a_static_layer(chunk):
    return [layer is not None and layer.fits for layer in front_layers(chunk)]


def give_photos(cards):
    for number, card in enumerate(cards):
        photo = io.BytesIO()
        Image.new("RGB", (300, 400), (40 * number, 120, 200 - 40 * number)).save(photo, "JPEG")
        card.photo = default_storage.save(f"photos/layers-{number}.jpg",
                                          ContentFile(photo.getvalue()))
        card.save(update_fields=["photo"])


def test_the_default_fronts_share_a_static_layer_and_look_as_drawn_whole(cards):
    give_photos(cards)
    chunk = chunk_of(cards)
    fronts = front_layers(chunk)
    assert [layer.fits for layer in fronts] == [True] * len(cards)
    static = fronts[0].static_section
    assert "esc-mark" in static and "establishment-band" in static and "wallet" in static
    assert all(name not in static for name in ('class="qr"', 'class="identity"', "photo"))
    for layer, card in zip(fronts, cards, strict=True):
        assert "esc-mark" not in layer.section and card.person.first_name in layer.section
        assert 'class="photo"' in layer.section
    back = chunk.pages()[1][0][1]
    assert layered_pages(chunk)[back] is None  # one back for all: already drawn once

    same_panels_as_drawn_whole(chunk)
    same_panels_as_drawn_whole(chunk, dpi=150)


def edit_default(front_html=None, css=""):
    template = CardTemplate.objects.get(code=defaults.CODE)
    current = template.current_version
    save_template_version(template, front_html=front_html or current.front_html,
                          css=current.css + "\n" + css)


@pytest.mark.parametrize(("front_html", "css"), [
    (defaults.FRONT_HTML + '<div class="stamp">SPECIMEN</div>',
     ".stamp { position: absolute; left: 2mm; top: 20mm; width: 30mm;"
     " background: rgba(200, 0, 0, 0.5); font-size: 12pt }"),
    (None, ".esc-mark { box-shadow: -40mm -12mm 0 8mm rgba(0, 0, 200, 0.4) }"),
    (None, ".wallet { transform: translate(-30mm, -20mm) scale(3) }"),
])
def test_a_shared_element_painted_over_the_cards_own_makes_them_drawn_whole(cards, front_html,
                                                                              css):
    give_photos(cards)
    edit_default(front_html, css)
    chunk = chunk_of(cards)
    assert all(layer.static is not None for layer in front_layers(chunk))
    assert drawn_over_a_static_layer(chunk) == [False] * len(cards)  # over the photo or names
    same_panels_as_drawn_whole(chunk)


def test_a_shared_element_painted_under_the_cards_own_keeps_the_static_layer(cards):
    edit_default(defaults.FRONT_HTML.replace(
        '<div class="photo-box">', '<div class="frame"></div>\n<div class="photo-box">'),
        ".frame { position: absolute; left: 3mm; top: 13mm; width: 22mm; height: 27.7mm;"
        " background: #14557a }")
    chunk = chunk_of(cards)
    fronts = front_layers(chunk)
    assert all('class="frame"' in layer.static_section for layer in fronts)
    assert drawn_over_a_static_layer(chunk) == [True] * len(cards)
    same_panels_as_drawn_whole(chunk)


@pytest.mark.parametrize(("front_html", "css"), [
    (defaults.FRONT_HTML + '<div class="note">Carte officielle</div>',
     ".note { margin-top: 40mm }"),  # in the flow
    (None, ".front { background: #fec }"),  # the side paints under the static layer
    (None, ".front::after { content: 'x'; position: absolute; left: 1mm; top: 1mm }"),
    (None, ".qr { z-index: 2 }"),
    (None, ".wallet { left: auto; right: auto }"),  # where the flow would put it
    (None, ".side:has(.photo) .wallet { color: red }"),
    (None, ".identity + .qr { opacity: 0.9 }"),
    (None, "body.black .wallet { visibility: hidden }"),  # the K panel laid out on its own
])
def test_a_side_that_cannot_be_drawn_in_two_layers_is_drawn_whole(cards, front_html, css):
    edit_default(front_html, css)
    chunk = chunk_of(cards)
    assert drawn_over_a_static_layer(chunk) == [False] * len(cards)
    same_panels_as_drawn_whole(chunk)


def test_batch_panels_drawn_over_static_layers_in_worker_processes_are_each_cards_own(cards):
    give_photos(cards)
    batch = list(render_batch_panels(cards, workers=2, chunk_cards=2))
    assert [card for card, _ in batch] == cards
    for card, panels in batch:
        alone = render_panels(card)
        assert set(panels) == set(alone)
        for name in panels:
            assert differing_pixels(panels[name], alone[name]) == 0, (card.number, name)
