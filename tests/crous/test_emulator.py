"""The emulator itself: its token endpoints, its own database, its faults switch, its page and
the `campuscard crous-emulator` command."""

import base64
import datetime
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from campuscard.integrations.crous.client import CrousClient, RightHolder, SmartCard
from campuscard.integrations.crous.emulator import EmulatorServer

from .conftest import CLIENT_ID, CLIENT_SECRET

FAR = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def token(emulator, path="/api/oauth/token", auth=BASIC, query="?grant_type=client_credentials"):
    return httpx.post(f"{emulator.url}{path}{query}", headers={"Authorization": auth})


def test_the_token_endpoint_takes_only_the_clients_it_was_given(emulator):
    issued = token(emulator)
    assert issued.status_code == 200
    assert issued.json()["token_type"] == "Bearer" and issued.json()["expires_in"] == 3600
    assert token(emulator, path="/api-pp/oauth/token").status_code == 200
    wrong = "Basic " + base64.b64encode(f"{CLIENT_ID}:guess".encode()).decode()
    assert token(emulator, auth=wrong).status_code == 401
    assert token(emulator, query="").status_code == 400


def test_the_deprecated_token_route_answers_in_a_header(emulator):
    raw = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    answer = httpx.post(f"{emulator.url}/v1/token", headers={"Authorization": raw},
                        data={"grant_type": "client_credentials", "env": "PPD"})
    bearer = answer.headers["authorization"]
    assert answer.status_code == 200 and bearer.startswith("Bearer ")
    holder = httpx.get(f"{emulator.url}/beforeizly/v1/rightholders/x",
                       headers={"Authorization": bearer})
    assert holder.status_code == 404


def test_a_missing_or_expired_token_is_401(emulator):
    url = f"{emulator.url}/beforeizly/v1/rightholders/x"
    assert httpx.get(url).status_code == 401
    emulator.emulator.token_seconds = 0.2
    bearer = f"Bearer {token(emulator).json()['access_token']}"
    assert httpx.get(url, headers={"Authorization": bearer}).status_code == 404
    time.sleep(0.3)
    expired = httpx.get(url, headers={"Authorization": bearer})
    assert expired.status_code == 401 and expired.json()["errors"][0]["message"]


def test_unknown_paths_and_methods(emulator):
    assert httpx.get(f"{emulator.url}/beforeizly/v2/nothing").status_code == 404
    assert httpx.delete(f"{emulator.url}/beforeizly/v1/rightholders/x").status_code == 405


def test_its_state_is_its_own_file_and_survives_a_restart(tmp_path):
    path = tmp_path / "crous.sqlite3"
    with EmulatorServer({CLIENT_ID: CLIENT_SECRET}, db_path=path) as first, CrousClient(
            first.url, token_url=first.token_url, client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET) as crous:
        crous.create_right_holder(RightHolder("someone", email="s@example.org", due_date=FAR))
    with EmulatorServer({CLIENT_ID: CLIENT_SECRET}, db_path=path) as second:
        assert [h["identifier"] for h in second.emulator.snapshot()["rightholders"]] == [
            "someone"]


def test_the_emulator_knows_nothing_of_django():
    code = ("import sys, campuscard.integrations.crous.emulator; "
            "sys.exit(int(any(m.startswith('django') for m in sys.modules)))")
    src = str(Path(__file__).resolve().parents[2] / "src")
    result = subprocess.run([sys.executable, "-c", code], env=os.environ | {"PYTHONPATH": src},
                            check=False)
    assert result.returncode == 0


def test_it_fails_a_share_of_requests_when_told(client, emulator):
    httpx.post(f"{emulator.url}/_emulator/faults", json={"failure_rate": 1})
    answer = httpx.get(f"{emulator.url}/beforeizly/v1/rightholders/x")
    assert answer.status_code == 500 and answer.text == "injected failure"
    httpx.post(f"{emulator.url}/_emulator/faults", json={"failure_rate": 0.5})
    statuses = [httpx.get(f"{emulator.url}/beforeizly/v1/rightholders/x").status_code
                for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(401) == 40 - statuses.count(500)


def test_it_goes_down_for_a_while_when_told(emulator):
    httpx.post(f"{emulator.url}/_emulator/faults", json={"down_seconds": 0.5})
    time.sleep(0.2)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{emulator.url}/_emulator/state", timeout=1)
    time.sleep(0.6)
    assert httpx.get(f"{emulator.url}/_emulator/state").json()["faults"]["down"] is False


def test_its_page_lists_right_holders_and_smartcards(client, emulator):
    client.create_right_holder(RightHolder("eve@example.org", first_name="<Eve>",
                                           email="eve@example.org", due_date=FAR))
    client.create_smartcard("eve@example.org", SmartCard(id_zdc=99990007, uid="04AA"))
    client.oppose_smartcard("eve@example.org", 99990007, "04AA", "DP")
    page = httpx.get(f"{emulator.url}/_emulator/").text
    assert "eve@example.org" in page and "&lt;Eve&gt;" in page and "<Eve>" not in page
    assert "99990007" in page and "opposed DP" in page


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_serves_the_emulator(tmp_path):
    port = free_port()
    command = [str(Path(sys.executable).parent / "campuscard"), "crous-emulator", "--port",
               str(port), "--client", f"{CLIENT_ID}:{CLIENT_SECRET}", "--db",
               str(tmp_path / "emulator.sqlite3")]
    env = os.environ | {"CAMPUSCARD_HOME": str(tmp_path),
                        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_emulator/state", timeout=1)
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stdout.read().decode()
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        issued = httpx.post(f"{url}/api/oauth/token?grant_type=client_credentials",
                            headers={"Authorization": BASIC})
        assert issued.status_code == 200
        assert "CROUS API emulator" in httpx.get(f"{url}/_emulator/").text
        assert (tmp_path / "emulator.sqlite3").exists()
    finally:
        process.terminate()
        process.wait(10)


def test_the_command_wants_client_credentials(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "campuscard"), "crous-emulator", "--port", "0"],
        env=os.environ | {"CAMPUSCARD_HOME": str(tmp_path),
                          "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")},
        capture_output=True, text=True, check=False)
    assert result.returncode != 0 and "--client ID:SECRET" in result.stderr
