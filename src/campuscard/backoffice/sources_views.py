"""The person sources in the back-office: the list (read-only: they live in the TOML file),
"test this person" (what each source says and which rule fired, nothing written), and the
"sync this person" button of the card page."""

import csv
import dataclasses
import io
import os
import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks_db.models import DBTaskResult

from campuscard.backoffice.views import SAFE_METHODS, card_view, only, staff_only
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, SourceState, StaffRole
from campuscard.people.permissions import scope_of
from campuscard.people.sources import config as source_config
from campuscard.people.sources.fields import SYNCED_FIELDS
from campuscard.people.sources.sync import run, sync_person
from campuscard.people.tasks import sync_source

TEST_TIMEOUT = 20
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _require_admin(user):
    if not scope_of(user).is_admin:
        raise PermissionDenied


def _config_or_error():
    try:
        return source_config.load(), ""
    except source_config.ConfigError as exc:
        return source_config.EMPTY, str(exc)


@staff_only
@only(*SAFE_METHODS)
def source_list(request):
    _require_admin(request.user)
    config, error = _config_or_error()
    states = {s.source: s for s in SourceState.objects.filter(
        source__in=[s.name for s in config.sources])}
    waiting = set(waiting_source_syncs())
    rows = [{"config": source, "state": states.get(source.name), "sync_waiting":
             source.name in waiting, "mapping": sorted(source.mapping().items())}
            for source in config.sources]
    return render(request, "backoffice/sources.html", {
        "rows": rows, "error": error, "rules": config.rules, "role_rules": config.roles,
        "sync": config.sync, "path": config.path,
    })


@staff_only
@only(*SAFE_METHODS)
def test_person(request):
    _require_admin(request.user)
    eppn = (request.GET.get("eppn") or "").strip().lower()[:255]
    config, error = _config_or_error()
    context = {"eppn": eppn, "error": error}
    if eppn and not error:
        result = sync_person(eppn, timeout=TEST_TIMEOUT, config=config, dry_run=True)
        trace = result.trace.get(eppn, {})
        person = Person.objects.select_related("establishment", "population") \
            .filter(eppn=eppn).first()
        fields = trace.get("fields") or {}
        rules = trace.get("rules") or {}
        context.update({
            "stopped": result.stopped,
            "answers": [(source.name, trace.get("sources", {}).get(source.name, None),
                         trace.get("errors", {}).get(source.name, ""), source.covers(eppn))
                        for source in config.sources],
            "refused": trace.get("refused", ""),
            "roles": [{"label": StaffRole.Kind(w.kind).label, "rule": w.rule,
                       "establishments": sorted(w.establishments),
                       "populations": sorted(w.populations)} for w in trace.get("roles", [])],
            "role_rules": bool(config.roles),
            "person": person,
            "outcome": [{"field": name, "value": fields.get(name, ""),
                         "rule": rules.get(name, ""),
                         "current": getattr(person, name, "") if person else "",
                         "changes": person is not None and name in fields
                         and getattr(person, name, None) != fields.get(name)}
                        for name in SYNCED_FIELDS] if fields else [],
        })
    return render(request, "backoffice/source_test.html", context)


@card_view("POST")
def card_sync(request, card):
    """Sync the card holder now from every source (a manager covering the card)."""
    result = sync_person(card.person.eppn, timeout=TEST_TIMEOUT,
                         actor=Actor.from_request(request).as_system())
    if result.stopped:
        messages.error(request, _("Not synced, nothing changed: %(reason)s")
                       % {"reason": result.stopped})
    elif result.trace.get(card.person.eppn, {}).get("refused"):
        messages.error(request, _("The sources' data was refused: %(reason)s")
                       % {"reason": result.trace[card.person.eppn]["refused"]})
    elif not any(r.read for r in result.reports.values()):
        messages.warning(request, _("No source knows this person: nothing changed."))
    else:
        report_changed = any(r.updated or r.rights_ended for r in result.reports.values())
        messages.success(request, _("Synced from the sources: the data changed.")
                         if report_changed else _("Synced from the sources: nothing changed."))
    return redirect("backoffice:card", card.pk)


# --- a CSV source uploaded by a manager ------------------------------------------------------

def uploadable_sources(user):
    """CSV sources with `upload = true` this user may replace: an administrator any of them, a
    manager those of an establishment they cover whole (no population restriction)."""
    try:
        config = source_config.load()
    except source_config.ConfigError:
        return []
    scope = scope_of(user)
    codes = dict(Establishment.objects.values_list("code", "pk"))
    found = []
    for source in config.sources:
        if source.kind != "csv" or not source.options.get("upload"):
            continue
        establishment = codes.get(source.establishment)
        if scope.is_admin or (establishment and scope.manages_all_of(establishment)):
            found.append(source)
    return found


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


@staff_only
@only("POST")
def sync_source_now(request, name):
    """Queue a sync of one source for the worker; the page says it is queued, not done."""
    _require_admin(request.user)
    config, error = _config_or_error()
    if error or name not in {s.name for s in config.sources}:
        raise Http404
    if name in waiting_source_syncs():
        messages.info(request, _("A sync of “%(name)s” is already waiting for the worker.")
                      % {"name": name})
    else:
        sync_source.enqueue(name, request.user.pk)
        messages.success(request, _("Sync of “%(name)s” queued: the worker runs it in a moment. "
                                    "Reload this page to see its result under “Last sync”.")
                         % {"name": name})
    return redirect("backoffice:sources")


def waiting_source_syncs():
    """The sources whose sync asked from this page is queued or running."""
    return [row["args_kwargs"]["args"][0] for row in DBTaskResult.objects.filter(
        task_path=sync_source.module_path, status__in=["READY", "RUNNING"]).values(
        "args_kwargs") if row["args_kwargs"].get("args")]


@staff_only
@only("GET", "POST")
def upload_csv(request, name):
    source = next((s for s in uploadable_sources(request.user) if s.name == name), None)
    if source is None:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        error = _check_upload(source, form.cleaned_data["file"])
        if error:
            form.add_error("file", error)
        else:
            result = _sync_upload(source, form.cleaned_data["file"], request)
            if result is not None:
                _report_upload(request, source, result)
                return redirect("backoffice:sources_upload", source.name)
            form.add_error("file", request.upload_error)
    return render(request, "backoffice/source_upload.html", {"source": source, "form": form})


def _check_upload(source, upload):
    if upload.size > MAX_UPLOAD_BYTES:
        return _("The file is larger than %(size)d MB.") % {"size": MAX_UPLOAD_BYTES // 2**20}
    try:
        text = upload.read().decode(source.options.get("encoding", "utf-8-sig"))
    except UnicodeDecodeError:
        return _("The file is not in the expected encoding (%(encoding)s).") % {
            "encoding": source.options.get("encoding", "utf-8-sig")}
    upload.text = text
    try:
        header = next(csv.reader(io.StringIO(text),
                                 delimiter=source.options.get("delimiter", ",")), [])
    except csv.Error as exc:
        return _("The file is not CSV: %(error)s.") % {"error": exc}
    columns = {h.strip().lower() for h in header}
    if source.fields["eppn"].strip().lower() not in columns:
        return _("The first line must name the columns, among them “%(column)s”.") % {
            "column": source.fields["eppn"]}
    return ""


def _sync_upload(source, upload, request):
    """Sync the source from the uploaded file; only when that worked does the file replace the
    source's. Returns the SyncResult, or None (with request.upload_error) when nothing changed."""
    target = Path(source.options["path"])
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".csv")
    except OSError as exc:
        request.upload_error = _("Cannot write next to %(path)s (%(error)s).") % {
            "path": target, "error": exc.strerror}
        return None
    try:
        with os.fdopen(handle, "w", encoding=source.options.get("encoding", "utf-8-sig"),
                       newline="") as out:
            out.write(upload.text)
        config = source_config.load()
        trial = dataclasses.replace(source, options=source.options | {"path": temp})
        trial_config = dataclasses.replace(
            config, sources=[trial if s.name == source.name else s for s in config.sources])
        result = run([source.name], config=trial_config,
                     actor=Actor.from_request(request).as_system())
        report = result.reports[source.name]
        if result.stopped or report.error:
            request.upload_error = result.stopped or report.error
            return None
        os.replace(temp, target)
        return result
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _report_upload(request, source, result):
    report = result.reports[source.name]
    messages.success(request, _(
        "Synced from the uploaded file: read %(read)d, created %(created)d, updated "
        "%(updated)d, unchanged %(unchanged)d, rights ended %(ended)d, refused %(refused)d.")
        % {"read": report.read, "created": report.created, "updated": report.updated,
           "unchanged": report.unchanged, "ended": report.rights_ended,
           "refused": len(report.refused)})
    for entry, reason in report.refused[:20]:
        messages.warning(request, _("Refused %(entry)s: %(reason)s")
                         % {"entry": entry, "reason": reason})
