"""Password guessing is locked out per user name and per address (django-axes), the right
password does not get through a lockout, and the answer never tells whether an account exists."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from campuscard.accounts.throttle import lockout_message
from campuscard.core.models import AuditEntry

from ..conftest import PASSWORD

LOGIN = "/login/"
LIMIT = 3


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def attempt(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = attempt(client, username, "wrong password", **extra)
    return response


def logged_in(client):
    return "_auth_user_id" in client.session


def test_the_right_password_after_the_limit_of_wrong_ones_does_not_log_in(client, admin_user):
    fail(client, "admin", LIMIT)
    response = attempt(client, "admin", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    assert "Too many failed log-in attempts" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60


def test_below_the_limit_the_right_password_logs_in(client, admin_user):
    fail(client, "admin", LIMIT - 1)
    response = attempt(client, "admin", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_the_lockout_page_is_the_login_form_with_a_translated_message(client, admin_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    response = fail(client, "admin", LIMIT)
    assert response.status_code == 429
    assert response.templates[0].name == "registration/login.html"
    page = response.content.decode()
    assert 'name="password"' in page and 'role="alert"' in page
    assert "Mot de passe" in page  # the page is the French login page
    with translation.override("fr"):
        assert lockout_message() in page  # through gettext (the catalogue is filled on merge)


def test_an_unknown_name_and_a_real_locked_account_get_the_same_answer(admin_user):
    answers = []
    for username in ("admin", "nobody-by-that-name"):
        client = Client(REMOTE_ADDR=f"192.0.2.{len(answers) + 1}")
        fail(client, username, LIMIT)
        response = attempt(client, username, PASSWORD)
        page = response.content.decode().replace(username, "NAME")
        answers.append((response.status_code, page.split("<main", 1)[1].split("csrfmiddleware")[0]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429


def test_the_normal_failure_message_is_the_same_for_unknown_and_real_names(client, admin_user):
    real = attempt(client, "admin", "wrong password").context["form"].non_field_errors()
    unknown = attempt(client, "nobody", "wrong password").context["form"].non_field_errors()
    assert real == unknown and len(real) == 1


def test_the_account_is_locked_from_any_address(admin_user):
    fail(Client(REMOTE_ADDR="192.0.2.1"), "admin", LIMIT)
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(other, "admin", PASSWORD).status_code == 429
    assert not logged_in(other)


def test_the_address_is_locked_for_any_account(client, admin_user, manager_a):
    for username in ("x1", "x2", "x3"):
        attempt(client, username, "wrong password")
    response = attempt(client, "manager-a", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    # From another address, the account itself is fine.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(other, "manager-a", PASSWORD).status_code == 302


def test_the_address_counted_is_the_client_behind_a_trusted_proxy(settings, admin_user):
    settings.CAMPUSCARD_TRUSTED_PROXIES = ["127.0.0.1"]
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for number in range(LIMIT):
        attempt(proxy, f"x{number}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # Another client behind the same proxy is not locked out by the first one's failures.
    assert attempt(proxy, "admin", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, admin_user, settings):
    import time_machine

    with time_machine.travel("2026-03-02 10:00 +0000", tick=False) as traveller:
        fail(client, "admin", LIMIT)
        traveller.shift(14 * 60)
        assert attempt(client, "admin", PASSWORD).status_code == 429
        traveller.shift(16 * 60)  # the refused attempt started the cool-off again
        assert attempt(client, "admin", PASSWORD).status_code == 302


def test_the_start_of_a_lockout_is_audited_without_the_password(client, db):
    fail(client, "Someone", LIMIT + 2)
    entries = AuditEntry.objects.filter(action="auth.locked_out")
    assert entries.count() == 1  # the attempts refused during the lockout are not re-audited
    entry = entries.get()
    assert entry.after["username"] == "Someone" and entry.ip == "127.0.0.1"
    assert entry.object_type == "accessattempt"
    assert "wrong password" not in str(entry.after) + entry.reason
    assert "wrong password" not in AccessAttempt.objects.get().post_data


def test_a_successful_login_clears_only_that_name_from_that_address(client, admin_user):
    attempt(client, "admin", "wrong")
    attempt(client, "someone-else", "wrong")
    assert attempt(client, "admin", PASSWORD).status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["someone-else"]


def test_axes_reset_unlocks(client, admin_user):
    fail(client, "admin", LIMIT)
    call_command("axes_reset")
    assert attempt(client, "admin", PASSWORD).status_code == 302


def test_admins_see_and_delete_lockouts_in_django_admin(client, admin_user):
    fail(Client(), "admin", LIMIT)
    client.force_login(admin_user)
    page = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert page.status_code == 200 and "admin" in page.content.decode()
    attempt_row = AccessAttempt.objects.get()
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt_row.pk]), {"post": "yes"})
    assert not AccessAttempt.objects.exists()


def test_the_django_admin_login_is_locked_too(client, admin_user):
    url = reverse("admin:login")
    for _ in range(LIMIT):
        client.post(url, {"username": "admin", "password": "wrong"})
    response = client.post(url, {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429 and not logged_in(client)


def test_the_test_client_login_still_works_and_a_locked_account_is_refused(client, admin_user):
    assert client.login(username="admin", password=PASSWORD)
    fail(Client(), "admin", LIMIT)
    assert not Client().login(username="admin", password=PASSWORD)


def test_an_sso_backend_goes_through_the_same_lock(settings, admin_user):
    """The hook for SSO (issue 10): a backend that takes the user name from the identity
    provider (here Django's RemoteUserBackend, as behind a Shibboleth SP) is refused too."""
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS,
                                        "django.contrib.auth.backends.RemoteUserBackend"]
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9")
    request.session = {}
    assert authenticate(request, remote_user="admin") == admin_user
    fail(Client(), "admin", LIMIT)
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9")
    assert authenticate(request, remote_user="admin") is None
