"""A software MIFARE DESFire EV2 card (the EV2 subset CampusCard uses), reachable through the
same Transport interface as a reader."""

from campuscard.nfc.softcard.card import SoftCard
from campuscard.nfc.softcard.transport import SoftCardTransport

__all__ = ["SoftCard", "SoftCardTransport"]
