"""Mail templates: one per event, in French and English, edited by administrators."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from campuscard.cards.states import REQUEST_EVENTS, TRANSITIONS

RIGHTS_END_REMINDER = "person.rights_end_reminder"

EVENT_LABELS = {
    "card.requested": _("Card requested"),
    "card.renewal_requested": _("New card requested"),
    "card.request_checked": _("Request accepted"),
    "card.rejected": _("Request rejected"),
    "card.canceled": _("Request canceled"),
    "card.in_print": _("Sent to print"),
    "card.printed": _("Card printed"),
    "card.print_canceled": _("Taken back from print"),
    "card.in_encode": _("Encoding started"),
    "card.encoded": _("Card encoded"),
    "card.encode_failed": _("Encoding failed"),
    "card.enabled": _("Card enabled"),
    "card.disabled": _("Card disabled"),
    "card.destroyed": _("Card destroyed"),
    "card.expired": _("Card expired"),
    "card.unexpired": _("Rights restored"),
    RIGHTS_END_REMINDER: _("End of rights is near"),
}


def _events():
    """Every event a mail may follow, in lifecycle order, each once."""
    codes = [*REQUEST_EVENTS.values(), *(t.action for t in TRANSITIONS), RIGHTS_END_REMINDER]
    return list(dict.fromkeys(codes))


EVENTS = _events()
EVENT_CHOICES = [(code, EVENT_LABELS.get(code, code)) for code in EVENTS]
LANGUAGES = ("fr", "en")


class MailTemplate(models.Model):
    event = models.CharField(_("event"), max_length=64, unique=True, choices=EVENT_CHOICES)
    subject_en = models.CharField(_("subject in English"), max_length=200)
    body_en = models.TextField(_("text in English"))
    subject_fr = models.CharField(_("subject in French"), max_length=200)
    body_fr = models.TextField(_("text in French"))
    active = models.BooleanField(
        _("send this mail"), default=True,
        help_text=_("Untick to stop sending this mail without losing its text."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        ordering = ["event"]

    def __str__(self):
        return str(self.get_event_display())

    def source(self, language):
        """(subject, body) as written for `language` ("fr" or "en")."""
        language = language if language in LANGUAGES else "en"
        return getattr(self, f"subject_{language}"), getattr(self, f"body_{language}")
