"""The sign-on methods file, the login page built from it, the password methods (break-glass
included), the person linked at sign-on, and the logout."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from campuscard.accounts.signon import config as signon_config
from campuscard.core.models import AuditEntry
from campuscard.people.models import Person

from ...conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def signon_file(settings, tmp_path):
    def write(text):
        path = tmp_path / "signon.toml"
        path.write_text(text)
        settings.CAMPUSCARD_SIGNON_FILE = str(path)
        return path
    return write


def login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def test_without_a_file_the_login_page_is_the_password_form_and_it_logs_in(db):
    make_user("ana")
    page = Client().get("/login/").content.decode()
    assert 'name="password"' in page and "signon-methods" not in page
    assert login(Client(), "ana").status_code == 302


def test_break_glass_lets_only_superusers_log_in_with_a_password(signon_file, admin_user):
    signon_file('[[signon]]\nname = "local"\nkind = "password"\nsuperusers_only = true\n')
    make_user("ana")
    refused = login(Client(), "ana")
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session
    admin_user.set_password(PASSWORD)
    admin_user.save()
    assert login(Client(), admin_user.username).status_code == 302


def test_each_establishment_gets_its_own_methods_and_a_chooser_when_they_differ(
        signon_file, est_a, est_b):
    signon_file("""
[[signon]]
name = "local-a"
kind = "password"
label = { en = "Université A account", fr = "Compte Université A" }
establishments = ["univ-a"]

[[signon]]
name = "local-b"
kind = "password"
establishments = ["ecole-b"]
superusers_only = true
""")
    page = Client().get("/login/").content.decode()
    assert 'name="establishment"' in page and "Université A" in page and "École B" in page
    only_b = Client().get("/login/", {"establishment": "ecole-b"}).content.decode()
    assert 'value="ecole-b" selected' in only_b


def test_a_broken_file_leaves_the_superusers_passwords_and_says_so(signon_file, admin_user):
    signon_file('[[signon]]\nname = "x"\nkind = "kerberos"\n')
    make_user("ana")
    page = Client().get("/login/").content.decode()
    assert "configuration has an error" in page
    assert login(Client(), "ana").status_code == 200
    admin_user.set_password(PASSWORD)
    admin_user.save()
    assert login(Client(), admin_user.username).status_code == 302
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "campuscard.W101" in out.getvalue() and "kind is one of" in out.getvalue()


@pytest.mark.parametrize(("text", "message"), [
    ('[[signon]]\nname = "x"\nkind = "kerberos"', "kind is one of"),
    ('[[signon]]\nname = "X Y"\nkind = "password"', "needs a name"),
    ('[[signon]]\nname = "x"\nkind = "password"\ncolour = "red"', "unknown keys colour"),
    ('[[signon]]\nname = "x"\nkind = "password"\n[[signon]]\nname = "x"\nkind = "password"',
     "Two sign-on methods are named x"),
    ('[[signon]]\nname = "x"\nkind = "password"\nlabel = 3', "label is a text"),
    ('[[signon]]\nname = "x"\nkind = "password"\nestablishments = "a"', "list of establishment"),
    ('[[signon]]\nname = "x"\nkind = "password"\n[signon.attributes]\ngroups = 1',
     "maps names in the role rules"),
    ("[signon", "not valid TOML"),
    ("", "declares no .*signon.* method"),
    ('[[method]]\nname = "x"', "Unknown tables"),
])
def test_a_bad_file_is_refused_with_its_reason(text, message):
    with pytest.raises(signon_config.ConfigError, match=message):
        signon_config.parse(text)


def test_a_method_that_is_off_is_not_offered(signon_file):
    signon_file('[[signon]]\nname = "a"\nkind = "password"\n'
                '[[signon]]\nname = "b"\nkind = "password"\nenabled = false\n')
    assert [m.name for m in signon_config.load().methods] == ["a"]


def test_signing_on_links_the_person_with_that_eppn_once_and_audits_it(est_a, students):
    user = make_user("lea@univ-a.fr")
    person = Person.objects.create(eppn="lea@univ-a.fr", first_name="Léa", last_name="Roux",
                                   establishment=est_a, population=students)
    assert login(Client(), "lea@univ-a.fr").status_code == 302
    person.refresh_from_db()
    assert person.user == user
    assert AuditEntry.objects.filter(action="person.account_linked", person_id=person.pk).count() \
        == 1
    assert login(Client(), "lea@univ-a.fr").status_code == 302
    assert AuditEntry.objects.filter(action="person.account_linked").count() == 1


def test_logout_is_a_post_and_ends_the_session(db):
    make_user("ana")
    client = Client()
    login(client, "ana")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.filter(username="ana").exists()
