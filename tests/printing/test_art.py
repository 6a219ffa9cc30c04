"""Static SVG art drawn as a picture of the batch (printing/art.py): the same pixels as the
inline `<svg>` a single card is rendered with, and left inline where it could differ."""

import io

import pytest
from PIL import Image, ImageChops

from campuscard.printing import art, defaults
from campuscard.printing.batch import render_batch_panels
from campuscard.printing.models import CardTemplate
from campuscard.printing.pages import Pictures
from campuscard.printing.rendering import card_sections, render_panels
from campuscard.printing.services import save_template_version
from campuscard.printing.variables import template_variables

TRICKY_FRONT = """\
<div class="bleed"><svg class="art backdrop" style="display: block" width="87.6mm"
  height="55.98mm" viewBox="0 0 876 560" xmlns="http://www.w3.org/2000/svg"
  xmlns:xlink="http://www.w3.org/1999/xlink">
  <defs><linearGradient id="sky" x1="0" x2="1"><stop offset="0" stop-color="#14557a"/>
    <stop offset="1" stop-color="#e8a33d"/></linearGradient>
    <circle id="dot" r="9" fill="#fff"/></defs>
  <rect width="876" height="560" fill="url(#sky)"/>
  <use xlink:href="#dot" x="120" y="90"/><use href="#dot" x="160" y="90"/>
  <svg x="500" y="300" width="200" height="120"><rect width="200" height="120" rx="20"
    fill="#0b3d91" opacity="0.6"/></svg>
  <text x="40" y="520" font-family="CardSans" font-weight="700" font-size="40"
    fill="#fff">Université &amp; Co — Zoë</text>
</svg></div>
<svg id="badge" class="mark" width="12mm" height="12mm" viewBox="0 0 10 10"
  style="position: absolute; left: 60mm; top: 30mm"><circle cx="5" cy="5" r="4"
  fill="#c00"/></svg>
<svg class="initials" width="14mm" height="6mm" viewBox="0 0 28 12"
  style="position: absolute; left: 5mm; top: 40mm"><text x="1" y="10" font-size="10"
  font-family="CardSans">{{ first_name|first }}</text></svg>
<div style="position: absolute; left: 5mm; top: 5mm">{{ first_name }}</div>
"""


def pixels(png):
    return Image.open(io.BytesIO(png)).convert("RGB")


def assert_same_panels(ours, theirs):
    assert set(ours) == set(theirs)
    for name in ours:
        difference = ImageChops.difference(pixels(ours[name]), pixels(theirs[name]))
        assert difference.getbbox() is None, name


def batch_panels(card):
    [(_, panels)] = render_batch_panels([card], workers=1)
    return panels


def test_the_default_templates_art_is_drawn_as_pictures_with_the_same_pixels(card):
    version = CardTemplate.objects.get(code=defaults.CODE).current_version
    assert art.can_separate(version.css)
    pictures = Pictures()
    sections = card_sections(version, template_variables(card, version, pictures=pictures),
                             pictures=pictures)
    assert "<svg" not in "".join(sections)  # the band, the ESC mark and the back's art
    assert sum(media == art.SVG_MEDIA_TYPE for media, _ in pictures.values()) >= 3
    assert_same_panels(batch_panels(card), render_panels(card, version))


def test_gradients_uses_nested_svgs_and_text_draw_the_same_and_dynamic_art_stays_inline(card):
    template = CardTemplate.objects.get(code=defaults.CODE)
    version = save_template_version(template, front_html=TRICKY_FRONT, css="")
    separated, _ = art.separated(version.front_html)
    assert separated.count("<img") == 2 and separated.count("<svg") == 1  # {{ }} inside
    assert 'class="mark" id="badge" style="position: absolute; left: 60mm; top: 30mm"' in (
        separated)
    assert_same_panels(batch_panels(card), render_panels(card, version))


@pytest.mark.parametrize("css", [
    ".band svg { display: block }", "svg.art { opacity: .5 }", "IMG { border: 0 }",
    "[class~=art] { display: block }", ".side :empty { display: none }",
    ".art:first-of-type { top: 0 }", "div > :nth-last-of-type(2) { top: 0 }",
    "@media print { .x :not(svg) { color: red } }", ".a { & svg { display: none } }",
])
def test_css_that_could_tell_an_img_from_an_svg_keeps_the_art_inline(css):
    assert not art.can_separate(css)


@pytest.mark.parametrize("css", [
    "", ".art { display: block }", ".svg-logo, #svg, .img { top: 0 }",
    ".photo:first-child { top: 0 }", "a:hover { color: red }",
    ".x { font-family: 'svg'; background: url(img.png) }",
])
def test_css_that_styles_by_class_or_position_lets_the_art_go(css):
    assert art.can_separate(css)


@pytest.mark.parametrize("source", [
    "<svg width='5mm' height='5mm'><rect width='5' height='5'/>",  # never closed
    "<svg width='5mm'><rect width='{{ width }}'/></svg>",
    "<p>no art</p>",
    "<svg width='5mm'><!-- art --><style>.name { color: red }</style><rect width='5'/></svg>",
])
def test_what_is_not_exactly_one_static_svg_is_left_as_it_is(source):
    assert art.separated(source) == (source, {})


def test_attributes_are_escaped_in_the_img():
    source = '<svg class="a&amp;b" title="&quot;x&quot;" width="1mm" height="1mm"></svg>'
    separated, pictures = art.separated(source)
    [url] = pictures
    assert separated == f'<img class="a&amp;b" title="&quot;x&quot;" src="{url}" alt="">'

