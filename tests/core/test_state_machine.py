"""Random sequences of service calls by random actors: the lifecycle never leaves the table.

The people, managers and establishments are made once per test; each Hypothesis example runs in
a savepoint rolled back at its end, so examples start from the same empty card table.
"""

import datetime
import os
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from campuscard.cards import services, states
from campuscard.cards.models import Card
from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import (
    HOLDER_DISABLE_REASONS,
    DisableReason,
    IllegalTransition,
    Role,
    State,
)
from campuscard.core import outbox
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.institutions.models import Establishment
from campuscard.people import services as people_services
from campuscard.people.models import Person

from .helpers import IP, RecordingTarget, station

ACTORS = ("manager_a", "manager_b", "alice", "bob", "chloe", "system", "station")
# relative to the card acted on: its holder and the manager of its establishment, more often
CARD_ACTORS = (*ACTORS, "holder", "holder", "own_manager", "own_manager", "own_manager")
VERBS = {
    "check": lambda card, by, **kw: services.check_request(card, by),
    "reject": lambda card, by, reason, **kw: services.reject_request(card, by, reason),
    "cancel": lambda card, by, **kw: services.cancel_request(card, by),
    "print": lambda card, by, **kw: services.send_to_print(card, by),
    "printed": lambda card, by, **kw: services.mark_printed(card, by),
    "encode_start": lambda card, by, **kw: services.start_encoding(card, by),
    "encode_ok": lambda card, by, csn, **kw: services.mark_encoded(card, by, csn),
    "encode_fail": lambda card, by, **kw: services.fail_encoding(card, by),
    "enable": lambda card, by, **kw: services.enable(card, by),
    "disable": lambda card, by, disable_reason, reason, **kw: services.disable(
        card, by, disable_reason, reason=reason),
    "destroy": lambda card, by, **kw: services.destroy(card, by),
    "take_back_from_print": lambda card, by, **kw: services.change_state(
        card, State.REQUEST_CHECKED, by),
    "deliver": lambda card, by, **kw: services.mark_delivered(card, by),
}
# a few chip numbers, so that duplicates come often; one malformed, one written differently
CSNS = ("04000000000001", "04000000000002", "04:00:00:00:00:00:01", "0400000A", "not-a-csn")
REASONS = ("", "  ", "lost on the bus", "blurry photo", "worn out")
DISABLE_REASONS = (*DisableReason.values, *HOLDER_DISABLE_REASONS, "", "BOGUS")
FORWARD = {State.NEW: "check", State.RENEWED: "check", State.REQUEST_CHECKED: "print",
           State.IN_PRINT: "printed", State.PRINTED: "encode_start",
           State.IN_ENCODE: "encode_ok", State.ENCODED: "enable"}
HAS_CSN = {State.ENCODED, State.ENABLED, State.DISABLED, State.CADUC, State.DESTROYED}


COUNTS_SQL = (f"SELECT (SELECT COUNT(*) FROM {AuditEntry._meta.db_table}), "  # noqa: S608
              f"(SELECT COUNT(*) FROM {OutboxItem._meta.db_table})")


class Cast:
    """Everyone who acts, made once per test function (password hashing is not free)."""

    def __init__(self, est_a, est_b, alice, bob, chloe, manager_a, manager_b):
        self.est_a = est_a
        self.people = {"alice": alice, "bob": bob, "chloe": chloe}
        self.actors = {
            "manager_a": Actor(user=manager_a, ip=IP), "manager_b": Actor(user=manager_b, ip=IP),
            "alice": Actor(user=alice.user, ip=IP), "bob": Actor(user=bob.user, ip=IP),
            "chloe": Actor(user=chloe.user, ip=IP), "system": Actor.system(), "station": station(),
        }
        self.manager_of = {est_a.pk: manager_a.pk, est_b.pk: manager_b.pk}
        self.holder_of = {p.pk: p.user_id for p in (alice, bob, chloe)}
        self.manager_for = {alice.pk: "manager_a", bob.pk: "manager_a", chloe.pk: "manager_b"}


def today():
    return timezone.localdate()


class CardLifecycle(RuleBasedStateMachine):
    cast = None  # set by the test

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.card_ids = []
        self.first_seen = {}  # the card object as it was when made: stale later
        self.previous = {}  # the card rows as they were before the last step
        self.imported = set()  # people whose rights changed behind the services' back
        self.last_audit = AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0
        self.last_outbox = OutboxItem.objects.aggregate(last=Max("id"))["last"] or 0
        self.snapshot = self.take_snapshot()
        self.pushed = defaultdict(list)  # (object_type, id) -> keys in the order they were made
        self.steps = defaultdict(int)

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------

    def take_snapshot(self):
        with connection.cursor() as cursor:
            cursor.execute(COUNTS_SQL)
            audit, pushes = cursor.fetchone()
        return {
            "cards": {row["id"]: row for row in Card.objects.values()},
            "people": {row["id"]: row for row in Person.objects.values()},
            "audit": audit,
            "outbox": pushes,
        }

    def actor_for(self, by, card):
        if by == "holder":
            return Actor(user=card.person.user, ip=IP)
        if by == "own_manager":
            return self.cast.actors[self.cast.manager_for[card.person_id]]
        return self.cast.actors[by]

    def card(self, pick, version):
        card_id = self.card_ids[pick % len(self.card_ids)]
        if version == "first":
            return self.first_seen[card_id]
        if version == "previous" and card_id in self.previous:
            return Card(**self.previous[card_id])  # as it was before the last step
        return Card.objects.select_related("person", "establishment").get(pk=card_id)

    def attempt(self, call, kind):
        """Run one service call; a refusal must leave everything as it was."""
        before = self.snapshot
        self.previous = before["cards"]
        try:
            result = call()
        except (IllegalTransition, ValidationError) as refused:
            assert str(refused), "a refusal must say why"
            assert self.take_snapshot() == before, f"refused {kind} changed something: {refused}"
            self.steps[f"{kind}:refused"] += 1
            return None
        self.steps[f"{kind}:done"] += 1
        self.check_step(before, self.take_snapshot())
        return result

    def roles_in_entry(self, entry, card_row):
        label = entry.actor_label
        if label.endswith("system"):
            return {Role.SYSTEM}
        if label.startswith("api:"):
            return {Role.STATION}
        roles = set()
        if entry.actor_id and entry.actor_id == self.cast.manager_of[card_row["establishment_id"]]:
            roles.add(Role.MANAGER)
        if entry.actor_id and entry.actor_id == self.cast.holder_of[card_row["person_id"]]:
            roles.add(Role.HOLDER)
        return roles

    def check_step(self, before, after):
        """What happened in one successful call is a chain of table transitions, each audited."""
        entries = list(AuditEntry.objects.filter(id__gt=self.last_audit).order_by("id"))
        rows = list(OutboxItem.objects.filter(id__gt=self.last_outbox).order_by("id"))
        self.last_audit = max([self.last_audit, *(e.id for e in entries)])
        self.last_outbox = max([self.last_outbox, *(r.id for r in rows)])

        chain = {pk: row["state"] for pk, row in before["cards"].items()}
        expected_pushes = []
        for entry in entries:
            assert not entry.action.startswith("push."), "nothing is pushed during a change"
            if entry.action.startswith("person."):
                if entry.action in ("person.updated", "person.consent_changed"):
                    expected_pushes.append((entry.action, "person", str(entry.person_id), None))
                continue
            assert entry.action.startswith("card."), entry.action
            card_row = after["cards"][entry.card_id]
            roles = self.roles_in_entry(entry, card_row)
            if entry.action in ("card.requested", "card.renewal_requested"):
                assert entry.card_id not in chain, "a card is made once"
                state = entry.after["state"]
                assert state == (State.NEW if entry.action == "card.requested" else State.RENEWED)
                assert states.CREATION[State(state)] & roles, (entry.actor_label, state)
                chain[entry.card_id] = state
                continue
            if entry.action == "card.delivered":
                assert chain[entry.card_id] in states.DELIVERABLE_STATES
                assert before["cards"][entry.card_id]["delivered_at"] is None
                assert card_row["delivered_at"] is not None
                assert card_row["delivered_by_id"] == entry.actor_id
                assert roles & {Role.MANAGER, Role.HOLDER}
                continue
            source, target = entry.before["state"], entry.after["state"]
            assert chain[entry.card_id] == source, "audit entries must chain"
            edge = states.find(source, target)
            assert edge is not None, f"{source} → {target} is not in the table"
            assert edge.action == entry.action
            assert edge.roles & roles, f"{entry.actor_label} may not do {source} → {target}"
            assert entry.ip in (IP, None)
            chain[entry.card_id] = target
            if edge.pushes:
                expected_pushes.append((entry.action, "card", str(entry.card_id), target))

        # every state change seen in the table has its audit entries, and nothing else changed
        assert chain == {pk: row["state"] for pk, row in after["cards"].items()}
        # every outbox row is a pushing transition (or a person change), in the order made
        assert all(row.target == RecordingTarget.name for row in rows)
        made = [(r.operation, r.object_type, r.object_id,
                 r.payload["state"] if r.object_type == "card" else None) for r in rows]
        assert made == expected_pushes
        for row in rows:
            self.pushed[(row.object_type, row.object_id)].append(row.key)
        self.snapshot = after

    # --- rules --------------------------------------------------------------------------------

    @initialize(auto_enable=st.booleans())
    def setup(self, auto_enable):
        Establishment.objects.filter(pk=self.cast.est_a.pk).update(auto_enable=auto_enable)

    @rule(who=st.sampled_from(("alice", "bob", "chloe")), by=st.sampled_from(ACTORS))
    def request(self, who, by):
        person = self.cast.people[who]
        card = self.attempt(lambda: services.request_card(person, self.cast.actors[by]),
                            "request")
        if card is not None:
            self.card_ids.append(card.pk)
            self.first_seen[card.pk] = card

    @precondition(lambda self: self.card_ids)
    @rule(pick=st.integers(0, 30), by=st.sampled_from(CARD_ACTORS),
          reason=st.sampled_from(REASONS), version=st.sampled_from(("fresh", "previous", "first")))
    def renew(self, pick, by, reason, version):
        issued = [pk for pk in self.card_ids
                  if self.snapshot["cards"][pk]["state"] in states.RENEWABLE_STATES]
        if issued and pick % 3:  # mostly cards that can be renewed
            pick = self.card_ids.index(issued[pick % len(issued)])
        card = self.card(pick, version)
        by = self.actor_for(by, card)
        new = self.attempt(lambda: services.renew_card(card, by, reason=reason),
                           "renew")
        if new is not None:
            self.card_ids.append(new.pk)
            self.first_seen[new.pk] = new

    @precondition(lambda self: self.card_ids)
    @rule(verb=st.sampled_from(sorted(VERBS)), pick=st.integers(0, 30),
          by=st.sampled_from(CARD_ACTORS), reason=st.sampled_from(REASONS),
          disable_reason=st.sampled_from(DISABLE_REASONS), csn=st.sampled_from(CSNS),
          version=st.sampled_from(("fresh", "fresh", "previous", "first")))
    def act(self, verb, pick, by, reason, disable_reason, csn, version):
        card = self.card(pick, version)
        by = self.actor_for(by, card)
        self.attempt(lambda: VERBS[verb](card, by, reason=reason,
                                         disable_reason=disable_reason, csn=csn), verb)

    @precondition(lambda self: self.card_ids)
    @rule(pick=st.integers(0, 30), to=st.sampled_from(list(State)),
          by=st.sampled_from(CARD_ACTORS), disable_reason=st.sampled_from(DISABLE_REASONS))
    def any_transition(self, pick, to, by, disable_reason):
        """Any target, including the ones no verb offers (CADUC by hand, back to NEW…)."""
        card = self.card(pick, "fresh")
        by = self.actor_for(by, card)
        self.attempt(lambda: services.change_state(card, to, by,
                                                   reason="because", csn=CSNS[0],
                                                   disable_reason=disable_reason),
                     f"any:{to}")

    @precondition(lambda self: self.card_ids)
    @rule(pick=st.integers(0, 30), by=st.sampled_from(CARD_ACTORS), choice=st.integers(0, 9),
          reason=st.sampled_from(REASONS), disable_reason=st.sampled_from(DISABLE_REASONS),
          csn=st.sampled_from(CSNS))
    def offered_move(self, pick, by, choice, reason, disable_reason, csn):
        """One of the moves the screens would offer this actor (they may still be refused for
        a missing reason or a chip already taken)."""
        card = self.card(pick, "fresh")
        by = self.actor_for(by, card)
        offered = states.targets_for(card, roles_on_card(by, card))
        if not offered:
            return
        target = offered[choice % len(offered)].target
        self.attempt(lambda: services.change_state(card, target, by, reason=reason, csn=csn,
                                                   disable_reason=disable_reason),
                     f"offered:{target}")

    @precondition(lambda self: self.card_ids)
    @rule(pick=st.integers(0, 30), steps=st.integers(1, 8), csn=st.sampled_from(CSNS[:3]),
          by_station=st.booleans())
    def advance(self, pick, steps, csn, by_station):
        """The card office doing its job: move a card forward along the happy path."""
        for _ in range(steps):
            card = self.card(pick, "fresh")
            verb = FORWARD.get(card.state)
            if verb is None:
                return
            by = self.cast.actors[self.cast.manager_for[card.person_id]]
            if by_station and verb in ("printed", "encode_start", "encode_ok"):
                by = self.cast.actors["station"]
            if self.attempt(lambda card=card, verb=verb, by=by: VERBS[verb](
                    card, by, csn=csn, reason="", disable_reason=""), verb) is None:
                return

    @rule(event=st.sampled_from(("rights", "rights", "import", "sweep", "drain")),
          who=st.sampled_from(("alice", "bob", "chloe")),
          days=st.sampled_from((-30, -1, 0, 1, 200)))
    def time_passes(self, event, who, days):
        """Rights change (through the services, or behind their back), the worker runs."""
        person = self.cast.people[who]
        rights_end = today() + datetime.timedelta(days=days)
        if event == "import":  # e.g. a nightly import writing the table directly
            before = self.take_snapshot()
            Person.objects.filter(pk=person.pk).update(rights_end=rights_end)
            self.snapshot = self.take_snapshot()
            assert self.snapshot["cards"] == before["cards"]
            self.imported.add(person.pk)
        elif event == "rights":
            by = self.cast.actors[self.cast.manager_for[person.pk]]
            unchanged = self.snapshot["people"][person.pk]["rights_end"] == rights_end
            self.attempt(lambda: people_services.update_person(person, by, rights_end=rights_end),
                         "rights_end")
            if not unchanged:  # setting the same date again is no change: nothing is applied
                self.imported.discard(person.pk)
                self.check_rights_applied([person.pk])
        elif event == "sweep":
            self.attempt(services.sweep_rights_ends, "sweep")
            self.imported.clear()
            self.check_rights_applied(list(self.snapshot["people"]))
        else:
            self.drain()

    def drain(self):
        pending = OutboxItem.objects.filter(status=OutboxItem.Status.PENDING).count()
        delivered = rounds = 0
        while delivered < pending and rounds <= pending:  # one push per object and round
            delivered += outbox.drain(limit=500)
            rounds += 1
        assert delivered == pending  # the recorder never fails
        assert not OutboxItem.objects.exclude(status=OutboxItem.Status.DONE).exists()
        entries = list(AuditEntry.objects.filter(id__gt=self.last_audit).order_by("id"))
        assert [e.action for e in entries] == [f"push.{RecordingTarget.name}.done"] * delivered
        self.last_audit = max([self.last_audit, *(e.id for e in entries)])
        self.snapshot = self.take_snapshot()

    # --- invariants ---------------------------------------------------------------------------

    def check_rights_applied(self, person_ids):
        for pk in person_ids:
            rights_end = self.snapshot["people"][pk]["rights_end"]
            ended = rights_end is not None and rights_end < today()
            cards = [c["state"] for c in self.snapshot["cards"].values() if c["person_id"] == pk]
            if ended:
                live = states.EXPIRING_STATES | states.CANCELED_AT_RIGHTS_END
                assert not set(cards) & live, (pk, cards)
            else:
                assert State.CADUC not in cards, (pk, cards)

    @invariant()
    def one_enabled_card_per_person(self):
        enabled = [c["person_id"] for c in self.snapshot["cards"].values()
                   if c["state"] == State.ENABLED]
        assert len(enabled) == len(set(enabled))

    @invariant()
    def csns_unique_and_bound_when_encoded(self):
        csns = [c["csn"] for c in self.snapshot["cards"].values() if c["csn"]]
        assert len(csns) == len(set(csns))
        for card in self.snapshot["cards"].values():
            assert bool(card["csn"]) == (card["state"] in HAS_CSN), card

    @invariant()
    def disable_reason_only_on_disabled_cards(self):
        for card in self.snapshot["cards"].values():
            if card["state"] == State.DISABLED:
                assert card["disable_reason"] in DisableReason.values, card
            if card["state"] == State.ENABLED:
                assert card["disable_reason"] == "", card

    @invariant()
    def no_enabled_card_without_rights(self):
        for pk, person in self.snapshot["people"].items():
            if pk in self.imported:
                continue
            ended = person["rights_end"] is not None and person["rights_end"] < today()
            if ended:
                cards = {c["state"] for c in self.snapshot["cards"].values()
                         if c["person_id"] == pk}
                assert not cards & {State.ENABLED, State.NEW, State.RENEWED}, (pk, cards)

    @invariant()
    def one_pending_request_per_person(self):
        pending = [c["person_id"] for c in self.snapshot["cards"].values()
                   if c["state"] in states.PENDING_STATES]
        assert len(pending) == len(set(pending))

    @invariant()
    def pushes_delivered_in_order(self):
        delivered = OutboxItem.objects.filter(status=OutboxItem.Status.DONE)
        done = set(delivered.values_list("key", flat=True))
        for keys in self.pushed.values():
            flags = [key in done for key in keys]
            # what is delivered for one object is always a prefix of what was made for it
            assert flags == sorted(flags, reverse=True), flags


def test_random_lifecycles_keep_the_invariants(est_a, est_b, student, other_student, student_b,
                                               manager_a, manager_b, recorder):
    CardLifecycle.cast = Cast(est_a, est_b, student, other_student, student_b, manager_a,
                              manager_b)
    stats = defaultdict(int)
    original_teardown = CardLifecycle.teardown

    def teardown(machine):
        for key, value in machine.steps.items():
            stats[key] += value
        original_teardown(machine)

    CardLifecycle.teardown = teardown
    try:
        run_state_machine_as_test(CardLifecycle, settings=settings(
            max_examples=int(os.environ.get("CAMPUSCARD_TEST_EXAMPLES", 50)),
            stateful_step_count=30, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow]))
    finally:
        CardLifecycle.teardown = original_teardown
    # the machine must have got somewhere: real cards enabled, real refusals
    assert stats["request:done"] > 0 and stats["check:done"] > 0
    assert sum(v for k, v in stats.items() if k.endswith(":refused")) > 0
    assert Card.objects.count() == 0, "every example is rolled back"
