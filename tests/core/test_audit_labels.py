"""Every audit action and outbox event reads as words: the codes written anywhere in the source
have a label, pushes name their target by its label (or a readable name for one nobody
labelled), and changed fields and values are in words, dates in the reader's locale."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.utils import timezone, translation

from campuscard.cards.states import REQUEST_EVENTS, TRANSITIONS, State
from campuscard.core import audit, audit_labels, outbox
from campuscard.core.actors import Actor
from campuscard.core.admin import AuditedAdmin
from campuscard.core.models import AuditEntry

from ..conftest import actor, card_in_state

SOURCE = Path(audit_labels.__file__).resolve().parents[1]
LITERAL = re.compile(r"""(?:\brecord|\bbuild|\benqueue|\benqueue_many)\(\s*"([^"]+)\"""")
KEPT_ACTION = re.compile(r""""action":\s*"([^"]+)\"""")
CONSTANT = re.compile(r"""^[A-Z_]+ = "([a-z_]+\.[a-z_.]+)"$""", re.MULTILINE)
COMPUTED = re.compile(r"""(?:\baudit\.(?:record|build)|(?<![.\w])record)\(\s*(?!")[^)\s]""")
# The few places that write a code computed at run time, each checked below.
COMPUTED_SITES = {"cards/services.py", "core/admin.py", "core/outbox.py"}


def python_sources():
    return [(path, path.read_text()) for path in SOURCE.rglob("*.py")
            if "migrations" not in path.parts and "emulator" not in path.parts]


def written_codes():
    """Every action code and event the source writes as a literal or a code constant."""
    codes = set()
    for _path, text in python_sources():
        codes |= set(LITERAL.findall(text)) | set(KEPT_ACTION.findall(text))
        codes |= {code for code in CONSTANT.findall(text)
                  if not code.startswith(("campuscard.", "django."))}
    return codes


def test_every_action_code_written_in_the_source_has_a_label(db):
    codes = written_codes()
    assert {"card.delivered", "mail.sent", "push.crous.reopen_requested",
            "crous.push_again", "person.esc_withdrawn"} <= codes  # the scan finds them
    codes |= {t.action for t in TRANSITIONS} | set(REQUEST_EVENTS.values())
    codes |= {f"push.{name}.{outcome}" for name in outbox.targets()
              for outcome in ("done", "failed")}
    codes |= {f"{model._meta.model_name}.{change}" for model, model_admin
              in admin.site._registry.items() if isinstance(model_admin, AuditedAdmin)
              for change in ("created", "updated", "deleted")}
    unlabelled = sorted(code for code in codes if not audit_labels.is_known(code))
    assert unlabelled == []
    for code in codes:
        assert code not in audit_labels.action_label(code)  # a sentence, not the code


def test_codes_computed_at_run_time_are_only_the_ones_covered_above():
    sites = {str(path.relative_to(SOURCE)) for path, text in python_sources()
             if COMPUTED.search(text) and "def record" not in text}
    assert sites == COMPUTED_SITES, "a new computed action code: give it a label and list it"


def test_pushes_are_told_by_the_target_label_even_for_targets_added_later(db):
    class Doors(outbox.Target):
        name, label = "export:doors-a", "Doors of building A"

    outbox.register(Doors())
    try:
        assert audit.action_label("push.export:doors-a.done") == "Sent to Doors of building A"
    finally:
        outbox.unregister("export:doors-a")
    assert audit.action_label("push.export:doors-a.done") == "Sent to Export: doors a"
    assert (audit.action_label("push.nowhere_yet.failed", {"attempt": 3})
            == "Could not send to Nowhere yet (attempt 3)")
    assert audit.action_label("push.crous.done") == "Sent to CROUS / Izly"


def test_a_truly_unknown_code_reads_as_other_action():
    assert audit.action_label("something.odd") == "Other action (something.odd)"
    with translation.override("fr"):
        assert audit.action_label("card.enabled") == "Carte activée"


@pytest.mark.django_db
def test_a_transition_lists_its_fields_and_values_in_words(student, manager_a):
    from campuscard.cards.services import mark_delivered

    card = mark_delivered(card_in_state(student, State.ENABLED, manager_a), actor(manager_a))
    with translation.override("fr"):
        enabled = card.audit_entries.get(action="card.enabled")
        changes = {c.field: (c.before, c.after) for c in audit.describe_changes(enabled)}
        assert changes == {"État": ("Encodée", "Activée")}
        delivered = card.audit_entries.get(action="card.delivered")
        changes = {c.field: (c.before, c.after) for c in audit.describe_changes(delivered)}
        delivered_on = timezone.localtime(card.delivered_at).strftime("%d/%m/%Y %H:%M")
        assert changes == {"Remise le": ("", delivered_on)}


@pytest.mark.django_db
def test_a_push_lists_event_object_attempt_and_result_in_words(student, manager_a):
    card = card_in_state(student, State.ENABLED, manager_a)
    item = outbox.OutboxItem(pk=1, target="crous", operation="card.enabled",
                             object_type="card", object_id=str(card.pk), attempts=2)
    entry = audit.build("push.crous.failed", Actor.system(), item, card=card,
                        after={"operation": "card.enabled", "object": f"card:{card.pk}",
                               "attempt": 2, "status": "pending"})
    assert audit.describe(entry) == "Could not send to CROUS / Izly (attempt 2)"
    assert [(c.field, c.after) for c in audit.describe_changes(entry)] == [
        ("Event", "Card enabled"), ("About", f"Card {card.number}"), ("Attempt", 2),
        ("Result", "waiting")]


@pytest.mark.django_db
def test_a_consent_change_names_the_consent(student):
    from campuscard.people.services import set_consent

    set_consent(student, actor(student.user), "esc", True)
    entry = AuditEntry.objects.get(action="person.consent_changed")
    assert audit.describe(entry) == "Consent given or withdrawn"
    assert [(c.field, c.before, c.after) for c in audit.describe_changes(entry)] == [
        ("European Student Card consent", "no", "yes")]


def test_a_date_follows_the_locale():
    value = datetime.datetime(2025, 3, 4, 13, 5, tzinfo=datetime.UTC).isoformat()
    with translation.override("fr"), timezone.override("UTC"):
        assert audit_labels.localised_datetime(value) == "04/03/2025 13:05"
    # English writes day/month too (settings.ENGLISH_DATE_ORDER = "dmy")
    with translation.override("en"), timezone.override("UTC"):
        assert audit_labels.localised_datetime(value) == "04/03/2025 13:05"
