from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LdapWriteBackConfig(AppConfig):
    name = "campuscard.integrations.ldap_writeback"
    label = "ldap_writeback"
    verbose_name = _("LDAP write-back")

    def ready(self):
        from campuscard.integrations.connections.targets import provide
        from campuscard.integrations.ldap_writeback.models import LdapWriteBack
        from campuscard.integrations.ldap_writeback.target import LdapWriteBackTarget

        provide(LdapWriteBack, LdapWriteBackTarget)
