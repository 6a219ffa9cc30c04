"""A mail per lifecycle event, in the holder's language, sent by the worker and audited."""

import datetime
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from campuscard.cards import services as card_services
from campuscard.cards.models import NumberCounter
from campuscard.cards.numbers import ACCESS_CONTROL
from campuscard.cards.states import DisableReason, State
from campuscard.core.models import AuditEntry, OutboxItem
from campuscard.notifications import services
from campuscard.notifications.models import EVENTS, MailTemplate
from campuscard.people.models import Person

from ..conftest import actor, card_in_state
from .conftest import drain_all, mail_rows

Status = OutboxItem.Status


class DisconnectingBackend(BaseEmailBackend):
    """A mail server that drops the connection."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the address for good."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"alice@example.org": (550, b"No such user")})


def set_language(person, language):
    Person.objects.filter(pk=person.pk).update(language=language)


def test_a_request_is_acknowledged_by_mail_when_the_worker_runs(student, manager_a, mailoutbox,
                                                                 public_url, settings):
    settings.DEFAULT_FROM_EMAIL = "cards@example.edu"
    card_services.request_card(student, actor(student.user))
    assert mail_rows() == ["card.requested"]
    assert mailoutbox == []  # nothing leaves before the transaction is committed and drained

    drain_all()

    [mail] = mailoutbox
    assert mail.to == ["alice@example.org"]
    assert mail.from_email == "cards@example.edu"
    assert mail.subject == "We have received your card request"
    assert mail.extra_headers["X-CampusCard-Event"] == "card.requested"
    assert mail.body.startswith("Hello Alice,")
    assert public_url in mail.body
    assert "Université A" in mail.body
    assert mail_rows(status=Status.DONE) == ["card.requested"]


def test_every_step_the_holder_cares_about_sends_its_mail(student, manager_a, mailoutbox):
    card = card_in_state(student, State.ENABLED, manager_a)
    card_services.disable(card, actor(manager_a), "LOST")
    drain_all()
    assert [m.extra_headers["X-CampusCard-Event"] for m in mailoutbox] == [
        "card.requested", "card.request_checked", "card.printed", "card.enabled",
        "card.disabled",
    ]
    # Steps inside the card office (print queue, encoding) have no text, so no mail.
    assert "card.in_print" not in mail_rows() and "card.encoded" not in mail_rows()


def test_the_mail_is_in_the_holders_language(student, manager_a, mailoutbox):
    set_language(student, "fr")
    card = card_in_state(student, State.NEW, manager_a)
    card_services.reject_request(card, actor(manager_a), "La photo est floue.")
    drain_all()
    requested, rejected = mailoutbox
    assert requested.subject == "Nous avons bien reçu votre demande de carte"
    assert rejected.subject == "Votre demande de carte n'a pas pu être acceptée"
    assert rejected.body.startswith("Bonjour Alice,")
    assert "La photo est floue." in rejected.body
    assert "nouvelle demande" in rejected.body


def test_without_a_language_the_instance_default_is_used(student, manager_a, mailoutbox,
                                                         settings):
    settings.LANGUAGE_CODE = "fr"
    card_in_state(student, State.NEW, manager_a)
    drain_all()
    assert mailoutbox[0].subject == "Nous avons bien reçu votre demande de carte"


def test_a_rejection_gives_the_reason_and_asks_for_a_corrected_request(student, manager_a,
                                                                       mailoutbox):
    card = card_in_state(student, State.NEW, manager_a)
    card_services.reject_request(card, actor(manager_a), "Your face must be visible.")
    drain_all()
    mail = mailoutbox[-1]
    assert mail.subject == "Your card request could not be accepted"
    assert "Your face must be visible." in mail.body
    assert "new request" in mail.body


@pytest.mark.parametrize(("reason", "expected"), [
    ("LOST", "If you find it again, you can enable it again yourself"),
    ("THEFT", "If you find it again, you can enable it again yourself"),
    ("OUT_OF_ORDER", "You can ask for a new card"),
    ("OTHER", "please contact the card office"),
])
def test_a_blocked_card_mail_gives_the_reason_and_what_to_do(student, manager_a, mailoutbox,
                                                             reason, expected):
    card = card_in_state(student, State.ENABLED, manager_a)
    card_services.disable(card, actor(manager_a), reason)
    drain_all()
    mail = mailoutbox[-1]
    assert mail.subject == "Your card has been blocked"
    assert f"Reason: {DisableReason(reason).label}." in mail.body
    assert expected in mail.body


def test_the_printed_mail_says_where_to_collect_the_card(student, manager_a, mailoutbox, est_a):
    est_a.pickup_place = "Building C, room 12"
    est_a.save()
    card_in_state(student, State.PRINTED, manager_a)
    drain_all()
    mail = mailoutbox[-1]
    assert mail.subject == "Your card has been printed"
    assert "You can collect it at: Building C, room 12." in mail.body


def test_the_printed_mail_of_a_postal_delivery_says_it_is_posted(student, manager_a, mailoutbox):
    by = actor(manager_a)
    card = card_services.request_card(student, by, delivery_mode="postal",
                                      postal_address="1 rue de la Paix, Paris")
    for step in (card_services.check_request, card_services.send_to_print,
                 card_services.mark_printed):
        card = step(card, by)
    drain_all()
    assert "It will be sent to the postal address you gave" in mailoutbox[-1].body


def test_a_mail_sent_is_in_the_audit_trail(student, manager_a, mailoutbox):
    card = card_in_state(student, State.NEW, manager_a)
    drain_all()
    entry = AuditEntry.objects.get(action="mail.sent")
    template = MailTemplate.objects.get(event="card.requested")
    assert (entry.object_type, entry.object_id) == ("mailtemplate", str(template.pk))
    assert (entry.card_id, entry.person_id) == (card.pk, student.pk)
    assert entry.after == {"to": "alice@example.org", "event": "card.requested",
                           "subject": "We have received your card request", "language": "en"}
    assert entry.actor is None and entry.actor_label == "system"


def test_an_event_without_template_writes_no_mail_row(student, manager_a):
    MailTemplate.objects.filter(event="card.request_checked").delete()
    card_in_state(student, State.REQUEST_CHECKED, manager_a)
    assert mail_rows() == ["card.requested"]


def test_a_switched_off_template_sends_nothing(student, manager_a, mailoutbox):
    MailTemplate.objects.filter(event="card.requested").update(active=False)
    card_in_state(student, State.NEW, manager_a)
    assert mail_rows() == []
    drain_all()
    assert mailoutbox == []


def test_nobody_to_write_to_means_no_mail(student, manager_a, mailoutbox):
    Person.objects.filter(pk=student.pk).update(email="")
    card_in_state(student, State.NEW, manager_a)
    assert mail_rows() == []
    drain_all()
    assert mailoutbox == []


@pytest.mark.parametrize("change", [
    {"model": MailTemplate, "filter": {"event": "card.requested"}, "update": {"active": False}},
    {"model": Person, "filter": {}, "update": {"email": ""}},
])
def test_a_template_switched_off_or_an_address_removed_before_delivery_sends_nothing(
        student, manager_a, mailoutbox, change):
    card_in_state(student, State.NEW, manager_a)
    change["model"].objects.filter(**change["filter"]).update(**change["update"])
    drain_all()
    assert mailoutbox == []
    assert mail_rows(status=Status.DONE) == ["card.requested"]  # nothing left to do
    assert not AuditEntry.objects.filter(action="mail.sent").exists()


def test_a_mail_server_that_fails_is_tried_again_later(student, manager_a, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DisconnectingBackend"
    card_in_state(student, State.NEW, manager_a)
    drain_all()
    row = OutboxItem.objects.get(target="mail")
    assert row.status == Status.PENDING and row.attempts == 1
    assert "SMTPServerDisconnected" in row.last_error
    assert row.not_before > timezone.now()
    assert mailoutbox == []
    assert not AuditEntry.objects.filter(action="mail.sent").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxItem.objects.filter(pk=row.pk).update(not_before=timezone.now())  # time passes
    drain_all()
    row.refresh_from_db()
    assert row.status == Status.DONE and row.attempts == 2
    assert [m.subject for m in mailoutbox] == ["We have received your card request"]
    assert AuditEntry.objects.filter(action="mail.sent").count() == 1


def test_an_address_the_server_refuses_for_good_waits_for_a_person(student, manager_a,
                                                                    settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    card_in_state(student, State.NEW, manager_a)
    drain_all()
    row = OutboxItem.objects.get(target="mail")
    assert row.status == Status.FAILED
    assert "refused alice@example.org" in row.last_error


def test_a_template_that_cannot_be_rendered_fails_with_a_clear_message(student, manager_a,
                                                                       mailoutbox):
    MailTemplate.objects.filter(event="card.requested").update(body_en="{% if %}broken")
    card_in_state(student, State.NEW, manager_a)
    drain_all()
    row = OutboxItem.objects.get(target="mail")
    assert row.status == Status.FAILED
    assert "the mail template of card.requested cannot be rendered" in row.last_error
    assert mailoutbox == []


def test_templates_see_plain_values_only(student, manager_a):
    card = card_in_state(student, State.NEW, manager_a)
    context = services.mail_context(student, card)
    assert services.render_text("{{ person.cards }}{{ person.delete }}{{ card.person }}",
                                context) == ""
    plain = (str, int, datetime.date, type(None))

    def check(value):
        if isinstance(value, dict):
            for item in value.values():
                check(item)
        else:
            assert isinstance(value, plain), value

    check(context)


def test_templates_cannot_read_files():
    with pytest.raises(services.MailTemplateError):
        services.render_text('{% include "base.html" %}', {})
    with pytest.raises(services.MailTemplateError):
        services.render_text("{% load static %}", {})


def test_text_is_not_html_escaped(student, manager_a, mailoutbox):
    card = card_in_state(student, State.NEW, manager_a)
    card_services.reject_request(card, actor(manager_a), "Photo <too dark> & blurred")
    drain_all()
    assert "Photo <too dark> & blurred" in mailoutbox[-1].body


def test_the_subject_stays_on_one_line():
    subject, _body = services.render_mail("Hello\n{{ name }}\n", "x", {"name": "Alice"})
    assert subject == "Hello Alice"


def test_every_event_has_a_label_and_the_holders_events_have_default_texts():
    assert "card.unexpired" in EVENTS and "person.rights_end_reminder" in EVENTS
    assert set(MailTemplate.objects.values_list("event", flat=True)) == {
        "card.requested", "card.renewal_requested", "card.request_checked", "card.rejected",
        "card.canceled", "card.printed", "card.enabled", "card.disabled", "card.expired",
        "card.destroyed", "person.rights_end_reminder",
    }
    for event, label in MailTemplate._meta.get_field("event").choices:
        assert label != event, f"{event} has no label"


def test_every_default_text_renders_in_both_languages():
    for template in MailTemplate.objects.all():
        for _language, subject, body in services.preview(
                {name: getattr(template, name) for name in services.EDITABLE}):
            assert subject and body
            assert "{" not in subject + body and "}" not in subject + body, template.event


def test_the_destroyed_mail_names_the_card_by_its_number(student, manager_a, mailoutbox, est_a):
    NumberCounter.objects.update_or_create(name=ACCESS_CONTROL, defaults={"last": 4000})
    card = card_in_state(student, State.ENCODED, manager_a)
    set_language(student, "fr")
    card_services.destroy(card, actor(manager_a))
    drain_all()
    mail = mailoutbox[-1]
    assert "(n° 4001)" in mail.body and f"n° {card.pk})" not in mail.body
