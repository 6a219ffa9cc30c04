"""Setting a card's number on its holder's PaperCut user, from the card as it is at delivery
time: enabled → the number is set; any other state → it is cleared, but only while it is
still this card's (a newer card of the same person keeps its number)."""

import logging

from django.utils.translation import gettext as _

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.integrations.connections.cardvalues import reversed_csn
from campuscard.integrations.papercut.client import PapercutClient

logger = logging.getLogger("campuscard.papercut")


def card_number(server, card):
    csn = (card.csn or "").upper()
    return reversed_csn(csn) if server.reversed_csn else csn


def client_for(server):
    return PapercutClient(server.url, server.auth_token, timeout=server.timeout)


def sync_card_by_id(server, card_id):
    """Returns a note when nothing was changed on purpose, else None."""
    card = Card.objects.select_related("person").filter(pk=card_id).first()
    if card is None:
        return _("The card no longer exists: nothing to send.")
    username = server.username_of(card.person.eppn)
    if username is None:
        return _("The eppn %(eppn)s does not match the username rule: nothing sent.") % {
            "eppn": card.person.eppn}
    number = card_number(server, card)
    if not number:
        return _("The card has no chip serial number yet: nothing sent.")
    client = client_for(server)
    if not client.user_exists(username):
        logger.info("papercut %s: no user %s (card %s)", server.code, username, card.pk)
        return _("PaperCut has no user %(username)s: nothing sent.") % {"username": username}
    if card.state == State.ENABLED:
        client.set_property(username, server.card_property, number)
        return None
    held = client.get_property(username, server.card_property)
    if held.upper() != number.upper():
        return _("PaperCut holds another number for %(username)s (another card's): kept.") % {
            "username": username} if held else None
    client.set_property(username, server.card_property, "")
    return None
