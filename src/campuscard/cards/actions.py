"""Labels of the card's audit actions, which are also the events the outbox sends."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions

register_actions({
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
    "card.delivered": _("Card handed over"),
    "card.recognised": _("Card recognised by another establishment"),
    "card.recognition_withdrawn": _("Card no longer recognised by another establishment"),
    "recognition.agreed": _("Agreement between establishments recorded"),
    "recognition.withdrawn": _("Agreement between establishments withdrawn"),
})
