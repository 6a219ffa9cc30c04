"""Labels of the card layout audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "nfc.layout.created": _("Card layout created"),
    "nfc.layout.version_saved": _("New card layout version"),
    "nfc.encoding_started": _("Chip encoding started"),
    "nfc.encoding_failed": _("Chip encoding failed"),
    "nfc.chip_encoded": _("Chip encoded and read back"),
})
register_fields({"preset": _("preset"), "version": _("version"), "session": _("chip session"),
                 "uid": _("chip UID"), "layout": _("layout version"), "apdus": _("APDUs")})
