"""The Django admin is for superusers only; every change made there is audited too."""

from django.contrib import admin
from django.db.models import QuerySet

from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry, OutboxItem

admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser


class AuditedAdmin(admin.ModelAdmin):
    secret_fields = ()  # their change is audited, never their value

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        after = {name: form.cleaned_data.get(name) for name in form.changed_data}
        action = f"{obj._meta.model_name}.{'updated' if change else 'created'}"
        audit.record(action, Actor.from_request(request), obj,
                     before=self._plain(before), after=self._plain(after))

    def delete_model(self, request, obj):
        audit.record(f"{obj._meta.model_name}.deleted", Actor.from_request(request), obj,
                     before={"repr": str(obj)})
        super().delete_model(request, obj)

    def _plain(self, values):
        return {name: "********" if name in self.secret_fields and value else _plain(value)
                for name, value in values.items()}


def _plain(value):
    """A form value as the audit keeps it: a related object by its name, a many-to-many
    selection as the sorted list of names."""
    if hasattr(value, "_meta"):
        return str(value)
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return value


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "actor_label", "object_type", "object_id", "ip")
    list_filter = ("action",)
    search_fields = ("object_id", "actor_label", "action")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxItem)
class OutboxItemAdmin(admin.ModelAdmin):
    list_display = ("id", "target", "operation", "object_type", "object_id", "status",
                    "attempts", "not_before")
    list_filter = ("target", "status")
