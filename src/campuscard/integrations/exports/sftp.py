"""SFTP delivery with asyncssh: the server's host key pinned, a password or a key read from a
file, the file uploaded under a hidden temporary name and renamed into place.

The rename is SFTP's standard one, which refuses to replace an existing file: the final name
appears whole, once, and never over a file someone else put there. Only a format that names
its files after a person (rewritten at each change) replaces, with `posix_rename`.
"""

import asyncio
import contextlib
import logging
import posixpath

import asyncssh
from django.utils.translation import gettext as _

from campuscard.core.outbox import PermanentError, TransientError
from campuscard.integrations.exports.delivery import (
    REFUSE,
    REPLACE,
    Outcome,
    describe,
    is_part_of,
    occupied,
    part_name,
)

logger = logging.getLogger("campuscard.exports")
READ_BLOCK = 1 << 20


def deliver_over_sftp(destination, name, data, if_exists=REFUSE):
    """Sync entry point for the worker: one event loop per delivery, closed on return."""
    where = describe(destination)
    credentials = _credentials(destination, where)
    try:
        return asyncio.run(_deliver(destination, credentials, name, data, if_exists))
    except asyncssh.HostKeyNotVerifiable:
        raise PermanentError(_(
            "%(where)s: the server's host key is not the pinned one, so nothing was sent. If the "
            "server's key really changed, check the new key with its administrators and pin it."
        ) % {"where": where}) from None
    except asyncssh.PermissionDenied:
        raise PermanentError(_("%(where)s: the server refused the login of “%(user)s” (wrong "
                               "password or key?); nothing was sent.")
                             % {"where": where, "user": destination.username}) from None
    except asyncssh.KeyExchangeFailed as exc:
        raise PermanentError(_("%(where)s: no secure connection could be agreed with the server "
                               "(%(error)s); is the pinned host key of the type the server "
                               "has?") % {"where": where, "error": exc.reason}) from None
    except asyncssh.SFTPError as exc:
        raise TransientError(_("%(where)s: the server refused the upload (%(error)s); will try "
                               "again.") % {"where": where, "error": exc.reason}) from None
    except asyncssh.DisconnectError as exc:
        raise TransientError(_("%(where)s: the connection was lost (%(error)s); will try again.")
                             % {"where": where, "error": exc.reason}) from None
    except (OSError, asyncssh.Error) as exc:  # refused, unreachable, timed out (TimeoutError)
        raise TransientError(_("%(where)s: cannot connect (%(error)s); will try again.")
                             % {"where": where, "error": _os_reason(exc)}) from None


def _credentials(destination, where):
    """Connection options for the login: secrets read now, the key decrypted now."""
    password = destination.secret("password")
    key_text = destination.secret("key")
    options = {"password": password, "client_keys": []}
    if key_text is not None:
        try:
            key = asyncssh.import_private_key(key_text + "\n", destination.secret("passphrase"))
        except (asyncssh.KeyImportError, ValueError, TypeError):
            raise PermanentError(_("%(where)s: the private key cannot be read (not an SSH private "
                                   "key, or a wrong or missing passphrase).")
                                 % {"where": where}) from None
        options["client_keys"] = [key]
    return options


async def _deliver(destination, credentials, name, data, if_exists):
    pinned = [asyncssh.import_public_key(key) for key in destination.host_keys]
    async with asyncio.timeout(destination.timeout * 4), asyncssh.connect(
        destination.host, destination.port, username=destination.username,
        known_hosts=(pinned, [], []), config=None, agent_path=None,
        gss_auth=False, gss_kex=False, connect_timeout=destination.timeout,
        login_timeout=destination.timeout, **credentials,
    ) as connection, connection.start_sftp_client() as sftp:
        return await _upload(sftp, destination.directory, name, data, describe(destination),
                             if_exists)


async def _upload(sftp, directory, name, data, where, if_exists):
    final = posixpath.join(directory, name)
    if await _same_file_on_server(sftp, final, data, where, if_exists):
        return Outcome.ALREADY_THERE
    await _remove_leftovers(sftp, directory, name)
    part = posixpath.join(directory, part_name(name))
    try:
        async with sftp.open(part, "xb") as stream:
            await stream.write(data)
        if if_exists == REPLACE:
            await _replace(sftp, part, final)
        else:
            await sftp.rename(part, final)
    except asyncssh.SFTPError:
        with contextlib.suppress(asyncssh.Error, OSError):
            await sftp.remove(part)
        # The final name taken meanwhile by another attempt at this same delivery?
        if await _same_file_on_server(sftp, final, data, where, if_exists):
            return Outcome.ALREADY_THERE
        raise
    return Outcome.DELIVERED


async def _replace(sftp, part, final):
    """One atomic rename over the old file where the server offers it (OpenSSH does)."""
    try:
        await sftp.posix_rename(part, final)
    except asyncssh.SFTPOpUnsupported:
        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            await sftp.remove(final)
        await sftp.rename(part, final)


async def _same_file_on_server(sftp, final, data, where, if_exists):
    """True when `final` holds exactly `data`; False when absent (or to be replaced); an error
    otherwise (see delivery.deliver_file)."""
    try:
        attrs = await sftp.lstat(final)
    except asyncssh.SFTPNoSuchFile:
        return False
    regular = attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
    if regular and attrs.size == len(data) and await _read(sftp, final) == data:
        return True
    if regular and if_exists == REPLACE:
        return False
    raise occupied(where, posixpath.basename(final), if_exists)


async def _read(sftp, path):
    async with sftp.open(path, "rb", block_size=READ_BLOCK) as stream:
        return await stream.read()


async def _remove_leftovers(sftp, directory, name):
    """Temporary files of an earlier attempt at this name that stopped half-way."""
    for entry in await sftp.listdir(directory):
        if is_part_of(entry, name):
            try:
                await sftp.remove(posixpath.join(directory, entry))
            except asyncssh.SFTPError as exc:
                logger.info("Could not remove the leftover %s: %s", entry, exc.reason)


def _os_reason(exc):
    if isinstance(exc, TimeoutError):
        return _("timed out")
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc) \
        or type(exc).__name__
