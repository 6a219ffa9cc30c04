"""Writing a ChipPlan on a chip, then reading every file back (docs/nfc-encoding.md).

The order keeps the APDU count at what the layout needs (encoding.minimum, held to it by
tests/nfc/test_encoding_minimum.py; bench/encode_bench.py):
- at the PICC level, one session: the master key, FormatPICC (or deleting the layout's
  applications), every CreateApplication, then the new master key (ChangeKey ends the
  session); the DAM keys not loaded yet under the final master key (one more session only
  when the master key changed);
- per application: one session with the factory key 0 creates the files with their final
  rights and changes the other keys, then key 0 itself; then one session per key that writes
  (files written in their own communication mode, not in plain as ESUP does), reading back in
  the same session what that key may read; a last session per key for what is left to read.
A file whose rights let no key write it is created free, written in plain and then given its
rights (ESUP's way).
"""

from django.utils.translation import gettext as _

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.codes import Comm
from campuscard.nfc.desfire.keys import Key
from campuscard.nfc.desfire.settings import (
    CHANGE_KEY_FROZEN,
    CHANGE_KEY_WITH_MASTER,
    CHANGE_KEY_WITH_SAME_KEY,
    FREE,
    FREE_ACCESS,
    NEVER,
)


class ChipRefused(Exception):
    """The chip answered, but not as the plan needs: no known master key opens it, or what was
    read back differs from what was written. The message is translated."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def comm_for(file, session_key, rights):
    """How an access to `file` travels: its own mode when the session's key holds the right,
    plain when the right is free."""
    if session_key is not None and session_key in rights:
        return file.comm
    if FREE in rights:
        return Comm.PLAIN
    raise ChipRefused(_("No key of this session may access file %(file)s.")
                      % {"file": file.number})


def open_picc(picc, plan):
    """Select the PICC and authenticate with the first candidate master key that works;
    returns that key."""
    picc.select_application(0)
    refused = None
    for key in plan.picc_candidates:
        try:
            picc.authenticate(0, key)
            return key
        except status.TransportError:
            raise
        except status.DesfireError as exc:
            refused = exc
    raise ChipRefused(_("No known master key opens this chip: it was encoded by another "
                        "system, or with keys this server no longer has.")) from refused


def write_chip(picc, plan):
    """Write `plan` on the chip behind `picc` (a Desfire client) and read it back; returns the
    number of files verified. Raises ChipRefused or a DesfireError."""
    current = open_picc(picc, plan)
    _clear(picc, plan)
    for app in plan.applications:
        picc.create_application(app.aid, app.ks1, app.ks2, app.iso_fid, app.df_name)
    changed = plan.picc_key != current
    if changed:
        picc.change_key(0, plan.picc_key)
    _load_dam_keys(picc, plan, session_ended=changed)
    return sum(_write_application(picc, app) for app in plan.applications)


def _clear(picc, plan):
    if plan.format_before_write:
        picc.format_picc()
        return
    ours = {app.aid for app in plan.applications}
    for aid in picc.get_application_ids():
        if aid in ours:
            picc.delete_application(aid)


def _load_dam_keys(picc, plan, session_ended):
    """Each DAM key that is not loaded yet, under the final master key: the opening session
    when the master key did not change, else a new one."""
    previous = dict(plan.previous_dam_keys)
    changes = [(number, key, previous.get(number, Key.zero("aes")))
               for number, key in plan.dam_keys if key != previous.get(number, Key.zero("aes"))]
    if not changes:
        return
    if session_ended:
        picc.authenticate(0, plan.picc_key)
    for number, key, old in changes:
        picc.change_key(number, key, old)


def _write_application(picc, app):
    picc.select_application(app.aid)
    picc.authenticate(0, app.zero_key())
    unwritable = [file for file in app.files if file.type != "value" and file.writer() == NEVER]
    for file in app.files:
        _create_file(picc, file, FREE_ACCESS if file in unwritable else file.access)
    for file in unwritable:
        _write_file(picc, file, Comm.PLAIN)
        picc.change_file_settings(file.number, file.comm, file.access, plain=True)
    _change_keys(picc, app)
    return _write_and_verify(picc, app, [f for f in app.files if f not in unwritable],
                             verified=set())


def _create_file(picc, file, access):
    if file.type == "value":
        picc.create_value_file(file.number, file.comm, access, file.lower, file.upper,
                               file.value, file.limited_credit, file.iso_fid)
    elif file.type == "backup":
        picc.create_backup_data_file(file.number, file.comm, access, file.size, file.iso_fid)
    else:
        picc.create_std_data_file(file.number, file.comm, access, file.size, file.iso_fid)


def _changed(app, number):
    return app.keys[number] != app.zero_key()


def _change_keys(picc, app):
    """Under the factory key 0 session: every key to its final value, key 0 last (changing the
    session's own key ends it)."""
    others = [number for number in range(1, len(app.keys)) if _changed(app, number)]
    right = app.change_right
    if right == CHANGE_KEY_WITH_MASTER:
        for number in others:
            picc.change_key(number, app.keys[number], app.zero_key())
        others = []
    if _changed(app, 0):
        picc.change_key(0, app.keys[0])
    if right == CHANGE_KEY_FROZEN and others:
        raise ChipRefused(_("Application %(aid)s freezes its keys (key settings 1): they "
                            "cannot be changed from the factory value.") % {"aid": app.aid_text})
    if right == CHANGE_KEY_WITH_SAME_KEY:
        for number in others:
            picc.authenticate(number, app.zero_key())
            picc.change_key(number, app.keys[number])
    elif others:  # one key changes all the others
        picc.authenticate(right, app.zero_key())
        for number in others:
            if number != right:
                picc.change_key(number, app.keys[number], app.zero_key())
        if right in others:
            picc.change_key(right, app.keys[right])


def _write_and_verify(picc, app, writable, verified):
    data_files = [file for file in writable if file.type != "value"]
    free = [file for file in data_files if file.writer() == FREE]
    for file in free:
        _write_file(picc, file, Comm.PLAIN)
    _commit_if_backup(picc, free)
    session = None
    for writer in _in_order(file.writer() for file in data_files if file.writer() != FREE):
        picc.authenticate(writer, app.keys[writer])
        session = writer
        written = [file for file in data_files if file.writer() == writer]
        for file in written:
            _write_file(picc, file, comm_for(file, writer, (file.access.write,
                                                            file.access.read_write)))
        _commit_if_backup(picc, written)
        _verify(picc, app.files, session, verified)
    _verify(picc, app.files, session, verified)
    for reader in _in_order(min(file.readers()) for file in app.files
                            if file.number not in verified):
        picc.authenticate(reader, app.keys[reader])
        _verify(picc, app.files, reader, verified)
    return len(verified)


def _in_order(numbers):
    return list(dict.fromkeys(numbers))


def _write_file(picc, file, comm):
    picc.write_data(file.number, file.data, comm=comm)


def _commit_if_backup(picc, files):
    if any(file.type == "backup" for file in files):
        picc.commit_transaction()


def _verify(picc, files, session, verified):
    """Read back every file the session's key (or anyone) may read and is not yet verified."""
    for file in files:
        if file.number in verified:
            continue
        readers = file.readers() | ({file.access.write} if file.type == "value" else set())
        if FREE not in readers and session not in readers:
            continue
        rights = tuple(readers)
        if file.type == "value":
            found = picc.get_value(file.number, comm=comm_for(file, session, rights))
            if found != file.value:
                raise ChipRefused(_("Value file %(file)s reads %(found)s, not %(value)s.")
                                  % {"file": file.number, "found": found, "value": file.value})
        else:
            found = picc.read_data(file.number, length=file.size,
                                   comm=comm_for(file, session, rights))
            if found != file.data:
                raise ChipRefused(_("File %(file)s does not read back as it was written.")
                                  % {"file": file.number})
        verified.add(file.number)
