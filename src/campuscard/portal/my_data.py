"""“My data”: everything stored about a person, and which systems their data was sent to."""

import io
import json
import zipfile
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Min, Q
from django.forms.models import model_to_dict
from django.utils import timezone

from campuscard.cards.propagation import connections
from campuscard.core import audit
from campuscard.core.audit import target_label
from campuscard.core.models import AuditEntry, OutboxItem

PERSON_FIELDS = ("eppn", "first_name", "last_name", "email", "birth_date", "ine",
                 "academic_level", "rights_end", "esc_consent", "esc_consent_at",
                 "photo_consent", "photo_consent_at", "crous_consent", "crous_consent_at",
                 "language", "updated_at")
CARD_FIELDS = ("state", "state_changed_at", "requested_at", "escn", "csn", "reject_count",
               "rejection_reason", "disable_reason", "renewal_reason", "delivery_mode",
               "postal_address", "rules_accepted_at", "fee_due", "encoded_at", "enabled_at",
               "delivered_at")


@dataclass
class SystemReached:
    target: str
    label: str
    first_sent: object
    last_sent: object
    count: int
    waiting: int


def _about(person):
    """Audit and outbox rows are about the person or one of their cards."""
    card_ids = [str(pk) for pk in person.cards.values_list("pk", flat=True)]
    return (Q(object_type="person", object_id=str(person.pk))
            | Q(object_type="card", object_id__in=card_ids))


@dataclass
class CardSystems:
    card: object
    systems: list  # cards.propagation.Hearing, one per system told of the card


def systems_reached(person):
    """Each system that received this person's data, with when: from the pushes delivered
    (their audit entries are kept for good) and the pushes still waiting in the outbox."""
    sent = {}
    for entry in (AuditEntry.objects.filter(Q(person=person) | Q(card__person=person),
                                            action__startswith="push.", action__endswith=".done")
                  .values("action").annotate(first=Min("at"), last=Max("at"), count=Count("id"))):
        target = entry["action"].removeprefix("push.").removesuffix(".done")
        sent[target] = entry
    waiting = dict(OutboxItem.objects.filter(_about(person))
                   .exclude(status=OutboxItem.Status.DONE)
                   .values_list("target").annotate(count=Count("id")))
    return [
        SystemReached(name, target_label(name), sent.get(name, {}).get("first"),
                      sent.get(name, {}).get("last"), sent.get(name, {}).get("count", 0),
                      waiting.get(name, 0))
        for name in sorted(set(sent) | set(waiting))
    ]


def systems_of_each_card(person):
    """For each card, newest first, every system told of it and whether it has been."""
    return [CardSystems(card, connections(card))
            for card in person.cards.order_by("-requested_at", "-pk")]


def _history(person):
    return AuditEntry.objects.filter(Q(person=person) | Q(card__person=person))


def holder_history(person):
    """What happened to the person and their cards, newest first, in words; a push's error
    is for the card office, not shown here."""
    entries = audit.label_entries(list(_history(person).order_by("-at", "-id")))
    for entry in entries:
        if entry.action.startswith("push."):
            entry.reason_label = ""
    return entries


def collect_my_data(person):
    """Everything stored about `person`, as plain data (what the JSON download holds)."""
    return {
        "exported_at": timezone.now(),
        "person": model_to_dict(person, fields=PERSON_FIELDS) | {
            "establishment": person.establishment.name,
            "population": str(person.population),
        },
        "consent_history": list(person.consent_records.order_by("recorded_at")
                                .values("consent", "given", "recorded_at")),
        "cards": [_card_data(card) for card in
                  person.cards.select_related("establishment").order_by("requested_at")],
        "history": [_entry_data(entry) for entry in _history(person).order_by("at", "id")],
        "systems": [vars(system) for system in systems_reached(person)],
    }


def _entry_data(entry):
    """An audit entry as kept, with what it means in words beside the codes."""
    return {
        "at": entry.at, "action": entry.action, "description": audit.describe(entry),
        "card_id": entry.card_id, "before": entry.before, "after": entry.after,
        "changes": [{"field": str(change.field), "before": str(change.before),
                     "after": str(change.after)} for change in audit.describe_changes(entry)],
        "reason": entry.reason,
    }


def _card_data(card):
    return model_to_dict(card, fields=CARD_FIELDS) | {
        "id": card.pk, "establishment": card.establishment.name,
        "photo": f"photos/card-{card.pk}.jpg" if card.photo else None,
    }


def build_my_data_archive(person):
    """A zip with data.json and every card photo; returns its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        data = json.dumps(collect_my_data(person), cls=DjangoJSONEncoder, indent=2,
                          ensure_ascii=False)
        archive.writestr("data.json", data)
        for card in person.cards.exclude(photo=""):
            with card.photo.open("rb") as photo:
                archive.writestr(f"photos/card-{card.pk}.jpg", photo.read())
    return buffer.getvalue()
