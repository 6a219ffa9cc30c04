"""The audit trail: every transition, every change of a person, card or setting, every push."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from campuscard.core.audit_labels import (  # what people read for an entry
    action_label,
    describe,
    describe_changes,
    label_entries,
    register_actions,
    register_fields,
    target_label,
)
from campuscard.core.models import AuditEntry

__all__ = ["AuditEntry", "action_label", "build", "describe", "describe_changes", "diff",
           "jsonable", "label_entries", "record", "register_actions", "register_fields",
           "snapshot", "target_label"]


def jsonable(data):
    return None if data is None else json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def record(action, actor, obj, *, before=None, after=None, reason="", card=None, person=None):
    entry = build(action, actor, obj, before=before, after=after, reason=reason, card=card,
                  person=person)
    entry.save()
    return entry


def build(action, actor, obj, *, before=None, after=None, reason="", card=None, person=None):
    """An unsaved entry, for the bulk writers that save many with one bulk_create."""
    return AuditEntry(
        action=action,
        actor=actor.user if actor and actor.user is not None else None,
        actor_label=actor.label if actor else "",
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        card_id=getattr(card, "pk", card),
        person_id=getattr(person, "pk", person),
        before=jsonable(before),
        after=jsonable(after),
        reason=reason or "",
        ip=actor.ip if actor else None,
    )


def snapshot(obj, fields):
    return {name: getattr(obj, name) for name in fields}


def diff(before, after):
    changed = {k for k in after if before.get(k) != after.get(k)}
    return ({k: before.get(k) for k in changed}, {k: after[k] for k in changed})

