"""The person sources in the back-office: the list (read-only: they live in the TOML file),
"test this person" (what each source says and which rule fired, nothing written), and the
"sync this person" button of the card page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campuscard.backoffice.views import SAFE_METHODS, card_view, only, staff_only
from campuscard.core.actors import Actor
from campuscard.core.permissions import scope_of
from campuscard.people.models import Person, SourceState
from campuscard.people.sources import config as source_config
from campuscard.people.sources.fields import SYNCED_FIELDS
from campuscard.people.sources.sync import sync_person

TEST_TIMEOUT = 20


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
    rows = [{"config": source, "state": states.get(source.name),
             "mapping": sorted(source.mapping().items())} for source in config.sources]
    return render(request, "backoffice/sources.html", {
        "rows": rows, "error": error, "rules": config.rules, "sync": config.sync,
        "path": config.path,
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
