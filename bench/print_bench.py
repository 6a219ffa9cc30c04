"""Card printing benchmark: a batch PDF and the PNG panels of 1,000 cards with photos and QR
codes, beside the bare WeasyPrint render of the same HTML in the same run.

    .venv/bin/python bench/print_bench.py [--cards 1000] [--workers N]

Seeds a fresh PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/campuscard_bench_print) with `--cards` cards IN_PRINT, each
with its own photo (a generated photo-like 600x800 JPEG, quality 90) and ESCN (so a QR code),
on the default template. Then, each step in a fresh process:

1. baseline: for each card, the HTML `rendering.card_html` makes (built off the clock), given
   to `weasyprint.HTML(string=…).write_pdf()` directly, one card after the other, one core;
2. `printing.batch.render_batch_pdf` of all the cards to a file, workers from
   CAMPUSCARD_PRINT_WORKERS (or `--workers`), reading the cards from the database;
3. `printing.batch.render_batch_panels` of all the cards, each card's panels written to a zip;
2' and 3' the same for a tenth of the cards: the peak memory of a worker should not change.

Peak memory is the resident high-water mark (VmHWM) of the step's own process and of its
largest worker (read from /proc every 0.1 s), not Python's allocations alone; CPU is user +
system of the step and its workers. Target: the batch PDF and the panels at 30 cards/s or
more each. Exits with status 1 when either is missed.
Figures go to docs/benchmarks.md.
"""

import argparse
import datetime
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/campuscard_bench_print"
TARGET = 30  # cards a second, the batch PDF and the panels
PHOTO_SIZE = (600, 800)


def main():
    options = parse_args()
    if options.step:
        return run_step(options)
    from bench.harness import use_database

    use_database(DEFAULT_DATABASE, fresh=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    photo_bytes = seed(options.cards)
    print(f"seeded {options.cards:,} cards in {time.perf_counter() - started:.1f} s; photos "
          f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG, {photo_bytes / options.cards / 1024:.0f} KiB "
          f"on average; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    tenth = max(1, options.cards // 10)
    steps = [("baseline", options.cards), ("pdf", tenth), ("pdf", options.cards),
             ("panels", tenth), ("panels", options.cards)]
    results = [step_in_child(step, count, options.workers) for step, count in steps]
    print_table(results)
    whole = [r for r in results if r["step"] != "baseline" and r["cards"] == options.cards]
    return 0 if all(r["cards"] / r["seconds"] >= TARGET for r in whole) else 1


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None,
                        help="batch worker processes (default: CAMPUSCARD_PRINT_WORKERS)")
    parser.add_argument("--step", choices=("baseline", "pdf", "panels"), help=argparse.SUPPRESS)
    return parser.parse_args()


def seed(count):
    """`count` people with one IN_PRINT card each, its own photo and ESCN."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from campuscard.cards.models import Card
    from campuscard.esc.escn import generate_escns
    from campuscard.institutions.models import Establishment
    from campuscard.people.models import Person, Population
    from campuscard.printing.defaults import ensure_default_template

    ensure_default_template()
    establishment = Establishment.objects.create(
        name="Université de Rouen Normandie", code="univ-rouen", pic="999859608",
        uai="0761904G", escn_prefix="066")
    population, _ = Population.objects.get_or_create(
        code="student", defaults={"name_en": "Student", "name_fr": "Étudiant"})
    rng = random.Random(13)
    names = ["Müller", "Dupont", "Lefèvre", "Nguyen", "Da Silva", "Benoît", "Martin",
             "de La Tour d'Auvergne-Lauraguais"]
    first = ["Élodie", "Jean-Noël", "Zoë", "Hugo", "Inès", "Maël", "Léa", "Noah"]
    people = Person.objects.bulk_create(Person(
        eppn=f"p{i}@univ-rouen.fr", first_name=rng.choice(first), last_name=rng.choice(names),
        establishment=establishment, population=population, student_id=f"{21900000 + i}",
        birth_date=datetime.date(1995, 1, 1) + datetime.timedelta(rng.randrange(4000)),
        rights_end=datetime.date(2027, 8, 31)) for i in range(count))
    now = timezone.now()
    escns = generate_escns(establishment.escn_prefix, establishment.pic, count)
    cards, total = [], 0
    for i, (person, escn) in enumerate(zip(people, escns, strict=True)):
        photo = photo_like_jpeg(rng, i)
        total += len(photo)
        path = default_storage.save(f"photos/{establishment.pk}/bench-{i}.jpg",
                                    ContentFile(photo))
        cards.append(Card(person=person, establishment=establishment, state="IN_PRINT",
                          state_changed_at=now, requested_at=now, escn=escn, photo=path))
    Card.objects.bulk_create(cards)
    return total


def photo_like_jpeg(rng, number):
    """A different portrait-like picture for each card: light, a head and shoulders, texture,
    grain; quality 90 like the photo pipeline's output."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    width, height = PHOTO_SIZE
    background = tuple(rng.randrange(90, 230) for _ in range(3))
    image = Image.new("RGB", PHOTO_SIZE, background)
    light = Image.radial_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    image = Image.blend(image, light, 0.25)
    draw = ImageDraw.Draw(image)
    skin = (rng.randrange(120, 240), rng.randrange(90, 200), rng.randrange(70, 170))
    clothes = tuple(rng.randrange(20, 200) for _ in range(3))
    draw.ellipse((60, 520, width - 60, height + 300), fill=clothes)
    cx = width // 2 + rng.randrange(-40, 40)
    draw.ellipse((cx - 150, 160, cx + 150, 560), fill=skin)
    draw.ellipse((cx - 165, 120, cx + 165, 330), fill=tuple(rng.randrange(10, 120)
                                                             for _ in range(3)))
    for eye in (-60, 60):
        draw.ellipse((cx + eye - 18, 340, cx + eye + 18, 362), fill=(40, 30, 30))
    draw.text((20, 20), f"#{number}", fill=(0, 0, 0))
    texture = Image.effect_noise((width // 8, height // 8), 50).resize(
        PHOTO_SIZE, Image.Resampling.BICUBIC).convert("RGB")
    image = Image.blend(image, texture, 0.15).filter(ImageFilter.GaussianBlur(1.5))
    grain = Image.effect_noise(PHOTO_SIZE, 8).convert("RGB")
    image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def step_in_child(step, count, workers):
    """One step in a fresh process, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--step", step, "--cards", str(count)]
    if workers is not None:
        command += ["--workers", str(workers)]
    print(f"{step}, {count:,} cards…", flush=True)
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_step(options):
    import django

    django.setup()
    from campuscard.cards.models import Card

    cards = (Card.objects.filter(state="IN_PRINT").order_by("pk")
             .select_related("person__population", "establishment")[:options.cards])
    watcher = WorkerPeaks()
    with tempfile.TemporaryDirectory(prefix="print-bench-") as folder:
        output = Path(folder) / "out"
        seconds = {"baseline": bare_weasyprint, "pdf": batch_pdf,
                   "panels": batch_panels}[options.step](cards, output, options.workers)
        size = output.stat().st_size
    watcher.stop()
    me, children = (resource.getrusage(who) for who in
                    (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({
        "step": options.step, "cards": len(cards), "seconds": seconds, "bytes": size,
        "cpu": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
        "rss_mib": peak_rss_kib("self") / 1024, "worker_rss_mib": watcher.largest() / 1024,
        "workers": 1 if options.step == "baseline" else options.workers or _configured_workers(),
    }))
    return 0


def peak_rss_kib(pid):
    """The process's resident high-water mark (VmHWM). Not ru_maxrss: that one keeps the
    peak of the process that forked it, across exec."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class WorkerPeaks(threading.Thread):
    """Reads the VmHWM of this process's children every 0.1 s while the step runs (a
    worker's last reading is at most 0.1 s before it exits; VmHWM only grows)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peaks = {}
        self.stopping = threading.Event()
        self.start()

    def run(self):
        while not self.stopping.wait(0.1):
            for pid in _children(os.getpid()):
                self.peaks[pid] = max(self.peaks.get(pid, 0), peak_rss_kib(pid))

    def stop(self):
        self.stopping.set()
        self.join()

    def largest(self):
        return max(self.peaks.values(), default=0)


def _children(parent):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                yield int(entry)


def _configured_workers():
    from campuscard.printing.batch import print_workers

    return print_workers()


def bare_weasyprint(cards, output, workers):
    """WeasyPrint alone on the HTML our templating makes, one card after the other."""
    from campuscard.printing.pages import CardURLFetcher
    from campuscard.printing.rendering import card_html, version_for
    from campuscard.printing.weasy import HTML

    rendering = 0.0
    with open(output, "wb") as out:
        for card in cards:
            html = card_html(card, version_for(card))
            started = time.perf_counter()
            out.write(HTML(string=html, url_fetcher=CardURLFetcher()).write_pdf())
            rendering += time.perf_counter() - started
    return rendering


def batch_pdf(cards, output, workers):
    import pypdfium2

    from campuscard.printing.batch import render_batch_pdf

    started = time.perf_counter()
    render_batch_pdf(cards, output, workers=workers)
    seconds = time.perf_counter() - started
    document = pypdfium2.PdfDocument(output)
    assert len(document) == 2 * len(cards), "front then back for every card"
    document.close()
    return seconds


def batch_panels(cards, output, workers):
    from campuscard.printing.batch import render_batch_panels

    started = time.perf_counter()
    written = 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:  # PNG is compressed
        for card, panels in render_batch_panels(cards, workers=workers):
            for name, png in panels.items():
                archive.writestr(f"{card.pk}/{name}.png", png)
            written += 1
    seconds = time.perf_counter() - started
    assert written == len(cards)
    return seconds


def print_table(results):
    bare = next(r for r in results if r["step"] == "baseline")
    bare_rate = bare["cards"] / bare["seconds"]
    names = {"baseline": "bare WeasyPrint, one card per document, 1 core",
             "pdf": "render_batch_pdf → one PDF", "panels": "render_batch_panels → PNGs"}
    print()
    print("| step | cards | workers | seconds | cards/s | vs bare | CPU s | peak RSS, the step "
          "| peak RSS, largest worker | output |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        rate = r["cards"] / r["seconds"]
        worker = f"{r['worker_rss_mib']:.0f} MiB" if r["step"] != "baseline" else "—"
        print(f"| {names[r['step']]} | {r['cards']:,} | {r['workers']} | {r['seconds']:.1f} | "
              f"{rate:.1f} | {rate / bare_rate:.2f}x | {r['cpu']:.0f} | {r['rss_mib']:.0f} MiB "
              f"| {worker} | {r['bytes'] / 2**20:.0f} MiB |")
    print(f"\nTarget: the batch PDF and the panels at ≥ {TARGET} cards/s. Baseline seconds "
          "count WeasyPrint only (the HTML is built off the clock); batch seconds count "
          "everything from the database query to the file written. CPU: the step and its "
          "workers, user + system.")


if __name__ == "__main__":
    sys.exit(main())
