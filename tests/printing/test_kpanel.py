"""The black (K) panel repainted from the colour layout is the K panel a second layout in black
mode gives, pixel for pixel, for the default template; a template with black-mode rules of
its own is laid out twice."""

from PIL import ImageChops

from campuscard.printing import defaults, kpanel, raster, rendering
from campuscard.printing.models import CardTemplate
from campuscard.printing.pages import BLACK, PRINT


def k_pages(pdf):
    return [raster.one_bit(page) for page in raster.rendered_pages(pdf, 300, gray=True)]


def test_the_repainted_k_panel_is_the_k_panel_of_a_second_layout(card):
    defaults.ensure_default_template()
    version = CardTemplate.objects.get(code=defaults.CODE).current_version
    assert kpanel.can_derive(version.css)
    document = rendering.layout(card, version, PRINT)
    document.write_pdf()  # the colour panel first, as the panels are made
    repainted = k_pages(kpanel.blacken(document).write_pdf())
    laid_out = k_pages(rendering.layout(card, version, BLACK).write_pdf())
    assert len(repainted) == len(laid_out) >= 1
    for ours, theirs in zip(repainted, laid_out, strict=True):
        assert ImageChops.difference(ours.convert("L"), theirs.convert("L")).getbbox() is None
        assert ours.convert("L").getextrema() == (0, 255)  # text and QR are there


def test_a_template_with_black_mode_rules_is_laid_out_in_black_mode(card):
    css = "body.black .name { display: none }"
    assert not kpanel.can_derive(css)
    modes = []

    def layout(mode):
        modes.append(mode)
        return rendering.layout(card, None, mode)

    rendering.color_and_black_pdfs(layout, css)
    assert modes == [PRINT, BLACK]
