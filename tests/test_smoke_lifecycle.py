from campuscard.cards.states import State
from campuscard.core.models import AuditEntry

from .conftest import card_in_state


def test_card_walks_to_enabled_and_is_audited(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    assert card.state == State.ENABLED
    assert AuditEntry.objects.filter(card=card).count() == 7
