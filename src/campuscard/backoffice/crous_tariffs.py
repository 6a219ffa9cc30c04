"""The CROUS tariff rules in the back-office: the rules stored per establishment (staff in scope
read them), "refresh now" (administrators and managers of that establishment), and which rule
applies to a person and why."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campuscard.backoffice.views import SAFE_METHODS, only, staff_only
from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.integrations.crous import tariff_rules, tariffs
from campuscard.integrations.crous.models import CrousTariffGrid
from campuscard.people.models import Person
from campuscard.people.permissions import scope_of

CRITERIA = {
    tariffs.STATUS: gettext_lazy("status"),
    tariffs.UAI: gettext_lazy("UAI"),
    tariffs.INDEX_MIN: gettext_lazy("index at least"),
    tariffs.INDEX_MAX: gettext_lazy("index at most"),
}


def _crous_establishments(scope):
    return scope.establishments().filter(crous__isnull=False).select_related("crous") \
        .order_by("name")


@staff_only
@only(*SAFE_METHODS)
def tariff_rules_page(request):
    scope = scope_of(request.user)
    establishments = list(_crous_establishments(scope))
    grids = (CrousTariffGrid.objects.filter(establishment__in=establishments)
             .prefetch_related("rules"))
    rows = [{"establishment": establishment,
             "grids": [grid for grid in grids if grid.establishment_id == establishment.pk],
             "may_refresh": tariff_rules.may_refresh(scope, establishment)}
            for establishment in establishments]
    return render(request, "backoffice/crous_tariffs.html", {
        "rows": rows, "defaults": tariffs.DEFAULTS})


@staff_only
@only("POST")
def refresh_now(request, code):
    scope = scope_of(request.user)
    establishment = _crous_establishments(scope).filter(code=code).first()
    if establishment is None:
        raise Http404
    if not tariff_rules.may_refresh(scope, establishment):
        raise PermissionDenied
    try:
        reports = tariff_rules.refresh_tariff_rules(establishment)
    except tariff_rules.RefreshRefused as exc:
        messages.error(request, str(exc))
        return redirect("backoffice:crous_tariffs")
    for report in reports:
        if report.replaced:
            messages.success(request, _("%(grid)s: %(count)d rules fetched and stored.")
                             % {"grid": report.grid, "count": report.rules})
        else:
            messages.error(request, _("%(grid)s: the %(count)d rules fetched before are kept. "
                                      "%(error)s") % {"grid": report.grid,
                                                      "count": report.rules,
                                                      "error": report.error})
    audit.record("crous.tariffs.refreshed", Actor.from_request(request), establishment,
                 after={str(r.grid): r.error or r.rules for r in reports})
    return redirect("backoffice:crous_tariffs")


@staff_only
@only(*SAFE_METHODS)
def tariff_for_person(request):
    eppn = (request.GET.get("eppn") or "").strip().lower()[:255]
    context = {"eppn": eppn, "defaults": tariffs.DEFAULTS,
               "status_key": tariff_rules.STATUS_KEY, "index_key": tariff_rules.INDEX_KEY}
    if eppn:
        person = (scope_of(request.user).filter_people(Person.objects)
                  .select_related("establishment").filter(eppn=eppn).first())
        if person is None:
            context["not_found"] = True
        else:
            explanation = tariff_rules.explain_tariff(person)
            context.update(person=person, explanation=explanation,
                           tried=[_tried_row(tried) for tried in explanation.tried])
    return render(request, "backoffice/crous_tariff_person.html", context)


def _tried_row(tried):
    return {"stored": tried.stored, "applies": tried.applies,
            "checks": [{"label": CRITERIA[check.criterion], "wanted": check.wanted,
                        "actual": check.actual, "holds": check.holds}
                       for check in tried.checks]}
