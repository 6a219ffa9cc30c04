"""The outbox target that mails card holders: one mail per event that has an active template.

Sending goes through Django's mail API (console backend by default, SMTP by settings). A mail
server that is down or refuses for now is retried; a template that cannot be rendered waits on
the Pushes page until an administrator fixes it and retries.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext_lazy as _

from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.core.outbox import PermanentError, Target, TransientError
from campuscard.notifications import services


class MailTarget(Target):
    name = "mail"
    label = _("Mail to you")

    def wants(self, event, payload):
        return services.has_mail(event, payload)

    def deliver(self, item):
        try:
            mail = services.compose(item.operation, item.payload)
        except services.MailTemplateError as exc:
            raise PermanentError(
                f"the mail template of {item.operation} cannot be rendered: {exc}") from exc
        if mail is None:
            return
        self._send(mail, item.operation)
        audit.record("mail.sent", Actor.system(), mail.template, card=mail.card,
                     person=mail.person, after={"to": mail.person.email, "subject": mail.subject,
                                                "event": item.operation,
                                                "language": mail.language})

    def _send(self, mail, event):
        message = EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL,
                               [mail.person.email], headers={"X-CampusCard-Event": event})
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            if _refused_for_good(exc):
                raise PermanentError(f"the mail server refused {mail.person.email}") from exc
            raise TransientError(f"SMTPRecipientsRefused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc


def _refused_for_good(exc):
    """SMTP 5xx answers are final; 4xx ones (mailbox busy, greylisting) are worth a retry."""
    return all(code >= 500 for code, _message in exc.recipients.values())
