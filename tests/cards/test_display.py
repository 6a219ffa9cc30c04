"""The card as people read it: its access-control number, else its ESCN's short form, else its
request date; never its database id. And French sentences around a name that elide."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campuscard.backoffice.search import CardQuery, search_cards
from campuscard.cards.display import card_number
from campuscard.cards.models import Card, NumberCounter
from campuscard.cards.numbers import ACCESS_CONTROL
from campuscard.cards.states import State
from campuscard.core.names import NamePhrase, of_name, starts_with_vowel
from campuscard.esc.escn import escn_prefix_from_short, escn_short
from campuscard.people.permissions import scope_of

from ..conftest import card_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def numbered_from_4000(est_a):
    """Access-control numbers far from the database ids, so that neither passes for the other."""
    NumberCounter.objects.update_or_create(name=ACCESS_CONTROL, defaults={"last": 4000})


def test_an_encoded_card_reads_as_its_access_control_number(student, manager_a,
                                                            numbered_from_4000):
    card = card_in_state(student, State.ENCODED, manager_a)
    assert card.access_control_id == "4001"
    assert card.number == "4001" == card_number(card)
    assert str(card) == "4001 Encoded"


def test_a_card_not_encoded_reads_as_its_escn_short_form(student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    card.escn = uuid.UUID("1a2b3c4d-0000-1000-8000-066999859608")
    assert escn_short(card.escn) == "1a2b-3c4d"
    assert card.number == "ESC 1a2b-3c4d"


def test_a_card_without_escn_reads_as_its_request_date(student, manager_a):
    card = Card(person=student, establishment=student.establishment, state=State.NEW,
                requested_at=timezone.make_aware(datetime.datetime(2028, 8, 31, 10, 0)))
    assert card.number == "request of 31/08/2028"


@pytest.mark.parametrize("text", ["1a2b-3c4d", "1A2B3C4D", "ESC 1a2b-3c4d", " 1a2b 3c4d "])
def test_the_short_form_is_read_back_as_typed(text):
    assert escn_prefix_from_short(text) == "1a2b3c4d"


@pytest.mark.parametrize("text", ["1a2b-3c4", "xyz", "1a2b-3c4d-5e6f"])
def test_other_text_is_no_short_form(text):
    assert escn_prefix_from_short(text) is None


def test_the_search_finds_a_card_by_its_readable_number(student, other_student, manager_a,
                                                       numbered_from_4000):
    encoded = card_in_state(student, State.ENCODED, manager_a)
    new = card_in_state(other_student, State.NEW, manager_a)
    scope = scope_of(manager_a)

    def found(text):
        return list(search_cards(scope, CardQuery(text=text)))

    assert found("4001") == [encoded]
    assert found(escn_short(new.escn)) == [new]
    assert found(escn_short(new.escn).replace("-", "").upper()) == [new]


def test_the_card_page_names_the_card_by_its_number_in_english_and_french(
        client, student, manager_a, numbered_from_4000):
    card = card_in_state(student, State.ENCODED, manager_a)
    client.force_login(manager_a)
    english = client.get(reverse("backoffice:card", args=[card.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = english.content.decode()
    assert "<title>Card 4001 of Alice Martin" in html
    assert f"Card #{card.pk}" not in html and f"#{card.pk}<" not in html
    french = client.get(reverse("backoffice:card", args=[card.pk]), HTTP_ACCEPT_LANGUAGE="fr")
    html = french.content.decode()
    assert '<html lang="fr">' in html
    assert "4001" in html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert f"n° {card.pk}" not in html and f"#{card.pk}" not in html


def test_the_portal_names_the_card_by_its_number(client, student, manager_a,
                                                 numbered_from_4000):
    card = card_in_state(student, State.ENCODED, manager_a)
    client.force_login(student.user)
    for language in ("en", "fr"):
        html = client.get(reverse("portal:card", args=[card.pk]),
                          HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "4001" in html.split("<title>", 1)[1].split("</title>", 1)[0]
        assert f"#{card.pk}" not in html and f"n° {card.pk}" not in html


def test_the_card_list_names_each_card_by_its_number(client, student, manager_a,
                                                     numbered_from_4000):
    card = card_in_state(student, State.ENCODED, manager_a)
    client.force_login(manager_a)
    html = client.get(reverse("backoffice:cards"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '">4001</a>' in html and 'aria-label="Select card 4001 of Alice Martin"' in html
    assert f">#{card.pk}<" not in html


@pytest.mark.parametrize(("name", "elides"), [
    ("Alix", True), ("Élodie", True), ("Hugo", True), ("hélène", True), ("Yann", True),
    ("Bertrand", False), ("  Zoé", False), ("", False), ("-Odile", True),
])
def test_french_elides_before_a_vowel_or_h(name, elides):
    assert starts_with_vowel(name) is elides


def test_a_name_phrase_takes_the_form_its_name_asks_for():
    phrase = NamePhrase("la carte %(number)s d'%(name)s", "la carte %(number)s de %(name)s")
    assert phrase.format("Alix", number="12") == "la carte 12 d'Alix"
    assert phrase.format("Élodie", number="12") == "la carte 12 d'Élodie"
    assert phrase.format("Hugo", number="12") == "la carte 12 d'Hugo"
    assert phrase.format("Bertrand", number="12") == "la carte 12 de Bertrand"


def test_of_name_reads_in_english_until_translated():
    with translation.override("en"):
        assert of_name("Alix") == "of Alix"
