"""A card-like object for the transport tests: what the vpcd bridge lays on the virtual reader
until the software card stands in (it answers the few APDUs the tests send, nothing more)."""

from pathlib import Path

from campuscard.nfc.vpcd import DESFIRE_ATR

UID = bytes.fromhex("04A1B2C3D4E5F6")
GET_VERSION = bytes.fromhex("9060000000")
ADDITIONAL_FRAME = bytes.fromhex("90AF000000")
VERSION_FRAMES = [bytes.fromhex("04010133001A05"), bytes.fromhex("04010103001A05"),
                  bytes.fromhex("04A1B2C3D4E5F6BA54A5F0104920")]
SELECT = bytes.fromhex("00A4040007D276000085010100")
SELECTED = bytes(range(8))
READ_BINARY_LE_0 = bytes.fromhex("00B0000000")
FILE = bytes(range(0x40, 0x50))


class ChainingCard:
    """Answers like a card behind a reader: the UID to FF CA, GetVersion in three `91 AF` frames,
    and the two T=0 habits a transport must absorb (`61 xx` then GET RESPONSE, `6C xx`)."""

    atr = DESFIRE_ATR

    def __init__(self, uid=UID):
        self.uid = uid
        self.frame = None
        self.powered = []

    @classmethod
    def load(cls, path):
        return cls(bytes.fromhex(Path(path).read_text()))

    def power_on(self):
        self.powered.append(True)

    def power_off(self):
        self.powered.append(False)
        self.frame = None

    def process(self, apdu):
        if apdu == bytes.fromhex("FFCA000000"):
            return self.uid + b"\x90\x00"
        if apdu == GET_VERSION:
            self.frame = 0
            return VERSION_FRAMES[0] + b"\x91\xaf"
        if apdu == ADDITIONAL_FRAME and self.frame is not None:
            self.frame += 1
            last = self.frame == len(VERSION_FRAMES) - 1
            return VERSION_FRAMES[self.frame] + (b"\x91\x00" if last else b"\x91\xaf")
        if apdu == SELECT:
            return b"\x61\x08"
        if apdu == bytes.fromhex("00C0000008"):
            return SELECTED + b"\x90\x00"
        if apdu == READ_BINARY_LE_0:
            return b"\x6c\x10"
        if apdu == bytes.fromhex("00B0000010"):
            return FILE + b"\x90\x00"
        if apdu[:4] == bytes.fromhex("80EE0000"):  # echo, for long frames
            return apdu[5:] + b"\x90\x00"
        return b"\x6d\x00"
