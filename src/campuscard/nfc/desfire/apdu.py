"""ISO 7816-4 wrapping of native DESFire commands and `91 AF` chaining, both ways.

A command goes out as `90 INS 00 00 [Lc data] 00` and comes back as `data 91 ST`. A command
longer than one frame is split into `90 AF` frames of at most MAX_FRAME_DATA bytes; an answer
ending in `91 AF` is gathered by sending `90 AF 00 00 00` until the last frame.
"""

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.codes import Ins

CLA = 0x90
SW1 = 0x91
MAX_FRAME_DATA = 55  # the card's frame is about 64 bytes; keep room for the wrapping


def wrap(ins, data=b""):
    if len(data) > 255:
        raise ValueError("a short APDU carries at most 255 bytes")
    body = bytes([len(data)]) + data if data else b""
    return bytes([CLA, ins, 0, 0]) + body + b"\x00"


def unwrap(answer):
    """`(data, native status)` of a wrapped answer."""
    if len(answer) < 2 or answer[-2] != SW1:
        raise status.TransportError(f"not a DESFire answer: {answer.hex().upper()}")
    return answer[:-2], answer[-1]


def split_frames(data, first=None):
    """The frames of a chained command: the first `first` bytes (default: as many as fit),
    then MAX_FRAME_DATA at a time."""
    first = MAX_FRAME_DATA if first is None else first
    frames = [data[:first]]
    for start in range(first, len(data), MAX_FRAME_DATA):
        frames.append(data[start:start + MAX_FRAME_DATA])
    return frames


class Link:
    """One transport seen as native DESFire exchanges; counts the APDUs it sends."""

    def __init__(self, transport):
        self.transport = transport
        self.apdu_count = 0

    def exchange(self, ins, data=b""):
        """One frame out, one frame back: `(data, status)`, status AF included."""
        self.apdu_count += 1
        return unwrap(self.transport.transmit(wrap(ins, data)))

    def command(self, ins, data=b"", first_frame=None):
        """A whole command, chained both ways; raises the exception of a failure status."""
        frames = split_frames(data, first_frame)
        answer, st = self.exchange(ins, frames[0])
        for frame in frames[1:]:
            if st != status.ADDITIONAL_FRAME:
                self._check(ins, st)
                raise status.ResponseError(f"{ins:02X}: the card ended the command early")
            answer, st = self.exchange(Ins.ADDITIONAL_FRAME, frame)
        gathered = answer
        while st == status.ADDITIONAL_FRAME:
            answer, st = self.exchange(Ins.ADDITIONAL_FRAME)
            gathered += answer
        self._check(ins, st)
        return gathered, st

    @staticmethod
    def _check(ins, st):
        status.raise_for_status(st, f"command {ins:02X}")
