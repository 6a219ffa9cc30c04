"""Mails to card holders: what a template may use, how a mail is written, the reminders.

Templates are written by administrators in Django's template language and rendered as plain
text (no HTML escaping) from plain dictionaries only: a template can read values, never call a
model's methods.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.template import Context, Engine
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campuscard.cards.models import Card, DeliveryMode
from campuscard.cards.states import DisableReason, State
from campuscard.core import audit, outbox
from campuscard.integrations.crous.services import crous_applies
from campuscard.notifications.models import LANGUAGES, RIGHTS_END_REMINDER, MailTemplate
from campuscard.people.models import Person

# No loaders and no tag libraries beyond the built-in ones: no {% include %} of files.
ENGINE = Engine(autoescape=False)
EDITABLE = ("subject_en", "body_en", "subject_fr", "body_fr", "active")


class MailTemplateError(Exception):
    """A template that cannot be compiled or rendered: retrying will not help."""


@dataclass(frozen=True)
class Mail:
    template: MailTemplate
    person: Person
    card: Card | None
    language: str
    subject: str
    body: str


# --- rendering ---------------------------------------------------------------------------------

def render_text(source, context):
    """`source` rendered with `context` (plain data), or MailTemplateError."""
    try:
        return ENGINE.from_string(source).render(Context(context, autoescape=False))
    except Exception as exc:  # whatever breaks here, the template is what must be fixed
        raise MailTemplateError(str(exc)) from exc


def render_mail(subject, body, context):
    """(subject, body): the subject on one line, as mail headers require."""
    return " ".join(render_text(subject, context).split()), render_text(body, context).strip()


def mail_language(person):
    language = (person.language or settings.LANGUAGE_CODE)[:2]  # "fr-ca" writes in French
    return language if language in LANGUAGES else "en"


def portal_url():
    return settings.CAMPUSCARD_PUBLIC_URL + reverse("portal:home")


def mail_context(person, card=None, payload=None):
    """What a template may use. Call it with the mail's language active (labels are
    translated). `payload` is the event's: the card's state and reason when it happened."""
    payload = payload or {}
    establishment = card.establishment if card else person.establishment
    return {
        "person": {"first_name": person.first_name, "last_name": person.last_name,
                   "full_name": person.full_name},
        "card": _card_context(card, payload) if card else {},
        "establishment": {"name": establishment.name,
                          "pickup_place": establishment.pickup_place},
        "rights_end": person.rights_end,
        "portal_url": portal_url(),
        "izly": crous_applies(person),  # the Izly account mail comes from CROUS
    }


def _card_context(card, payload):
    state = payload.get("state") or card.state
    reason = payload.get("disable_reason") or card.disable_reason or ""
    return {
        "id": card.pk,
        "number": card.number,
        "state": str(State(state).label),
        "state_code": state,
        "rejection_reason": card.rejection_reason,
        "disable_reason": str(DisableReason(reason).label) if reason else "",
        "disable_reason_code": reason,
        "delivery": str(DeliveryMode(card.delivery_mode).label) if card.delivery_mode else "",
        "delivery_mode": card.delivery_mode,
    }


def sample_context():
    """Made-up data for the preview of a template."""
    today = timezone.localdate()
    return {
        "person": {"first_name": "Camille", "last_name": "Dupont", "full_name": "Camille Dupont"},
        "card": {
            "id": 1234, "number": "1234", "state": str(State.REJECTED.label),
            "state_code": State.REJECTED.value,
            "rejection_reason": _("The photo is blurred."),
            "disable_reason": str(DisableReason.LOST.label),
            "disable_reason_code": DisableReason.LOST.value,
            "delivery": str(DeliveryMode.PICKUP.label), "delivery_mode": DeliveryMode.PICKUP.value,
        },
        "establishment": {"name": _("University of Example"),
                          "pickup_place": _("Student office, building A, ground floor")},
        "rights_end": today + datetime.timedelta(days=settings.CAMPUSCARD_RIGHTS_END_REMINDER_DAYS),
        "portal_url": portal_url(),
        "izly": True,
    }


def preview(values):
    """[(language, subject, body)] for template texts `values`, on sample data."""
    rendered = []
    for language in LANGUAGES:
        with translation.override(language):
            subject, body = render_mail(values[f"subject_{language}"], values[f"body_{language}"],
                                        sample_context())
        rendered.append((language, subject, body))
    return rendered


# --- composing the mail of an event -------------------------------------------------------------

def _active_templates(event):
    return MailTemplate.objects.filter(event=event, active=True)


def active_template(event):
    return _active_templates(event).first()


def has_mail(event, payload):
    """Whether `event` would send a mail: an active template and someone to write to."""
    person_id = payload.get("person_id")
    if not person_id or not _active_templates(event).exists():
        return False
    return Person.objects.filter(pk=person_id).exclude(email="").exists()


def compose(event, payload):
    """The mail `event` sends now, or None (template switched off, no address any more)."""
    template = active_template(event)
    person = (Person.objects.select_related("establishment")
              .filter(pk=payload.get("person_id")).first())
    if template is None or person is None or not person.email:
        return None
    card = None
    if payload.get("card_id"):
        card = (Card.objects.select_related("establishment")
                .filter(pk=payload["card_id"]).first())
    language = mail_language(person)
    with translation.override(language):
        subject, body = render_mail(*template.source(language),
                                    mail_context(person, card, payload))
    return Mail(template, person, card, language, subject, body)


# --- reminders before the end of rights ----------------------------------------------------------

def _due_reminders(today):
    last_day = today + datetime.timedelta(days=settings.CAMPUSCARD_RIGHTS_END_REMINDER_DAYS)
    enabled_card = Card.objects.filter(person=OuterRef("pk"), state=State.ENABLED)
    return (Person.objects.filter(rights_end__range=(today, last_day))
            .filter(Exists(enabled_card))
            .exclude(rights_reminder_for=F("rights_end")))


def send_rights_end_reminders(today=None):
    """Queue one reminder per person whose rights end soon; returns how many were queued.

    The date reminded is kept on the person: a second run sends nothing, and a person whose
    end of rights is pushed back is reminded again when the new date comes near."""
    today = today or timezone.localdate()
    count = 0
    for person_id in list(_due_reminders(today).values_list("pk", flat=True)):
        count += _remind(person_id, today)
    return count


def _remind(person_id, today):
    with transaction.atomic():
        # Checked again under the lock: another worker may have reminded them meanwhile.
        person = (_due_reminders(today).select_for_update(of=("self",))
                  .select_related("establishment").filter(pk=person_id).first())
        if person is None:
            return 0
        person.rights_reminder_for = person.rights_end
        person.save(update_fields=["rights_reminder_for"])
        outbox.enqueue(RIGHTS_END_REMINDER, person, reminder_payload(person))
    return 1


def reminder_payload(person):
    return {"person_id": person.pk, "eppn": person.eppn,
            "establishment": person.establishment.code,
            "rights_end": person.rights_end.isoformat()}


# --- editing templates ---------------------------------------------------------------------------

def save_mail_template(event, values, actor):
    """Write the texts of `event`'s template; returns (template, whether anything changed)."""
    with transaction.atomic():
        template = (MailTemplate.objects.select_for_update().filter(event=event).first()
                    or MailTemplate(event=event))
        before = audit.snapshot(template, EDITABLE) if template.pk else {}
        for name in EDITABLE:
            setattr(template, name, values[name])
        old, new = audit.diff(before, audit.snapshot(template, EDITABLE))
        if not new:
            return template, False
        template.save()
        audit.record("settings.mail_template_changed", actor, template,
                     before=old if before else None, after={"event": event, **new})
    return template, True
