"""Lost cards reaching CROUS and the ESC router: students declare N cards lost at a steady rate;
how long from the click until both the CROUS emulator and the router hold the opposition, against
the bare time of the two HTTP calls made directly. Then the same with 30 % of CROUS requests
failing and CROUS down for a while: every opposition arrives, none twice in effect.

    .venv/bin/python bench/opposition_bench.py [--cards 1000] [--rate 10] [--workers 4]
                                               [--down 60] [--failure-rate 0.3]

PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/campuscard_bench_opp,
dropped and created again). On this machine: the router (our `router` app) served by CampusCard
under gunicorn (2 workers), as in esc_fault_bench.py; the CROUS emulator (`campuscard
crous-emulator`, its own SQLite file); `campuscard worker` subprocesses delivering the outbox.
The click is `cards.services.disable(card, <the student>, LOST)`, the function the portal's block
view calls once its form is valid (the view adds a request and a redirect, not measured here).
"Recorded" is the outbox row's done_at: the worker got the receiver's 2xx, so the receiver had
committed it. Prints a table for docs/benchmarks.md; exits 1 if an opposition is missing or was
applied twice.
"""

import argparse
import datetime
import os
import secrets
import statistics
import subprocess
import sys
import time

from harness import free_port, use_database, wait_until_listening

DATABASE_URL = use_database("postgres://postgres@127.0.0.1:5432/campuscard_bench_opp", fresh=True)
ROUTER_PORT, CROUS_PORT = free_port(), free_port()
ROUTER_URL, CROUS_URL = f"http://127.0.0.1:{ROUTER_PORT}", f"http://127.0.0.1:{CROUS_PORT}"
CLIENT_ID, CLIENT_SECRET = "campuscard-bench", secrets.token_urlsafe(24)
# This process enqueues (the targets decide then whether they want a row): same settings as the
# workers, given as environment before Django reads it.
SHARED = {
    "CAMPUSCARD_TARGETS": "campuscard.integrations.esc_router.target.EscRouterTarget,"
                          "campuscard.integrations.crous.target.CrousTarget",
    "CAMPUSCARD_ESC_ROUTER_URL": f"{ROUTER_URL}/esc-rest", "CAMPUSCARD_CROUS_URL": CROUS_URL,
    "CAMPUSCARD_CROUS_TOKEN_URL": f"{CROUS_URL}/api/oauth/token",
    "CAMPUSCARD_CROUS_CLIENT_ID": CLIENT_ID, "CAMPUSCARD_CROUS_TIMEOUT": "5",
    "CAMPUSCARD_CROUS_IDENTIFIER": "eppn", "CAMPUSCARD_VERIFY_RATE_PER_MINUTE": "0",
    "CAMPUSCARD_OUTBOX_BACKOFF_BASE": "1", "CAMPUSCARD_OUTBOX_BACKOFF_CAP": "30",
    "CAMPUSCARD_OUTBOX_MAX_ATTEMPTS": "1000", "CAMPUSCARD_LOG_LEVEL": "ERROR",
}
os.environ.update(SHARED)
os.environ["CAMPUSCARD_CROUS_CLIENT_SECRET"] = CLIENT_SECRET

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from campuscard.cards import services as card_services  # noqa: E402
from campuscard.cards.models import Card  # noqa: E402
from campuscard.cards.states import DisableReason, State  # noqa: E402
from campuscard.core import processes  # noqa: E402
from campuscard.core.actors import Actor  # noqa: E402
from campuscard.core.models import OutboxItem  # noqa: E402
from campuscard.esc.escn import generate_escns  # noqa: E402
from campuscard.esc.esi import esi_for  # noqa: E402
from campuscard.institutions.models import Establishment  # noqa: E402
from campuscard.integrations.crous.client import CrousClient  # noqa: E402
from campuscard.integrations.crous.models import (  # noqa: E402
    CrousAccount,
    CrousEstablishment,
    CrousSmartCard,
)
from campuscard.integrations.esc_router.client import EscRouterClient  # noqa: E402
from campuscard.integrations.esc_router.services import card_update_for  # noqa: E402
from campuscard.people.models import Person, Population  # noqa: E402
from campuscard.router.keys import issue_key  # noqa: E402
from campuscard.router.models import RouterCard  # noqa: E402

OPEN = [OutboxItem.Status.PENDING, OutboxItem.Status.IN_FLIGHT]
TARGETS = ("crous", "esc_router")
OPPOSITION = "card.disabled"


# --- the servers and workers -------------------------------------------------------------------

def child_environment():
    secret_file = settings.HOME / "crous-bench-secret"
    secret_file.write_text(CLIENT_SECRET)
    secret_file.chmod(0o600)
    env = processes.child_env(DATABASE_URL=DATABASE_URL, **SHARED,
                              CAMPUSCARD_CROUS_CLIENT_SECRET_FILE=str(secret_file))
    env.pop("CAMPUSCARD_CROUS_CLIENT_SECRET", None)
    return env


def start_servers(env):
    router = subprocess.Popen(processes.gunicorn_command(ROUTER_PORT, workers=2), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    crous = subprocess.Popen(
        [sys.executable, "-m", "campuscard.cli", "crous-emulator", "--port", str(CROUS_PORT),
         "--client", f"{CLIENT_ID}:{CLIENT_SECRET}",
         "--db", str(settings.HOME / "crous-emulator.sqlite3")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_listening(ROUTER_PORT, router, "the router")
    wait_until_listening(CROUS_PORT, crous, "the CROUS emulator")
    return [router, crous]


def start_workers(count, interval, env):
    return [subprocess.Popen([*processes.worker_command(), "--interval", str(interval)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def stop(children):
    for child in children:
        child.terminate()
    for child in children:
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()


def set_faults(**faults):
    httpx.post(f"{CROUS_URL}/_emulator/faults", json=faults, timeout=10).raise_for_status()


def emulator_state():
    return httpx.get(f"{CROUS_URL}/_emulator/state", timeout=60).json()


# --- the data ----------------------------------------------------------------------------------

def make_establishment():
    establishment = Establishment.objects.create(name="Université A", code="univ-a",
                                                 pic="999859608", escn_prefix="066",
                                                 uai="0761904G")
    Establishment.objects.filter(pk=establishment.pk).update(
        esc_router_key=issue_key(establishment.pic, "bench", establishment.name))
    CrousEstablishment.objects.create(establishment=establishment, crous_number="22",
                                      id_transmitter=0x761, id_mapping=1, pix_ss="0001",
                                      pix_nn="0001", appl="0106")
    return Establishment.objects.get(pk=establishment.pk)


def make_students_with_encoded_cards(establishment, count):
    """`count` students consenting to CROUS and the ESC, each with a login and an encoded card
    (bulk: the set-up is not timed)."""
    population = Population.objects.get_or_create(
        code="student", defaults={"name_en": "Student", "name_fr": "Étudiant"})[0]
    users = [get_user_model()(username=f"s{i}") for i in range(count)]
    for user in users:
        user.set_unusable_password()
    users = get_user_model().objects.bulk_create(users)
    rights_end = timezone.localdate() + datetime.timedelta(days=300)
    people = Person.objects.bulk_create([
        Person(eppn=f"s{i}@univ-a.example.org", first_name="Ana", last_name=f"Student{i}",
               email=f"s{i}@example.org", establishment=establishment, population=population,
               rights_end=rights_end, esc_consent=True, crous_consent=True, user=user)
        for i, user in enumerate(users)])
    for person in people:
        person.esi = esi_for(person)
    Person.objects.bulk_update(people, ["esi"], batch_size=2000)
    now = timezone.now()
    escns = generate_escns(establishment.escn_prefix, establishment.pic, count)
    Card.objects.bulk_create([
        Card(person=person, establishment=establishment, state=State.ENCODED,
             state_changed_at=now, requested_at=now, encoded_at=now, escn=escn,
             csn=f"04{i:012X}")
        for i, (person, escn) in enumerate(zip(people, escns, strict=True))])


def cards_in(state):
    return list(Card.objects.filter(state=state).select_related(
        "person", "person__user", "establishment").order_by("pk"))


def enable_all():
    system = Actor.system()
    for card in cards_in(State.ENCODED):
        card_services.change_state(card, State.ENABLED, system)


def wait_drained(seconds):
    """Seconds until no row is open (None when some still are after `seconds`)."""
    started = time.monotonic()
    while OutboxItem.objects.filter(status__in=OPEN).exists():
        if time.monotonic() - started > seconds:
            return None
        time.sleep(0.2)
    return time.monotonic() - started


# --- measuring ---------------------------------------------------------------------------------

def bare_calls(cards):
    """Seconds of the two HTTP calls an opposition needs, made directly, one card after the
    other (the CROUS token fetched beforehand, as the workers keep theirs)."""
    key = cards[0].establishment.esc_router_key
    times = []
    with CrousClient(CROUS_URL, token_url=f"{CROUS_URL}/api/oauth/token", client_id=CLIENT_ID,
                     client_secret=CLIENT_SECRET, timeout=5) as crous, \
            EscRouterClient(f"{ROUTER_URL}/esc-rest", key, timeout=10) as router:
        accounts = dict(CrousAccount.objects.values_list("person_id", "identifier"))
        records = {r.card_id: r for r in CrousSmartCard.objects.filter(card__in=cards)}
        crous.get_right_holder(accounts[cards[0].person_id])  # the token
        for card in cards:
            record = records[card.pk]
            update = card_update_for(card, card.person.esi, "INACTIVE")
            started = time.perf_counter()
            crous.oppose_smartcard(accounts[card.person_id], record.id_zdc, record.uid, "DP")
            router.update_card(str(card.escn), update)
            times.append(time.perf_counter() - started)
    return times


def declare_lost(cards, rate):
    """Each student declares their card lost, `rate` a second; {card id: moment of the click}."""
    clicks = {}
    started = time.monotonic()
    for i, card in enumerate(cards):
        wait = started + i / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        clicks[card.pk] = timezone.now()
        card_services.disable(card, Actor(user=card.person.user, ip="127.0.0.1"),
                              DisableReason.LOST)
    return clicks


def latencies(clicks):
    """(seconds from click to both recorded, for the cards both recorded; cards missing one)."""
    done = {}
    for target, object_id, done_at in OutboxItem.objects.filter(
            operation=OPPOSITION, status=OutboxItem.Status.DONE,
            object_id__in=[str(pk) for pk in clicks]).values_list(
            "target", "object_id", "done_at"):
        done.setdefault(int(object_id), {})[target] = done_at
    times = [(max(done[pk].values()) - clicked).total_seconds()
             for pk, clicked in clicks.items() if set(done.get(pk, {})) == set(TARGETS)]
    return times, len(clicks) - len(times)


def oppositions_held(cards, state):
    """(cards not opposed with DP at CROUS or not INACTIVE at the router, cards opposed more
    than once at CROUS)."""
    by_uid = {c["uid"]: c for c in state["smartcards"]}
    uids = dict(CrousSmartCard.objects.filter(card__in=cards).values_list("card_id", "uid"))
    inactive = set(RouterCard.objects.filter(status="INACTIVE").values_list("escn", flat=True))
    wrong = twice = 0
    for card in cards:
        smartcard = by_uid.get(uids.get(card.pk), {})
        if smartcard.get("reason") != "DP" or str(card.escn).lower() not in inactive:
            wrong += 1
        if smartcard.get("oppositions", 0) > 1:
            twice += 1
    return wrong, twice


def percentile(times, share):
    return statistics.quantiles(times, n=100)[int(share * 100) - 1] if len(times) > 1 else \
        (times[0] if times else float("nan"))


def run_phase(name, cards, args, during=None):
    started = time.monotonic()
    if during:
        during()
    clicks = declare_lost(cards, args.rate)
    last_click = time.monotonic()
    drained = wait_drained(args.timeout)
    finished = time.monotonic()
    times, missing = latencies(clicks)
    wrong, twice = oppositions_held(cards, emulator_state())
    failed = OutboxItem.objects.filter(status=OutboxItem.Status.FAILED).count()
    return {"name": name, "count": len(cards), "times": times, "missing": missing + wrong,
            "twice": twice, "failed": failed, "clicking": last_click - started,
            "drain": None if drained is None else finished - last_click}


# --- the run -----------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000, help="cards declared lost per phase")
    parser.add_argument("--rate", type=float, default=10, help="clicks a second")
    parser.add_argument("--workers", type=int, default=4, help="`campuscard worker` processes")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="worker's idle wait (its default: 1 s)")
    parser.add_argument("--baseline", type=int, default=100, help="cards for the bare calls")
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--down", type=float, default=60, help="seconds CROUS is down")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait a drain")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    env = child_environment()
    children = start_servers(env)
    try:
        children += start_workers(args.workers, args.interval, env)
        report(run(args), args)
    finally:
        stop(children)


def run(args):
    establishment = make_establishment()
    make_students_with_encoded_cards(establishment, 2 * args.cards + args.baseline)
    started = time.monotonic()
    enable_all()
    setup = wait_drained(args.timeout)
    if setup is None or OutboxItem.objects.filter(status=OutboxItem.Status.FAILED).exists():
        raise SystemExit("the set-up pushes did not all go through")
    print(f"set-up: {2 * args.cards + args.baseline:,} cards enabled and registered at CROUS "
          f"and the router in {time.monotonic() - started:.0f} s", flush=True)
    enabled = cards_in(State.ENABLED)
    baseline, clean, faulty = (enabled[:args.baseline],
                               enabled[args.baseline:args.baseline + args.cards],
                               enabled[args.baseline + args.cards:])
    bare = bare_calls(baseline)
    phases = [run_phase("no faults", clean, args)]
    before = emulator_state()["counts"]

    def faults():
        set_faults(failure_rate=args.failure_rate)
        set_faults(down_seconds=args.down)

    phases.append(run_phase(f"CROUS: {args.failure_rate:.0%} failing, down {args.down:g} s",
                            faulty, args, during=faults))
    set_faults(failure_rate=0)
    after = emulator_state()["counts"]
    phases[-1]["patches"] = after.get("patch_smartcard", 0) - before.get("patch_smartcard", 0)
    return bare, phases


def report(result, args):
    bare, phases = result
    print(f"\nPostgreSQL; router: our `router` app under gunicorn (2 workers); CROUS emulator; "
          f"{args.workers} `campuscard worker` (idle wait {args.interval:g} s, backoff 1 s "
          f"doubling up to 30 s); clicks at {args.rate:g}/s through cards.services.disable")
    print(f"bare calls (CROUS PATCH + router PUT, made directly, {len(bare)} cards): "
          f"p50 {percentile(bare, .5) * 1000:.0f} ms, p95 {percentile(bare, .95) * 1000:.0f} ms")
    print("| scenario | oppositions | click → both recorded p50 | p95 | max | drain after "
          "the last click | missing | twice in effect | failed rows |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase in phases:
        times = phase["times"]
        drain = "not drained" if phase["drain"] is None else f"{phase['drain']:.1f} s"
        print(f"| {phase['name']} | {phase['count']:,} | {percentile(times, .5):.2f} s | "
              f"{percentile(times, .95):.2f} s | {max(times, default=float('nan')):.2f} s | "
              f"{drain} | {phase['missing']} | {phase['twice']} | {phase['failed']} |")
    if "patches" in phases[-1]:
        print(f"CROUS opposition requests in the faulty phase: {phases[-1]['patches']:,} for "
              f"{phases[-1]['count']:,} cards (refused ones included)")
    if any(p["missing"] or p["twice"] or p["failed"] for p in phases):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
