"""The card's QR code: the establishment's verifier prefix and the ESCN, as SVG or PNG, for the
card template and the holder's page. Decoded with zxing-cpp, as a phone would read it."""

import io
import re

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from campuscard.cards.states import State
from campuscard.core.validators import validate_verifier_prefix
from campuscard.esc.qr import make_qr, qr_png, qr_svg, verify_url
from campuscard.people.services import set_consent

from ..conftest import PASSWORD, actor, card_in_state

ESCN = "3e506370-826a-103d-bf76-001000000001"


def decode(png):
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def log_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def enabled_card(student, manager_a):
    set_consent(student, actor(student.user), "esc", True)
    return card_in_state(student, State.ENABLED, manager_a)


def test_the_code_holds_the_prefix_then_the_escn_in_lower_case():
    url = verify_url("https://s.esc-r.eu/", ESCN.upper())
    assert url == f"https://s.esc-r.eu/{ESCN}"
    assert decode(qr_png(url)) == url


@pytest.mark.parametrize("data", ["x", f"http://esc.gg/{ESCN}", f"https://s.esc-r.eu/{ESCN}"])
def test_version_4_at_least_with_error_correction_m(data):
    qr = make_qr(data)
    assert qr.version >= 4
    assert qr.error == "M"


def test_the_png_keeps_a_quiet_zone_of_four_modules_and_scales():
    image = Image.open(io.BytesIO(qr_png("x", scale=3)))
    assert image.size == (41 * 3, 41 * 3)
    assert image.convert("L").getpixel((3 * 4 - 1, 3 * 4 - 1)) == 255  # still quiet zone
    assert image.convert("L").getpixel((3 * 4, 3 * 4)) == 0  # the finder pattern starts


def test_the_svg_is_a_document_of_the_same_symbol():
    svg = qr_svg("x", scale=2, dark="#112233")
    assert svg.startswith("<svg")
    assert 'width="82" height="82"' in svg  # (33 + 8) * 2: version 4 has 33 modules
    assert "#123" in svg or "#112233" in svg


def test_the_holder_gets_their_cards_code_as_svg_and_png(client, student, enabled_card):
    log_in(client, student.user)
    svg = client.get(reverse("card_qr_svg", args=[enabled_card.pk]))
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    png = client.get(reverse("card_qr_png", args=[enabled_card.pk]), {"scale": 6})
    assert png["Content-Type"] == "image/png"
    assert decode(png.content) == f"https://s.esc-r.eu/{enabled_card.escn}"
    assert Image.open(io.BytesIO(png.content)).size == (41 * 6, 41 * 6)


def test_the_prefix_is_the_establishments(client, student, enabled_card, est_a):
    est_a.verifier_prefix = "http://pp.esc.gg/"
    est_a.save()
    log_in(client, student.user)
    png = client.get(reverse("card_qr_png", args=[enabled_card.pk]))
    assert decode(png.content) == f"http://pp.esc.gg/{enabled_card.escn}"


@pytest.mark.parametrize("scale, reason", [
    ("0", "between 1 and 20"), ("21", "between 1 and 20"), ("-1", "between 1 and 20"),
    ("big", "whole number"), ("9" * 5000, "whole number"), ("1e3", "whole number"),
])
def test_a_bad_scale_is_refused_with_its_reason(client, student, enabled_card, scale, reason):
    log_in(client, student.user)
    response = client.get(reverse("card_qr_png", args=[enabled_card.pk]), {"scale": scale},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert reason in response.content.decode()


@pytest.mark.parametrize("kind", ["card_qr_svg", "card_qr_png"])
def test_nobody_else_gets_the_code(client, other_student, manager_b, enabled_card, kind):
    for user in (other_student.user, manager_b):
        log_in(client, user)
        assert client.get(reverse(kind, args=[enabled_card.pk])).status_code == 404
    client.logout()
    response = client.get(reverse(kind, args=[enabled_card.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_holders_page_shows_the_code_of_an_enabled_card(client, student, enabled_card):
    log_in(client, student.user)
    page = client.get(reverse("portal:card", args=[enabled_card.pk])).content.decode()
    assert reverse("card_qr_svg", args=[enabled_card.pk]) in page
    assert f'href="https://s.esc-r.eu/{enabled_card.escn}"' in page


def test_no_code_on_the_page_without_the_european_consent(client, student, enabled_card):
    set_consent(student, actor(student.user), "esc", False)
    log_in(client, student.user)
    page = client.get(reverse("portal:card", args=[enabled_card.pk])).content.decode()
    assert reverse("card_qr_svg", args=[enabled_card.pk]) not in page


def test_the_card_template_carries_the_code_and_the_number(client, manager_a, enabled_card):
    log_in(client, manager_a)
    page = client.get(reverse("card_front", args=[enabled_card.pk])).content.decode()
    assert str(enabled_card.escn) in page
    assert re.search(r'<div class="qr"><svg[^>]*>', page)
    assert enabled_card.person.last_name.upper() in page


def test_the_card_template_is_for_the_card_office_only(client, student, manager_b, enabled_card):
    for user in (student.user, manager_b):
        log_in(client, user)
        assert client.get(reverse("card_front", args=[enabled_card.pk])).status_code == 404


@pytest.mark.parametrize("prefix", ["https://s.esc-r.eu/", "http://esc.gg/",
                                    "https://cards.example.org/v/"])
def test_a_verifier_prefix_is_an_address_ending_with_a_slash(prefix):
    validate_verifier_prefix(prefix)


@pytest.mark.parametrize("prefix", ["s.esc-r.eu/", "https://s.esc-r.eu", "ftp://esc.gg/",
                                    "https://esc.gg/?q=", "javascript:alert(1)//", ""])
def test_other_prefixes_are_refused(prefix):
    with pytest.raises(ValidationError) as refused:
        validate_verifier_prefix(prefix)
    assert refused.value.code == "verifier_prefix"
