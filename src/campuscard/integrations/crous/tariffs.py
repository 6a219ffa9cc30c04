"""The tariff (idCompanyRate, idRate) a person gets at CROUS: the CROUS tariff rules matched as
integrations.md §1.6 describes, as plain functions of plain data (the stored rules and the
person's profile come from `tariff_rules.py`).

- A rule applies when every criterion it sets holds: its status equals the person's (ignoring
  case), its UAI equals the person's (ignoring case), the person's INM index is at least
  `index_min` and at most `index_max`. A criterion left empty holds for anyone.
- Rules are tried by priority, highest first, and within one priority in the order given; the
  first that applies wins. None applies, or none was fetched: CROUS's defaults, 78/99.
- Then CROUS's own rate is kept where CROUS owns it: a computed student company rate (10) keeps
  the rate CROUS has the person at when CROUS has them at 10 too (scholarship rates), and the
  CNRS company rate (7999) always takes CROUS's rate.
"""

import dataclasses

DEFAULT_COMPANY_RATE = 78
DEFAULT_RATE = 99
STUDENT_COMPANY_RATE = 10
CNRS_COMPANY_RATE = 7999
DEFAULT_STATUS = "psg"
# The CNOUS reference statuses (User.CnousReferenceStatut in ESUP-SGC); anything else is psg.
STATUSES = ("psg", "etd", "prs", "hbg", "fct", "fpa", "stg", "ctr", "hb2", "hb3", "hb4", "hb5",
            "hb6", "po", "rtr")

STATUS, UAI, INDEX_MIN, INDEX_MAX = "status", "uai", "index_min", "index_max"


@dataclasses.dataclass(frozen=True)
class Rule:
    """One tariff rule; None for a criterion it does not set. `key` is what the caller knows it
    by (a stored rule's primary key)."""

    id_company_rate: int
    id_rate: int
    status_code: str | None = None
    uai: str | None = None
    index_min: int | None = None
    index_max: int | None = None
    priority: int = 0
    key: object = None


@dataclasses.dataclass(frozen=True)
class Profile:
    """What the rules look at: the person's CNOUS reference status, INM index and UAI."""

    status: str = DEFAULT_STATUS
    index: int = 0
    uai: str = ""


@dataclasses.dataclass(frozen=True)
class Check:
    """One criterion of a rule against a profile: `wanted` is the rule's, `actual` the person's."""

    criterion: str
    wanted: object
    actual: object
    holds: bool


@dataclasses.dataclass(frozen=True)
class Tariff:
    id_company_rate: int
    id_rate: int
    rule: Rule | None = None  # None: the defaults
    crous_rate_kept: bool = False

    @property
    def defaults(self):
        return self.rule is None

    @property
    def pair(self):
        return self.id_company_rate, self.id_rate


DEFAULTS = Tariff(DEFAULT_COMPANY_RATE, DEFAULT_RATE)


def reference_status(value):
    """The CNOUS status from what the sources say: a known code (any case), else psg."""
    text = str(value or "").strip().lower()
    return text if text in STATUSES else DEFAULT_STATUS


def inm_index(value):
    """The INM index from what the sources say: a whole number, else (empty, not a number) 0."""
    try:
        return int(str(value if value is not None else "").strip())
    except ValueError:
        return 0


def checks(rule, profile):
    """The criteria `rule` sets, each checked against `profile`."""
    found = []
    if rule.status_code:
        found.append(Check(STATUS, rule.status_code, profile.status,
                           rule.status_code.casefold() == profile.status.casefold()))
    if rule.uai:
        found.append(Check(UAI, rule.uai, profile.uai,
                           rule.uai.casefold() == (profile.uai or "").casefold()))
    if rule.index_min is not None:
        found.append(Check(INDEX_MIN, rule.index_min, profile.index,
                           profile.index >= rule.index_min))
    if rule.index_max is not None:
        found.append(Check(INDEX_MAX, rule.index_max, profile.index,
                           profile.index <= rule.index_max))
    return found


def applies(rule, profile):
    return all(check.holds for check in checks(rule, profile))


def in_order(rules):
    """Highest priority first; a stable sort keeps the given order within a priority."""
    return sorted(rules, key=lambda rule: -rule.priority)


def matching_rule(rules, profile):
    """The first rule that applies to `profile`, None when none does."""
    return next((rule for rule in in_order(rules) if applies(rule, profile)), None)


def tariff_of(rules, profile):
    """The tariff `rules` give `profile`: the matching rule's, else the defaults."""
    rule = matching_rule(rules, profile)
    if rule is None:
        return DEFAULTS
    return Tariff(rule.id_company_rate, rule.id_rate, rule)


def with_crous_rate(tariff, crous_company_rate, crous_rate):
    """`tariff` once CROUS's own rate is kept where CROUS owns it (see the module's doc)."""
    if crous_rate is None:
        return tariff
    student_at_crous = (tariff.id_company_rate == STUDENT_COMPANY_RATE
                        and crous_company_rate == STUDENT_COMPANY_RATE)
    if student_at_crous or tariff.id_company_rate == CNRS_COMPANY_RATE:
        return dataclasses.replace(tariff, id_rate=crous_rate, crous_rate_kept=True)
    return tariff
