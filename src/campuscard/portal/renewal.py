"""Renewal rules a card office needs: free or paid per population, and a reason, always."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campuscard.cards import services as card_services
from campuscard.portal.services import stored_photo


def renewal_fee(person):
    """The fee the holder pays when collecting a new card; None when renewal is free."""
    population = person.population
    if population.free_renewal or not population.renewal_fee:
        return None
    return population.renewal_fee


def request_renewal(card, actor, *, reason, fee_accepted, photo=None):
    """Ask for a new card to replace `card`, which keeps working until the new one is enabled.

    `photo`: a new final JPEG (see services.process_photo), or None to keep the card's.
    The new card is delivered like the one it replaces."""
    fee = renewal_fee(card.person)
    if fee is not None and not fee_accepted:
        raise ValidationError(
            _("A new card costs %(fee)s €: accept the fee to request it.") % {"fee": fee},
            code="fee",
        )
    with stored_photo(card.establishment, photo) as stored:
        return card_services.renew_card(
            card, actor, reason=reason, photo=stored, fee_due=fee,
            delivery_mode=card.delivery_mode, postal_address=card.postal_address,
            rules_accepted_at=card.rules_accepted_at,
        )
