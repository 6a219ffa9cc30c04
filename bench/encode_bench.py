"""Chip encoding benchmark: the ESUP-SGC and ESC layouts written on fresh software cards, the
APDUs against the minimum the layout needs, and the wall time per card.

    .venv/bin/python bench/encode_bench.py [--cards 50]

For each preset, `--cards` blank software cards (each its own UID and numbers) are encoded:

- direct: plan_chip, then write_chip over a Desfire client on the SoftCardTransport, as a
  reader attached to the server would (the card's own processing included);
- relayed: what the server spends on one card over a whole station session, without HTTP or
  the database: at every step the plan is made again (key files read, keys diversified) and
  relay.run_to_next_apdu replays the program from the start over the answers so far, as
  sessions.take_step does (the plans' share shown apart); the software card's time (the
  station's card) is left out;
- baselines in the same run: the software card's processing alone (its share of direct), and
  the bare ciphers: every AES/TDES call (ECB and CBC, CMACs included) reader and card made
  for one card, recorded, then timed calling `cryptography` directly.

APDUs are counted by the client (Desfire.apdu_count), the minimum is encoding.minimum's
(derived from the layout alone), ESUP's sequence is what esup-nfc-tag-server's writeCard and
its read-back would send for the same layout. Targets (issue 14 item 11): the APDUs at the
minimum, under 1 s a card. Exits with status 1 when one is missed. Figures in
docs/benchmarks.md.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
os.environ.setdefault("CAMPUSCARD_HOME", tempfile.mkdtemp(prefix="campuscard-bench-"))
os.environ.setdefault("CAMPUSCARD_NFC_KEY_DIR", tempfile.mkdtemp(prefix="campuscard-keys-"))

import django

django.setup()

from campuscard.nfc import keys, layouts  # noqa: E402
from campuscard.nfc.desfire import crypto  # noqa: E402
from campuscard.nfc.desfire.client import Desfire  # noqa: E402
from campuscard.nfc.encoding import relay  # noqa: E402
from campuscard.nfc.encoding.minimum import esup_sequence_apdus, minimum_apdus  # noqa: E402
from campuscard.nfc.encoding.plan import plan_chip  # noqa: E402
from campuscard.nfc.encoding.writing import write_chip  # noqa: E402
from campuscard.nfc.presets import PRESETS, preset_declaration  # noqa: E402
from campuscard.nfc.softcard import SoftCard, SoftCardTransport  # noqa: E402

TARGET_SECONDS = 1.0
CIPHERS = ("ecb_encrypt", "ecb_decrypt", "cbc_encrypt", "cbc_decrypt")


class TimedTransport(SoftCardTransport):
    """The software card, its processing time summed."""

    def __init__(self, card):
        super().__init__(card)
        self.seconds = 0.0

    def transmit(self, apdu):
        start = time.perf_counter()
        try:
            return super().transmit(apdu)
        finally:
            self.seconds += time.perf_counter() - start


class Card:
    """One card to encode: its UID and the numbers its files hold."""

    def __init__(self, rng, number):
        self.uid = bytes([0x04]) + rng.randbytes(6)
        self.values = {"access_control_id": str(12345000000000000 + number),
                       "crous_number": str(99990000 + number),
                       "escn": str(uuid.UUID(bytes=rng.randbytes(16), version=1))}
        self.seed = rng.randbytes(32)


def layout_with_keys(preset):
    declaration = preset_declaration(preset, f"bench-{preset}")
    for _path, reference, key_type in layouts.key_entries(declaration):
        if reference.startswith("file:"):
            keys.create_key_file(reference, key_type)
    return declaration


def encode_direct(declaration, card):
    """(seconds, APDUs, card's seconds, files verified)."""
    transport = TimedTransport(SoftCard(uid=card.uid))
    start = time.perf_counter()
    picc = Desfire(transport)
    verified = write_chip(picc, plan_chip(declaration, card.uid, card.values))
    return time.perf_counter() - start, picc.apdu_count, transport.seconds, verified


def encode_relayed(declaration, card):
    """(server seconds, APDUs, files verified, seconds making plans) of a session relayed
    step by step."""
    transport = SoftCardTransport(SoftCard(uid=card.uid))
    answers, server, planning = [], 0.0, 0.0
    while True:
        start = time.perf_counter()
        plan = plan_chip(declaration, card.uid, card.values)
        planned = time.perf_counter()
        apdu, result = relay.run_to_next_apdu(lambda picc, plan=plan: write_chip(picc, plan),
                                              answers, card.seed)
        server += time.perf_counter() - start
        planning += planned - start
        if apdu is None:
            return server, len(answers), result, planning
        answers.append(transport.transmit(apdu))


def recorded_ciphers(declaration, card):
    """Every cipher call (function, arguments) encoding `card` makes, reader and card."""
    calls, originals = [], {name: getattr(crypto, name) for name in CIPHERS}

    def recording(name):
        def call(*args):
            calls.append((originals[name], args))
            return originals[name](*args)
        return call

    for name in CIPHERS:
        setattr(crypto, name, recording(name))
    try:
        encode_direct(declaration, card)
    finally:
        for name, function in originals.items():
            setattr(crypto, name, function)
    return calls


def bare_cipher_seconds(calls):
    start = time.perf_counter()
    for function, args in calls:
        function(*args)
    return time.perf_counter() - start


def measure(preset, count, rng):
    declaration = layout_with_keys(preset)
    cards = [Card(rng, number) for number in range(1, count + 1)]
    direct = [encode_direct(declaration, card) for card in cards]
    relayed = [encode_relayed(declaration, card) for card in cards]
    ciphers = [recorded_ciphers(declaration, card) for card in cards]
    files = sum(len(app["files"]) for app in declaration["applications"])
    assert all(run[3] == files for run in direct) and all(run[2] == files for run in relayed)
    apdus = {run[1] for run in direct} | {run[1] for run in relayed}
    return {"layout": preset, "apdus": apdus, "minimum": minimum_apdus(declaration),
            "esup": esup_sequence_apdus(declaration), "files": files,
            "direct": [run[0] for run in direct], "relayed": [run[0] for run in relayed],
            "planning": [run[3] for run in relayed],
            "card": [run[2] for run in direct],
            "ciphers": statistics.mean(len(calls) for calls in ciphers),
            "bare": [bare_cipher_seconds(calls) for calls in ciphers]}


def ms(values):
    return f"{statistics.mean(values) * 1000:.1f} ({max(values) * 1000:.1f})"


def print_table(results):
    print("| layout   | APDUs | minimum | ESUP's sequence | direct ms/card | relayed ms/card "
          "| of which plans | softcard alone | bare ciphers (calls) |")
    print("|----------|------:|--------:|----------------:|---------------:|----------------:"
          "|---------------:|---------------:|---------------------:|")
    for r in results:
        apdus = "/".join(str(n) for n in sorted(r["apdus"]))
        bare = f"{ms(r['bare'])} ({r['ciphers']:.0f})"
        print(f"| {r['layout']:<8} | {apdus:>5} | {r['minimum']:>7} | {r['esup']:>15} "
              f"| {ms(r['direct']):>14} | {ms(r['relayed']):>15} | {ms(r['planning']):>14} "
              f"| {ms(r['card']):>14} "
              f"| {bare:>20} |")
    print("ms: mean (max) over the cards")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    options = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}; {options.cards} cards a layout")
    rng = random.Random(options.seed)
    results = [measure(preset, options.cards, rng) for preset in PRESETS]
    print_table(results)
    at_minimum = all(r["apdus"] == {r["minimum"]} for r in results)
    fast = all(max(r["direct"] + r["relayed"]) < TARGET_SECONDS for r in results)
    print(f"APDUs at the minimum: {'yes' if at_minimum else 'no'}")
    print(f"< 1 s per card: {'yes' if fast else 'no'}")
    return 0 if at_minimum and fast else 1


if __name__ == "__main__":
    sys.exit(main())
