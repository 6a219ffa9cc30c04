"""The outbox target that keeps CROUS / Izly in step with our cards.

On only when the CROUS API is configured (CAMPUSCARD_CROUS_URL, …_TOKEN_URL, …_CLIENT_ID,
…_CLIENT_SECRET) and the card's establishment has CROUS settings that send; then for the holders
who consent to CROUS / Izly. Withdrawing the consent stops what follows (nothing is deleted at
CROUS: CROUS owns the account), except the opposition of a smartcard CROUS holds from us, which
only stops payments. What is sent is the card's state at delivery time (services.py).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.outbox import PermanentError, Target, TransientError
from campuscard.integrations.crous import services
from campuscard.integrations.crous.client import BadAnswer, CrousError, Unauthorized, Unavailable
from campuscard.integrations.crous.models import CrousSmartCard

CARD_ENCODED = "card.encoded"
PERSON_UPDATED = "person.updated"
CONSENT_CHANGED = "person.consent_changed"


class CrousTarget(Target):
    name = services.TARGET
    label = gettext_lazy("CROUS / Izly")
    events = PUSHED_EVENTS | {CARD_ENCODED, PERSON_UPDATED, CONSENT_CHANGED,
                              services.PUSH_AGAIN, services.REOPEN}

    def wants(self, event, payload):
        if event not in self.events:
            return False
        if not services.pushing_establishment_code(payload.get("establishment")):
            return False
        if event == CARD_ENCODED:  # the smartcard record is numbered, nothing is sent
            return True
        if event in PUSHED_EVENTS:
            if payload.get("crous_consent"):
                return True
            # Without consent, only the end of a card CROUS holds from us (it stops payments).
            return (payload.get("state") in services.OPPOSED_STATES
                    and CrousSmartCard.objects.filter(card_id=payload["card_id"],
                                                      registered_at__isnull=False).exists())
        if event == PERSON_UPDATED:
            return (bool(payload.get("crous_consent"))
                    and services.account_of(payload["person_id"]) is not None)
        if event == CONSENT_CHANGED:
            return payload.get("consent") == "crous" and bool(payload.get("given"))
        return True

    def deliver(self, item):
        try:
            self._send(item)
        except (Unavailable, BadAnswer) as exc:
            raise TransientError(exc.message) from exc
        except Unauthorized as exc:
            raise PermanentError(_("CROUS does not accept CampusCard's client credentials; "
                                   "check CAMPUSCARD_CROUS_CLIENT_ID and its secret. "
                                   "(%(error)s)") % {"error": exc.message}) from exc
        except CrousError as exc:
            raise services.refusal(exc) from exc

    @staticmethod
    def _send(item):
        if item.operation == CARD_ENCODED:
            services.number_card_by_id(int(item.object_id))
        elif item.operation == services.REOPEN:
            services.reopen_by_id(int(item.object_id))
        elif item.object_type == "person":
            services.sync_person_by_id(int(item.object_id))
        else:
            services.sync_card_by_id(int(item.object_id),
                                     force=item.operation == services.PUSH_AGAIN)
