"""Labels of the webhooks' and REST calls' audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions

register_actions({
    "webhook.secret_rotated": _("Webhook signing secret replaced"),
})
