import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from campuscard.api.models import ApiClient
from campuscard.core.models import AuditEntry

from .conftest import Caller


def run(*args):
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("api_client", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def created_token(output):
    return re.search(r"^(cc_\S+)$", output, re.MULTILINE)[1]


def test_create_prints_a_working_token_once(est_a, student):
    out, _ = run("create", "--name", "sis", "--scope", "people:read", "--scope",
                 "cards:search", "--establishment", "univ-a")
    token = created_token(out)
    client = ApiClient.objects.get(name="sis")
    assert sorted(client.scopes) == ["cards:search", "people:read"]
    assert [e.code for e in client.establishments.all()] == ["univ-a"]
    assert token not in str(ApiClient.objects.values().get())
    assert Caller(token).get(f"/api/people/{student.eppn}").status_code == 200
    entry = AuditEntry.objects.get(action="api_client.created")
    assert (entry.object_type, entry.object_id) == ("apiclient", str(client.pk))
    assert entry.actor_label == "system"
    assert entry.after["scopes"] == ["cards:search", "people:read"]


def test_create_for_every_establishment(est_a, student_b):
    out, err = run("create", "--name", "all", "--scope", "people:read", "--all-establishments")
    assert err == ""
    assert Caller(created_token(out)).get(f"/api/people/{student_b.eppn}").status_code == 200


def test_create_warns_when_the_client_reaches_nothing(db):
    _, err = run("create", "--name", "idle", "--scope", "people:read")
    assert "no establishment" in err


def test_create_refuses_bad_input(est_a):
    run("create", "--name", "sis", "--scope", "people:read", "--establishment", "univ-a")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "--name", "sis", "--scope", "people:read", "--establishment", "univ-a")
    with pytest.raises(CommandError, match="Unknown establishment: nowhere"):
        run("create", "--name", "other", "--scope", "people:read", "--establishment", "nowhere")
    with pytest.raises(CommandError):
        run("create", "--name", "other", "--scope", "cards:everything")
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["sis"]


def test_revoke_stops_the_token_at_once(est_a, student):
    token = created_token(run("create", "--name", "sis", "--scope", "people:read",
                              "--establishment", "univ-a")[0])
    out, _ = run("revoke", "--name", "sis")
    assert "revoked" in out
    assert Caller(token).get(f"/api/people/{student.eppn}").status_code == 401
    assert AuditEntry.objects.filter(action="api_client.revoked").count() == 1
    with pytest.raises(CommandError, match="No active API client"):
        run("revoke", "--name", "sis")


def test_list_shows_clients_without_their_secrets(est_a):
    token = created_token(run("create", "--name", "sis", "--scope", "people:read",
                              "--establishment", "univ-a")[0])
    run("create", "--name", "old", "--scope", "cards:station", "--all-establishments")
    run("revoke", "--name", "old")
    out, _ = run("list")
    lines = out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["old", "sis"]
    assert "revoked" in lines[0] and "all establishments" in lines[0]
    assert "active" in lines[1] and "univ-a" in lines[1] and "never used" in lines[1]
    assert token.split("_", 2)[2] not in out
