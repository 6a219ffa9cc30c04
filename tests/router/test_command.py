"""`campuscard router issue-key | list-keys | revoke-key`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from campuscard.router.models import RouterKey

from .conftest import Router, assert_error


def run(*args):
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("router", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_issue_key_prints_only_the_key_and_it_works_as_a_bearer_key(est_a):
    out, err = run("issue-key", "--pic", est_a.pic, "--name", "campuscard")
    key = out.strip()
    assert out.count("\n") == 1 and key.startswith("escr_")
    assert "shown only this once" in err and key not in err
    assert Router(key).get("/persons").status_code == 200
    assert RouterKey.objects.get().organisation.name == "campuscard"


def test_issue_key_names_a_new_organisation(db):
    run("issue-key", "--pic", "123456789", "--name", "sync",
        "--organisation-name", "Université Z")
    assert RouterKey.objects.get().organisation.name == "Université Z"


@pytest.mark.parametrize("pic", ["12345", "abcdefghi"])
def test_issue_key_refuses_a_bad_pic(db, pic):
    with pytest.raises(CommandError, match="9 digits"):
        run("issue-key", "--pic", pic, "--name", "x")


def test_list_keys_never_shows_a_key(est_a, est_b):
    key_a, _ = run("issue-key", "--pic", est_a.pic, "--name", "a")
    run("issue-key", "--pic", est_b.pic, "--name", "b")
    out, _ = run("list-keys")
    assert len(out.splitlines()) == 2 and key_a.strip() not in out
    prefix = RouterKey.objects.get(name="a").prefix
    only_a, _ = run("list-keys", "--pic", est_a.pic)
    assert only_a.split("\t")[:2] == [prefix, est_a.pic] and "active" in only_a


def test_revoke_key_makes_the_key_unauthorized(est_a):
    key = run("issue-key", "--pic", est_a.pic, "--name", "a")[0].strip()
    prefix = RouterKey.objects.get().prefix
    out, _ = run("revoke-key", "--prefix", prefix)
    assert "revoked" in out
    assert_error(Router(key).get("/persons"), 401)
    assert "revoked" in run("list-keys")[0]
    with pytest.raises(CommandError, match="No active router key"):
        run("revoke-key", "--prefix", prefix)
