"""The outbox target of one LDAP write-back (one per active LdapWriteBack, `ldap:<code>`)."""

from django.utils.translation import gettext as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.outbox import PermanentError, TransientError
from campuscard.integrations.connections.targets import ConnectionTarget
from campuscard.integrations.ldap_writeback import services
from campuscard.integrations.ldap_writeback.client import DirectoryRefused, DirectoryUnavailable


class LdapWriteBackTarget(ConnectionTarget):
    kind = "ldap"
    events = PUSHED_EVENTS

    def deliver(self, item):
        try:
            return services.sync_card_by_id(self.connection, int(item.object_id))
        except DirectoryUnavailable as exc:
            raise TransientError(_("The directory cannot be reached: %(error)s")
                                 % {"error": exc}) from None
        except DirectoryRefused as exc:
            raise PermanentError(_("The directory refused: %(error)s") % {"error": exc}) from None
