"""Labels of the mail audit actions and the reminder event."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields
from campuscard.notifications.models import RIGHTS_END_REMINDER

register_actions({
    "mail.sent": _("Mail sent"),
    "settings.mail_template_changed": _("Mail template changed"),
    RIGHTS_END_REMINDER: _("End of rights is near"),
})
register_fields({
    "to": _("recipient"),
    "subject": _("Subject"),
    "language": _("Language"),
})
