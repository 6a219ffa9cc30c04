"""The card's QR artwork: GET /esc-rest/api/v2/cards/{escn}/qr."""

import base64
import re

import pytest

from campuscard.esc.qr import qr_svg
from campuscard.router.artwork import qr_artwork

from .conftest import assert_error, new_escn

SVG = {"Accept": "image/svg+xml"}
TEXT = {"Accept": "text/plain"}


def qr_path(svg):
    """The path drawing the dark modules of the (first) QR symbol in `svg`."""
    return re.search(r'<path class="qrline"[^>]* d="([^"]+)"', svg)[1]


def size_of(svg):
    return re.match(r'<svg [^>]*width="([\d.]+)" height="([\d.]+)"', svg).groups()


def test_the_qr_comes_as_svg(router_a, card_a, settings):
    response = router_a.get(f"/cards/{card_a}/qr", **SVG)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and ">ESC</text>" in svg
    expected = qr_svg(f"{settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX}{card_a}", scale=1)
    assert qr_path(svg) == qr_path(expected)


def test_the_qr_points_at_the_configured_verifier(router_a, card_a, settings):
    settings.CAMPUSCARD_ROUTER_VERIFIER_PREFIX = "https://verify.example.org/v/"
    svg = router_a.get(f"/cards/{card_a}/qr", **SVG).content.decode()
    assert qr_path(svg) == qr_path(qr_svg(f"https://verify.example.org/v/{card_a}", scale=1))


def test_text_plain_gives_the_same_svg_in_base64(router_a, card_a):
    svg = router_a.get(f"/cards/{card_a}/qr", **SVG).content
    response = router_a.get(f"/cards/{card_a}/qr", **TEXT)
    assert response["Content-Type"].startswith("text/plain")
    assert base64.b64decode(response.content) == svg


@pytest.mark.parametrize("accept", [None, "*/*", "application/json;q=0.5, image/*"])
def test_svg_is_the_default(router_a, card_a, accept):
    headers = {} if accept is None else {"Accept": accept}
    assert router_a.get(f"/cards/{card_a}/qr", **headers)["Content-Type"] == "image/svg+xml"


@pytest.mark.parametrize(("params", "width", "height"), [
    ({}, "123", "61.5"),
    ({"size": "XS"}, "82", "41"),
    ({"size": "M", "orientation": "vertical"}, "164", "328"),
])
def test_sizes_and_orientations(router_a, card_a, params, width, height):
    svg = router_a.get(f"/cards/{card_a}/qr", params, **SVG).content.decode()
    assert size_of(svg) == (width, height)


def test_inverted_colours_swap_dark_and_light():
    normal = qr_artwork("https://example.org/v/x", colours="normal")
    inverted = qr_artwork("https://example.org/v/x", colours="inverted")
    assert 'class="qrline" stroke="#000"' in normal
    assert 'class="qrline" stroke="#fff"' in inverted
    assert qr_path(normal) == qr_path(inverted)


def test_vertical_puts_the_mark_above_the_code():
    svg = qr_artwork("https://example.org/v/x", orientation="vertical", size="XS")
    assert re.search(r'class="segno" x="0" y="41" width="41" height="41"', svg)
    assert '<text x="20.5" y="20.5"' in svg


@pytest.mark.parametrize("params", [{"size": "L"}, {"orientation": "diagonal"},
                                    {"colours": "sepia"}])
def test_unknown_options_are_a_bad_request(router_a, card_a, params):
    assert_error(router_a.get(f"/cards/{card_a}/qr", params, **SVG), 400, "ER-0400")


def test_an_unsupported_media_type_is_a_bad_request(router_a, card_a):
    assert_error(router_a.get(f"/cards/{card_a}/qr", Accept="application/pdf"), 400)


def test_a_malformed_unknown_or_foreign_card_has_no_qr(router_a, router_b, anonymous, est_a,
                                                       card_a):
    assert_error(router_a.get("/cards/not-an-escn/qr"), 400)
    assert_error(router_a.get(f"/cards/{new_escn(est_a)}/qr"), 404, "ER-0001")
    assert_error(router_b.get(f"/cards/{card_a}/qr"), 403, "SE-0000")
    assert_error(anonymous.get(f"/cards/{card_a}/qr"), 401)
