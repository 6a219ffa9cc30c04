"""Labels of the router service's audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions

register_actions({
    "router_key.issued": _("Router key issued"),
    "router_key.revoked": _("Router key revoked"),
})
