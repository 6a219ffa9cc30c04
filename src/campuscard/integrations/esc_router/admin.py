from django.contrib import admin

from campuscard.integrations.esc_router.models import SentCard, SentPerson


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the router was told is written by the outbox worker only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SentCard)
class SentCardAdmin(ReadOnlyAdmin):
    list_display = ("escn", "card", "status", "expires_at", "operation", "sent_at", "confirmed")
    list_filter = ("status", "confirmed")
    search_fields = ("escn",)


@admin.register(SentPerson)
class SentPersonAdmin(ReadOnlyAdmin):
    list_display = ("esi", "person", "sent_at")
    search_fields = ("esi",)
