from django.contrib import admin

from campuscard.cards.models import Card


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    """Read-only: card changes go through the lifecycle services (back-office or API)."""

    list_display = ("id", "person", "establishment", "state", "requested_at", "csn")
    list_filter = ("state", "establishment")
    search_fields = ("person__eppn", "csn")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
