"""A throw-away pcscd with vsmartcard's vpcd driver, for the tests that go through PC/SC.

Private when it can be: in its own mount namespace a temporary folder stands for /run, so its
socket (and pid file) are its own and other pcscd's on the machine are left alone; the clients of
this process find it through PCSCLITE_CSOCK_NAME. Where namespaces are not allowed, it runs on the
system socket, if no other pcscd holds it. Either way its vpcd readers listen on free ports."""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
PR_SET_PDEATHSIG = 1  # prctl(2)
READER = "Virtual PCD 00 00"  # vpcd's first slot; its second, "… 00 01", is on port + 1


def missing():
    """Why these tests cannot run here, or None."""
    if shutil.which("pcscd") is None:
        return "pcscd is not installed (apt-get install pcscd)"
    if not VPCD_DRIVER.exists():
        return "vpcd is not installed (apt-get install vsmartcard-vpcd)"
    if not can_be_private() and SYSTEM_SOCKET.exists():
        return "another pcscd holds the system socket and namespaces are not allowed here"
    return None


def can_be_private():
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run([*_unshare(), "sh", "-c", 'mount --bind "$0" /run', folder],
                               capture_output=True, check=False)
    return probe.returncode == 0


class Pcscd:
    def __init__(self, readers=True):
        self.folder = Path(tempfile.mkdtemp(prefix="campuscard-pcscd-"))
        self.port = _free_port_pair() if readers else None
        self.private = can_be_private()
        self.socket = self.folder / "run/pcscd/pcscd.comm" if self.private else SYSTEM_SOCKET
        self.process = None

    def start(self, timeout=10):
        config = self.folder / "reader.conf.d"
        config.mkdir()
        if self.port is not None:
            (config / "vpcd").write_text(
                f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:{self.port}\n'
                f"LIBPATH {VPCD_DRIVER}\nCHANNELID {self.port}\n")
        (self.folder / "run").mkdir()
        command = ["pcscd", "--foreground", "--debug", "--config", str(config)]
        if self.private:
            command = [*_unshare(), "sh", "-c", 'mount --bind "$0" /run && exec "$@"',
                       str(self.folder / "run"), *command]
        self.log = self.folder / "pcscd.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=_die_with_parent)
        self._wait_until_ready(timeout)
        return self

    def environment(self):
        """What a client process needs to find this pcscd."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket)} if self.private else {}

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def _wait_until_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pcscd stopped: {self.log.read_text()[-2000:]}")
            if b"daemon ready" in self.log.read_bytes() and self.socket.exists():
                return
            time.sleep(0.05)
        raise RuntimeError(f"pcscd not ready after {timeout} s: {self.log.read_text()[-2000:]}")


def _die_with_parent():
    """A test run killed midway must not leave a pcscd behind holding the socket."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _unshare():
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--mount", "--propagation", "private"]


def _free_port_pair():
    """Two consecutive free ports: vpcd opens one per slot."""
    for _attempt in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65535 and _is_free(port) and _is_free(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


def _is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 (where vpcd will listen)
        except OSError:
            return False
    return True


def wait_for_reader(present, reader=READER, timeout=5):
    """Until pcscd (which polls vpcd every 0.4 s or so) sees the card come or go."""
    from smartcard import scard

    _result, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        states = [(reader, scard.SCARD_STATE_UNAWARE)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _result, states = scard.SCardGetStatusChange(context, 200, states)
            if bool(states[0][1] & scard.SCARD_STATE_PRESENT) == present:
                return
            states = [(name, state & ~scard.SCARD_STATE_CHANGED) for name, state, _ in states]
        raise AssertionError(f"{reader}: card still {'absent' if present else 'present'}")
    finally:
        scard.SCardReleaseContext(context)
