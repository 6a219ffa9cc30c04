"""Computed fields as data: ordered rules, each a list of conditions and the fields it sets.

For every field, the first rule (in file order) whose conditions all hold and that sets it wins.
Conditions: equals, in, regex, present, before/after (a date or "today"); each may be negated
with `not = true`. A multi-valued attribute (values separated by ';') matches when one value
does. Nothing here runs code from the file: no eval, no template language.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.people.sources.fields import MULTI_SEPARATOR, SYNCED_FIELDS, parse_date

OPERATORS = ("equals", "in", "regex", "present", "before", "after")
COMPUTABLE = tuple(name for name in SYNCED_FIELDS if name != "eppn")


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    attribute: str
    operator: str
    operand: object
    negate: bool = False

    def holds(self, record, today):
        return self._test(record.get(self.attribute, ""), today) != self.negate

    def _test(self, value, today):
        values = [v.strip() for v in value.split(MULTI_SEPARATOR) if v.strip()]
        if self.operator == "present":
            return bool(values) == self.operand
        if self.operator == "equals":
            return any(v.lower() == self.operand for v in values)
        if self.operator == "in":
            return any(v.lower() in self.operand for v in values)
        if self.operator == "regex":
            return any(self.operand.search(v) for v in values)
        limit = today if self.operand == "today" else self.operand
        try:
            date = parse_date(value, self.attribute)
        except Exception:
            return False
        if date is None:
            return False
        return date < limit if self.operator == "before" else date > limit


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: tuple
    sets: dict

    def matches(self, record, today):
        return all(condition.holds(record, today) for condition in self.conditions)

    @property
    def uses_today(self):
        return any(c.operand == "today" for c in self.conditions) or any(
            isinstance(v, dict) and "days_from_today" in v for v in self.sets.values())


def parse_rules(items):
    return tuple(_rule(item, index) for index, item in enumerate(items or (), start=1))


def _rule(item, index):
    if not isinstance(item, dict):
        raise RuleError(_("Rule %(n)d must be a table.") % {"n": index})
    name = str(item.get("name") or f"rule {index}")
    unknown = set(item) - {"name", "when", "set"}
    if unknown:
        raise RuleError(_("Rule “%(name)s”: unknown keys %(keys)s.")
                        % {"name": name, "keys": ", ".join(sorted(unknown))})
    when = item.get("when", [])
    when = [when] if isinstance(when, dict) else when
    sets = item.get("set")
    if not isinstance(sets, dict) or not sets:
        raise RuleError(_("Rule “%(name)s” sets nothing (add a [rule.set] table).")
                        % {"name": name})
    bad = sorted(set(sets) - set(COMPUTABLE))
    if bad:
        raise RuleError(_("Rule “%(name)s” sets unknown fields %(fields)s.")
                        % {"name": name, "fields": ", ".join(bad)})
    for field, value in sets.items():
        _check_value(name, field, value)
    conditions = tuple(parse_condition(name, c) for c in when)
    return Rule(name, conditions, dict(sets))


def parse_condition(rule, table):
    if not isinstance(table, dict) or not isinstance(table.get("attribute"), str):
        raise RuleError(_("Rule “%(name)s”: each condition needs an attribute.")
                        % {"name": rule})
    operators = [op for op in OPERATORS if op in table]
    extra = set(table) - set(OPERATORS) - {"attribute", "not"}
    if len(operators) != 1 or extra:
        raise RuleError(_("Rule “%(name)s”: a condition has exactly one of %(ops)s.")
                        % {"name": rule, "ops": ", ".join(OPERATORS)})
    operator = operators[0]
    operand = table[operator]
    try:
        operand = _operand(operator, operand)
    except (re.error, TypeError, ValueError) as exc:
        raise RuleError(_("Rule “%(name)s”: bad %(op)s (%(error)s).")
                        % {"name": rule, "op": operator, "error": exc}) from None
    return Condition(table["attribute"], operator, operand, bool(table.get("not", False)))


def _operand(operator, operand):
    if operator == "equals":
        return str(operand).lower()
    if operator == "in":
        if not isinstance(operand, list):
            raise TypeError("a list is expected")
        return frozenset(str(v).lower() for v in operand)
    if operator == "regex":
        return re.compile(str(operand))
    if operator == "present":
        if not isinstance(operand, bool):
            raise TypeError("true or false is expected")
        return operand
    if operand == "today":
        return operand
    if isinstance(operand, datetime.date):
        return operand
    return datetime.date.fromisoformat(str(operand))


def _check_value(rule, field, value):
    if field == "rights_end" and isinstance(value, dict):
        keys = set(value)
        if not ((keys <= {"year_of", "add_years", "month_day"} and "year_of" in keys)
                or keys == {"days_from_today"}):
            raise RuleError(_("Rule “%(name)s”: rights_end is a date, {days_from_today = N} or "
                              "{year_of = \"attribute\", add_years = N, month_day = \"MM-DD\"}.")
                            % {"name": rule})
        if "month_day" in value:
            try:
                datetime.date.fromisoformat(f"2000-{value['month_day']}")
            except ValueError:
                raise RuleError(_("Rule “%(name)s”: month_day must be MM-DD.")
                                % {"name": rule}) from None
    elif not isinstance(value, str | bool | datetime.date):
        raise RuleError(_("Rule “%(name)s”: %(field)s must be text, true/false or a date.")
                        % {"name": rule, "field": field})


def apply_rules(rules, record, today=None):
    """Set the computed fields on `record` (a dict of strings); returns {field: rule name}."""
    today = today or timezone.localdate()
    fired = {}
    for rule in rules:
        pending = [field for field in rule.sets if field not in fired]
        if not pending or not rule.matches(record, today):
            continue
        for field in pending:
            record[field] = _value(rule.sets[field], record, today)
            fired[field] = rule.name
    return fired


def _value(value, record, today):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        if "days_from_today" in value:
            return (today + datetime.timedelta(days=int(value["days_from_today"]))).isoformat()
        year = record.get(value["year_of"], "").strip()[:4]
        if not year.isdigit():
            return ""
        month_day = value.get("month_day", "12-31")
        return f"{int(year) + int(value.get('add_years', 0)):04d}-{month_day}"
    return str(value)
