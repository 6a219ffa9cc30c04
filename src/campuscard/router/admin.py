"""The router's organisations and keys in django-admin. Keys are issued with
`campuscard router issue-key` (the key is shown once, there); here they can be revoked.
An organisation's "show the holder's name to verifiers" choice is made here (docs/esc.md)."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.core.admin import AuditedAdmin
from campuscard.router.keys import describe
from campuscard.router.models import Organisation, RouterKey


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("pic", "name", "country", "schac_home_organization", "show_holder_name")
    list_filter = ("show_holder_name",)
    search_fields = ("pic", "name", "schac_home_organization")


@admin.register(RouterKey)
class RouterKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "organisation", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = ("organisation",)
    readonly_fields = ("organisation", "name", "prefix", "key_hash", "created_at",
                       "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a key is shown once, when the command issues it

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail keeps pointing at the key

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        active = list(queryset.filter(revoked_at__isnull=True).select_related("organisation"))
        now = timezone.now()
        for key in active:
            before = describe(key)
            key.revoked_at = now
            key.save(update_fields=["revoked_at"])
            audit.record("router_key.revoked", Actor.from_request(request), key,
                         before=before, after=describe(key))
        self.message_user(request, ngettext("%(count)d key revoked.", "%(count)d keys revoked.",
                                            len(active)) % {"count": len(active)},
                          messages.SUCCESS)
