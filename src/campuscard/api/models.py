"""API clients: other systems (print stations, information systems) that call the JSON API."""

from functools import cached_property

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import Role


class ApiScope(models.TextChoices):
    PEOPLE_READ = "people:read", _("read a person and their cards")
    CARDS_SEARCH = "cards:search", _("search cards")
    CARDS_TRANSITION = "cards:transition", _("change a card's state as a manager")
    CARDS_STATION = "cards:station", _("print and encode cards as a station")
    PEOPLE_SYNC = "people:sync", _("sync a person from the sources")


class ApiClient(models.Model):
    """One caller of the API and its token; only a hash of the token is kept.

    It also plays the part of a `people.permissions.Scope` (filter_cards, filter_people, covers)
    and answers `roles_on_card` for the lifecycle rules.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    token_prefix = models.CharField(_("token prefix"), max_length=8, db_index=True,
                                    editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    establishments = models.ManyToManyField(
        "institutions.Establishment", blank=True, related_name="api_clients",
        verbose_name=_("establishments"),
        help_text=_("Establishments whose people and cards this client may reach."),
    )
    all_establishments = models.BooleanField(_("every establishment"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    def has_scope(self, *scopes):
        """True when the client holds at least one of `scopes`."""
        return any(scope in self.scopes for scope in scopes)

    @cached_property
    def establishment_ids(self):
        return frozenset(self.establishments.values_list("pk", flat=True))

    # --- the Scope-like interface used by backoffice.search ----------------------------------

    def covers(self, establishment_id, population_id=None):
        return self.all_establishments or establishment_id in self.establishment_ids

    def filter_cards(self, queryset):
        if self.all_establishments:
            return queryset
        return queryset.filter(establishment_id__in=list(self.establishment_ids))

    def filter_people(self, queryset):
        if self.all_establishments:
            return queryset
        return queryset.filter(establishment_id__in=list(self.establishment_ids))

    # --- what cards.permissions.roles_on_card asks --------------------------------------------

    def roles_on_card(self, card):
        if self.is_revoked or not self.covers(card.establishment_id):
            return set()
        roles = set()
        if self.has_scope(ApiScope.CARDS_TRANSITION):
            roles.add(Role.MANAGER)
        if self.has_scope(ApiScope.CARDS_STATION):
            roles.add(Role.STATION)
        return roles
