"""Labels of the CROUS / Izly audit actions and outbox events."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields
from campuscard.integrations.crous.services import PUSH_AGAIN, REOPEN

register_actions({
    "push.crous.reopen_requested": _("Reopening the Izly account was asked for"),
    "crous.smartcards_imported": _("CROUS smartcards imported"),
    "crous.tariffs.refreshed": _("CROUS tariff grids fetched again"),
    PUSH_AGAIN: _("Card sent to CROUS / Izly again"),
    REOPEN: _("Izly account reopened"),
})
register_fields({
    "created": _("created"),
    "unchanged": _("unchanged"),
    "bound": _("bound to a card"),
})
