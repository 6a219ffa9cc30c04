"""A real SFTP server for tests: asyncssh on 127.0.0.1, a port of its own, a fresh host key,
password and public-key logins, one directory served as the whole file system (chroot).

It runs its own event loop in a thread, so tests call the synchronous client code as the
worker does. `stop()` closes the port and drops open connections ("the server is down");
`start()` brings it back on the same port. `faults.drop_during_write` cuts the connection in the
middle of an upload, after half the bytes reached the disk.
"""

import asyncio
import socket
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh


@dataclass
class Faults:
    drop_during_write: bool = False


@dataclass
class Counters:
    logins: int = 0
    renames: list = field(default_factory=list)  # final names a file was renamed to


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generate_key(path=None, passphrase=None):
    """A new ed25519 key; written (OpenSSH format) to `path` when given."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    if path is not None:
        with warnings.catch_warnings():  # few bcrypt rounds: a fast test, not a safe key
            warnings.simplefilter("ignore", UserWarning)
            Path(path).write_bytes(key.export_private_key("openssh", passphrase, rounds=16))
        Path(path).chmod(0o600)
    return key


class SFTPTestServer:
    def __init__(self, root, *, username, password, client_key):
        self.root = Path(root)
        self.username = username
        self.password = password
        self.client_key = client_key  # the public key allowed to log in
        self.host_key = generate_key()
        self.port = free_port()
        self.faults = Faults()
        self.counters = Counters()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._acceptor = None
        self._connections = set()

    @property
    def public_host_key(self):
        """The line a destination pins: "ssh-ed25519 AAAA…"."""
        return self.host_key.export_public_key("openssh").decode().strip()

    @property
    def known_hosts_line(self):
        return f"[127.0.0.1]:{self.port} {self.public_host_key}"

    def start(self):
        self._call(self._listen())

    def stop(self):
        self._call(self._close())

    def shutdown(self):
        if self._acceptor is not None:
            self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def files(self):
        """{relative path: bytes} of everything the server holds, hidden files too."""
        return {p.relative_to(self.root).as_posix(): p.read_bytes()
                for p in sorted(self.root.rglob("*")) if p.is_file()}

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self):
        self._acceptor = await asyncssh.listen(
            "127.0.0.1", self.port, server_host_keys=[self.host_key], reuse_address=True,
            server_factory=lambda: _Logins(self), sftp_factory=lambda chan: _Files(chan, self),
            config=None, allow_scp=False)

    async def _close(self):
        self._acceptor.close()
        await self._acceptor.wait_closed()
        self._acceptor = None
        for connection in list(self._connections):
            connection.abort()
        self._connections.clear()


class _Logins(asyncssh.SSHServer):
    def __init__(self, server):
        self.server = server

    def connection_made(self, conn):
        self.conn = conn
        self.server._connections.add(conn)

    def connection_lost(self, exc):
        self.server._connections.discard(self.conn)

    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        ok = username == self.server.username and password == self.server.password
        self.server.counters.logins += ok
        return ok

    def public_key_auth_supported(self):
        return True

    def validate_public_key(self, username, key):
        ok = (username == self.server.username
              and key.public_data == self.server.client_key.public_data)
        self.server.counters.logins += ok
        return ok


class _Files(asyncssh.SFTPServer):
    def __init__(self, chan, server):
        super().__init__(chan, chroot=str(server.root).encode())
        self.server = server

    def write(self, file_obj, offset, data):
        if self.server.faults.drop_during_write:
            super().write(file_obj, offset, data[: len(data) // 2])
            file_obj.flush()
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("dropped by the test")
        return super().write(file_obj, offset, data)

    def rename(self, oldpath, newpath):
        result = super().rename(oldpath, newpath)
        self.server.counters.renames.append(newpath.decode())
        return result
