"""What the DESFire stack talks through: a reader with a card on it, real (PC/SC) or software.
A transport sends one ISO 7816-4 APDU and returns the answer with its two status bytes."""

from campuscard.nfc.desfire.status import TransportError

GET_UID = bytes.fromhex("FFCA000000")  # PC/SC GET DATA: the card's UID, answered by the reader


class Transport:
    def transmit(self, apdu: bytes) -> bytes:
        """Send one APDU, return `data ‖ SW1 SW2`; raise TransportError if nothing answers."""
        raise NotImplementedError

    def get_uid(self) -> bytes:
        answer = self.transmit(GET_UID)
        if answer[-2:] != b"\x90\x00" or len(answer) < 6:
            raise TransportError(f"GET DATA (UID) answered {answer.hex().upper()}")
        return answer[:-2]

    def close(self):
        """Release the reader; a transport may be used as a context manager."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
