"""The outbox target that keeps the European Student Card router in step with our cards.

Only establishments with an ESC router key take part, and only when CAMPUSCARD_ESC_ROUTER_URL is
set. A card goes to the router when its holder consents to the ESC: ACTIVE while enabled, then
INACTIVE (kept, so that a scan says "not valid") once disabled, destroyed or expired. Withdrawing
the consent deletes the person and their cards there. What is sent is always the card's state at
delivery time, and nothing is sent that the router already has from us.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.cards.states import PUSHED_EVENTS
from campuscard.core.outbox import PermanentError, Target, TransientError
from campuscard.integrations.esc_router import services
from campuscard.integrations.esc_router.client import (
    AccessDenied,
    BadRequest,
    RouterError,
    Unauthorized,
    Unavailable,
)

PERSON_UPDATED = "person.updated"
CONSENT_CHANGED = "person.consent_changed"
ESC_WITHDRAWN = "person.esc_withdrawn"


class EscRouterTarget(Target):
    name = services.TARGET
    label = gettext_lazy("European Student Card router")
    events = PUSHED_EVENTS | {PERSON_UPDATED, CONSENT_CHANGED, ESC_WITHDRAWN,
                              services.PUSH_AGAIN}

    def wants(self, event, payload):
        if event not in self.events or not services.pushing_establishment(payload.get("pic")):
            return False
        if event in PUSHED_EVENTS:
            return bool(payload.get("esc_consent")) or services.card_was_sent(payload["card_id"])
        if event == PERSON_UPDATED:
            return services.person_was_sent(payload["person_id"])
        if event == CONSENT_CHANGED:  # given: the card they already hold joins the router
            return payload.get("consent") == "esc" and bool(payload.get("given"))
        return True

    def deliver(self, item):
        try:
            self._send(item)
        except Unavailable as exc:
            raise TransientError(exc.message) from exc
        except Unauthorized as exc:
            raise PermanentError(_("The ESC router does not accept the establishment's API key; "
                                   "check it in the establishment's settings. (%(error)s)")
                                 % {"error": exc.message}) from exc
        except AccessDenied as exc:
            raise PermanentError(_("The ESC router says this establishment's key may not touch "
                                   "this person or card. (%(error)s)")
                                 % {"error": exc.message}) from exc
        except BadRequest as exc:
            raise PermanentError(_("The ESC router rejected what was sent. (%(error)s)")
                                 % {"error": exc.message}) from exc
        except RouterError as exc:
            raise PermanentError(_("Unexpected answer from the ESC router. (%(error)s)")
                                 % {"error": exc.message}) from exc

    def _send(self, item):
        payload = item.payload
        if item.operation == ESC_WITHDRAWN:
            services.forget_person(int(item.object_id), payload.get("pic"),
                                   payload.get("escns", []))
        elif item.object_type == "person":
            services.sync_person_cards(int(item.object_id))
        else:
            services.sync_card_by_id(int(item.object_id),
                                     force=item.operation == services.PUSH_AGAIN)
