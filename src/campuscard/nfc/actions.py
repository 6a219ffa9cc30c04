"""Labels of the card layout audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "nfc.layout.created": _("Card layout created"),
    "nfc.layout.version_saved": _("New card layout version"),
})
register_fields({"preset": _("preset"), "version": _("version")})
