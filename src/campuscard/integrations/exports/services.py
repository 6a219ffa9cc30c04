"""What an export does with the changes the outbox brings it: keep them, write them into files
when a file is due, write full snapshots, and hand each file to the outbox for delivery.

A file is written once (its name and bytes are kept), then delivered by its own outbox row, so
a delivery that fails is retried with the same bytes, and a retried change is written once.
"""

import hashlib
import itertools
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from campuscard.cards.models import Card
from campuscard.core import audit, outbox
from campuscard.integrations.connections.targets import reach_of
from campuscard.integrations.exports import delivery
from campuscard.integrations.exports.formats import parse_format
from campuscard.integrations.exports.models import ExportChange, ExportFile, ExportTarget
from campuscard.integrations.exports.records import card_rows, row_record, select_cards
from campuscard.integrations.exports.render import file_name, render_line, write_file
from campuscard.people.models import Person

FILE_WRITTEN = "export.file"
SNAPSHOT_ASKED = "export.snapshot"
OWN_EVENTS = frozenset({FILE_WRITTEN, SNAPSHOT_ASKED})
NOT_VALID_HERE = "DISABLED"  # how a card no longer recognised reads in a changes file


# --- changes --------------------------------------------------------------------------------

def keep_change(export, item):
    """The outbox brought a change: keep it until a file holds it (once per push)."""
    card_id = int(item.object_id) if item.object_type == "card" else None
    person_id = item.payload.get("person_id")
    ExportChange.objects.get_or_create(
        export=export, key=item.key,
        defaults={"event": item.operation, "card_id": card_id, "person_id": person_id})


def write_due_files(export_id, now=None):
    """Write the files the waiting changes make due; returns the files written."""
    now = now or timezone.now()
    with transaction.atomic():
        export = ExportTarget.objects.select_for_update().get(pk=export_id)
        fmt = parse_format(export.format)
        waiting = list(ExportChange.objects.filter(export=export, file__isnull=True)
                       .order_by("id").values("id", "person_id", "created_at"))
        if not waiting or not _due(fmt, waiting, now):
            return []
        written = [_write_changes(export, fmt, batch, now)
                   for batch in _batches(fmt, waiting)]
    return written


def _due(fmt, waiting, now):
    if not fmt.every_minutes:
        return True
    if fmt.lines_per_file and len({row["person_id"] for row in waiting}) >= fmt.lines_per_file:
        return True
    return waiting[0]["created_at"] <= now - timedelta(minutes=fmt.every_minutes)


def _batches(fmt, waiting):
    """The waiting changes, by person, in files of at most `lines_per_file` people (or one file
    per person when the format names files after the person)."""
    people = list(dict.fromkeys(row["person_id"] for row in waiting))
    size = 1 if fmt.grouping == "per_person" else (fmt.lines_per_file or len(people))
    ids_by_person = {}
    for row in waiting:
        ids_by_person.setdefault(row["person_id"], []).append(row["id"])
    for start in range(0, len(people), size):
        chunk = people[start:start + size]
        yield chunk, [change_id for person in chunk for change_id in ids_by_person[person]]


def _write_changes(export, fmt, batch, now):
    people, change_ids = batch
    eppn = _eppn_of(people[0]) if fmt.grouping == "per_person" else None
    records = changed_records(export, fmt, people)
    export_file = _save_file(export, fmt, ExportFile.Kind.CHANGES, records, now, eppn)
    ExportChange.objects.filter(pk__in=change_ids).update(file=export_file)
    return export_file


def changed_records(export, fmt, people):
    """The lines of these people's cards; a card the export no longer covers (an agreement
    withdrawn, a card moved) reads as not valid rather than vanishing."""
    cards = card_rows(Card.objects.filter(person__in=people, state__in=fmt.states)
                      .order_by("person_id", "-state_changed_at", "-id"))
    covered = set(Card.objects.filter(reach_of(export).card_filter(), person__in=people)
                  .values_list("pk", flat=True))
    for _person, person_cards in itertools.groupby(cards, key=lambda card: card.person_id):
        for card in select_cards(list(person_cards), fmt):
            record = row_record(card)
            if card.pk not in covered:
                record["state"] = NOT_VALID_HERE
            yield record


def _eppn_of(person_id):
    return Person.objects.filter(pk=person_id).values_list("eppn", flat=True).first()


# --- snapshots ------------------------------------------------------------------------------

def ask_snapshot(export, actor):
    """"Send a full snapshot now": queued for the worker, who writes and delivers it."""
    with transaction.atomic():
        audit.record("export.snapshot_asked", actor, export)
        outbox.enqueue(SNAPSHOT_ASKED, export, {"export": export.code})


def write_snapshot(export_id, now=None):
    """Every card the export covers, as one file (read and written in chunks)."""
    now = now or timezone.now()
    with transaction.atomic():
        export = ExportTarget.objects.select_for_update().get(pk=export_id)
        fmt = parse_format(export.format)
        records = snapshot_records(export, fmt)
        export_file = _save_file(export, fmt, ExportFile.Kind.SNAPSHOT, records, now)
        export.last_snapshot_at = now
        export.save(update_fields=["last_snapshot_at"])
    return export_file


def snapshot_records(export, fmt, limit=None):
    cards = card_rows(Card.objects.filter(reach_of(export).card_filter(), state__in=fmt.states)
                      .order_by("person_id", "-state_changed_at", "-id"))
    grouped = itertools.groupby(cards.iterator(chunk_size=2000), key=lambda c: c.person_id)
    records = (row_record(card) for _person, person_cards in grouped
               for card in select_cards(list(person_cards), fmt))
    return itertools.islice(records, limit) if limit else records


def snapshot_due(export, fmt, now):
    if fmt.mode != "snapshot" or not fmt.every_minutes:
        return False
    return (export.last_snapshot_at is None
            or export.last_snapshot_at <= now - timedelta(minutes=fmt.every_minutes))


# --- files ----------------------------------------------------------------------------------

def _save_file(export, fmt, kind, records, now, eppn=None):
    """Write the file once, keep it, and queue its delivery, all in the caller's transaction."""
    export.last_sequence += 1
    export.save(update_fields=["last_sequence"])
    name = file_name(fmt, now, export.last_sequence, eppn=eppn)
    counted = _Counted(records)
    with tempfile.TemporaryFile() as spool:
        hashing = _Hashing(spool)
        write_file(fmt, counted, hashing)
        spool.seek(0)
        export_file = ExportFile(export=export, name=name, kind=kind, line_count=counted.count,
                                 size=hashing.size, sha256=hashing.digest.hexdigest())
        export_file.content.save(name, File(spool), save=False)
    export_file.save()
    # Queued on the export, not the file: the outbox delivers one export's files in order, so
    # an older file retried late never lands over a newer one.
    outbox.enqueue(FILE_WRITTEN, export, {"export": export.code, "file_id": export_file.pk,
                                          "name": name})
    return export_file


class _Counted:
    def __init__(self, records):
        self.records, self.count = records, 0

    def __iter__(self):
        for record in self.records:
            self.count += 1
            yield record


class _Hashing:
    """A file wrapper that counts and hashes the bytes that go through it."""

    def __init__(self, raw):
        self.raw, self.size = raw, 0
        self.digest = hashlib.sha256()

    def write(self, data):
        self.raw.write(data)
        self.size += len(data)
        self.digest.update(data)
        return len(data)


def deliver_export_file(file_id):
    """Put the file where the export delivers; a file already there with these bytes is done."""
    export_file = ExportFile.objects.select_related("export").get(pk=file_id)
    if export_file.status != ExportFile.Status.WAITING:
        return export_file
    if ExportFile.objects.filter(export=export_file.export, name=export_file.name,
                                 pk__gt=export_file.pk,
                                 status=ExportFile.Status.DELIVERED).exists():
        # Retried by hand after a newer file of that name: never put the older one back.
        ExportFile.objects.filter(pk=file_id).update(status=ExportFile.Status.SUPERSEDED)
        return export_file
    destination = delivery.parse_destination(export_file.export.destination)
    fmt = parse_format(export_file.export.format)
    with export_file.content.open("rb") as content:
        delivery.deliver_file(destination, export_file.name, content.read(),
                              if_exists=fmt.if_exists)
    ExportFile.objects.filter(pk=file_id).update(status=ExportFile.Status.DELIVERED,
                                                 delivered_at=timezone.now())
    return export_file


def prune_files(now=None):
    """Files delivered (or superseded) more than the retention ago go, with the changes they
    hold; the last file of each export stays, whatever its age."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CAMPUSCARD_EXPORT_RETENTION_DAYS)
    newest = ExportFile.objects.filter(export=OuterRef("export")).order_by("-id").values("id")[:1]
    old = (ExportFile.objects.filter(created_at__lt=cutoff)
           .exclude(status=ExportFile.Status.WAITING).exclude(id=Subquery(newest)))
    pruned = 0
    for export_file in old.iterator(chunk_size=500):
        export_file.content.delete(save=False)
        export_file.delete()  # its changes go with it (CASCADE): they are never written again
        pruned += 1
    return pruned


# --- what the export page shows -------------------------------------------------------------

PREVIEW_LINES = 20


def preview(export, limit=PREVIEW_LINES):
    """The first lines the next file would hold, written nowhere."""
    fmt = parse_format(export.format)
    if fmt.mode == "snapshot":
        records = snapshot_records(export, fmt, limit)
    else:
        people = list(dict.fromkeys(
            ExportChange.objects.filter(export=export, file__isnull=True).order_by("id")
            .values_list("person_id", flat=True)))[:limit]
        records = itertools.islice(changed_records(export, fmt, people), limit)
    return [render_line(fmt, record).rstrip("\r\n") for record in records]


def file_lines(export_file, limit=200):
    """The file's first lines as text, in the encoding it was written in."""
    encoding = parse_format(export_file.export.format).encoding
    with export_file.content.open("rb") as content:
        head = content.read(limit * 400)
    return head.decode(encoding, errors="replace").splitlines()[:limit]


def waiting_changes(export):
    return ExportChange.objects.filter(export=export, file__isnull=True).count()
