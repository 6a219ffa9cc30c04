"""Labels of the delivery audit actions."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions, register_fields

register_actions({
    "delivery_slip.made": _("Delivery slip made"),
    "delivery_slip.delivered": _("Every card of the delivery slip marked as delivered"),
})
register_fields({
    "card_count": _("cards on the slip"),
    "delivered": _("cards delivered"),
    "skipped": _("cards skipped"),
})
