"""Labels of the file exports' audit actions and outbox events."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields
from campuscard.integrations.exports.services import FILE_WRITTEN, SNAPSHOT_ASKED

register_actions({
    FILE_WRITTEN: _("Export file delivered"),
    SNAPSHOT_ASKED: _("Full snapshot of an export asked for"),
    "export.snapshot_asked": _("Full snapshot of an export asked for"),
})
register_fields({
    "file_id": _("file"),
    "issuer": _("cards of"),
    "recogniser": _("recognised by"),
    "populations": _("populations"),
})
