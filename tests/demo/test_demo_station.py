"""The demo's print station: registered for Rouen with its token in a private file, run by
`campuscard demo` beside the worker, printing into $CAMPUSCARD_HOME/demo/printed."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
from django.core.management import call_command

from campuscard.core.models import AuditEntry
from campuscard.demo import serving, story
from campuscard.stations.models import Station
from campuscard.stations.services import find_station

pytestmark = pytest.mark.django_db


def test_the_demo_registers_its_print_station_with_a_private_token(settings):
    story.seed_demo()
    station = Station.objects.get(name=story.PRINT_STATION)
    assert station.establishment.code == "univ-rouen"
    assert [user.username for user in station.allowed_users.all()] == ["manager-rouen"]
    token_file = serving.station_token_path()
    assert token_file == settings.HOME / "demo" / "station-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert find_station(token_file.read_text().strip()) == station
    assert serving.printed_folder().is_dir()


def test_a_second_start_keeps_the_token_and_a_lost_one_is_renewed():
    call_command("demo", no_serve=True)
    token_file = serving.station_token_path()
    token = token_file.read_text()
    call_command("demo", no_serve=True)
    assert token_file.read_text() == token
    assert Station.objects.filter(kind="print").count() == 1
    token_file.unlink()
    call_command("demo", no_serve=True)
    renewed = token_file.read_text().strip()
    assert renewed != token.strip() and find_station(token.strip()) is None
    assert find_station(renewed).name == story.PRINT_STATION
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert AuditEntry.objects.filter(action="station.token_renewed").count() == 1


def test_the_demo_runs_the_station_into_its_folder_with_one_more_web_worker():
    story.seed_demo()
    worker, server, agent, station = serving.commands(8000)
    assert agent[3:7] == ["station", "--verbosity", "0", "agent"]
    assert worker[-1] == "worker"
    assert station[3:7] == ["station", "--verbosity", "0", "print"]
    assert station[station.index("--folder") + 1] == str(serving.printed_folder())
    assert station[station.index("--token-file") + 1] == str(serving.station_token_path())
    assert station[station.index("--server") + 1] == "http://127.0.0.1:8000"
    assert server[server.index("--workers") + 1] == "3"
    assert "Demo print station" in serving.banner(8000)


def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_it_catches_sigterm(process, most=60):
    """Until `process` has its own SIGTERM handler (Linux's SigCgt mask), however long
    Django's start takes on a busy machine."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline and process.poll() is None:
        with open(f"/proc/{process.pid}/status") as status:
            caught = next(line for line in status if line.startswith("SigCgt:"))
        if int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.1)
    raise AssertionError("the station client never set its SIGTERM handler")


def test_the_station_waits_quietly_for_its_server_and_stops_cleanly(tmp_path):
    token = tmp_path / "token"
    token.write_text("st_00000000_" + "a" * 43)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUSCARD_")}
    env |= {"CAMPUSCARD_HOME": str(tmp_path / "home")}
    client = subprocess.Popen(
        [sys.executable, "-m", "campuscard.cli", "station", "--verbosity", "0", "print",
         "--server", f"http://127.0.0.1:{unused_port()}", "--token-file", str(token),
         "--folder", str(tmp_path), "--wait-for-server", "60"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_it_catches_sigterm(client)  # Django has started: the client runs
        time.sleep(1)  # a few refused connections
        assert client.poll() is None
        client.send_signal(signal.SIGTERM)
        out, err = client.communicate(timeout=15)
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 0
    assert (out, err) == ("", "")


def test_the_demo_encodes_with_its_own_layout_keys_and_station():
    from campuscard.nfc.layouts import check_keys
    from campuscard.nfc.models import CardLayout

    call_command("demo", no_serve=True)
    call_command("demo", no_serve=True)  # a second start makes nothing twice
    station = Station.objects.get(name=story.ENCODING_STATION)
    assert station.encodes and station.establishment.code == "univ-rouen"
    assert [user.username for user in station.allowed_users.all()] == ["manager-rouen"]
    layout = CardLayout.objects.get(code=story.DEMO_LAYOUT)
    assert check_keys(layout.current_version.declaration) == []
    assert serving.reader_agent_command(8000)[-4:] == [
        "--port", "8003", "--softcards", str(serving.softcards_folder())]
