"""The sync: read the sources, merge what they say per eppn, compute the rules, write changes.

Fast because it does little: every source entry's mapped values are digested, and a person
whose digests all match the last sync's is skipped without a query of their own. The rest is
written in batches through `people.services` (one audit entry per person, one outbox row per
changed person, the card lifecycle for a moved end of rights).

Safe because nothing is written before every check has passed: a source that cannot be read
contributes nothing (its last values stay in use); a full sync that would end the rights of
more than `max_rights_end_share` of a source's people stops unless forced; a person missing from
a full read is only marked, and loses their rights after `grace_days`; a malformed entry is
refused with its reason and the others go on.
"""

import datetime
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.people import roles, services
from campuscard.people.models import Person, Population, SourceLink, SourceState, StaffRole
from campuscard.people.roles import wanted_roles
from campuscard.people.sources import SourceError, open_source
from campuscard.people.sources import config as source_config
from campuscard.people.sources.fields import (
    PERSON_FIELDS,
    Refused,
    normalise_eppn,
    person_fields,
)
from campuscard.people.sources.rules import apply_rules

logger = logging.getLogger("campuscard.sync")
MAX_REFUSALS_KEPT = 100


@dataclass
class SourceReport:
    name: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rights_ended: int = 0
    missing: int = 0
    refused: list = field(default_factory=list)  # (entry, reason)
    seconds: float = 0.0
    error: str = ""
    full: bool = False

    def refuse(self, entry, reason):
        self.refused.append((entry, reason))

    def counts(self):
        return {"read": self.read, "created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "rights_ended": self.rights_ended,
                "missing": self.missing, "refused": len(self.refused)}


@dataclass
class SyncResult:
    reports: dict
    stopped: str = ""  # why nothing was written
    dry_run: bool = False
    trace: dict = field(default_factory=dict)  # eppn -> what each source said, rules fired

    @property
    def ok(self):
        return not self.stopped and not any(r.error for r in self.reports.values())


class Lookups:
    """Establishments and populations, loaded once per sync."""

    def __init__(self):
        establishments = list(Establishment.objects.all())
        self.establishments = ({e.code.lower(): e for e in establishments},
                               {e.uai.upper(): e for e in establishments if e.uai})
        self.populations = {p.code.lower(): p for p in Population.objects.all()}


def digest(values, salt):
    data = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{salt}\n{data}".encode()).hexdigest()[:32]


# --- reading -----------------------------------------------------------------------------------

@dataclass
class Reading:
    """What one source said in this run: {eppn: values}, whether it was a whole read."""

    config: object
    values: dict = field(default_factory=dict)
    digests: dict = field(default_factory=dict)
    whole: bool = False
    ok: bool = True
    high_water: str = ""


def read_source(config, state, report, *, full, salt, progress=None):
    source = open_source(config)
    since = "" if full or not source.incremental or not state.last_full_at else state.high_water
    reading = Reading(config, whole=not since)
    report.full = reading.whole
    duplicates = set()
    try:
        for index, raw in enumerate(source.entries(since=since), start=1):
            report.read += 1
            values = source.values(raw)
            eppn = normalise_eppn(values.get("eppn", ""))
            label = eppn or _entry_label(raw, index)
            if not eppn:
                report.refuse(label, _("No eppn."))
                continue
            if not config.covers(eppn):
                report.read -= 1
                continue
            if eppn in reading.values or eppn in duplicates:
                duplicates.add(eppn)
                reading.values.pop(eppn, None)
                report.refuse(eppn, _("The eppn appears more than once in this source."))
                continue
            values["eppn"] = eppn
            reading.values[eppn] = values
            reading.digests[eppn] = digest(values, salt)
            if progress and index % 1000 == 0:
                progress(config.name, "read", index, None)
    except SourceError as exc:
        report.error = str(exc)
        return Reading(config, ok=False)
    finally:
        source.close()
    reading.high_water = source.high_water
    if progress:
        progress(config.name, "read", report.read, report.read)
    return reading


def _entry_label(raw, index):
    dn = raw.get("dn") if isinstance(raw, dict) else None
    if isinstance(dn, list):
        dn = dn[0] if dn else None
    if isinstance(dn, bytes):
        dn = dn.decode("utf-8", "replace")
    return str(dn) if dn else f"#{index}"


# --- merging and computing ---------------------------------------------------------------------

def merge(chain, eppn, readings, stored):
    """The merged record for `eppn`: sources in chain order, later ones overriding earlier ones
    key by key (an empty value never overrides). Returns (record, primary source, per source)."""
    record, primary, said = {}, None, {}
    for config in chain:
        reading = readings.get(config.name)
        if reading is not None and reading.ok and (reading.whole or eppn in reading.values):
            values = reading.values.get(eppn)
        else:  # not read this time, unreadable, or unchanged since the mark: its last word
            values = stored.get(config.name)
        if not values:
            continue
        said[config.name] = values
        if config.creates and primary is None:
            primary = config
        record.update(values)
        if config.establishment:
            record["establishment"] = config.establishment
    return record, primary, said


def compute(record, rules, lookups, today):
    """Person field values for a merged record and the rules that fired; raises Refused."""
    record = dict(record)
    fired = apply_rules(rules, record, today)
    return person_fields(record, lookups.establishments, lookups.populations), fired


def differences(person, fields):
    changes = {}
    for name in PERSON_FIELDS:
        value = fields[name]
        current = getattr(person, name)
        if name in ("establishment", "population"):
            if person.__dict__.get(f"{name}_id") != value.pk:
                changes[name] = value
        elif current != value:
            changes[name] = value
    return changes


# --- the run -----------------------------------------------------------------------------------

def run(names=(), *, full=False, dry_run=False, force=False, progress=None, actor=None,
        config=None, today=None):
    """Sync the named sources (all when none), in chain order. Returns a SyncResult."""
    config = config or source_config.load()
    chain = config.sources
    selected = [config.source(name) for name in names] if names else list(chain)
    selected.sort(key=lambda s: s.order)
    actor = actor or Actor.system()
    today = today or timezone.localdate()
    salt = config.fingerprint + (today.isoformat() if config.uses_today else "")
    lookups = Lookups()
    reports = {s.name: SourceReport(s.name) for s in selected}
    started = {s.name: time.monotonic() for s in selected}
    states = {s.name: SourceState.objects.get_or_create(source=s.name)[0] for s in selected}
    readings = {}
    for source in selected:
        report = reports[source.name]
        if source.establishment and source.establishment.lower() not in lookups.establishments[0]:
            report.error = _("No establishment with the code “%(code)s”.") % {
                "code": source.establishment}
            continue
        readings[source.name] = read_source(source, states[source.name], report, full=full,
                                            salt=salt, progress=progress)
        report.seconds = time.monotonic() - started[source.name]
    plan = _plan(chain, readings, reports, config, lookups, today)
    result = SyncResult(reports, dry_run=dry_run)
    result.stopped = _guard(plan, reports, config, force)
    if not result.stopped:
        _write(plan, chain, readings, reports, config, lookups, today, actor, dry_run, progress)
    for source in selected:
        reports[source.name].seconds = time.monotonic() - started[source.name]
    if not dry_run:
        _save_states(selected, readings, reports, states, result)
    return result


@dataclass
class Plan:
    candidates: list          # eppns to compute and maybe write
    links: dict               # source -> {eppn: (link id, person id, digest, missing_since)}
    missing_new: list         # link ids to mark missing now
    missing_due: dict         # eppn -> source name: past the grace period, rights end
    would_end: dict           # source -> people whose rights this run would end
    population: dict          # source -> people it had before this run


def _plan(chain, readings, reports, config, lookups, today):
    links = {name: _links(name, reading) for name, reading in readings.items() if reading.ok}
    candidates = set()
    for name, reading in readings.items():
        if not reading.ok:
            continue
        known = links[name]
        for eppn, dig in reading.digests.items():
            link = known.get(eppn)
            if link is None or link[2] != dig or link[3] is not None:
                candidates.add(eppn)
            else:
                reports[name].unchanged += 1
    now = timezone.now()
    grace = datetime.timedelta(days=config.sync["grace_days"])
    missing_new, missing_due = [], {}
    for name, reading in readings.items():
        if not (reading.ok and reading.whole and reading.config.creates):
            continue
        for eppn, (pk, _person, _digest, missing) in links[name].items():
            if eppn in reading.values:
                continue
            reports[name].missing += 1
            if missing is None:
                missing_new.append(pk)
            elif missing <= now - grace:
                missing_due.setdefault(eppn, name)
    _keep_listed_elsewhere(missing_due, links, chain)
    plan = Plan(sorted(candidates), links, missing_new, missing_due, {}, {})
    _count_rights_ends(plan, chain, readings, config, lookups, today)
    return plan


def _keep_listed_elsewhere(missing_due, links, chain):
    """A person another source that creates people still lists keeps their rights."""
    if not missing_due:
        return
    creating = [s.name for s in chain if s.creates]
    person_ids = {links[name][eppn][1]: eppn for eppn, name in missing_due.items()}
    for batch in _batches(list(person_ids), 5000):
        for person_id, source in SourceLink.objects.filter(
                person_id__in=batch, source__in=creating, missing_since=None).values_list(
                "person_id", "source"):
            eppn = person_ids[person_id]
            if missing_due.get(eppn) not in (None, source):
                missing_due.pop(eppn)


def _links(name, reading):
    """{eppn: (link id, person id, digest, missing since)} of a source: all of them after a
    whole read (to find who is missing), only those read otherwise."""
    columns = ("pk", "person_id", "person__eppn", "digest", "missing_since")
    links = SourceLink.objects.filter(source=name)
    if reading.whole:
        chunks = [links.values_list(*columns).iterator(chunk_size=5000)]
    else:
        chunks = (links.filter(person__eppn__in=batch).values_list(*columns)
                  for batch in _batches(list(reading.values), 5000))
    return {eppn: (pk, person_id, dig, missing)
            for chunk in chunks for pk, person_id, eppn, dig, missing in chunk}


def _count_rights_ends(plan, chain, readings, config, lookups, today):
    """How many people this run would take the rights from, per source (for the guard)."""
    for name in plan.links:
        plan.population[name] = len(plan.links[name])
        plan.would_end[name] = 0
    due = list(plan.missing_due)
    existing = [e for e in plan.candidates if any(e in plan.links[n] for n in plan.links)]
    for batch in _batches(sorted(set(due) | set(existing)), 2000):
        people = {p.eppn: p for p in Person.objects.filter(eppn__in=batch)
                  .only("eppn", "rights_end")}
        stored = _stored_values(batch)
        for eppn in batch:
            person = people.get(eppn)
            if person is None or person.rights_ended(today):
                continue
            if eppn in plan.missing_due:
                plan.would_end[plan.missing_due[eppn]] += 1
                continue
            record, primary, _said = merge(chain, eppn, readings, stored.get(eppn, {}))
            if primary is None:
                continue
            try:
                fields, _fired = compute(record, config.rules, lookups, today)
            except Refused:
                continue
            if fields["rights_end"] is not None and fields["rights_end"] < today:
                plan.would_end[primary.name] = plan.would_end.get(primary.name, 0) + 1


def _guard(plan, reports, config, force):
    if force:
        return ""
    share, minimum = config.sync["max_rights_end_share"], config.sync["guard_minimum"]
    for name, ending in plan.would_end.items():
        if not reports[name].full or ending <= minimum:
            continue
        people = max(plan.population.get(name, 0), 1)
        if ending / people > share:
            return _("Stopped before writing anything: this sync would end the rights of "
                     "%(count)d of the %(people)d people of source “%(name)s” (more than "
                     "%(share)s %%). Check the source; if it is right, run again with --force.") % {
                "count": ending, "people": people, "name": name,
                "share": f"{share * 100:g}"}
    return ""


def _stored_values(eppns):
    """{eppn: {source: values}} as the last sync left them."""
    stored = {}
    for eppn, source, values in (SourceLink.objects.filter(person__eppn__in=eppns)
                                 .values_list("person__eppn", "source", "values")):
        stored.setdefault(eppn, {})[source] = values
    return stored


def _batches(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _write(plan, chain, readings, reports, config, lookups, today, actor, dry_run, progress):
    work = sorted(set(plan.candidates) | set(plan.missing_due))
    size = config.sync["batch_size"]
    done = 0
    for batch in _batches(work, size):
        with transaction.atomic():
            _write_batch(batch, plan, chain, readings, reports, config, lookups, today, actor,
                         dry_run)
            if dry_run:
                transaction.set_rollback(True)
        done += len(batch)
        if progress:
            progress("", "write", done, len(work))
    if plan.missing_new and not dry_run:
        SourceLink.objects.filter(pk__in=plan.missing_new).update(missing_since=timezone.now())


def _write_batch(batch, plan, chain, readings, reports, config, lookups, today, actor, dry_run):
    people = {p.eppn: p for p in Person.objects.select_for_update()
              .select_related("establishment", "population").filter(eppn__in=batch)}
    stored = _stored_values(batch)
    creates, create_meta, changes, reasons, link_rows = [], [], {}, {}, []
    roles_of = {} if _roles_in_play(config) else None  # eppn -> the roles the rules give
    yesterday = today - datetime.timedelta(days=1)
    for eppn in batch:
        person = people.get(eppn)
        if eppn in plan.missing_due:
            if roles_of is not None:
                roles_of[eppn] = set()  # gone from the directory: so are its roles
            if person is not None and not person.rights_ended(today):
                source = plan.missing_due[eppn]
                changes[person] = {"rights_end": yesterday}
                reasons[person.pk] = _("Missing from source “%(name)s” longer than the grace "
                                       "period.") % {"name": source}
                reports[source].rights_ended += 1
            continue
        record, primary, said = merge(chain, eppn, readings, stored.get(eppn, {}))
        if primary is None:
            continue  # only enriching sources know them: nothing to create
        report = reports.get(primary.name) or _report_of_reader(said, reports)
        try:
            fields, _fired = compute(record, config.rules, lookups, today)
        except Refused as exc:
            (report or reports[next(iter(reports))]).refuse(eppn, str(exc))
            continue
        if roles_of is not None:
            roles_of[eppn] = wanted_roles(config.roles, record, fields["establishment"].code,
                                          today)
        if person is None:
            creates.append(fields)
            create_meta.append((eppn, said, report))
            continue
        diff = differences(person, fields)
        if diff:
            changes[person] = diff
            if report:
                report.updated += 1
                if ("rights_end" in diff and fields["rights_end"] is not None
                        and fields["rights_end"] < today and not person.rights_ended(today)):
                    report.rights_ended += 1
        elif report:
            report.unchanged += 1
        link_rows.append((person.pk, eppn))
    ids = services.bulk_create_people(actor, creates) if creates else []
    for pk, (eppn, _said, report) in zip(ids, create_meta, strict=True):
        link_rows.append((pk, eppn))
        if report:
            report.created += 1
    if changes:
        services.bulk_update_people(actor, changes, reasons)
    if roles_of:
        roles.refresh_directory_roles(roles_of, actor)
    if not dry_run:
        _save_links(link_rows, plan, readings)


def _roles_in_play(config):
    """Role rules to apply, or directory roles left to remove (the rules were taken out)."""
    return bool(config.roles) or StaffRole.objects.filter(origin=StaffRole.DIRECTORY).exists()


def _report_of_reader(said, reports):
    for name in said:
        if name in reports:
            return reports[name]
    return None


def _save_links(link_rows, plan, readings):
    """Each source's values and digest for the people just written: new links inserted,
    known ones updated (and no longer missing)."""
    from campuscard.core import bulk

    now = timezone.now()
    new, changed = [], []
    for person_id, eppn in link_rows:
        for name, reading in readings.items():
            if not reading.ok or eppn not in reading.values:
                continue
            values, dig = reading.values[eppn], reading.digests[eppn]
            known = plan.links.get(name, {}).get(eppn)
            if known is None:
                new.append({"source": name, "person_id": person_id, "digest": dig,
                            "values": values, "seen_at": now, "missing_since": None})
            else:
                changed.append(SourceLink(pk=known[0], source=name, person_id=person_id,
                                          digest=dig, values=values, seen_at=now,
                                          missing_since=None))
    bulk.insert(SourceLink, new)
    SourceLink.objects.bulk_update(changed, ["digest", "values", "seen_at", "missing_since"],
                                   batch_size=1000)


def _save_states(selected, readings, reports, states, result):
    now = timezone.now()
    for source in selected:
        state, report = states[source.name], reports[source.name]
        reading = readings.get(source.name)
        state.last_run_at = now
        state.counts = report.counts()
        state.refused = [list(item) for item in report.refused[:MAX_REFUSALS_KEPT]]
        state.last_error = report.error or result.stopped
        state.duration = round(report.seconds, 3)
        if reading is not None and reading.ok and not result.stopped:
            if reading.whole:
                state.last_full_at = now
            state.high_water = reading.high_water or state.high_water
        state.save()


def run_scheduled(full):
    """The worker's periodic sync: nothing to do without a sources file. Returns the counts."""
    config = source_config.load()
    if not config.sources:
        return {}
    result = run(full=full, config=config)
    if result.stopped:
        logger.warning("scheduled sync stopped: %s", result.stopped)
    for report in result.reports.values():
        if report.error:
            logger.warning("source %s not read: %s", report.name, report.error)
    return {name: report.counts() for name, report in result.reports.items()}


# --- one person ---------------------------------------------------------------------------------

def sync_person(eppn, timeout=None, *, actor=None, config=None, dry_run=False):
    """Sync one person from every source that covers their eppn, within `timeout` seconds in
    all. Any source failing or the time running out changes nothing. Returns a SyncResult whose
    `trace[eppn]` says what each source returned and which rule set each computed field."""
    config = config or source_config.load()
    eppn = normalise_eppn(eppn)
    deadline = time.monotonic() + (timeout or 30)
    today = timezone.localdate()
    salt = config.fingerprint + (today.isoformat() if config.uses_today else "")
    chain = [s for s in config.sources if s.covers(eppn)]
    reports = {s.name: SourceReport(s.name) for s in chain}
    readings, trace = {}, {"sources": {}, "errors": {}}
    for source in chain:
        remaining = deadline - time.monotonic()
        report = reports[source.name]
        if remaining <= 0:
            report.error = _("Timed out before this source was asked.")
            trace["errors"][source.name] = report.error
            return SyncResult(reports, stopped=report.error, trace={eppn: trace})
        try:
            opened = open_source(source)
            raw = opened.lookup(eppn, timeout=min(remaining, source.timeout))
        except SourceError as exc:
            report.error = str(exc)
            trace["errors"][source.name] = report.error
            return SyncResult(reports, stopped=report.error, trace={eppn: trace})
        if raw is None:
            trace["sources"][source.name] = None
            continue
        values = opened.values(raw)
        values["eppn"] = eppn
        report.read = 1
        trace["sources"][source.name] = values
        readings[source.name] = Reading(source, values={eppn: values},
                                        digests={eppn: digest(values, salt)})
    lookups = Lookups()
    record, primary, _said = merge(config.sources, eppn, readings, _stored_values([eppn])
                                   .get(eppn, {}))
    trace["record"] = dict(record)
    if primary is not None:
        try:
            fields, fired = compute(record, config.rules, lookups, today)
            trace["fields"], trace["rules"] = fields, fired
            trace["roles"] = sorted(wanted_roles(config.roles, record,
                                                 fields["establishment"].code, today),
                                    key=lambda w: (w.kind, w.rule))
        except Refused as exc:
            trace["refused"] = str(exc)
    links = {name: {} for name in readings}
    for pk, name, person_id, dig, missing in SourceLink.objects.filter(
            source__in=list(readings), person__eppn=eppn).values_list(
            "pk", "source", "person_id", "digest", "missing_since"):
        links[name][eppn] = (pk, person_id, dig, missing)
    plan = Plan([eppn] if primary is not None else [], links, [], {}, {}, {})
    result = SyncResult(reports, dry_run=dry_run, trace={eppn: trace})
    if plan.candidates:
        _write(plan, config.sources, readings, reports, config, lookups, today,
               actor or Actor.system(), dry_run, None)
    return result
