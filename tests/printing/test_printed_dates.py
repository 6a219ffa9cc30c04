"""Printed dates follow the pages' rule: day/month/year in French and English, the US order in
English when CAMPUSCARD_ENGLISH_DATE_ORDER=mdy; in the card's language, not the request's."""

import datetime
import importlib

import pytest
from django.utils import formats, translation

import campuscard.formats.en.formats as english_formats
from campuscard.cards.states import State
from campuscard.printing.rendering import version_for
from campuscard.printing.variables import printed_values

from ..conftest import card_in_state


@pytest.fixture(autouse=True)
def _default_template(db):
    """The default card template, as its migration makes it (a transactional test flushes it)."""
    from campuscard.printing.defaults import ensure_default_template

    return ensure_default_template()


@pytest.fixture
def english_order(settings):
    def use(order):
        settings.ENGLISH_DATE_ORDER = order
        importlib.reload(english_formats)
        formats.reset_format_cache()

    yield use
    use("dmy")


@pytest.fixture
def card(student, manager_a):
    student.birth_date = datetime.date(1994, 7, 14)
    student.rights_end = datetime.date(2027, 8, 3)
    student.save()
    return card_in_state(student, State.IN_PRINT, manager_a)


def dates_on(card, language):
    card.person.language = language
    card.person.save()
    values = printed_values(card, version_for(card))
    return values["birth_date"], values["valid_until"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_dates_are_day_month_year_by_default(card, language):
    assert dates_on(card, language) == ("14/07/1994", "03/08/2027")


def test_english_cards_may_take_the_us_order(card, english_order):
    english_order("mdy")
    assert dates_on(card, "en") == ("07/14/1994", "08/03/2027")
    assert dates_on(card, "fr") == ("14/07/1994", "03/08/2027")


def test_the_cards_language_decides_not_the_pages(card, english_order):
    english_order("mdy")
    card.person.language = "fr"
    card.person.save()
    with translation.override("en"):
        values = printed_values(card, version_for(card))
    assert values["birth_date"] == "14/07/1994"
    assert translation.get_language() != "fr"  # the override ends with the values
