"""Numbers a card is given once and keeps: its access-control number.

Door and access-control systems (integrations/exports) know a card by a short number, not by
its chip serial number. Each establishment counts its own, from 1, with no gaps: the counter
row is locked for the rest of the transaction that encodes the card, so a rolled-back encoding
gives its number back and two stations encoding at once get two numbers.
"""

from django.db import transaction

from campuscard.institutions.models import Establishment


def allocate_access_control_id(card):
    """Give `card` the next access-control number of its establishment, unless it has one.

    Call it inside the transaction that saves the card."""
    if card.access_control_id:
        return card.access_control_id
    with transaction.atomic():
        counter = (Establishment.objects.select_for_update()
                   .values_list("last_access_control_number", flat=True)
                   .get(pk=card.establishment_id))
        number = counter + 1
        Establishment.objects.filter(pk=card.establishment_id).update(
            last_access_control_number=number)
    card.access_control_id = str(number)
    return card.access_control_id
