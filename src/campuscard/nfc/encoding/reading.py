"""Reading what a chip holds, file by file, with the keys of a ChipPlan (docs/nfc-encoding.md).

A file the chip does not have, or whose key it refuses, is reported as such: reading a chip of
another layout, or a foreign chip, gives a reading that says what is missing rather than an
error.
"""

import dataclasses
import uuid

from campuscard.nfc.desfire import status
from campuscard.nfc.desfire.settings import FREE
from campuscard.nfc.encoding.writing import comm_for

PRESENT, MISSING, REFUSED, UNREAD = "present", "missing", "refused", "unread"


@dataclasses.dataclass
class FileReading:
    number: int
    holds: str | None
    state: str = MISSING
    raw: bytes | None = None
    value: str | int | None = None

    def to_json(self):
        return {"number": self.number, "holds": self.holds, "state": self.state,
                "raw": self.raw.hex().upper() if self.raw is not None else None,
                "value": self.value}


@dataclasses.dataclass
class ApplicationReading:
    aid: str
    state: str = MISSING
    files: list = dataclasses.field(default_factory=list)

    def to_json(self):
        return {"aid": self.aid, "state": self.state,
                "files": [file.to_json() for file in self.files]}


def decode(file, raw):
    """What the bytes of a data file say, as the layout wrote them."""
    if file.encoding == "decimal_nibbles":
        digits = raw.hex().lstrip("0") or "0"
        return digits if digits.isdigit() else None
    if file.encoding == "uuid16":
        return str(uuid.UUID(bytes=raw[:16]))
    if file.encoding == "ascii":
        return raw.rstrip(b"\x00").decode("ascii", "replace")
    return raw.hex().upper()


def read_chip(picc, plan):
    """Every application and file of `plan` as the chip behind `picc` holds it."""
    return [_read_application(picc, app) for app in plan.applications]


def _read_application(picc, app):
    files = {file.number: FileReading(file.number, file.holds, UNREAD) for file in app.files}
    reading = ApplicationReading(app.aid_text, files=list(files.values()))
    try:
        picc.select_application(app.aid)
    except status.ApplicationNotFound:
        for found in reading.files:
            found.state = MISSING
        return reading
    reading.state = PRESENT
    _read_files(picc, app, files, session=None)
    keys_needed = [min(_rights(file) - {FREE}) for file in app.files
                   if files[file.number].state == UNREAD and _rights(file) - {FREE}]
    for key_no in dict.fromkeys(keys_needed):
        try:
            picc.authenticate(key_no, app.keys[key_no])
        except status.TransportError:
            raise
        except status.DesfireError:
            picc.select_application(app.aid)  # a failed authentication ends the session
            continue
        _read_files(picc, app, files, session=key_no)
    for file in app.files:
        if files[file.number].state == UNREAD and _rights(file) - {FREE}:
            files[file.number].state = REFUSED
    return reading


def _rights(file):
    """The rights that let one read a file (GetValue also takes the write right)."""
    return file.readers() | ({file.access.write} if file.type == "value" else set())


def _read_files(picc, app, files, session):
    """Read every file not read yet that the session's key (or anyone) may read."""
    for file in app.files:
        found, rights = files[file.number], _rights(file)
        if found.state != UNREAD or not (session in rights or FREE in rights):
            continue
        try:
            comm = comm_for(file, session, tuple(rights))
            if file.type == "value":
                found.value = picc.get_value(file.number, comm=comm)
            else:
                found.raw = picc.read_data(file.number, length=file.size, comm=comm)
                found.value = decode(file, found.raw)
            found.state = PRESENT
        except status.TransportError:
            raise
        except status.FileNotFound:
            found.state = MISSING
        except status.DesfireError:
            found.state = REFUSED
            picc.select_application(app.aid)
            if session is not None:
                return
