"""Staff roles from rules: `[[role]]` tables in the sources file map directory groups, SAML/OIDC
claims or CAS attributes to roles on establishments and populations (docs/sources.md, "Roles").

Every rule whose conditions hold grants its role (roles add up; there is no first match). The
same rules are read against two records: the person's merged directory record at each sync
(origin "directory") and the attributes of each sign-on (origin "signon:<method>", under the
names the method's `attributes` table gives them). Reading an origin again replaces what it gave
before, so a group removed in the directory removes the role here; manual grants (no origin) are
never touched.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campuscard.core import audit
from campuscard.core.actors import Actor
from campuscard.institutions.models import Establishment
from campuscard.people.models import Person, Population, StaffRole
from campuscard.people.sources.rules import RuleError, parse_condition

PERSON_ESTABLISHMENT = "person"  # in a rule's establishments: the person's own establishment
ROLE_KEYS = {"name", "role", "establishments", "populations", "when"}


@dataclass(frozen=True)
class RoleRule:
    name: str
    kind: str
    establishments: tuple
    populations: tuple
    conditions: tuple

    def matches(self, record, today):
        return all(condition.holds(record, today) for condition in self.conditions)

    @property
    def label(self):
        return StaffRole.Kind(self.kind).label


@dataclass(frozen=True)
class Wanted:
    """A role a rule gives: kind, establishment codes, population codes, the rule's name."""

    kind: str
    establishments: frozenset
    populations: frozenset
    rule: str


def parse_role_rules(items):
    return tuple(_role_rule(item, index) for index, item in enumerate(items or (), start=1))


def _role_rule(item, index):
    if not isinstance(item, dict):
        raise RuleError(_("Role rule %(n)d must be a table.") % {"n": index})
    name = str(item.get("name") or f"role {index}")
    unknown = set(item) - ROLE_KEYS
    if unknown:
        raise RuleError(_("Role rule “%(name)s”: unknown keys %(keys)s.")
                        % {"name": name, "keys": ", ".join(sorted(unknown))})
    kind = item.get("role")
    if kind not in StaffRole.Kind.values:
        raise RuleError(_("Role rule “%(name)s”: role is one of %(kinds)s.")
                        % {"name": name, "kinds": ", ".join(StaffRole.Kind.values)})
    establishments = _codes(item.get("establishments", []), name, "establishments")
    if kind != StaffRole.Kind.ADMIN and not establishments:
        raise RuleError(_("Role rule “%(name)s”: list its establishments (codes, or \"person\" "
                          "for the person's own).") % {"name": name})
    when = item.get("when", [])
    when = [when] if isinstance(when, dict) else when
    if not isinstance(when, list) or not when:
        raise RuleError(_("Role rule “%(name)s” needs at least one condition in when.")
                        % {"name": name})
    return RoleRule(name, kind, establishments,
                    _codes(item.get("populations", []), name, "populations"),
                    tuple(parse_condition(name, c) for c in when))


def _codes(value, rule, key):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError(_("Role rule “%(name)s”: %(key)s is a list of codes.")
                        % {"name": rule, "key": key})
    return tuple(value)


def wanted_roles(rules, record, person_establishment="", today=None):
    """The roles the rules give a record (a dict of strings), person's establishment code."""
    today = today or timezone.localdate()
    wanted = set()
    for rule in rules:
        if not rule.matches(record, today):
            continue
        codes = {person_establishment if code == PERSON_ESTABLISHMENT else code
                 for code in rule.establishments} - {""}
        if rule.kind != StaffRole.Kind.ADMIN and not codes:
            continue
        wanted.add(Wanted(rule.kind, frozenset(codes) if rule.kind != "admin" else frozenset(),
                          frozenset(rule.populations), rule.name))
    return wanted


def replace_roles(user, origin, wanted, actor=None):
    """Make `user`'s roles from `origin` exactly `wanted`; audited when something changes.
    Returns whether anything changed."""
    actor = actor or Actor.system()
    with transaction.atomic():
        current = list(StaffRole.objects.select_for_update().filter(user=user, origin=origin)
                       .prefetch_related("establishments", "populations"))
        before = {_held(role) for role in current}
        if before == set(wanted):
            return False
        StaffRole.objects.filter(pk__in=[role.pk for role in current]).delete()
        establishments = dict(Establishment.objects.values_list("code", "pk"))
        populations = dict(Population.objects.values_list("code", "pk"))
        for want in sorted(wanted, key=lambda w: (w.kind, w.rule)):
            role = StaffRole.objects.create(user=user, kind=want.kind, origin=origin,
                                            rule=want.rule)
            role.establishments.set([establishments[c] for c in want.establishments
                                     if c in establishments])
            role.populations.set([populations[c] for c in want.populations if c in populations])
        audit.record("staff_role.replaced", actor, user,
                     before={"origin": origin, "roles": _described(before)},
                     after={"origin": origin, "roles": _described(wanted)})
    return True


def _held(role):
    return Wanted(role.kind, frozenset(e.code for e in role.establishments.all()),
                  frozenset(p.code for p in role.populations.all()), role.rule)


def _described(roles):
    return [{"role": r.kind, "establishments": sorted(r.establishments),
             "populations": sorted(r.populations), "rule": r.rule}
            for r in sorted(roles, key=lambda r: (r.kind, r.rule, sorted(r.establishments)))]


def refresh_sign_on_roles(user, method_name, record):
    """At sign-on: the roles the method's attributes give, replacing that method's last ones."""
    from campuscard.people.sources import config as source_config

    try:
        rules = source_config.load().roles
    except source_config.ConfigError:
        return False  # the sync reports the file's error; a sign-on goes on
    origin = StaffRole.SIGNON + method_name
    if not rules and not StaffRole.objects.filter(user=user, origin=origin).exists():
        return False
    person = Person.objects.filter(user=user).select_related("establishment").first()
    establishment = person.establishment.code if person else ""
    return replace_roles(user, origin, wanted_roles(rules, record, establishment),
                         Actor(user=user))


def refresh_directory_roles(wanted_by_eppn, actor):
    """After a sync batch: {eppn: (wanted roles)} become those people's directory roles. A
    person without an account gets one (no password: they sign on through SSO) only when a
    rule gives them a role."""
    if not wanted_by_eppn:
        return
    people = dict(Person.objects.filter(eppn__in=list(wanted_by_eppn))
                  .values_list("eppn", "user_id"))
    holders = set(StaffRole.objects.filter(origin=StaffRole.DIRECTORY,
                                           user_id__in=[u for u in people.values() if u])
                  .values_list("user_id", flat=True))
    users = get_user_model().objects.in_bulk([u for u in people.values() if u])
    for eppn, wanted in wanted_by_eppn.items():
        user_id = people.get(eppn)
        if not wanted and user_id not in holders:
            continue
        user = users.get(user_id) if user_id else _account_for(eppn)
        if user is not None:
            replace_roles(user, StaffRole.DIRECTORY, wanted, actor)


def _account_for(eppn):
    user, created = get_user_model().objects.get_or_create(username=eppn)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Person.objects.filter(eppn=eppn, user__isnull=True).update(user=user)
    return user
