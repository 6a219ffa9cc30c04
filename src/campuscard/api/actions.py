"""Labels of the API client audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions

register_actions({
    "api_client.created": _("API client created"),
    "api_client.revoked": _("API client revoked"),
})
