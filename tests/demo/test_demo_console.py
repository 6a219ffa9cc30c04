"""What `campuscard demo` says on the console: a busy port at once, before anything is written;
on a first start, no mails (they go to files) and the logins last."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from campuscard.institutions.models import Establishment
from campuscard.people.models import Person

from ..ports import free_demo_port, free_port, is_free

DEMO = [sys.executable, "-c", "from campuscard.cli import main; main()", "demo"]
LOGINS = ["admin", "manager-rouen", "manager-insa", "consultant", "etudiant", "etudiante-insa",
          "nouvel-etudiant", "sans-carte", "ancien-etudiant", "carte-prete"]


@pytest.fixture
def busy_port():
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def demo_env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL",
                                                                    "CAMPUSCARD_"))}
    return env | {"CAMPUSCARD_HOME": str(home), "CAMPUSCARD_LANGUAGE": "en"}


@pytest.mark.django_db
def test_a_busy_port_stops_the_demo_before_anything_is_written(busy_port, settings):
    with pytest.raises(CommandError) as raised:
        call_command("demo", port=busy_port)
    message = str(raised.value)
    assert f"127.0.0.1:{busy_port}" in message and "--port" in message
    assert "Nothing was changed" in message
    assert not Establishment.objects.exists() and not Person.objects.exists()
    assert not get_user_model().objects.exists()
    assert not (Path(settings.HOME) / "demo").exists()


@pytest.mark.django_db
def test_a_busy_crous_emulator_port_stops_the_demo_before_anything_is_written(busy_port,
                                                                               settings):
    with pytest.raises(CommandError) as raised:
        call_command("demo", port=free_port(), crous_port=busy_port)
    message = str(raised.value)
    assert f"127.0.0.1:{busy_port}" in message and "CROUS" in message
    suggested = re.search(r"campuscard demo --crous-port (\d+)", message)
    assert suggested and int(suggested[1]) != busy_port
    assert not Establishment.objects.exists()
    assert not (Path(settings.HOME) / "demo").exists()


@pytest.fixture
def busy_port_after_a_free_one():
    """A port another program listens on, the port before it free (not another socket's)."""
    for _ in range(50):
        with socket.socket() as other:
            other.bind(("127.0.0.1", 0))
            other.listen()
            port = other.getsockname()[1]
            if is_free(port - 1):
                yield port
                return
    pytest.fail("no free port just before a busy one")


@pytest.mark.django_db
def test_the_crous_emulator_takes_the_next_port_by_default(busy_port_after_a_free_one):
    busy_port = busy_port_after_a_free_one
    with pytest.raises(CommandError) as raised:
        call_command("demo", port=busy_port - 1)
    assert f"127.0.0.1:{busy_port} for the CROUS API emulator" in str(raised.value)
    suggested = re.search(r"campuscard demo --port (\d+)", str(raised.value))
    assert suggested and int(suggested[1]) >= busy_port
    assert not Establishment.objects.exists()


def test_a_busy_port_ends_the_command_at_once_with_the_error(busy_port, tmp_path):
    started = time.monotonic()
    done = subprocess.run([*DEMO, "--port", str(busy_port)], env=demo_env(tmp_path / "home"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"127.0.0.1:{busy_port}" in done.stderr
    suggested = re.search(r"campuscard demo --port (\d+)", done.stderr)
    assert suggested and int(suggested[1]) != busy_port
    assert "Demo data" not in done.stdout and "Login" not in done.stdout
    assert not (tmp_path / "home" / "campuscard.sqlite3").exists()
    assert time.monotonic() - started < 30


def test_a_port_number_out_of_range_is_refused(tmp_path):
    done = subprocess.run([*DEMO, "--port", "70000"], env=demo_env(tmp_path / "home"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "--port" in done.stderr
    assert not (tmp_path / "home" / "campuscard.sqlite3").exists()


def waiting_pushes(database):
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM core_outboxitem "
                              "WHERE status IN ('pending', 'in_flight')").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy
        return None


def wait_until_the_worker_is_done(demo, home, seconds=240):
    """The demo serves, and its worker has delivered the pushes the seeding made."""
    mail = home / "mail"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert demo.poll() is None, "the demo stopped"
        if (mail.is_dir() and any(mail.iterdir())
                and waiting_pushes(home / "campuscard.sqlite3") == 0):
            return
        time.sleep(1)
    raise AssertionError("the worker never delivered the seeded pushes")


def test_a_first_start_prints_no_mails_and_ends_with_the_logins(tmp_path):
    home = tmp_path / "home"
    output = tmp_path / "console.txt"
    with output.open("w") as console:
        demo = subprocess.Popen([*DEMO, "--port", str(free_demo_port())], env=demo_env(home),
                                stdout=console, stderr=subprocess.STDOUT)
        try:
            wait_until_the_worker_is_done(demo, home)
            time.sleep(2)  # anything the processes would still print
            printed = output.read_text()
        finally:
            demo.terminate()
            demo.wait(timeout=30)

    mails = list((home / "mail").iterdir())
    assert len(mails) > 100
    assert all("X-CampusCard-Event: " in mail.read_text() for mail in mails)
    assert "X-CampusCard-Event" not in printed and "Subject:" not in printed
    assert str(home / "mail") in printed and str(home / "demo" / "directory.csv") in printed
    doors = home / "demo" / "access-control"
    assert len(list((doors / "univ-rouen").glob("*_synchronic.csv"))) > 5  # a file per person
    insa = list((doors / "insa-rouen").glob("*_p2s.csv"))
    assert insa and "Université de Rouen Normandie" in b"".join(
        path.read_bytes() for path in insa).decode("iso-8859-1")  # recognised cards

    lines = printed.rstrip().splitlines()
    table = lines[-len(LOGINS):]
    assert [line.split()[0] for line in table] == LOGINS, printed[-3000:]
    assert all(line.split()[1] == "demo" for line in table)
    assert lines[-len(LOGINS) - 1].split()[:2] == ["Login", "Password"]


@pytest.mark.django_db
def test_a_busy_papercut_emulator_port_stops_the_demo_before_anything_is_written(busy_port,
                                                                                  settings):
    with pytest.raises(CommandError) as raised:
        call_command("demo", port=free_port(), crous_port=free_port(), papercut_port=busy_port)
    message = str(raised.value)
    assert f"127.0.0.1:{busy_port} for the PaperCut emulator" in message
    suggested = re.search(r"campuscard demo --papercut-port (\d+)", message)
    assert suggested and int(suggested[1]) != busy_port
    assert not Establishment.objects.exists()


@pytest.mark.django_db
def test_the_demo_needs_three_different_ports():
    port = free_port()
    with pytest.raises(CommandError, match="three ports"):
        call_command("demo", port=port, papercut_port=port + 1)
