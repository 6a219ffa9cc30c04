"""Who holds which lifecycle role on a card (the rules themselves are in cards/states.py)."""

from campuscard.cards.states import Role
from campuscard.people.permissions import scope_of


def roles_on_card(actor, card):
    """The lifecycle roles `actor` holds on `card` (see cards/states.py)."""
    if actor.is_system:
        return {Role.SYSTEM}
    if actor.client is not None:
        return actor.client.roles_on_card(card)
    if actor.station is not None:
        return actor.station.roles_on_card(card)
    roles = set()
    scope = scope_of(actor.user)
    if scope.manages(card.establishment_id, card.person.population_id):
        roles.add(Role.MANAGER)
    if actor.user is not None and card.person.user_id == actor.user.pk:
        roles.add(Role.HOLDER)
    return roles


def can_view_card(user, card):
    scope = scope_of(user)
    if scope.covers(card.establishment_id, card.person.population_id):
        return True
    return user is not None and user.is_authenticated and card.person.user_id == user.pk
