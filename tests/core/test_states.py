"""The lifecycle table, checked against the issue that specified it (no database needed here,
except for the guards that look at the holder's other cards)."""

from itertools import product
from types import SimpleNamespace

import pytest

from campuscard.cards import states
from campuscard.cards.models import Card
from campuscard.cards.states import DisableReason, IllegalTransition, Role, State

from ..conftest import card_in_state
from .helpers import SPEC

M, H, ST, SY = Role.MANAGER, Role.HOLDER, Role.STATION, Role.SYSTEM
ALL_ROLES = (M, H, ST, SY)
TERMINAL = {State.REJECTED, State.CANCELED, State.DESTROYED}


def fake_card(state, *, rights_ended=False, disable_reason=DisableReason.LOST,
              others_enabled=False):
    """Enough of a card for `states.check`: state, person (rights, other cards), disable reason."""
    cards = SimpleNamespace(filter=lambda **kw: SimpleNamespace(
        exclude=lambda **kw: SimpleNamespace(exists=lambda: others_enabled)))
    person = SimpleNamespace(rights_ended=lambda: rights_ended, cards=cards)
    return SimpleNamespace(state=State(state), pk=1, person=person, disable_reason=disable_reason)


def test_the_table_is_exactly_the_issue():
    table = {(t.source.value, t.target.value): (set(t.roles), t.action, t.pushes, t.needs)
             for t in states.TRANSITIONS}
    assert table == SPEC
    assert len(states.TRANSITIONS) == len(SPEC), "an edge is listed twice"


@pytest.mark.parametrize(("source", "target"), sorted(SPEC))
@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_edge_allowed_for_its_roles_only(source, target, role):
    allowed, action, _pushes, _needs = SPEC[(source, target)]
    card = fake_card(source)
    if role in allowed:
        transition, acting_as = states.check(card, target, {role})
        assert (transition.source, transition.target, acting_as) == (source, target, role)
        assert transition.action == action
    else:
        with pytest.raises(IllegalTransition, match="not allowed"):
            states.check(card, target, {role})


OFF_TABLE = [(s, t) for s, t in product(State, State) if (s.value, t.value) not in SPEC]


@pytest.mark.parametrize(("source", "target"), OFF_TABLE)
def test_every_other_edge_is_refused_to_everyone(source, target):
    card = fake_card(source)
    with pytest.raises(IllegalTransition) as refused:
        states.check(card, target, set(ALL_ROLES))
    assert str(source.label) in str(refused.value) and str(target.label) in str(refused.value)
    assert states.find(source, target) is None


def test_terminal_states_lead_nowhere():
    for transition in states.TRANSITIONS:
        assert transition.source not in TERMINAL
    for state in TERMINAL:
        assert states.targets_for(fake_card(state), set(ALL_ROLES)) == []


def test_only_the_system_expires_or_restores_a_card():
    for transition in states.TRANSITIONS:
        if State.CADUC in (transition.source, transition.target):
            if transition.target == State.DESTROYED:
                assert transition.roles == {M}
            else:
                assert transition.roles == {SY}


def test_a_holder_only_cancels_blocks_and_unblocks():
    holder_edges = {(t.source, t.target) for t in states.TRANSITIONS if H in t.roles}
    assert holder_edges == {
        (State.NEW, State.CANCELED), (State.RENEWED, State.CANCELED),
        (State.ENABLED, State.DISABLED), (State.DISABLED, State.ENABLED),
    }


def test_the_most_powerful_role_is_the_one_acting():
    _transition, role = states.check(fake_card(State.NEW), State.CANCELED, {H, M, SY})
    assert role == SY
    _transition, role = states.check(fake_card(State.NEW), State.CANCELED, {H, M})
    assert role == M


@pytest.mark.parametrize(("source", "role"), [
    (State.ENCODED, M), (State.ENCODED, SY), (State.DISABLED, M), (State.DISABLED, H)])
def test_no_enabling_once_rights_have_ended(source, role):
    assert states.check(fake_card(source), State.ENABLED, {role})[1] == role
    with pytest.raises(IllegalTransition, match="rights have ended"):
        states.check(fake_card(source, rights_ended=True), State.ENABLED, {role})


@pytest.mark.parametrize("reason", list(DisableReason))
def test_holder_reenables_only_what_they_blocked(reason):
    card = fake_card(State.DISABLED, disable_reason=reason)
    if reason in (DisableReason.LOST, DisableReason.THEFT, DisableReason.OUT_OF_ORDER):
        assert states.check(card, State.ENABLED, {H})[1] == H
    else:
        with pytest.raises(IllegalTransition, match="blocked yourself"):
            states.check(card, State.ENABLED, {H})
    # a manager is not bound by what the holder did
    assert states.check(card, State.ENABLED, {M})[1] == M


def test_holder_cannot_reenable_a_replaced_card():
    card = fake_card(State.DISABLED, disable_reason=DisableReason.LOST, others_enabled=True)
    with pytest.raises(IllegalTransition, match="replaced"):
        states.check(card, State.ENABLED, {H})


def test_targets_for_offers_what_check_allows():
    for state, roles in product(State, [{M}, {H}, {ST}, {SY}, {M, H}]):
        card = fake_card(state)
        offered = {t.target for t in states.targets_for(card, roles)}
        expected = {State(t) for (s, t), spec in SPEC.items() if s == state and spec[0] & roles}
        assert offered == expected, (state, roles)


def test_common_targets_intersects_cards():
    enabled, disabled = fake_card(State.ENABLED), fake_card(State.DISABLED)
    assert states.common_targets([(enabled, {M}), (enabled, {M})]) == [State.DISABLED]
    assert states.common_targets([(disabled, {M}), (fake_card(State.CADUC), {M})]) == [
        State.DESTROYED]
    assert states.common_targets([(enabled, {M}), (disabled, {M})]) == []
    assert states.common_targets([]) == []


def test_creation_rules():
    assert states.may_create(State.NEW, {H})
    assert states.may_create(State.NEW, {M})
    assert states.may_create(State.NEW, {SY})
    assert not states.may_create(State.NEW, {ST})
    assert not states.may_create(State.NEW, set())
    assert states.may_create(State.RENEWED, {H})
    assert states.may_create(State.RENEWED, {M})
    assert not states.may_create(State.RENEWED, {SY})
    assert not states.may_create(State.RENEWED, {ST})


def test_disable_reasons_by_role():
    assert set(states.disable_reasons_for(H)) == {
        DisableReason.LOST, DisableReason.THEFT, DisableReason.OUT_OF_ORDER}
    assert set(states.disable_reasons_for(M)) == set(DisableReason)
    assert DisableReason.REPLACED in states.disable_reasons_for(SY)


def test_state_sets_follow_the_issue():
    assert {State.ENABLED, State.DISABLED, State.ENCODED} == states.EXPIRING_STATES
    assert {State.NEW, State.RENEWED, State.REQUEST_CHECKED} == states.CANCELED_AT_RIGHTS_END
    assert {State.NEW, State.RENEWED, State.REQUEST_CHECKED,
                                     State.IN_PRINT, State.PRINTED, State.IN_ENCODE,
                                     State.ENCODED} == states.PENDING_STATES
    # every state a card leaves at the end of rights has the system edge to do it
    for state in states.EXPIRING_STATES:
        assert SY in states.find(state, State.CADUC).roles
    for state in states.CANCELED_AT_RIGHTS_END:
        assert SY in states.find(state, State.CANCELED).roles


@pytest.mark.django_db
def test_guards_see_the_holders_real_cards(student, manager_a):
    """The replaced-card guard queries the database: an ENABLED sibling blocks the holder."""
    old = card_in_state(student, State.DISABLED, manager_a)
    card = Card.objects.select_related("person").get(pk=old.pk)
    assert states.check(card, State.ENABLED, {H})[1] == H
    Card.objects.filter(pk=old.pk).update(state=State.ENABLED)
    other = Card(person=student, establishment=student.establishment, state=State.DISABLED,
                 disable_reason=DisableReason.LOST)
    with pytest.raises(IllegalTransition, match="replaced"):
        states.check(other, State.ENABLED, {H})
