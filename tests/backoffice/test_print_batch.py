"""A print batch for an office without a station: the selected cards as one PDF (front then
back each), refused as a whole when a card has no template, for the cards the manager manages."""

import pypdfium2
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.printing.models import CardTemplate

from ..conftest import card_in_state, make_staff

BATCH = reverse("backoffice:print_batch")


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def _default_template(db):
    """The default card template, as its migration makes it (a transactional test flushes it)."""
    from campuscard.printing.defaults import ensure_default_template

    return ensure_default_template()


@pytest.fixture
def checked(student, other_student, manager_a):
    return [card_in_state(person, State.REQUEST_CHECKED, manager_a)
            for person in (student, other_student)]


def test_the_batch_is_two_pages_per_card_and_changes_no_card(login, manager_a, checked):
    answer = login(manager_a).post(BATCH, {"card": [card.pk for card in checked]})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith('attachment; filename="print-batch-')
    pdf = pypdfium2.PdfDocument(answer.content)
    assert len(pdf) == 4
    assert "Alice" in pdf[0].get_textpage().get_text_range()
    assert "Bob" in pdf[2].get_textpage().get_text_range()
    assert set(Card.objects.values_list("state", flat=True)) == {State.REQUEST_CHECKED}


def test_a_card_no_template_fits_refuses_the_whole_batch(login, manager_a, checked):
    CardTemplate.objects.update(active=False)
    answer = login(manager_a).post(BATCH, {"card": [card.pk for card in checked],
                                           "back": "q=martin"})
    assert answer.status_code == 302 and answer["Location"].endswith("?q=martin")
    said = texts(answer)
    assert any("Alice Martin" in text and "no card template" in text for text in said)
    assert any("No print batch was made" in text for text in said)


def test_only_cards_the_manager_manages(login, manager_a, checked, student_b, manager_b,
                                        consultant_a):
    card_b = card_in_state(student_b, State.REQUEST_CHECKED, manager_b)
    client = login(manager_a)
    assert client.post(BATCH, {"card": [checked[0].pk, card_b.pk]}).status_code == 404
    reader_and_manager = make_staff("mixed", "consultant", [checked[0].establishment])
    from campuscard.people.models import StaffRole

    StaffRole.objects.create(user=reader_and_manager, kind="manager").establishments.set(
        [card_b.establishment])
    assert login(reader_and_manager).post(BATCH, {"card": [checked[0].pk]}).status_code == 404
    assert login(consultant_a).post(BATCH, {"card": [checked[0].pk]}).status_code == 403


def test_nothing_selected_goes_back_to_the_search(login, manager_a):
    answer = login(manager_a).post(BATCH, {"back": "q=x"})
    assert answer.status_code == 302 and "Select at least one card." in texts(answer)


def test_the_pages_offer_it_and_say_it_changes_no_state(login, manager_a, checked):
    client = login(manager_a)
    listing = client.get(reverse("backoffice:cards")).content.decode()
    assert f'formaction="{BATCH}"' in listing and "It does not change the cards" in listing
    bulk = client.post(reverse("backoffice:bulk_choose"),
                       {"card": [card.pk for card in checked]}).content.decode()
    assert f'action="{BATCH}"' in bulk and "The cards keep their state" in bulk
