"""The software card on a reader: a Transport whose transmit is the card's process."""

from campuscard.nfc.desfire.status import TransportError
from campuscard.nfc.transport import Transport


class SoftCardTransport(Transport):
    def __init__(self, card):
        self.card = card

    def transmit(self, apdu: bytes) -> bytes:
        if self.card is None:
            raise TransportError("no card on the reader")
        return self.card.process(bytes(apdu))

    def close(self):
        self.card = None
