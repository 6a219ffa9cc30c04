"""Who sees and does what. Managers and consultants are scoped to establishments and populations."""

from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Q


class Scope:
    """A user's staff rights, loaded once per request: the union of their roles (grants), each
    on some establishments and, optionally, some populations of them."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def grants(self):
        if self.user is None or not self.user.is_authenticated:
            return []
        from campuscard.people.models import StaffRole

        return [Grant(role.kind, {e.pk for e in role.establishments.all()},
                      {p.pk for p in role.populations.all()})
                for role in StaffRole.objects.filter(user=self.user)
                .prefetch_related("establishments", "populations")]

    def _has(self, kinds):
        return any(grant.kind in kinds for grant in self.grants)

    @property
    def is_admin(self):
        return bool(self.user and self.user.is_authenticated and
                    (self.user.is_superuser or self._has({"admin"})))

    @property
    def is_manager(self):
        return self.is_admin or self._has({"manager"})

    @property
    def is_staff_member(self):
        return self.is_admin or bool(self.grants)

    @cached_property
    def establishment_ids(self):
        return set().union(*(grant.establishment_ids for grant in self.grants))

    @cached_property
    def population_ids(self):
        """The populations the roles are limited to; empty when one of them is not limited."""
        if any(not grant.population_ids for grant in self.grants):
            return set()
        return set().union(*(grant.population_ids for grant in self.grants))

    def covers(self, establishment_id, population_id, kinds=None):
        """Whether a role (of `kinds`, any when None) reaches that establishment's population."""
        if self.is_admin:
            return True
        return any(grant.covers(establishment_id, population_id) for grant in self.grants
                   if kinds is None or grant.kind in kinds)

    def manages(self, establishment_id, population_id):
        return self.covers(establishment_id, population_id, {"manager"})

    def manages_all_of(self, establishment_id):
        """A manager of that establishment with no population limit."""
        return self.is_admin or any(
            grant.kind == "manager" and establishment_id in grant.establishment_ids
            and not grant.population_ids for grant in self.grants)

    def filter_cards(self, queryset):
        return self._filter(queryset, "establishment_id", "person__population_id")

    def filter_people(self, queryset):
        return self._filter(queryset, "establishment_id", "population_id")

    def _filter(self, queryset, establishment, population):
        if self.is_admin:
            return queryset
        reach = Q(pk__in=[])
        for grant in self.grants:
            here = Q(**{f"{establishment}__in": sorted(grant.establishment_ids)})
            if grant.population_ids:
                here &= Q(**{f"{population}__in": sorted(grant.population_ids)})
            reach |= here
        return queryset.filter(reach)

    def establishments(self):
        from campuscard.institutions.models import Establishment

        if self.is_admin:
            return Establishment.objects.all()
        return Establishment.objects.filter(pk__in=self.establishment_ids)


@dataclass(frozen=True)
class Grant:
    kind: str
    establishment_ids: set
    population_ids: set  # empty: every population

    def covers(self, establishment_id, population_id):
        return establishment_id in self.establishment_ids and (
            not self.population_ids or population_id in self.population_ids)


def scope_of(user):
    """The Scope of a user, cached on the user object for the rest of the request."""
    if user is None:
        return Scope(None)
    scope = getattr(user, "_campuscard_scope", None)
    if scope is None:
        scope = Scope(user)
        user._campuscard_scope = scope
    return scope


def require_staff(user):
    if not scope_of(user).is_staff_member:
        raise PermissionDenied


def require_manager(user):
    if not scope_of(user).is_manager:
        raise PermissionDenied
