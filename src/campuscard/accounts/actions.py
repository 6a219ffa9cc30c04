"""Labels of the audit actions about logins."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "person.account_linked": _("Login account linked"),
    "auth.locked_out": _("Login locked after repeated failures"),
})
register_fields({
    "user": _("login"),
    "failures": _("failed attempts"),
    "cool_off_minutes": _("locked for (minutes)"),
})
