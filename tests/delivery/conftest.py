"""Cards waiting at establishment A's pick-up place, and clients for the back-office pages."""

import pytest

from campuscard.cards.states import State
from tests.conftest import card_in_state, make_person


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def pickup_place(est_a):
    est_a.pickup_place = "Maison de l'Université, Mont-Saint-Aignan"
    est_a.save(update_fields=["pickup_place"])
    return est_a.pickup_place


def printed_card(username, establishment, population, manager, *, state=State.PRINTED,
                 **person):
    return card_in_state(make_person(username, establishment, population, **person), state,
                         manager)


@pytest.fixture
def ready(est_a, students, manager_a, pickup_place):
    """Three cards ready for pick-up at A (printed, encoded, enabled), named out of order."""
    return [
        printed_card("zoe", est_a, students, manager_a, last_name="Zeller",
                     student_id="21900003"),
        printed_card("emile", est_a, students, manager_a, state=State.ENCODED,
                     last_name="Écuyer", student_id="21900001"),
        printed_card("bruno", est_a, students, manager_a, state=State.ENABLED,
                     last_name="Bernard", employee_id="E-1044"),
    ]
