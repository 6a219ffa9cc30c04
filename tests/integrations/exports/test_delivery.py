"""File delivery to a folder and to a real SFTP server (tests/integrations/exports/sftp_server.py):
whole or not at all, never twice, never over someone else's file, retried when the server is
down, refused when the server's host key is not the pinned one."""

import os
import threading

import pytest
from django.utils import timezone

from campuscard.core import outbox
from campuscard.core.models import OutboxItem
from campuscard.core.outbox import PermanentError, TransientError
from campuscard.integrations.exports.delivery import (
    DestinationError,
    Outcome,
    deliver_file,
    describe,
    parse_destination,
)

from .conftest import SFTP_PASSWORD, SFTP_USER
from .sftp_server import generate_key

DOORS = b"badge;name;valid_until\r\n0451;Ada Lovelace;2027-08-31\r\n"


def hidden_files(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


# The destination dict ----------------------------------------------------------------------

def sftp_data(server, **extra):
    return {"kind": "sftp", "host": "127.0.0.1", "port": server.port, "username": SFTP_USER,
            "directory": "/in", "host_key": server.public_host_key, "timeout": 5} | extra


def test_a_folder_destination_reads_and_describes_itself(tmp_path):
    destination = parse_destination({"kind": "folder", "path": f"{tmp_path}/out/"})
    assert destination.path == f"{tmp_path}/out"
    assert describe(destination) == f"Folder {tmp_path}/out"
    assert parse_destination(destination.as_data()) == destination


def test_an_sftp_destination_pins_the_key_of_a_known_hosts_line():
    key = generate_key().export_public_key("openssh").decode().strip()
    scanned = f"# sftp.example.org:22 SSH-2.0-OpenSSH_9.2\nsftp.example.org {key} comment\n"
    destination = parse_destination({
        "kind": "sftp", "host": "sftp.example.org", "username": "doors", "directory": "/in/doors",
        "host_key": scanned, "key_file": "/etc/campuscard/sftp_key",
        "passphrase_env": "SFTP_KEY_PASSPHRASE"})
    assert destination.port == 22
    assert destination.host_keys == (key,)
    assert destination.secret_refs == {"key": ("file", "/etc/campuscard/sftp_key"),
                                       "passphrase": ("env", "SFTP_KEY_PASSPHRASE")}
    assert describe(destination) == "SFTP sftp.example.org:22 /in/doors"
    assert parse_destination(destination.as_data()) == destination


SFTP_BASE = {"kind": "sftp", "host": "sftp.example.org", "username": "doors",
             "directory": "/in", "password_file": "/etc/campuscard/sftp_password",
             "host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBVoVuNlPY9WEpPGb5yNnrHwp8wC5k0cPH"
                         "7hfYf3BR1V"}


@pytest.mark.parametrize(("data", "expected"), [
    ("folder", "table of settings"),
    ({"kind": "ftp", "path": "/srv"}, "must be “folder” or “sftp”"),
    ({"kind": "folder"}, "needs the folder's path"),
    ({"kind": "folder", "path": "exports/doors"}, "must be an absolute path"),
    ({"kind": "folder", "path": "/srv", "host": "x"},
     "Unknown settings for a folder delivery: host"),
    (SFTP_BASE | {"password": "hunter2"}, "Never write “password” itself"),
    (SFTP_BASE | {"host_key": ""}, "needs the server's host key"),
    (SFTP_BASE | {"host_key": "ssh-ed25519 not-base64"}, "is not a public key"),
    (SFTP_BASE | {"host_key": "@cert-authority * ssh-ed25519 AAAA"}, "is not a public key"),
    (SFTP_BASE | {"port": 70000}, "port must be a number from 1 to 65535"),
    (SFTP_BASE | {"port": "ssh"}, "port must be a number"),
    (SFTP_BASE | {"host": "bad host"}, "host name or address"),
    (SFTP_BASE | {"username": ""}, "user name"),
    (SFTP_BASE | {"timeout": 0}, "timeout must be a number of seconds"),
    ({k: v for k, v in SFTP_BASE.items() if k != "password_file"}, "needs a password"),
    (SFTP_BASE | {"password_env": "SFTP_PASSWORD"}, "Give password_file or password_env, not both"),
    (SFTP_BASE | {"password_file": "secrets/pw"}, "password_file must be an absolute path"),
    (SFTP_BASE | {"passphrase_file": "/etc/p"}, "only used with a private key"),
])
def test_bad_destinations_are_refused_with_a_clear_message(data, expected):
    with pytest.raises(DestinationError) as refused:
        parse_destination(data)
    assert expected in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(DestinationError) as refused:
        parse_destination({"kind": "sftp", "port": 0})
    assert len(refused.value.messages) >= 4  # host, user name, port, host key, secret


# Folder delivery ---------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "doors"
    path.mkdir()
    return path


def folder_destination(path):
    return parse_destination({"kind": "folder", "path": str(path)})


def test_a_file_reaches_the_folder_whole_and_only_once_complete(folder, monkeypatch):
    seen_while_writing = []
    real_fsync = os.fsync

    def fsync(fd):
        seen_while_writing.append(sorted(os.listdir(folder)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert deliver_file(folder_destination(folder), "doors.csv", DOORS) == Outcome.DELIVERED
    assert (folder / "doors.csv").read_bytes() == DOORS
    assert "doors.csv" not in seen_while_writing[0]  # the data's fsync: still a hidden name
    assert seen_while_writing[0][0].startswith(".doors.csv.part-")
    assert os.listdir(folder) == ["doors.csv"]


def test_a_retry_after_the_delivery_happened_writes_nothing(folder):
    destination = folder_destination(folder)
    deliver_file(destination, "doors.csv", DOORS)
    before = (folder / "doors.csv").stat()
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.ALREADY_THERE
    after = (folder / "doors.csv").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert os.listdir(folder) == ["doors.csv"]


def test_a_different_file_of_the_same_name_is_never_overwritten(folder):
    (folder / "doors.csv").write_bytes(b"put there by a person\n")
    with pytest.raises(PermanentError, match="already there with other contents"):
        deliver_file(folder_destination(folder), "doors.csv", DOORS)
    assert (folder / "doors.csv").read_bytes() == b"put there by a person\n"
    assert os.listdir(folder) == ["doors.csv"]


def test_a_previous_file_not_yet_taken_is_waited_for(folder):
    (folder / "doors.csv").write_bytes(b"the previous file\n")
    with pytest.raises(TransientError, match="still there"):
        deliver_file(folder_destination(folder), "doors.csv", DOORS, if_exists="wait")
    assert (folder / "doors.csv").read_bytes() == b"the previous file\n"
    (folder / "doors.csv").unlink()  # the reader took it
    assert deliver_file(folder_destination(folder), "doors.csv", DOORS,
                        if_exists="wait") == Outcome.DELIVERED


def test_a_file_named_after_a_person_replaces_the_previous_one(folder):
    (folder / "doors.csv").write_bytes(b"the previous state\n")
    assert deliver_file(folder_destination(folder), "doors.csv", DOORS,
                        if_exists="replace") == Outcome.DELIVERED
    assert os.listdir(folder) == ["doors.csv"]
    assert (folder / "doors.csv").read_bytes() == DOORS


def test_a_missing_folder_is_worth_another_try(tmp_path):
    destination = folder_destination(tmp_path / "not-mounted-yet")
    with pytest.raises(TransientError, match="does not exist"):
        deliver_file(destination, "doors.csv", DOORS)
    (tmp_path / "not-mounted-yet").mkdir()
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_a_folder_not_writable_is_worth_another_try(folder):
    folder.chmod(0o555)
    try:
        with pytest.raises(TransientError, match="not allowed to write"):
            deliver_file(folder_destination(folder), "doors.csv", DOORS)
    finally:
        folder.chmod(0o755)


def test_the_leftover_of_an_attempt_that_stopped_half_way_is_removed(folder):
    (folder / ".doors.csv.part-0123456789ab").write_bytes(DOORS[:10])
    (folder / ".other.csv.part-0123456789ab").write_bytes(b"another export's")
    deliver_file(folder_destination(folder), "doors.csv", DOORS)
    assert hidden_files(folder) == [".other.csv.part-0123456789ab"]


@pytest.mark.parametrize("name", ["", ".hidden", "../up.csv", "in/doors.csv", "a\\b", "a\x00b"])
def test_names_that_are_not_plain_file_names_are_refused(folder, name):
    with pytest.raises(PermanentError, match="not a valid file name"):
        deliver_file(folder_destination(folder), name, DOORS)
    assert os.listdir(folder) == []


# SFTP delivery -----------------------------------------------------------------------------

def test_a_file_is_uploaded_with_a_password_from_a_file(sftp_server, password_file):
    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED
    assert sftp_server.files() == {"in/doors.csv": DOORS}
    assert sftp_server.counters.renames == ["/in/doors.csv"]


def test_a_file_is_uploaded_with_a_password_from_the_environment(sftp_server, monkeypatch):
    monkeypatch.setenv("CAMPUSCARD_TEST_SFTP_PASSWORD", SFTP_PASSWORD)
    destination = parse_destination(
        sftp_data(sftp_server, password_env="CAMPUSCARD_TEST_SFTP_PASSWORD"))
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED
    assert sftp_server.files() == {"in/doors.csv": DOORS}


def test_a_file_is_uploaded_with_a_key(sftp_server, client_key_file):
    destination = parse_destination(sftp_data(sftp_server, key_file=str(client_key_file)))
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED
    assert sftp_server.files() == {"in/doors.csv": DOORS}


def test_a_key_with_a_passphrase_from_a_file(sftp_server, tmp_path):
    key_file, passphrase_file = tmp_path / "locked_key", tmp_path / "passphrase"
    passphrase_file.write_text("open sesame\n")
    sftp_server.client_key = generate_key(key_file, passphrase="open sesame")
    destination = parse_destination(sftp_data(
        sftp_server, key_file=str(key_file), passphrase_file=str(passphrase_file)))
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED

    passphrase_file.write_text("wrong\n")
    with pytest.raises(PermanentError, match="private key cannot be read"):
        deliver_file(destination, "again.csv", DOORS)


def test_a_server_whose_host_key_is_not_the_pinned_one_is_refused(sftp_server, password_file):
    impostor_key = generate_key().export_public_key("openssh").decode()
    destination = parse_destination(
        sftp_data(sftp_server, host_key=impostor_key, password_file=str(password_file)))
    with pytest.raises(PermanentError, match="not the pinned one") as refused:
        deliver_file(destination, "doors.csv", DOORS)
    assert sftp_server.counters.logins == 0  # the password never left
    assert sftp_server.files() == {}
    assert SFTP_PASSWORD not in str(refused.value)


def test_a_known_hosts_line_pins_the_key_too(sftp_server, password_file):
    destination = parse_destination(sftp_data(
        sftp_server, host_key=sftp_server.known_hosts_line, password_file=str(password_file)))
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED


def test_a_refused_login_is_for_a_person_and_names_no_password(sftp_server, tmp_path):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-Pa55word\n")
    destination = parse_destination(sftp_data(sftp_server, password_file=str(wrong)))
    with pytest.raises(PermanentError, match="refused the login of “doors”") as refused:
        deliver_file(destination, "doors.csv", DOORS)
    assert "not-the-Pa55word" not in str(refused.value)
    assert SFTP_PASSWORD not in str(refused.value)
    assert sftp_server.files() == {}


def test_an_unreadable_password_file_is_for_a_person(sftp_server, tmp_path):
    destination = parse_destination(
        sftp_data(sftp_server, password_file=str(tmp_path / "missing")))
    with pytest.raises(PermanentError, match="cannot read password_file"):
        deliver_file(destination, "doors.csv", DOORS)


def test_server_down_loses_nothing_and_duplicates_nothing(sftp_server, password_file):
    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    sftp_server.stop()
    with pytest.raises(TransientError, match="cannot connect") as down:
        deliver_file(destination, "doors.csv", DOORS)
    assert SFTP_PASSWORD not in str(down.value)
    assert sftp_server.files() == {}

    sftp_server.start()
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED
    # The worker stopped before recording it: the next attempt finds it there, whole.
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.ALREADY_THERE
    assert sftp_server.files() == {"in/doors.csv": DOORS}
    assert sftp_server.counters.renames == ["/in/doors.csv"]


def test_a_connection_cut_during_the_upload_leaves_no_half_file(sftp_server, password_file):
    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    sftp_server.faults.drop_during_write = True
    with pytest.raises(TransientError):
        deliver_file(destination, "doors.csv", DOORS)
    left = sftp_server.files()
    assert "in/doors.csv" not in left
    assert [path for path in left if path.startswith("in/.doors.csv.part-")]  # half a file

    sftp_server.faults.drop_during_write = False
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED
    assert sftp_server.files() == {"in/doors.csv": DOORS}  # the leftover part removed


def test_a_different_file_on_the_server_is_never_overwritten(sftp_server, password_file):
    (sftp_server.root / "in" / "doors.csv").write_bytes(b"yesterday's, kept by the reader\n")
    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    with pytest.raises(PermanentError, match="already there with other contents"):
        deliver_file(destination, "doors.csv", DOORS)
    assert sftp_server.files() == {"in/doors.csv": b"yesterday's, kept by the reader\n"}
    assert sftp_server.counters.renames == []


def test_a_file_on_the_server_is_replaced_when_asked(sftp_server, password_file):
    (sftp_server.root / "in" / "doors.csv").write_bytes(b"the previous state\n")
    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    with pytest.raises(TransientError, match="still there"):
        deliver_file(destination, "doors.csv", DOORS, if_exists="wait")
    assert deliver_file(destination, "doors.csv", DOORS,
                        if_exists="replace") == Outcome.DELIVERED
    assert sftp_server.files() == {"in/doors.csv": DOORS}


def test_a_missing_remote_directory_is_worth_another_try(sftp_server, password_file):
    destination = parse_destination(
        sftp_data(sftp_server, directory="/not-yet", password_file=str(password_file)))
    with pytest.raises(TransientError, match="refused the upload"):
        deliver_file(destination, "doors.csv", DOORS)
    (sftp_server.root / "not-yet").mkdir()
    assert deliver_file(destination, "doors.csv", DOORS) == Outcome.DELIVERED


def test_deliveries_leave_no_thread_or_event_loop_behind(sftp_server, password_file):
    import asyncio

    destination = parse_destination(sftp_data(sftp_server, password_file=str(password_file)))
    deliver_file(destination, "warm-up.csv", DOORS)
    threads = threading.active_count()
    for n in range(3):
        deliver_file(destination, f"doors-{n}.csv", DOORS)
    assert threading.active_count() == threads
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


# Through the outbox ------------------------------------------------------------------------

class FileTarget(outbox.Target):
    """A stand-in for the export target (the lead's): each row delivers one file."""

    name = "test-file-export"
    events = frozenset({"export.file"})

    def __init__(self, destination):
        self.destination = destination

    def deliver(self, item):
        deliver_file(self.destination, item.payload["name"], item.payload["data"].encode())


@pytest.fixture
def file_target(sftp_server, password_file):
    target = FileTarget(parse_destination(
        sftp_data(sftp_server, password_file=str(password_file))))
    outbox.register(target)
    yield target
    outbox.unregister(target.name)


def push(name):
    return OutboxItem.objects.create(
        target=FileTarget.name, operation="export.file", object_type="export", object_id="1",
        payload={"name": name, "data": DOORS.decode()})


def due_now(item):
    OutboxItem.objects.filter(pk=item.pk).update(not_before=timezone.now())


@pytest.mark.django_db
def test_the_outbox_retries_a_delivery_while_the_server_is_down(sftp_server, file_target):
    item = push("doors.csv")
    sftp_server.stop()
    assert outbox.drain() == 0
    item.refresh_from_db()
    assert (item.status, item.attempts) == (OutboxItem.Status.PENDING, 1)
    assert "will try again" in item.last_error
    assert SFTP_PASSWORD not in item.last_error

    sftp_server.start()
    due_now(item)
    assert outbox.drain() == 1
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE
    assert sftp_server.files() == {"in/doors.csv": DOORS}
    assert sftp_server.counters.renames == ["/in/doors.csv"]


@pytest.mark.django_db
def test_the_outbox_redelivering_a_file_that_arrived_adds_nothing(sftp_server, file_target):
    item = push("doors.csv")
    file_target.deliver(item)  # delivered, then the worker died before recording it
    assert outbox.drain() == 1
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE
    assert sftp_server.counters.renames == ["/in/doors.csv"]
    assert sftp_server.files() == {"in/doors.csv": DOORS}


@pytest.mark.django_db
def test_the_outbox_stops_on_a_host_key_mismatch(sftp_server, file_target):
    file_target.destination = parse_destination(sftp_data(
        sftp_server, host_key=generate_key().export_public_key("openssh").decode(),
        password_file=file_target.destination.secret_refs["password"][1]))
    item = push("doors.csv")
    assert outbox.drain() == 0
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.FAILED
    assert "not the pinned one" in item.last_error
    assert sftp_server.files() == {}
