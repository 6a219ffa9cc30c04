"""The card's chip: a DESFire EV1/EV2 protocol stack, a software card, PC/SC readers, card
layouts and the encoding flow (docs/nfc.md)."""
