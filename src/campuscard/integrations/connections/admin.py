"""What the administration page of every connection shares."""

from campuscard.core.admin import AuditedAdmin
from campuscard.integrations.connections.forms import ConnectionForm

FILTER_FIELDS = ("code", "label_en", "label_fr", "active", "establishments", "populations",
                 "card_states")


class ConnectionAdmin(AuditedAdmin):
    form = ConnectionForm
    list_display = ("label_en", "code", "active")
    list_filter = ("active",)
    filter_horizontal = ("establishments", "populations")

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()  # it names the pushes already queued
