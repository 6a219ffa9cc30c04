"""Numbers a card is given once and keeps: its access-control number.

Door and access-control systems (integrations/exports) know a card by a short number, not by
its chip serial number. One counter serves the whole instance (as ESUP-SGC's sequence does), so
that doors recognising the cards of several establishments never see one number twice. The
counter row is locked for the rest of the transaction that encodes the card, so a rolled-back
encoding gives its number back and two stations encoding at once get two numbers.
"""

from django.db import transaction

from campuscard.cards.models import NumberCounter

ACCESS_CONTROL = "access-control"


def allocate_access_control_id(card):
    """Give `card` the next access-control number, unless it has one.

    Call it inside the transaction that saves the card."""
    if card.access_control_id:
        return card.access_control_id
    with transaction.atomic():
        counter, _created = (NumberCounter.objects.select_for_update()
                             .get_or_create(name=ACCESS_CONTROL))
        counter.last += 1
        counter.save(update_fields=["last"])
    card.access_control_id = str(counter.last)
    return card.access_control_id
