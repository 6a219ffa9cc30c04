import pytest

from campuscard.cards.states import State
from campuscard.people.services import set_consent

from ..conftest import actor, card_in_state, make_person


@pytest.fixture
def card(est_a, students, manager_a):
    """A student's card being printed, with the ESC consent given (so with a QR code)."""
    person = make_person("zoe", est_a, students)
    set_consent(person, actor(person.user), "esc", True)
    return card_in_state(person, State.IN_PRINT, manager_a)


HOLDERS = ("alice", "bob", "chantal")


@pytest.fixture
def cards(est_a, students, manager_a):
    """Three students' cards being printed, each with its QR code."""
    made = []
    for name in HOLDERS:
        person = make_person(name, est_a, students)
        set_consent(person, actor(person.user), "esc", True)
        made.append(card_in_state(person, State.IN_PRINT, manager_a))
    return made


def chunk_of(cards):
    """The cards as one batch chunk (printing/workers.py)."""
    from campuscard.printing.batch import _chunks, print_plans

    [chunk] = _chunks(print_plans(cards), len(cards))
    return chunk
