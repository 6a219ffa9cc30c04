"""Verbs on people: every change is audited; what other systems care about goes to the outbox."""

from django.db import transaction
from django.utils import timezone

from campuscard.core import audit, outbox
from campuscard.esc.esi import assign_esi
from campuscard.people.models import CONSENTS, ConsentRecord, Person

EDITABLE_FIELDS = ("first_name", "last_name", "email", "birth_date", "ine", "establishment",
                   "population", "academic_level", "rights_end")


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
    return person


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
