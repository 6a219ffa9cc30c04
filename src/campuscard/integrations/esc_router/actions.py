"""Labels of the European Student Card router's outbox events."""

from django.utils.translation import gettext_lazy as _

from campuscard.core.audit import register_actions
from campuscard.integrations.esc_router.services import PUSH_AGAIN

register_actions({
    PUSH_AGAIN: _("Card sent to the European Student Card router again"),
})
