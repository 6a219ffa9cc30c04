"""The print-station client `campuscard station print` runs: it talks to the server over HTTP
only (docs/stations.md), so it runs on any machine with a printer and the token file."""

import contextlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from campuscard.nfc.desfire.status import TransportError

# The files a panels zip may hold (stations/documents.py names them): nothing else is written.
PANEL_NAMES = ("front-color.png", "front-black.png", "front-overlay.png", "back-color.png",
               "back-black.png")


class StationError(Exception):
    pass


@dataclass
class Output:
    """Where a job goes: its PDF to a CUPS printer (`lp -d NAME`) or a folder, or its YMCKO
    panels (PNGs) to a folder."""

    printer: str | None = None
    folder: Path | None = None
    panels: Path | None = None

    def fetch(self, client, job):
        """What this output needs of the job: its panels zip, else its PDF."""
        return client.panels(job) if self.panels is not None else client.pdf(job)

    def deliver(self, document, job):
        """Print or write the document; returns None when done, else the printer's message."""
        if self.panels is not None:
            return self._write_panels(document, job)
        if self.folder is not None:
            return self._write(self.folder, _job_name(job) + ".pdf", document)
        return self._print(document)

    def _write(self, folder, name, data):
        fd, partial = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=Path(name).suffix)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(partial, folder / name)  # whoever watches the folder never sees half a file
        except OSError as exc:
            Path(partial).unlink(missing_ok=True)
            return str(exc)
        return None

    def _write_panels(self, archive, job):
        """card-<id>-job-<job>-front-color.png and the others, each written whole."""
        try:
            with zipfile.ZipFile(io.BytesIO(archive)) as panels:
                files = {name: panels.read(name) for name in panels.namelist()
                         if name in PANEL_NAMES}
        except (zipfile.BadZipFile, KeyError) as exc:
            return f"panels: {exc}"
        if not files:
            return "panels: the server sent no panel"
        for name in PANEL_NAMES:
            if name in files:
                failure = self._write(self.panels, f"{_job_name(job)}-{name}", files[name])
                if failure:
                    return failure
        return None

    def _print(self, pdf):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
            file.write(pdf)
            file.flush()
            lp = shutil.which("lp")
            if lp is None:
                return "lp: not found (install cups-client)"
            try:  # a list of arguments, no shell: the printer name cannot inject a command
                done = subprocess.run([lp, "-d", self.printer, file.name],  # noqa: S603
                                      capture_output=True, text=True, timeout=120, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return f"lp: {exc}"
        if done.returncode != 0:
            return (done.stderr or done.stdout).strip() or f"lp exited with {done.returncode}"
        return None


def _job_name(job):
    return f"card-{int(job['card']['card_id'])}-job-{int(job['job'])}"


class StationClient:
    def __init__(self, server, token, *, timeout=10.0, transport=None):
        self.http = httpx.Client(base_url=server.rstrip("/") + "/stations/api/",
                                 headers={"Authorization": f"Bearer {token}"},
                                 timeout=timeout, transport=transport)

    def _check(self, response):
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise StationError(f"{response.status_code}: {detail}")
        return response

    def heartbeat(self, message=""):
        self._check(self.http.post("heartbeat", json={"message": message}))

    def badge(self, csn):
        """Tell the server a reader at this station read the badge `csn`."""
        return self._check(self.http.post("badge", json={"csn": csn})).json()

    def next_job(self, wait):
        response = self._check(self.http.get("next", params={"wait": wait},
                                              timeout=wait + 15))
        return None if response.status_code == 204 else response.json()

    def pdf(self, job):
        return self._check(self.http.get(job["pdf"])).content

    def panels(self, job):
        return self._check(self.http.get(job.get("panels") or f"jobs/{job['job']}/panels",
                                         timeout=60)).content

    def report(self, job, message=None):
        if message is None:
            self._check(self.http.post(f"jobs/{job['job']}/printed", json={}))
        else:
            self._check(self.http.post(f"jobs/{job['job']}/failed", json={"message": message}))


    # chips (docs/nfc-encoding.md)

    def chip_encode(self, uid, *, card=None, qr=None, queue=False):
        body = {"uid": uid, "card": card, "qr": qr, "next": queue}
        return self._check(self.http.post("chips/encode", json=body)).json()

    def chip_read(self, uid):
        return self._check(self.http.post("chips/read", json={"uid": uid})).json()

    def chip_step(self, session, step, answer):
        return self._check(self.http.post(f"chips/{session}/step",
                                          json={"step": step, "answer": answer})).json()

    def chip_abandon(self, session, message):
        return self._check(self.http.post(f"chips/{session}/abandon",
                                          json={"message": message})).json()


def relay_chip(client, transport, start):
    """Read the chip's UID, start a session with `start(uid)`, then relay each APDU the server
    sends to the chip and its answer back, until the session ends; returns the last answer.
    If the chip stops answering, the session is abandoned and StationError raised."""
    answer = start(transport.get_uid().hex().upper())
    while answer.get("apdu"):
        try:
            response = transport.transmit(bytes.fromhex(answer["apdu"]))
        except TransportError as exc:
            client.chip_abandon(answer["session"], str(exc))
            raise StationError(str(exc)) from exc
        answer = client.chip_step(answer["session"], answer["step"], response.hex().upper())
    return answer


class Stopped(BaseException):
    """Asked to stop (SIGINT, SIGTERM) while waiting: not an error, so not an Exception."""


class Stopper:
    """SIGINT and SIGTERM stop the client at once while it waits, and after the job while it
    prints one, so that a job it took is reported rather than left to its lease."""

    def __init__(self):
        self.asked = False
        self.busy = False
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may handle signals
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return exc_info[0] is Stopped  # stopping is how the loop ends, quietly

    def _handle(self, signum, frame):
        self.asked = True
        if not self.busy:
            raise Stopped

    @contextlib.contextmanager
    def printing(self):
        self.busy = True
        try:
            yield
        finally:
            self.busy = False
        if self.asked:
            raise Stopped


def handle_one(client, output, wait, say=print, printing=contextlib.nullcontext):
    """Heartbeat, wait for a job, print it, report. True if a job was handled."""
    client.heartbeat()
    job = client.next_job(wait)
    if job is None:
        return False
    with printing():
        _print_and_report(client, output, job, say)
    return True


def _print_and_report(client, output, job, say):
    try:
        failure = output.deliver(output.fetch(client, job), job)
    except StationError as exc:
        failure = str(exc)
    client.report(job, failure)
    card = job["card"]
    name = f"{card['first_name']} {card['last_name']}"
    say(f"job {job['job']} ({name}): " + ("printed" if failure is None else f"failed: {failure}"))
