"""Where an export's files go, and putting them there: a local folder or an SFTP server.

A destination is a small dict (stored as JSON, edited in a form) read by `parse_destination`.
`deliver_file` puts one file in place whole or not at all, and never twice: it writes a hidden
temporary name beside the final one and moves it into place only once complete. A file already
there with the same bytes is a retry of a delivery that happened (the worker stopped before
recording it): success, nothing written. A file already there with other bytes is never
overwritten: a person must look. Failures raise the outbox's TransientError (try again later)
or PermanentError (a person must fix the configuration).
"""

import contextlib
import errno
import os
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath

import asyncssh
from django.utils.translation import gettext as _

from campuscard.core.outbox import PermanentError, TransientError
from campuscard.core.secrets import HOW, SecretUnavailable, read_secret, secret_refs

KINDS = ("folder", "sftp")
SFTP_SECRETS = ("password", "key", "passphrase")
KIND_KEYS = {
    "folder": {"path"},
    "sftp": {"host", "port", "username", "directory", "host_key", "timeout"}
    | {f"{secret}_{how}" for secret in SFTP_SECRETS for how in HOW},
}
CLEAR_SECRETS = {"password", "key", "private_key", "passphrase", "secret"}
DEFAULT_TIMEOUT = 30.0
PART_MARK = ".part-"
_HOST = re.compile(r"^(?:[A-Za-z0-9_.-]{1,253}|[0-9A-Fa-f:.]{2,45})$")  # a name, IPv4 or IPv6
_USERNAME = re.compile(r"^[^\s:@/\x00]{1,128}$")


class DestinationError(ValueError):
    """The destination dict is not usable; `messages` lists every problem, translated."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__(" ".join(self.messages))


class Outcome(StrEnum):
    DELIVERED = "delivered"
    ALREADY_THERE = "already-there"  # a retry of a delivery that had happened


@dataclass(frozen=True)
class Destination:
    kind: str
    path: str = ""  # folder
    host: str = ""  # sftp from here on
    port: int = 22
    username: str = ""
    directory: str = "."
    host_keys: tuple = ()  # the pinned keys, "ssh-ed25519 AAAA…" each
    timeout: float = DEFAULT_TIMEOUT
    secret_refs: dict = field(default_factory=dict)  # secret -> ("file" | "env", where)

    def secret(self, name):
        """The secret's value read now, or None when the destination names none."""
        ref = self.secret_refs.get(name)
        if ref is None:
            return None
        try:
            return read_secret(ref)
        except SecretUnavailable as exc:
            how, where = ref
            if how == "file":
                raise PermanentError(
                    _("%(where)s: cannot read %(secret)s_file (%(error)s).")
                    % {"where": describe(self), "secret": name, "error": exc}) from None
            raise PermanentError(_("%(where)s: the environment variable %(var)s is not set.")
                                 % {"where": describe(self), "var": where}) from None

    def as_data(self):
        """The dict this destination was read from, tidied: what to store."""
        if self.kind == "folder":
            return {"kind": "folder", "path": self.path}
        data = {"kind": "sftp", "host": self.host, "port": self.port, "username": self.username,
                "directory": self.directory, "host_key": "\n".join(self.host_keys)}
        if self.timeout != DEFAULT_TIMEOUT:
            data["timeout"] = self.timeout
        for name, (how, where) in self.secret_refs.items():
            data[f"{name}_{how}"] = where
        return data


def parse_destination(data):
    """The Destination a dict describes, or DestinationError listing what is wrong."""
    if not isinstance(data, dict):
        raise DestinationError([_("A delivery must be described by a table of settings.")])
    kind = data.get("kind")
    if kind not in KINDS:
        raise DestinationError([_("The delivery kind must be “folder” or “sftp”, not “%(kind)s”.")
                                % {"kind": kind if kind is not None else ""}])
    problems = _unknown_key_problems(data, kind)
    parse = _parse_folder if kind == "folder" else _parse_sftp
    destination = parse(data, problems)
    if problems:
        raise DestinationError(problems)
    return destination


def describe(destination):
    """A short text for pages and logs, without any secret."""
    if destination.kind == "folder":
        return _("Folder %(path)s") % {"path": destination.path}
    return _("SFTP %(host)s:%(port)s %(directory)s") % {
        "host": destination.host, "port": destination.port, "directory": destination.directory}


REFUSE, WAIT, REPLACE = "refuse", "wait", "replace"
IF_EXISTS = (REFUSE, WAIT, REPLACE)


def deliver_file(destination, name, data, if_exists=REFUSE):
    """Put `data` at `name` in the destination, whole, once. Returns an Outcome; raises
    TransientError (try again later) or PermanentError (a person must act).

    A file of that name with other contents is, by `if_exists`: left alone and the delivery
    refused (REFUSE), waited for until the system that reads the folder takes it away (WAIT),
    or replaced in one rename (REPLACE: files named after a person, rewritten at each change)."""
    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists must be one of {IF_EXISTS}")
    _check_name(name)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("deliver_file takes the file's bytes")
    data = bytes(data)
    if destination.kind == "folder":
        return deliver_to_folder(destination, name, data, if_exists)
    from campuscard.integrations.exports.sftp import deliver_over_sftp

    return deliver_over_sftp(destination, name, data, if_exists)


def part_name(name):
    """A hidden temporary name beside `name`, unique to this attempt."""
    return f".{name}{PART_MARK}{secrets.token_hex(6)}"


def is_part_of(entry, name):
    return entry.startswith(f".{name}{PART_MARK}")


# Parsing ---------------------------------------------------------------------------------------

def _unknown_key_problems(data, kind):
    problems = []
    clear = sorted(set(data) & CLEAR_SECRETS)
    for key in clear:
        problems.append(_("Never write “%(key)s” itself: give the path of a file holding it "
                          "(%(key)s_file) or the name of an environment variable "
                          "(%(key)s_env).") % {"key": key})
    unknown = sorted(set(data) - KIND_KEYS[kind] - {"kind"} - CLEAR_SECRETS)
    if unknown:
        problems.append(_("Unknown settings for a %(kind)s delivery: %(keys)s.")
                        % {"kind": kind, "keys": ", ".join(unknown)})
    return problems


def _parse_folder(data, problems):
    path = data.get("path")
    if not isinstance(path, str) or not path.strip():
        problems.append(_("A folder delivery needs the folder's path."))
        return None
    path = path.strip()
    if "\x00" in path or not os.path.isabs(path):
        problems.append(_("The folder “%(path)s” must be an absolute path (starting with /).")
                        % {"path": path.replace("\x00", "")})
        return None
    return Destination(kind="folder", path=os.path.normpath(path))


def _parse_sftp(data, problems):
    host = _text(data, "host")
    if not _HOST.match(host):
        problems.append(_("An SFTP delivery needs the server's host name or address."))
    username = _text(data, "username")
    if not _USERNAME.match(username):
        problems.append(_("An SFTP delivery needs the user name to log in as."))
    directory = _text(data, "directory") or "."
    if "\x00" in directory:
        problems.append(_("The SFTP directory is not a valid path."))
    refs = _sftp_secret_refs(data, problems)
    return Destination(
        kind="sftp", host=host, port=_port(data, problems), username=username,
        directory=directory, host_keys=_host_keys(data.get("host_key"), problems),
        timeout=_timeout(data, problems), secret_refs=refs)


def _text(data, key):
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _port(data, problems):
    port = data.get("port", 22)
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(_("The SFTP port must be a number from 1 to 65535."))
        return 22
    return port


def _timeout(data, problems):
    timeout = data.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) \
            or not 1 <= timeout <= 600:
        problems.append(_("The SFTP timeout must be a number of seconds from 1 to 600."))
        return DEFAULT_TIMEOUT
    return float(timeout)


def _sftp_secret_refs(data, problems):
    refs = secret_refs(data, SFTP_SECRETS)
    for secret in SFTP_SECRETS:
        if all(f"{secret}_{how}" in data for how in HOW):
            problems.append(_("Give %(secret)s_file or %(secret)s_env, not both.")
                            % {"secret": secret})
    for secret, (how, where) in refs.items():
        if not where.strip() or "\x00" in where:
            problems.append(_("%(key)s is empty.") % {"key": f"{secret}_{how}"})
        elif how == "file" and not os.path.isabs(where):
            problems.append(_("%(key)s must be an absolute path (starting with /).")
                            % {"key": f"{secret}_{how}"})
    if "password" not in refs and "key" not in refs:
        problems.append(_("An SFTP delivery needs a password (password_file or password_env) "
                          "or a private key (key_file or key_env)."))
    if "passphrase" in refs and "key" not in refs:
        problems.append(_("A key passphrase is only used with a private key (key_file)."))
    return {secret: (how, where.strip()) for secret, (how, where) in refs.items()}


def _host_keys(text, problems):
    """The pinned keys, from known_hosts or public-key lines ("[host] ssh-ed25519 AAAA…")."""
    if not isinstance(text, str) or not text.strip():
        problems.append(_("An SFTP delivery needs the server's host key (its known_hosts line, "
                          "as printed by “ssh-keyscan -t ed25519 HOST”): the connection is "
                          "refused unless the server shows exactly this key."))
        return ()
    keys = []
    for line in text.strip().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key = _public_key_in(line)
        if key is None:
            problems.append(_("The host key “%(line)s” is not a public key: paste the line "
                              "“ssh-ed25519 AAAA…” (or the server's known_hosts line).")
                            % {"line": line[:60]})
            return ()
        keys.append(key)
    if not keys:
        problems.append(_("The host key holds no key line."))
    return tuple(keys)


def _public_key_in(line):
    """"alg base64" from a known_hosts or authorized-keys line, checked; None if none is valid."""
    words = line.split()
    if words and words[0].startswith("@"):  # @cert-authority / @revoked: not a pinned key
        return None
    for start in range(min(2, len(words) - 1)):
        candidate = f"{words[start]} {words[start + 1]}"
        try:
            key = asyncssh.import_public_key(candidate)
        except (asyncssh.KeyImportError, ValueError):
            continue
        return key.export_public_key("openssh").decode().strip()
    return None


# Folder delivery -------------------------------------------------------------------------------

def deliver_to_folder(destination, name, data, if_exists=REFUSE):
    folder = Path(destination.path)
    where = describe(destination)
    try:
        if not folder.is_dir():
            raise TransientError(_("%(where)s: the folder does not exist (or is not mounted); "
                                   "will try again.") % {"where": where})
        if _same_file_in_folder(folder / name, data, where, if_exists):
            return Outcome.ALREADY_THERE
        _remove_folder_leftovers(folder, name)
        return _write_into_place(folder, name, data, where, if_exists)
    except PermissionError as exc:
        raise TransientError(_("%(where)s: not allowed to write (%(error)s); will try again.")
                             % {"where": where, "error": exc.strerror}) from None
    except OSError as exc:
        raise TransientError(_("%(where)s: cannot write (%(error)s); will try again.")
                             % {"where": where, "error": exc.strerror or exc}) from None


def _same_file_in_folder(final, data, where, if_exists=REFUSE):
    """True when `final` holds exactly `data`; False when absent (or to be replaced); an error
    otherwise (see `if_exists`)."""
    try:
        stat = final.lstat()
    except FileNotFoundError:
        return False
    regular = final.is_file() and not final.is_symlink()
    if regular and stat.st_size == len(data) and final.read_bytes() == data:
        return True
    if regular and if_exists == REPLACE:
        return False
    raise occupied(where, final.name, if_exists)


def occupied(where, name, if_exists):
    """The error for a final name already taken by other contents."""
    if if_exists == WAIT:
        return TransientError(_("%(where)s: the previous “%(name)s” is still there (not yet "
                                "taken by the system that reads it); will try again.")
                              % {"where": where, "name": name})
    return PermanentError(_("%(where)s: “%(name)s” is already there with other contents; it was "
                            "left as it is. Move it away, then retry.")
                          % {"where": where, "name": name})


def _remove_folder_leftovers(folder, name):
    """Temporary files of an earlier attempt at this name that stopped half-way."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_part_of(entry.name, name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _write_into_place(folder, name, data, where, if_exists=REFUSE):
    part = folder / part_name(name)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if if_exists == REPLACE:
            os.replace(part, folder / name)
            outcome = Outcome.DELIVERED
        else:
            outcome = _link_into_place(part, folder / name, data, where)
        _fsync_folder(folder)
        return outcome
    finally:
        part.unlink(missing_ok=True)


def _link_into_place(part, final, data, where):
    """A hard link never replaces an existing file, so two writers cannot both win."""
    try:
        os.link(part, final)
    except FileExistsError:  # written meanwhile by another attempt at the same delivery
        if _same_file_in_folder(final, data, where):
            return Outcome.ALREADY_THERE
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # A filesystem without hard links: check then rename (a tiny window, not a loop).
        if _same_file_in_folder(final, data, where):
            return Outcome.ALREADY_THERE
        os.rename(part, final)
    return Outcome.DELIVERED


def _fsync_folder(folder):
    """The rename itself survives a power cut only once the folder's entry is on disk."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_name(name):
    if not isinstance(name, str) or not name or name in (".", "..") or name.startswith(".") \
            or any(c in name for c in "/\\\x00") or len(name.encode()) > 200 \
            or PurePosixPath(name).name != name:
        raise PermanentError(_("“%(name)s” is not a valid file name for a delivery (a plain "
                               "name, not hidden, without / or \\).") % {"name": str(name)[:80]})
