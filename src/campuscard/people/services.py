"""Verbs on people: every change is audited; what other systems care about goes to the outbox."""

from django.db import transaction
from django.utils import timezone

from campuscard.core import audit, outbox
from campuscard.esc.esi import assign_esi
from campuscard.people.models import CONSENTS, ConsentRecord, Person, SourceLink

EDITABLE_FIELDS = ("first_name", "last_name", "email", "birth_date", "ine", "establishment",
                   "population", "academic_level", "rights_end", "display_name", "student_id",
                   "employee_id", "primary_affiliation", "affiliations", "department",
                   "card_template", "may_request_card", "request_refusal")


def person_payload(person):
    return {
        "person_id": person.pk, "eppn": person.eppn, "first_name": person.first_name,
        "last_name": person.last_name, "email": person.email, "ine": person.ine,
        "establishment": person.establishment.code, "pic": person.establishment.pic,
        "population": person.population.code, "academic_level": person.academic_level,
        "rights_end": person.rights_end.isoformat() if person.rights_end else None,
        "esc_consent": person.esc_consent, "photo_consent": person.photo_consent,
        "crous_consent": person.crous_consent,
    }


def _fields(person):
    values = audit.snapshot(person, EDITABLE_FIELDS)
    values["establishment"] = person.establishment_id
    values["population"] = person.population_id
    return values


def create_person(actor, **fields):
    with transaction.atomic():
        person = Person(**fields)
        person.normalise()
        person.full_clean()
        person.save()
        audit.record("person.created", actor, person, person=person, after=_fields(person))
    return person


def update_person(person, actor, **changes):
    """Change a person's data; the end of rights is applied to their cards at once."""
    from campuscard.cards.services import apply_rights_end

    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        before = _fields(person)
        for name, value in changes.items():
            if name not in EDITABLE_FIELDS:
                raise ValueError(f"{name} is not an editable field")
            setattr(person, name, value)
        person.normalise()
        person.full_clean()
        old, new = audit.diff(before, _fields(person))
        if not new:
            return person
        person.save()
        audit.record("person.updated", actor, person, person=person, before=old, after=new)
        outbox.enqueue("person.updated", person, person_payload(person))
        if "rights_end" in new:
            apply_rights_end(person, actor)
        if not actor or not actor.is_system:
            # Edited by hand: the next sync compares this person again instead of trusting
            # the sources' digests.
            SourceLink.objects.filter(person=person).update(digest="")
    return person


def bulk_create_people(actor, rows, reason=""):
    """create_person for many at once (the sync): `rows` are validated field dicts (with
    establishment and population as objects). One audit entry per person, all in the caller's
    transaction, written with COPY on PostgreSQL. Returns the new people's ids, in order."""
    from campuscard.core import bulk
    from campuscard.core.models import AuditEntry

    now = timezone.now()
    person_rows, audit_rows = [], []
    for fields in rows:
        row = dict(fields)
        row["establishment_id"] = row.pop("establishment").pk
        row["population_id"] = row.pop("population").pk
        row["eppn"] = (row.get("eppn") or "").strip().lower()
        row["email"] = (row.get("email") or "").strip().lower()
        row["updated_at"] = now
        person_rows.append(row)
    with transaction.atomic():
        ids = bulk.insert(Person, person_rows)
        label = actor.label if actor else ""
        user_id = actor.user.pk if actor and actor.user is not None else None
        ip = actor.ip if actor else None
        for pk, row in zip(ids, person_rows, strict=True):
            after = {name: row.get(name) for name in EDITABLE_FIELDS
                     if name not in ("establishment", "population")}
            after["establishment"] = row["establishment_id"]
            after["population"] = row["population_id"]
            audit_rows.append({
                "at": now, "action": "person.created", "actor_id": user_id, "actor_label": label,
                "object_type": "person", "object_id": str(pk), "person_id": pk,
                "after": audit.jsonable(after), "reason": reason, "ip": ip})
        bulk.insert(AuditEntry, audit_rows)
    return ids


def bulk_update_people(actor, changes, reasons=None):
    """update_person for many at once (the sync): `changes` maps a locked Person to the
    {field: value} that differ. One audit entry and one outbox row per changed person, the end
    of rights applied to their cards, all in one transaction. Returns the changed people."""
    from campuscard.cards.models import Card
    from campuscard.cards.services import apply_rights_end
    from campuscard.cards.states import CANCELED_AT_RIGHTS_END, EXPIRING_STATES, State

    reasons = reasons or {}
    entries, changed, rights_moved, names = [], [], [], set()
    for person, values in changes.items():
        if not values:
            continue
        before = _fields(person)
        was_ended = person.rights_ended()
        for name, value in values.items():
            if name not in EDITABLE_FIELDS:
                raise ValueError(f"{name} is not an editable field")
            setattr(person, name, value)
        person.normalise()
        old, new = audit.diff(before, _fields(person))
        if not new:
            continue
        names.update(values)
        person.updated_at = timezone.now()
        changed.append(person)
        entries.append(audit.build("person.updated", actor, person, person=person, before=old,
                                   after=new, reason=reasons.get(person.pk, "")))
        if "rights_end" in new and person.rights_ended() != was_ended:
            rights_moved.append(person)
    if not changed:
        return []
    with transaction.atomic():
        Person.objects.bulk_update(changed, sorted(names | {"updated_at"}), batch_size=500)
        audit.AuditEntry.objects.bulk_create(entries, batch_size=1000)
        outbox.enqueue_many("person.updated",
                            [(person, person_payload(person)) for person in changed])
        live = EXPIRING_STATES | CANCELED_AT_RIGHTS_END | {State.CADUC}
        with_cards = set(Card.objects.filter(person__in=rights_moved, state__in=live)
                         .values_list("person_id", flat=True))
        for person in rights_moved:
            if person.pk in with_cards:
                apply_rights_end(person, actor)
    return changed


def set_consent(person, actor, consent, given):
    """Give or withdraw one consent (esc, photo, crous); every change is kept with its date.

    Withdrawing the European consent also asks, through the outbox, that the person and their
    cards be removed from the ESC router."""
    if consent not in CONSENTS:
        raise ValueError(f"unknown consent {consent}")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if getattr(person, f"{consent}_consent") == given:
            return person
        now = timezone.now()
        setattr(person, f"{consent}_consent", given)
        setattr(person, f"{consent}_consent_at", now)
        person.save()
        ConsentRecord.objects.create(person=person, consent=consent, given=given,
                                     recorded_at=now, recorded_by=actor.user)
        if consent == "esc" and given:
            assign_esi(person)
        audit.record("person.consent_changed", actor, person, person=person,
                     before={consent: not given}, after={consent: given})
        payload = person_payload(person) | {"consent": consent, "given": given}
        outbox.enqueue("person.consent_changed", person, payload)
        if consent == "esc" and not given:
            outbox.enqueue("person.esc_withdrawn", person, _esc_withdrawal(person))
    return person


def _esc_withdrawal(person):
    escns = person.cards.exclude(escn=None).order_by("pk").values_list("escn", flat=True)
    return {"person_id": person.pk, "eppn": person.eppn, "pic": person.establishment.pic,
            "escns": [str(escn) for escn in escns]}
