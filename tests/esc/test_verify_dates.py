"""The verify page writes the expiry date as every other page does: day/month/year in French,
and in English too unless CAMPUSCARD_ENGLISH_DATE_ORDER asks for the US order. Its JSON keeps
ISO dates."""

import importlib

import pytest
from django.utils import formats

import campuscard.formats.en.formats as english_formats

from .test_verify import organisation, router_card  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("start_of_a_minute")


def expiry_shown(client, card, language):
    html = client.get(f"/v/{card.escn}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return html.split('<time datetime="', 1)[1].split("</time>", 1)[0]


@pytest.fixture
def english_order(settings):
    """Reload our English formats with settings.ENGLISH_DATE_ORDER as the test sets it."""

    def use(order):
        settings.ENGLISH_DATE_ORDER = order
        importlib.reload(english_formats)
        formats.reset_format_cache()

    yield use
    use("dmy")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_expiry_is_day_month_year(client, organisation, language):  # noqa: F811
    card = router_card(organisation)
    iso = card.expires_at.isoformat()
    assert expiry_shown(client, card, language) == f'{iso}">{card.expires_at:%d/%m/%Y}'
    assert client.get(f"/v/{card.escn}.json").json()["expiresAt"] == iso


def test_english_may_ask_for_the_us_order(client, organisation, english_order):  # noqa: F811
    card = router_card(organisation)
    english_order("mdy")
    assert expiry_shown(client, card, "en").endswith(f">{card.expires_at:%m/%d/%Y}")
    assert expiry_shown(client, card, "fr").endswith(f">{card.expires_at:%d/%m/%Y}")


def test_english_dates_are_european_by_default_and_read_both_ways():
    assert formats.get_format("SHORT_DATE_FORMAT", lang="en") == "d/m/Y"
    assert formats.get_format("DATE_FORMAT", lang="en") == "j F Y"
    inputs = formats.get_format("DATE_INPUT_FORMATS", lang="en")
    assert inputs[0] == "%Y-%m-%d" and "%d/%m/%Y" in inputs and "%m/%d/%Y" not in inputs
