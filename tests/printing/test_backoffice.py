"""The card templates page and the preview on a real card, for admins only."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from campuscard.cards.states import State
from campuscard.people.services import set_consent
from campuscard.printing import defaults

from ..conftest import PASSWORD, actor, card_in_state


@pytest.fixture
def card(student, manager_a):
    set_consent(student, actor(student.user), "esc", True)
    return card_in_state(student, State.IN_PRINT, manager_a)


def log_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_admins_see_the_templates_and_a_preview_on_a_card(client, admin_user, card):
    log_in(client, admin_user)
    listing = client.get(reverse("backoffice:printing_templates"))
    assert listing.status_code == 200
    assert defaults.NAME in listing.content.decode()
    page = client.get(reverse("backoffice:printing_preview", args=[defaults.CODE]),
                      {"card": card.pk})
    assert page.status_code == 200
    assert "Alice Martin" in page.content.decode()
    png_url = reverse("backoffice:printing_preview_png", args=[defaults.CODE, card.pk, "front"])
    assert png_url in page.content.decode()
    image = client.get(png_url)
    assert image["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (1011, 638)


def test_a_bad_card_or_side_is_not_found(client, admin_user, card):
    log_in(client, admin_user)
    url = reverse("backoffice:printing_preview", args=[defaults.CODE])
    assert client.get(url, {"card": "x"}).status_code == 404
    assert client.get(url, {"card": "999999"}).status_code == 404
    bad_side = reverse("backoffice:printing_preview_png", args=[defaults.CODE, card.pk, "edge"])
    assert client.get(bad_side).status_code == 404


def test_managers_may_not(client, manager_a, card):
    log_in(client, manager_a)
    assert client.get(reverse("backoffice:printing_templates")).status_code == 403
    png_url = reverse("backoffice:printing_preview_png", args=[defaults.CODE, card.pk, "front"])
    assert client.get(png_url).status_code == 403
