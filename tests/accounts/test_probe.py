"""The outside probe's case, with the configured defaults: 60 wrong passwords for `admin`, then
the right one, must not log in. And the limits come from the environment."""

import os
import subprocess
import sys

from django.conf import settings

from ..conftest import PASSWORD


def test_sixty_wrong_passwords_then_the_right_one_do_not_log_in(client, admin_user):
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 900)
    for _ in range(60):
        client.post("/login/", {"username": "admin", "password": "guess"})
    response = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def configured(tmp_path, **environ):
    code = ("from campuscard import settings as s; print(s.AXES_FAILURE_LIMIT, "
            "int(s.AXES_COOLOFF_TIME.total_seconds()), s.CAMPUSCARD_SESSION_IDLE_MINUTES, "
            "s.SESSION_COOKIE_AGE)")
    env = {**os.environ, "CAMPUSCARD_HOME": str(tmp_path), **environ}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)


def test_the_limits_come_from_the_environment(tmp_path):
    done = configured(tmp_path, CAMPUSCARD_LOGIN_FAILURE_LIMIT="7",
                      CAMPUSCARD_LOGIN_COOLOFF_MINUTES="2", CAMPUSCARD_SESSION_IDLE_MINUTES="9",
                      CAMPUSCARD_SESSION_MAX_AGE_MINUTES="90")
    assert done.stdout.split() == ["7", "120", "9", str(90 * 60)]


def test_a_limit_below_one_is_refused_at_start(tmp_path):
    done = configured(tmp_path, CAMPUSCARD_LOGIN_FAILURE_LIMIT="0")
    assert done.returncode != 0 and "CAMPUSCARD_LOGIN_FAILURE_LIMIT" in done.stderr
