"""Running a chip program one APDU at a time, for a station that relays them (as ESUP's
esup-nfc-tag-server does with its desktop and Android clients).

The server keeps no program in memory between two requests: each step runs the program again
from the start over the answers the chip gave so far (`Replay`), with the same random source,
so it sends the same APDUs and reaches the first one not answered yet. Any web worker can thus
take the next step of any session, and a restart loses nothing. Replaying costs the software
crypto of the earlier steps (bench/encode_bench.py measures it), never an extra APDU.
"""

import hashlib
import hmac

from campuscard.nfc.desfire.client import Desfire
from campuscard.nfc.transport import Transport


class AnswerNeeded(Exception):
    """The program sent an APDU the chip has not answered yet."""

    def __init__(self, apdu):
        super().__init__(apdu.hex())
        self.apdu = apdu


class Replay(Transport):
    """A transport that answers from the chip's recorded answers, in order."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.sent = 0

    def transmit(self, apdu):
        if self.sent == len(self.answers):
            raise AnswerNeeded(apdu)
        answer = self.answers[self.sent]
        self.sent += 1
        return answer


class SeededRandom:
    """The reader's challenges (RndA) from a secret seed: HMAC-SHA256 in counter mode, so a
    replay draws the same bytes and nobody without the seed can foresee them."""

    def __init__(self, seed):
        self.seed = seed
        self.counter = 0

    def __call__(self, size):
        out = b""
        while len(out) < size:
            self.counter += 1
            out += hmac.new(self.seed, self.counter.to_bytes(8, "big"), hashlib.sha256).digest()
        return out[:size]


def run_to_next_apdu(program, answers, seed):
    """Run `program(picc)` over the recorded `answers`: (None, result) once it finished,
    (apdu, None) when it waits for the chip. A DesfireError or the program's own errors
    propagate."""
    picc = Desfire(Replay(answers), random_bytes=SeededRandom(seed))
    try:
        return None, program(picc)
    except AnswerNeeded as waiting:
        return waiting.apdu, None
