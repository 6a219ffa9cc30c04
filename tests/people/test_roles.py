"""Staff roles from rules: the directory's groups at each sync, the sign-on's attributes at each
sign-on; a group removed removes the role; manual grants are left alone and audited."""

from pathlib import Path

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory

from campuscard.cards.permissions import roles_on_card
from campuscard.cards.states import Role
from campuscard.core.actors import Actor
from campuscard.core.models import AuditEntry
from campuscard.people.models import Person, StaffRole
from campuscard.people.permissions import scope_of
from campuscard.people.roles import parse_role_rules, refresh_sign_on_roles, wanted_roles
from campuscard.people.sources import config as source_config
from campuscard.people.sources.rules import RuleError

from ..conftest import PASSWORD, make_person, make_staff
from .helpers import run

pytestmark = pytest.mark.django_db

HEADER = "eppn,first_name,last_name,email,primary_affiliation,groups\n"
GROUP_A = "cn=sgc-managers,ou=groups,dc=univ-a,dc=fr"
GROUP_READ = "cn=sgc-read,ou=groups,dc=univ-a,dc=fr"
ROLES = f"""
[[role]]
name = "card office"
role = "manager"
establishments = ["person"]
when = [{{ attribute = "groups", in = ["{GROUP_A}"] }}]

[[role]]
name = "library desk"
role = "consultant"
establishments = ["univ-a", "ecole-b"]
populations = ["student"]
when = [{{ attribute = "groups", equals = "{GROUP_READ}" }}]

[[role]]
name = "it"
role = "admin"
when = [{{ attribute = "groups", regex = "^cn=sgc-admins," }}]
"""


@pytest.fixture
def directory(settings, tmp_path, est_a, est_b, students, staff_population):
    path = tmp_path / "people.csv"
    toml = tmp_path / "sources.toml"

    def write(rows, roles=ROLES):
        path.write_text(HEADER + "".join(f"{row}\n" for row in rows))
        toml.write_text(f"""
[[source]]
name = "hr"
kind = "csv"
establishment = "univ-a"
path = "{path}"
[source.extra]
groups = "groups"

[[rule]]
name = "population"
set = {{ population = "staff" }}
{roles}
""")
        settings.CAMPUSCARD_SOURCES_FILE = str(toml)
    return write


def roles_of(username):
    return sorted((r.kind, tuple(sorted(e.code for e in r.establishments.all())),
                   tuple(sorted(p.code for p in r.populations.all())), r.origin, r.rule)
                  for r in StaffRole.objects.filter(user__username=username))


def test_a_directory_group_gives_the_role_and_losing_it_takes_it_away(directory, est_a):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A};{GROUP_READ}\"",
               "tom@univ-a.fr,Tom,Petit,tom@univ-a.fr,staff,"])
    run()
    assert roles_of("lea@univ-a.fr") == [
        ("consultant", ("ecole-b", "univ-a"), ("student",), "directory", "library desk"),
        ("manager", ("univ-a",), (), "directory", "card office"),
    ]
    assert roles_of("tom@univ-a.fr") == []
    assert not get_user_model().objects.filter(username="tom@univ-a.fr").exists()
    lea = Person.objects.get(eppn="lea@univ-a.fr")
    assert lea.user.username == "lea@univ-a.fr" and not lea.user.has_usable_password()
    assert scope_of(lea.user).is_manager

    directory(["lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"cn=other,ou=groups,dc=univ-a,dc=fr\"",
               "tom@univ-a.fr,Tom,Petit,tom@univ-a.fr,staff,"])
    run()
    assert roles_of("lea@univ-a.fr") == []
    entry = AuditEntry.objects.filter(action="staff_role.replaced").latest("pk")
    assert entry.before["origin"] == "directory" and len(entry.before["roles"]) == 2
    assert entry.after["roles"] == []


def test_an_unchanged_sync_writes_no_role_and_a_manual_grant_is_never_touched(directory, est_a):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    run()
    user = get_user_model().objects.get(username="lea@univ-a.fr")
    manual = StaffRole.objects.create(user=user, kind="consultant")
    manual.establishments.set([est_a])
    audited = AuditEntry.objects.filter(action="staff_role.replaced").count()
    run(full=True)
    assert AuditEntry.objects.filter(action="staff_role.replaced").count() == audited
    directory(["lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,"])
    run()
    assert roles_of("lea@univ-a.fr") == [("consultant", ("univ-a",), (), "", "")]


def test_taking_the_rules_out_of_the_file_removes_the_roles_they_gave(directory):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    run()
    assert roles_of("lea@univ-a.fr")
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""], roles="")
    run()
    assert roles_of("lea@univ-a.fr") == []


def test_a_person_gone_from_the_directory_loses_the_roles_it_gave(directory, settings):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""]
              + [f"p{i}@univ-a.fr,P,N{i},p{i}@univ-a.fr,staff," for i in range(40)])
    run()
    path = source_config.load().source("hr").options["path"]
    lines = Path(path).read_text().splitlines()
    Path(path).write_text("\n".join(line for line in lines if not line.startswith("lea@"))
                          + "\n")
    sources = Path(settings.CAMPUSCARD_SOURCES_FILE)
    sources.write_text(sources.read_text() + "\n[sync]\ngrace_days = 0\n")
    run(full=True)  # missing from now on
    assert roles_of("lea@univ-a.fr")
    run(full=True)  # missing past the grace period: rights end, and the roles go
    assert roles_of("lea@univ-a.fr") == []


def test_sign_on_attributes_give_roles_of_their_own_origin(directory, est_a, students):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    run()
    user = get_user_model().objects.get(username="lea@univ-a.fr")
    assert refresh_sign_on_roles(user, "cas-a", {"groups": f"{GROUP_READ};cn=x"})
    assert ("consultant", ("ecole-b", "univ-a"), ("student",), "signon:cas-a",
            "library desk") in roles_of("lea@univ-a.fr")
    assert not refresh_sign_on_roles(user, "cas-a", {"groups": f"cn=x;{GROUP_READ}"})
    assert refresh_sign_on_roles(user, "cas-a", {"groups": ""})
    assert roles_of("lea@univ-a.fr") == [
        ("manager", ("univ-a",), (), "directory", "card office")]


def test_a_password_login_refreshes_the_directory_roles(directory, settings):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    run()
    user = get_user_model().objects.get(username="lea@univ-a.fr")
    user.set_password(PASSWORD)
    user.save()
    directory(["lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,"])
    assert Client().post("/login/", {"username": "lea@univ-a.fr", "password": PASSWORD}
                         ).status_code == 302
    assert roles_of("lea@univ-a.fr") == []


def test_several_roles_add_up_and_each_keeps_its_own_reach(est_a, est_b, students):
    user = make_staff("mixed", "manager", [est_a])
    consultant = StaffRole.objects.create(user=user, kind="consultant")
    consultant.establishments.set([est_b])
    holder_a = make_person("ana", est_a, students)
    holder_b = make_person("ben", est_b, students)
    from campuscard.cards.states import State

    from ..conftest import card_in_state

    card_a = card_in_state(holder_a, State.NEW, user)
    other = make_staff("boss-b", "manager", [est_b])
    card_b = card_in_state(holder_b, State.NEW, other)
    actor = Actor(user=user)
    assert roles_on_card(actor, card_a) == {Role.MANAGER}
    assert roles_on_card(Actor(user=get_user_model().objects.get(pk=user.pk)), card_b) == set()
    scope = scope_of(get_user_model().objects.get(pk=user.pk))
    assert scope.covers(est_b.pk, students.pk) and not scope.manages(est_b.pk, students.pk)
    from campuscard.cards.models import Card

    assert set(scope.filter_cards(Card.objects.all())) == {card_a, card_b}


@pytest.mark.parametrize(("toml", "message"), [
    ('[[role]]\nrole="boss"\nestablishments=["a"]\nwhen={attribute="g",present=true}',
     "role is one of"),
    ('[[role]]\nrole="manager"\nwhen={attribute="g",present=true}', "list its establishments"),
    ('[[role]]\nrole="manager"\nestablishments=["a"]', "at least one condition"),
    ('[[role]]\nrole="manager"\nestablishments=["a"]\ncolour="red"\n'
     'when={attribute="g",present=true}', "unknown keys colour"),
])
def test_a_bad_role_rule_is_refused_with_its_reason(toml, message):
    with pytest.raises(source_config.ConfigError, match=message):
        source_config.parse(toml)


def test_rules_add_up_and_person_means_the_persons_own_establishment():
    rules = parse_role_rules([
        {"name": "m", "role": "manager", "establishments": ["person"],
         "when": {"attribute": "groups", "in": ["managers"]}},
        {"name": "a", "role": "admin", "when": {"attribute": "groups", "equals": "it"}},
    ])
    wanted = wanted_roles(rules, {"groups": "Managers;IT"}, "univ-a")
    assert {(w.kind, tuple(w.establishments)) for w in wanted} == {
        ("manager", ("univ-a",)), ("admin", ())}
    assert wanted_roles(rules, {"groups": "managers"}, "") == set()
    with pytest.raises(RuleError):
        parse_role_rules([{"role": "manager", "establishments": "univ-a",
                           "when": {"attribute": "g", "present": True}}])


def test_django_admin_lets_manual_grants_change_audited_but_not_rule_given_ones(
        directory, admin_user, est_a, est_b):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    run()
    given = StaffRole.objects.get(user__username="lea@univ-a.fr")
    request = RequestFactory().get("/")
    request.user = admin_user
    model_admin = site._registry[StaffRole]
    assert not model_admin.has_change_permission(request, given)
    assert not model_admin.has_delete_permission(request, given)
    client = Client()
    client.force_login(admin_user)
    response = client.post("/django-admin/people/staffrole/add/", {
        "user": given.user.pk, "kind": "manager", "establishments": [est_b.pk]})
    assert response.status_code == 302
    manual = StaffRole.objects.get(user=given.user, origin="")
    assert model_admin.has_change_permission(request, manual)
    entry = AuditEntry.objects.get(action="staffrole.created", object_id=str(manual.pk))
    assert entry.after["establishments"] == ["École B"] and entry.actor == admin_user


def test_the_test_a_person_page_shows_the_roles_the_rules_give(directory, admin_user):
    directory([f"lea@univ-a.fr,Léa,Roux,lea@univ-a.fr,staff,\"{GROUP_A}\""])
    client = Client()
    client.force_login(admin_user)
    page = client.get("/manage/sources/test/", {"eppn": "lea@univ-a.fr"}).content.decode()
    assert "card office" in page and "univ-a" in page
    assert not StaffRole.objects.filter(user__username="lea@univ-a.fr").exists()
    assert "card office" in client.get("/manage/sources/").content.decode()
