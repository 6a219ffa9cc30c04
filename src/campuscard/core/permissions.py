"""Who sees and does what. Managers and consultants are scoped to establishments and populations."""

from functools import cached_property

from django.core.exceptions import PermissionDenied

from campuscard.cards.states import Role


class Scope:
    """A user's staff rights, loaded once per request."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def role(self):
        if self.user is None or not self.user.is_authenticated:
            return None
        from campuscard.people.models import StaffRole

        return (StaffRole.objects.filter(user=self.user)
                .prefetch_related("establishments", "populations").first())

    @property
    def is_admin(self):
        return bool(self.user and self.user.is_authenticated and
                    (self.user.is_superuser or (self.role and self.role.kind == "admin")))

    @property
    def is_manager(self):
        return self.is_admin or bool(self.role and self.role.kind == "manager")

    @property
    def is_staff_member(self):
        return self.is_admin or self.role is not None

    @cached_property
    def establishment_ids(self):
        return {e.pk for e in self.role.establishments.all()} if self.role else set()

    @cached_property
    def population_ids(self):
        return {p.pk for p in self.role.populations.all()} if self.role else set()

    def covers(self, establishment_id, population_id):
        if self.is_admin:
            return True
        if self.role is None or establishment_id not in self.establishment_ids:
            return False
        return not self.population_ids or population_id in self.population_ids

    def filter_cards(self, queryset):
        if self.is_admin:
            return queryset
        if self.role is None:
            return queryset.none()
        queryset = queryset.filter(establishment_id__in=self.establishment_ids)
        if self.population_ids:
            queryset = queryset.filter(person__population_id__in=self.population_ids)
        return queryset

    def filter_people(self, queryset):
        if self.is_admin:
            return queryset
        if self.role is None:
            return queryset.none()
        queryset = queryset.filter(establishment_id__in=self.establishment_ids)
        if self.population_ids:
            queryset = queryset.filter(population_id__in=self.population_ids)
        return queryset

    def establishments(self):
        from campuscard.institutions.models import Establishment

        if self.is_admin:
            return Establishment.objects.all()
        return Establishment.objects.filter(pk__in=self.establishment_ids)


def scope_of(user):
    """The Scope of a user, cached on the user object for the rest of the request."""
    if user is None:
        return Scope(None)
    scope = getattr(user, "_campuscard_scope", None)
    if scope is None:
        scope = Scope(user)
        user._campuscard_scope = scope
    return scope


def roles_on_card(actor, card):
    """The lifecycle roles `actor` holds on `card` (see cards/states.py)."""
    if actor.is_system:
        return {Role.SYSTEM}
    if actor.client is not None:
        return actor.client.roles_on_card(card)
    roles = set()
    scope = scope_of(actor.user)
    if scope.is_manager and scope.covers(card.establishment_id, card.person.population_id):
        roles.add(Role.MANAGER)
    if actor.user is not None and card.person.user_id == actor.user.pk:
        roles.add(Role.HOLDER)
    return roles


def can_view_card(user, card):
    scope = scope_of(user)
    if scope.covers(card.establishment_id, card.person.population_id):
        return True
    return user is not None and user.is_authenticated and card.person.user_id == user.pk


def require_staff(user):
    if not scope_of(user).is_staff_member:
        raise PermissionDenied


def require_manager(user):
    if not scope_of(user).is_manager:
        raise PermissionDenied
