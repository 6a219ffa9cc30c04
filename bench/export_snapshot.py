"""The snapshot and SFTP parts of export_bench.py (Django is set up by then)."""

import asyncio
import csv
import datetime
import gc
import shutil
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.cards.states import State
from campuscard.institutions.models import Establishment
from campuscard.integrations.exports import services
from campuscard.integrations.exports.models import ExportFile, ExportTarget
from campuscard.integrations.exports.presets import PRESETS
from campuscard.people.models import Person, Population
from tests.integrations.exports.sftp_server import SFTPTestServer, generate_key

BATCH = 5_000
CAP = datetime.date(2099, 12, 31)
USER, PASSWORD = "doors", "bench-sftp-password"


def run(cards):
    call_command("migrate", verbosity=0)
    establishment = Establishment.objects.create(
        name="Université de Rouen Normandie", code="univ-rouen", pic="999859608",
        escn_prefix="066")
    population = Population.objects.create(code="student", name_en="Student",
                                           name_fr="Étudiant")
    tenth = max(cards // 10, 1)
    seed(establishment, population, 0, tenth)
    export = make_export(establishment)
    small_peak = snapshot_peak(export)
    seed(establishment, population, tenth, cards)
    rows = [snapshot_row(export, cards, small_peak, tenth)]
    rows.append(sftp_row(export, cards))
    return rows


def seed(establishment, population, start, end):
    now = timezone.now()
    for first in range(start, end, BATCH):
        numbers = range(first, min(first + BATCH, end))
        people = Person.objects.bulk_create([
            Person(eppn=f"p{n}@univ-rouen.fr", first_name="Élodie", last_name=f"Müller{n}",
                   student_id=f"{21900000 + n}", establishment=establishment,
                   population=population, birth_date=datetime.date(2003, 1, 1) if n % 20
                   else None, rights_end=datetime.date(2027, 8, 31)) for n in numbers])
        Card.objects.bulk_create([
            Card(person=person, establishment=establishment, state=State.ENABLED,
                 state_changed_at=now, requested_at=now, enabled_at=now, encoded_at=now,
                 escn=uuid.uuid4(), csn=f"04{n:012X}", access_control_id=str(n + 1))
            for n, person in zip(numbers, people, strict=True)])


def make_export(establishment):
    folder = Path(tempfile.mkdtemp(prefix="campuscard-bench-doors-"))
    export = ExportTarget.objects.create(
        code="doors", label_en="Doors", preset="p2s",
        format={**PRESETS["p2s"], "mode": "snapshot", "lines_per_file": 0},
        destination={"kind": "folder", "path": str(folder)})
    export.establishments.set([establishment])
    return export


def snapshot_peak(export):
    gc.collect()
    tracemalloc.start()
    services.write_snapshot(export.pk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def snapshot_row(export, cards, small_peak, small_count):
    start = time.perf_counter()
    export_file = services.write_snapshot(export.pk)
    ours = time.perf_counter() - start
    big_peak = snapshot_peak(export)
    with tempfile.TemporaryDirectory() as spare:
        bare_path = Path(spare) / "bare.csv"
        start = time.perf_counter()
        bare_snapshot(bare_path)
        bare = time.perf_counter() - start
        assert bare_path.read_bytes() == export_file.content.read(), "snapshot bytes differ"
    assert export_file.line_count == cards
    memory = (f"peak {small_peak / 2**20:.1f} MiB at {small_count:,} cards, "
              f"{big_peak / 2**20:.1f} MiB at {cards:,}")
    return (f"full snapshot of {cards:,} enabled cards to a P2S file", ours,
            "the bare query + csv.writer to a file", bare, memory)


def bare_snapshot(path):
    """The same columns read with one bare query and written by hand in P2S's format."""
    def day(value):
        value = timezone.localtime(value).date() if isinstance(value, datetime.datetime) \
            else value
        return min(value, CAP).strftime("%Y/%m/%d")

    rows = (Card.objects.filter(establishment__code="univ-rouen", state=State.ENABLED)
            .order_by("person_id", "-state_changed_at", "-id")
            .values_list("person__student_id", "person__last_name", "person__first_name",
                         "access_control_id", "enabled_at", "person__rights_end", "state",
                         "person__birth_date", "state_changed_at", "establishment__name")
            .iterator(chunk_size=2000))
    with path.open("w", encoding="iso-8859-1", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        for sid, last, first, acid, enabled, due, state, birth, changed, name in rows:
            writer.writerow([sid, last, first, acid, day(enabled), day(due),
                             "0" if state == State.ENABLED else "1", day(birth or changed),
                             name])


def sftp_row(export, cards):
    root = Path(tempfile.mkdtemp(prefix="campuscard-bench-sftp-"))
    (root / "in").mkdir()
    key_file = root.parent / f"{root.name}-key"
    generate_key(key_file)
    import asyncssh

    server = SFTPTestServer(root, username=USER, password=PASSWORD,
                            client_key=asyncssh.read_private_key(key_file))
    server.start()
    try:
        password_file = root.parent / f"{root.name}-password"
        password_file.write_text(PASSWORD)
        ExportTarget.objects.filter(pk=export.pk).update(destination={
            "kind": "sftp", "host": "127.0.0.1", "port": server.port, "username": USER,
            "directory": "/in", "host_key": server.public_host_key,
            "password_file": str(password_file)})
        export_file = ExportFile.objects.filter(export=export).latest("pk")
        start = time.perf_counter()
        services.deliver_export_file(export_file.pk)
        ours = time.perf_counter() - start
        assert (root / "in" / export_file.name).read_bytes() == export_file.content.read()
        start = time.perf_counter()
        asyncio.run(bare_put(server, export_file.content.path))
        bare = time.perf_counter() - start
    finally:
        server.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    return (f"that snapshot ({export_file.size / 2**20:.1f} MiB) delivered over SFTP", ours,
            "asyncssh's bare put of the same file", bare, "")


async def bare_put(server, path):
    async with asyncssh_connect(server) as connection, connection.start_sftp_client() as sftp:
        await sftp.put(path, "/in/bare.csv")


def asyncssh_connect(server):
    import asyncssh

    pinned = [asyncssh.import_public_key(server.public_host_key)]
    return asyncssh.connect("127.0.0.1", server.port, username=USER, password=PASSWORD,
                            known_hosts=(pinned, [], []), config=None, agent_path=None,
                            client_keys=[])
