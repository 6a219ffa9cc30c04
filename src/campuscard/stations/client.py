"""The print-station client `campuscard station print` runs: it talks to the server over HTTP
only (docs/stations.md), so it runs on any machine with a printer and the token file."""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx


class StationError(Exception):
    pass


@dataclass
class Output:
    """Where a job's PDF goes: a CUPS printer (`lp -d NAME`) or a folder."""

    printer: str | None = None
    folder: Path | None = None

    def deliver(self, pdf, job):
        """Print or write `pdf`; returns None when done, else the printer's message."""
        if self.folder is not None:
            return self._write(pdf, job)
        return self._print(pdf)

    def _write(self, pdf, job):
        target = self.folder / f"card-{job['card']['card_id']}-job-{job['job']}.pdf"
        fd, partial = tempfile.mkstemp(dir=self.folder, prefix=".partial-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(pdf)
            os.replace(partial, target)  # whoever watches the folder never sees half a file
        except OSError as exc:
            Path(partial).unlink(missing_ok=True)
            return str(exc)
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

    def report(self, job, message=None):
        if message is None:
            self._check(self.http.post(f"jobs/{job['job']}/printed", json={}))
        else:
            self._check(self.http.post(f"jobs/{job['job']}/failed", json={"message": message}))


def handle_one(client, output, wait, say=print):
    """Heartbeat, wait for a job, print it, report. True if a job was handled."""
    client.heartbeat()
    job = client.next_job(wait)
    if job is None:
        return False
    try:
        failure = output.deliver(client.pdf(job), job)
    except StationError as exc:
        failure = str(exc)
    client.report(job, failure)
    card = job["card"]
    name = f"{card['first_name']} {card['last_name']}"
    say(f"job {job['job']} ({name}): " + ("printed" if failure is None else f"failed: {failure}"))
    return True
