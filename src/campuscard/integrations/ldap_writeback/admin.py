from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campuscard.core.admin import AuditedAdmin
from campuscard.integrations.connections.forms import ConnectionForm
from campuscard.integrations.ldap_writeback.models import LdapWriteBack


class LdapWriteBackForm(ConnectionForm):
    class Meta:
        model = LdapWriteBack
        fields = "__all__"  # the admin's fieldsets choose what is shown


@admin.register(LdapWriteBack)
class LdapWriteBackAdmin(AuditedAdmin):
    form = LdapWriteBackForm
    list_display = ("label_en", "code", "url", "base_dn", "active")
    list_filter = ("active",)
    filter_horizontal = ("establishments", "populations")
    fieldsets = [
        (None, {"fields": ("code", "label_en", "label_fr", "active")}),
        (_("Which cards"), {"fields": ("establishments", "populations", "card_states")}),
        (_("Server"), {"fields": ("url", "start_tls", "ca_file", "timeout", "bind_dn",
                                  "bind_password_file", "bind_password_env")}),
        (_("Entries and values"), {
            "fields": ("base_dn", "people_filter", "multi_valued", "single_valued"),
            "description": _("Templates are text with placeholders written ${name}: ${csn}, "
                             "${csn_reversed}, ${csn_dec}, ${csn_reversed_dec}, ${eppn}, "
                             "${escn}, ${access_control_id}, ${state}, ${establishment}, "
                             "${ESTABLISHMENT} (upper case), ${enabled_date}, ${due_date} "
                             "(LDAP time, UTC). Braces are plain text: "
                             "{${ESTABLISHMENT}:ACCESS-CONTROL}${access_control_id}.")}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()
