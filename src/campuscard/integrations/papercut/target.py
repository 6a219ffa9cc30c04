"""The outbox target of one PaperCut server (one per active PapercutServer, `papercut:<code>`)."""

from django.utils.translation import gettext as _

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.outbox import PermanentError, TransientError
from campuscard.integrations.connections.targets import ConnectionTarget
from campuscard.integrations.papercut import services
from campuscard.integrations.papercut.client import PapercutRefused, PapercutUnavailable


class PapercutTarget(ConnectionTarget):
    kind = "papercut"
    events = PUSHED_EVENTS

    def deliver(self, item):
        try:
            return services.sync_card_by_id(self.connection, int(item.object_id))
        except PapercutUnavailable as exc:
            raise TransientError(_("PaperCut cannot be reached: %(error)s")
                                 % {"error": exc}) from None
        except PapercutRefused as exc:
            raise PermanentError(str(exc)) from None
