"""Labels of the audit actions core writes itself; pushes and admin edits are described
generically in core.audit_labels."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit_labels import register_actions

register_actions({
    "push.retry_requested": _("A new try to send was asked for"),
})
