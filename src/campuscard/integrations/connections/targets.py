"""Connections as outbox targets: one target per active connection, named `<kind>:<code>`.

The targets are read from the database and kept a few seconds per process (the outbox asks
for them at every change); saving a connection or an agreement forgets them at once in the
process that saved it, and other processes see it within `CACHE_SECONDS`.
"""

import time
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from campuscard.cards.recognition import RECOGNITION_EVENTS
from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core import outbox
from campuscard.institutions.models import Recognition

CACHE_SECONDS = 5.0
CARD_EVENTS = PUSHED_EVENTS | RECOGNITION_EVENTS


@dataclass(frozen=True)
class Agreement:
    issuer: str
    recogniser: str
    populations: frozenset  # empty: every population


@dataclass(frozen=True)
class Reach:
    """Which cards a connection is told of, by establishment, population and state codes."""

    served: frozenset        # establishments; empty: all
    populations: frozenset   # empty: all
    states: frozenset        # empty: all
    agreements: tuple = ()   # the live ones whose recogniser is served here

    def recognising(self, issuer, population):
        """The served establishment that recognises this card, or None."""
        for agreement in self.agreements:
            if agreement.issuer == issuer and (not agreement.populations
                                               or population in agreement.populations):
                return agreement.recogniser
        return None

    def covers(self, event, payload):
        if self.populations and payload.get("population") not in self.populations:
            return False
        state = payload.get("state")
        if self.states and state is not None and state not in self.states:
            return False
        if event in RECOGNITION_EVENTS:
            return payload.get("recognised_by") in self.served
        issuer = payload.get("establishment")
        return (not self.served or issuer in self.served
                or self.recognising(issuer, payload.get("population")) is not None)

    def card_filter(self, prefix=""):
        """The same rule as a query on cards (`prefix` for a relation, e.g. "card__")."""
        where = Q()
        if self.served:
            where = Q(**{f"{prefix}establishment__code__in": self.served})
            for agreement in self.agreements:
                recognised = Q(**{f"{prefix}establishment__code": agreement.issuer})
                if agreement.populations:
                    recognised &= Q(**{f"{prefix}person__population__code__in":
                                       agreement.populations})
                where |= recognised
        if self.populations:
            where &= Q(**{f"{prefix}person__population__code__in": self.populations})
        if self.states:
            where &= Q(**{f"{prefix}state__in": self.states})
        return where


def live_agreements():
    rows = (Recognition.objects.filter(withdrawn_at__isnull=True)
            .select_related("issuer", "recogniser").prefetch_related("populations"))
    return tuple(Agreement(row.issuer.code, row.recogniser.code,
                           frozenset(p.code for p in row.populations.all())) for row in rows)


def reach_of(connection, agreements=None):
    served = frozenset(e.code for e in connection.establishments.all())
    if agreements is None:
        agreements = live_agreements()
    return Reach(served=served,
                 populations=frozenset(p.code for p in connection.populations.all()),
                 states=frozenset(connection.card_states or ()),
                 agreements=tuple(a for a in agreements if a.recogniser in served))


class ConnectionTarget(outbox.Target):
    """The outbox target of one configured connection; each kind says how to deliver."""

    kind = ""
    events = CARD_EVENTS

    def __init__(self, connection, reach):
        self.connection = connection
        self.reach = reach
        self.name = f"{self.kind}:{connection.code}"

    @property
    def label(self):
        return self.connection.label

    def wants(self, event, payload):
        return event in self.events and self.reach.covers(event, payload)


class ConnectionProvider:
    """Gives the outbox the targets of one kind's active connections."""

    def __init__(self, model, target_class):
        self.model = model
        self.target_class = target_class
        self._targets = None
        self._read_at = 0.0

    def __call__(self):
        if self._targets is None or time.monotonic() - self._read_at > CACHE_SECONDS:
            self._targets = self._read()
            self._read_at = time.monotonic()
        return self._targets

    def _read(self):
        agreements = live_agreements()
        connections = (self.model.objects.filter(active=True)
                       .prefetch_related("establishments", "populations"))
        return [self.target_class(connection, reach_of(connection, agreements))
                for connection in connections]

    def forget(self):
        self._targets = None


_providers = []


def provide(model, target_class):
    """Called from an app's ready(): its connections become outbox targets."""
    provider = ConnectionProvider(model, target_class)
    _providers.append(provider)
    outbox.register_provider(provider)
    for signal in (post_save, post_delete):
        signal.connect(forget_targets, sender=model, weak=False)
    for field in ("establishments", "populations"):
        m2m_changed.connect(forget_targets, sender=getattr(model, field).through, weak=False)
    return provider


def forget_targets(**kwargs):
    for provider in _providers:
        provider.forget()


for _signal in (post_save, post_delete):
    _signal.connect(forget_targets, sender=Recognition, weak=False)
m2m_changed.connect(forget_targets, sender=Recognition.populations.through, weak=False)
