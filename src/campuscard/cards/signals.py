"""The card lifecycle's signal, for the apps built on it (printing freezes what a card shows
when it is printed) without cards/ importing them."""

from django.dispatch import Signal

# Sent by services.change_state inside the transaction of a state change, once the card is
# saved, audited and queued in the outbox, with `card`, `transition` (states.Transition) and
# `actor`: what a receiver writes commits or rolls back with the change.
state_changed = Signal()
