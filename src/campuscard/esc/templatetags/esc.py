from django import template

from campuscard.esc.qr import card_verify_url

register = template.Library()


@register.filter
def verify_url(card):
    """What the card's QR code holds: its establishment's verifier prefix and the ESCN."""
    return card_verify_url(card) if card.escn else ""
