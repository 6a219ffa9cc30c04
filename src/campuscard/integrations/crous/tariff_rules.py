"""The CROUS tariff rules kept here: fetched per CROUS number and UAI (`refresh_tariff_rules`,
daily and on demand), and matched for a person (`tariff_for`, `explain_tariff`) with the plain
functions of `tariffs.py`.

A grid (`CrousTariffGrid`) is what one CROUS gives for one UAI; an establishment's own grid (its
CROUS number, its UAI, priority 0) is created when first refreshed, others are added in
django-admin. A refresh replaces a grid's rules in one transaction, and only with an answer that
looks right: a failure, an empty list or a broken rule keeps the rules fetched before, and the
grid says why (`last_error`).

What the rules look at comes from the person sources: the status from the value named
`referenceStatut`, the INM index from `indice` (a source's `extra` names, as ESUP's user-info
keys); the UAI is the establishment's.
"""

import dataclasses
import logging
import re

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.integrations.crous import tariffs
from campuscard.integrations.crous.client import BadAnswer, CrousError, RightHolder
from campuscard.integrations.crous.models import (
    CrousAccount,
    CrousEstablishment,
    CrousTariffGrid,
    CrousTariffRule,
)

STATUS_KEY = "referenceStatut"
INDEX_KEY = "indice"
REFRESH_TIMEOUT = 15.0
MAX_RULES = 1000  # more than any CROUS grid: an answer that long is not a grid
_STATUS_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")

logger = logging.getLogger("campuscard.crous")


class RefreshRefused(Exception):
    """Nothing can be fetched for this establishment; the message (translated) says why."""


@dataclasses.dataclass(frozen=True)
class GridRefresh:
    """How one grid's refresh went: `error` empty when its rules were replaced."""

    grid: CrousTariffGrid
    rules: int
    error: str = ""

    @property
    def replaced(self):
        return not self.error


# --- who may refresh ------------------------------------------------------------------------------

def may_refresh(scope, establishment):
    """Administrators, and managers of that establishment."""
    return scope.is_admin or any(grant.kind == "manager"
                                 and establishment.pk in grant.establishment_ids
                                 for grant in scope.grants)


# --- fetching -----------------------------------------------------------------------------------

def grids_of(establishment):
    """The establishment's grids, its own one (CROUS number, UAI) created when missing."""
    crous_settings = CrousEstablishment.objects.filter(establishment=establishment).first()
    if crous_settings is not None and crous_settings.crous_number and establishment.uai:
        CrousTariffGrid.objects.get_or_create(
            crous_number=crous_settings.crous_number.strip(), uai=establishment.uai.upper(),
            defaults={"establishment": establishment})
    return list(CrousTariffGrid.objects.filter(establishment=establishment))


def refresh_tariff_rules(establishment, *, client=None):
    """Fetch every grid of `establishment` from CROUS and keep what came right; one GridRefresh
    per grid. RefreshRefused when the API is not configured or there is nothing to fetch."""
    from campuscard.integrations.crous import services  # services uses this module

    if not services.crous_configured():
        raise RefreshRefused(_("The CROUS API is not configured (CAMPUSCARD_CROUS_URL…)."))
    grids = grids_of(establishment)
    if not grids:
        raise RefreshRefused(_("%(establishment)s has no CROUS number or no UAI: there are no "
                               "tariff rules to fetch.") % {"establishment": establishment})
    client = client or services.crous_client(timeout=REFRESH_TIMEOUT)
    return [refresh_grid(client, grid) for grid in grids]


def refresh_every_establishment():
    """The daily job: every establishment sending to CROUS with a CROUS number."""
    from campuscard.integrations.crous import services

    if not services.crous_configured():
        return {"skipped": "CROUS API not configured"}
    outcome = {}
    for crous_settings in (CrousEstablishment.objects.filter(enabled=True)
                           .exclude(crous_number="").select_related("establishment")):
        establishment = crous_settings.establishment
        try:
            reports = refresh_tariff_rules(establishment)
        except RefreshRefused as exc:
            outcome[establishment.code] = str(exc)
            continue
        outcome[establishment.code] = {str(r.grid): r.error or r.rules for r in reports}
    return outcome


def refresh_grid(client, grid):
    """Replace the grid's rules with CROUS's answer when it looks right; else keep them."""
    now = timezone.now()
    try:
        fetched = client.tariff_rules(grid.crous_number, grid.uai)
        problem = broken(fetched)
    except (CrousError, httpx.InvalidURL) as exc:
        fetched, problem = [], _("CROUS did not give the rules: %(error)s") % {
            "error": getattr(exc, "message", type(exc).__name__)}
    if problem:
        logger.warning("tariff rules of %s kept: %s", grid, problem)
        CrousTariffGrid.objects.filter(pk=grid.pk).update(attempted_at=now, last_error=problem)
        grid.attempted_at, grid.last_error = now, problem
        return GridRefresh(grid, rules=grid.rules.count(), error=problem)
    with transaction.atomic():
        # The row lock makes two refreshes of one grid take turns (PostgreSQL).
        CrousTariffGrid.objects.select_for_update().filter(pk=grid.pk).first()
        CrousTariffRule.objects.filter(grid=grid).delete()
        CrousTariffRule.objects.bulk_create([
            CrousTariffRule(grid=grid, position=position, status_code=rule.status_code or "",
                            index_min=rule.index_min, index_max=rule.index_max,
                            id_company_rate=rule.id_company_rate, id_rate=rule.id_rate)
            for position, rule in enumerate(fetched)])
        CrousTariffGrid.objects.filter(pk=grid.pk).update(fetched_at=now, attempted_at=now,
                                                          last_error="")
    grid.fetched_at = grid.attempted_at = now
    grid.last_error = ""
    logger.info("tariff rules of %s replaced: %d rules", grid, len(fetched))
    return GridRefresh(grid, rules=len(fetched))


def broken(rules):
    """Why a list of client.TariffRule is not taken as the new grid; "" when it looks right."""
    if not rules:
        return _("CROUS gave no rules (the rules fetched before are kept).")
    if len(rules) > MAX_RULES:
        return _("CROUS gave %(count)d rules, more than %(max)d: not a tariff grid.") % {
            "count": len(rules), "max": MAX_RULES}
    for number, rule in enumerate(rules, start=1):
        problem = _broken_rule(rule)
        if problem:
            return _("Rule %(number)d: %(problem)s") % {"number": number, "problem": problem}
    return ""


def _broken_rule(rule):
    if rule.status_code and not _STATUS_CODE.match(rule.status_code):
        return _("“%(status)s” is not a status code.") % {"status": rule.status_code[:40]}
    if rule.index_min is not None and rule.index_max is not None \
            and rule.index_min > rule.index_max:
        return _("the index range %(min)d to %(max)d is empty.") % {
            "min": rule.index_min, "max": rule.index_max}
    if rule.id_company_rate < 0 or rule.id_rate < 0:
        return _("a rate is negative.")
    return ""


# --- matching -----------------------------------------------------------------------------------

def stored_rules():
    """Every stored rule as a tariffs.Rule: its grid's UAI and priority, in a stable order."""
    return [tariffs.Rule(id_company_rate=row.id_company_rate, id_rate=row.id_rate,
                         status_code=row.status_code or None, uai=row.grid.uai,
                         index_min=row.index_min, index_max=row.index_max,
                         priority=row.grid.priority, key=row.pk)
            for row in CrousTariffRule.objects.select_related("grid")
            .order_by("-grid__priority", "grid_id", "position")]


def _source_order():
    from campuscard.people.sources import config as source_config

    try:
        return [source.name for source in source_config.load().sources]
    except source_config.ConfigError:
        return []


def said_by_sources(person, names):
    """{name: (value, source)} for each of `names` a source gives the person (any case), later
    sources of the file overriding earlier ones, as the sync merges them."""
    order = _source_order()
    links = sorted(person.source_links.all(), key=lambda link: (
        order.index(link.source) if link.source in order else len(order), link.source))
    wanted = {name.lower(): name for name in names}
    said = {}
    for link in links:
        for key, value in (link.values or {}).items():
            name = wanted.get(key.lower())
            if name is not None and str(value or "").strip():
                said[name] = (str(value).strip(), link.source)
    return said


def profile_of(person, said=None):
    said = said_by_sources(person, (STATUS_KEY, INDEX_KEY)) if said is None else said
    return tariffs.Profile(status=tariffs.reference_status(said.get(STATUS_KEY, ("",))[0]),
                           index=tariffs.inm_index(said.get(INDEX_KEY, ("",))[0]),
                           uai=(person.establishment.uai or "").upper())


def tariff_for(person, *, crous_holder=None):
    """The person's tariff from the stored rules; with `crous_holder` (their right-holder as CROUS
    shows it), CROUS's own rate kept where CROUS owns it."""
    tariff = tariffs.tariff_of(stored_rules(), profile_of(person))
    if crous_holder is not None:
        tariff = tariffs.with_crous_rate(tariff, crous_holder.id_company_rate,
                                         crous_holder.id_rate)
    return tariff


@dataclasses.dataclass(frozen=True)
class Tried:
    """A rule tried for the person, in order, with each of its criteria checked."""

    rule: tariffs.Rule
    stored: CrousTariffRule
    checks: list

    @property
    def applies(self):
        return all(check.holds for check in self.checks)


@dataclasses.dataclass(frozen=True)
class Explanation:
    """Which tariff a person gets and why, for the back-office."""

    profile: tariffs.Profile
    said: dict
    tried: list
    tariff: tariffs.Tariff
    crous_holder: RightHolder | None
    sent: tariffs.Tariff
    crous_owned: bool

    @property
    def rule(self):
        return next((tried.stored for tried in self.tried if tried.applies), None)


def explain_tariff(person):
    """The person's profile, the rules tried up to the one that applies, the tariff they give,
    and what is sent given what CROUS last showed of the person."""
    said = said_by_sources(person, (STATUS_KEY, INDEX_KEY))
    profile = profile_of(person, said)
    rules = tariffs.in_order(stored_rules())
    stored = CrousTariffRule.objects.select_related("grid").in_bulk([r.key for r in rules])
    tried = []
    for rule in rules:
        tried.append(Tried(rule, stored[rule.key], tariffs.checks(rule, profile)))
        if tried[-1].applies:
            break
    tariff = tariffs.tariff_of(rules, profile)
    holder = _last_seen(person)
    return Explanation(profile=profile, said=said, tried=tried, tariff=tariff,
                       crous_holder=holder, crous_owned=_crous_owns(person, holder),
                       sent=_sent(tariff, person, holder))


def _last_seen(person):
    account = CrousAccount.objects.filter(person=person).first()
    if account is None or not account.seen:
        return None
    try:
        return RightHolder.from_json(account.seen)
    except BadAnswer:
        return None


def _crous_owns(person, holder):
    """A student's tariff at company rate 10 is CROUS's, as services.right_holder_for sends it."""
    from campuscard.integrations.crous import services

    return (services.is_student(person, holder)
            and holder.id_company_rate == services.STUDENT_COMPANY_RATE)


def _sent(tariff, person, holder):
    if _crous_owns(person, holder):
        return tariffs.Tariff(holder.id_company_rate, holder.id_rate, crous_rate_kept=True)
    if holder is None:
        return tariff
    return tariffs.with_crous_rate(tariff, holder.id_company_rate, holder.id_rate)
