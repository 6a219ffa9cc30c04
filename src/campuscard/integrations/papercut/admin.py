from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campuscard.core.admin import AuditedAdmin
from campuscard.integrations.connections.forms import ConnectionForm, KeptSecretField
from campuscard.integrations.papercut.models import PapercutServer


class PapercutServerForm(ConnectionForm):
    auth_token = KeptSecretField(label=_("authentication token"))
    secret_fields = ("auth_token",)

    class Meta:
        model = PapercutServer
        fields = "__all__"  # the admin's fieldsets choose what is shown


@admin.register(PapercutServer)
class PapercutServerAdmin(AuditedAdmin):
    form = PapercutServerForm
    secret_fields = ("auth_token",)
    list_display = ("label_en", "code", "url", "card_property", "reversed_csn", "active")
    list_filter = ("active",)
    filter_horizontal = ("establishments", "populations")
    fieldsets = [
        (None, {"fields": ("code", "label_en", "label_fr", "active")}),
        (_("Which cards"), {"fields": ("establishments", "populations", "card_states")}),
        (_("Server"), {"fields": ("url", "auth_token", "timeout")}),
        (_("Card number"), {"fields": ("card_property", "reversed_csn", "username_rule")}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()
