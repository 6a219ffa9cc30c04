"""How many APDUs encoding a layout needs at least, derived from the layout's declaration alone
(not from writing.py's order), and how many ESUP-SGC's own sequence sends for the same layout
(reference: ESUP's DesfireService.writeCard, which selects and authenticates again before
every step). bench/encode_bench.py and tests/nfc/test_encoding_minimum.py hold write_chip to
the first.

Every command counts once per frame it takes: a command of more than MAX_FRAME_DATA bytes
goes in AF frames, an answer of more than RESPONSE_FRAME bytes is fetched with AF. An
authentication is two APDUs (the command, then the AF with the reader's token). The terms are
named so a reader can check them one by one (`minimum_terms`).

Assumptions, each what the rights require and no more:
- a session ends when its own key is changed, when another application is selected, and on
  a new authentication; FormatPICC and CreateApplication keep it;
- DAM keys are AES and are loaded under the final master key, as ESUP loads them: one more
  PICC session when the master key changed in this run;
- every data file is written whole (`size` bytes) in its communication mode, under a session
  with its write or read-write key, or in plain when either right is free; a file no key may
  write is created free, written in plain, then given its rights (ChangeFileSettings, plain);
- every file is read back once, under a session whose key holds the read or read-write right
  (GetValue also takes the write right), or without one when reading is free; a file is read
  in the session that wrote it, or in a later one.
"""

import itertools

from campuscard.nfc.desfire.apdu import MAX_FRAME_DATA
from campuscard.nfc.desfire.settings import (
    CHANGE_KEY_FROZEN,
    CHANGE_KEY_WITH_MASTER,
    CHANGE_KEY_WITH_SAME_KEY,
    FREE,
    NEVER,
    AccessRights,
)
from campuscard.nfc.layouts import APP_CRYPTO

AUTHENTICATION = 2  # the command, then AF with the reader's token
RESPONSE_FRAME = 59  # data bytes of one answer frame before the card asks for AF
DATA_HEADER = 7  # file number, offset (3), length (3)
ESUP_FIRST_CHUNK, ESUP_CHUNK = 47, 54  # ESUP's WriteData chunks (desfire.md §1.3)
# (MAC bytes, checksum bytes, cipher block) of a session with an application's keys: EV1 (AES,
# and 3TDEA with ISO authentication) CMAC and CRC32, legacy DES/2TDEA 4-byte MAC and CRC16.
MESSAGING = {"aes": (8, 4, 16), "3tdea": (8, 4, 8), "2tdea": (4, 2, 8), "des": (4, 2, 8)}


def command_frames(length):
    """APDUs a command of `length` data bytes takes: MAX_FRAME_DATA bytes a frame."""
    return max(1, -(-length // MAX_FRAME_DATA))


def answer_frames(length):
    """APDUs an answer of `length` data bytes takes: the command, then one AF a frame more."""
    return max(1, -(-length // RESPONSE_FRAME))


def wire_length(size, comm, key_type):
    """Bytes `size` data bytes take on the wire in communication mode `comm`."""
    mac, checksum, block = MESSAGING[key_type]
    if comm == "enciphered":
        return -(-(size + checksum) // block) * block
    return size + (mac if comm == "mac" else 0)


def _key_changes(declared):
    """Whether a declared key differs from the factory key (zero, version 0)."""
    return not (declared.get("reference") == "default" and not declared.get("diversified")
                and not declared.get("version"))


class _File:
    def __init__(self, declared, key_type):
        self.type = declared["type"]
        self.comm = declared["communication"]
        self.size = declared.get("size", 0)
        self.key_type = key_type
        self.access = AccessRights.parse(declared["access_rights"])
        rights = self.access
        self.free_write = FREE in (rights.write, rights.read_write)
        self.writers = {r for r in (rights.write, rights.read_write) if r not in (FREE, NEVER)}
        readers = {rights.read, rights.read_write} | (
            {rights.write} if self.type == "value" else set())
        self.free_read = FREE in readers
        self.readers = readers - {FREE, NEVER}

    @property
    def written(self):
        return self.type != "value"

    @property
    def unwritable(self):
        return self.written and not self.free_write and not self.writers

    def write_apdus(self, comm):
        return command_frames(DATA_HEADER + wire_length(self.size, comm, self.key_type))

    def read_apdus(self, comm):
        if self.type == "value":
            return answer_frames(wire_length(4, comm, self.key_type))
        return answer_frames(wire_length(self.size, comm, self.key_type))


def _picc_terms(declaration, format_before_write, picc_key_changes, dam_keys_change,
                applications_on_chip):
    apps = declaration["applications"]
    terms = [("select the PICC", 1), ("authenticate the PICC master key", AUTHENTICATION)]
    if format_before_write:
        terms.append(("FormatPICC", 1))
    else:
        terms.append(("GetApplicationIDs", answer_frames(3 * applications_on_chip)))
        terms.append(("DeleteApplication of the layout's applications on the chip",
                      applications_on_chip))
    terms.append(("CreateApplication, one each", len(apps)))
    if picc_key_changes:
        terms.append(("ChangeKey of the master key", 1))
    dam = declaration.get("dam_keys") or {}
    if dam and dam_keys_change:
        if picc_key_changes:  # ChangeKey of the session's own key ended it
            terms.append(("authenticate the new master key for the DAM keys", AUTHENTICATION))
        terms.append(("ChangeKey of each DAM key", len(dam)))
    return terms


def _open_session_after_keys(app, changing):
    """The key whose session is still open once the keys are changed (None if none), and the
    authentications changing them took."""
    right = int(app["key_settings_1"], 16) >> 4
    others = [number for number in changing if number]
    open_key = None if 0 in changing else 0
    if right == CHANGE_KEY_WITH_MASTER or not others:
        return open_key, 0
    if right == CHANGE_KEY_FROZEN:
        raise ValueError(f"application {app['aid']} freezes keys the layout changes")
    if right == CHANGE_KEY_WITH_SAME_KEY:  # each key opens its own session and ends it
        return None, len(others)
    return (None if right in others else right), 1  # one session with the change key


def _session_plan(files, open_key):
    """The fewest authentications (and CommitTransactions) that write and read back `files`:
    (authentications, commits, {file index: session key or None}) where the key is the
    session a file is written in, tried over every set and order of session keys."""
    keys = sorted({k for f in files for k in f.writers | f.readers})
    head = (open_key,) if open_key is not None else ()
    best = None
    for count in range(len(keys) + 1):
        if best is not None and AUTHENTICATION * count > best[0]:
            break  # more sessions cannot cost less
        for chosen in itertools.permutations(keys, count):
            found = _assign(files, head + chosen)
            if found is not None:
                commits, written_in = found
                cost = AUTHENTICATION * count + commits
                if best is None or cost < best[0]:
                    best = (cost, count, commits, written_in)
    if best is None:
        raise ValueError("no order of sessions writes and reads back every file")
    return best[1:]


def _assign(files, order):
    """Each file written in the first session (index in `order`, -1 before any) that may write
    it, read back in that session or a later one; None when some file cannot be."""
    if len(set(order)) != len(order):  # the open session's key is not authenticated again
        return None
    written_in, backup_sessions = {}, set()
    for index, file in enumerate(files):
        sessions = [i for i, key in enumerate(order) if key in file.writers]
        if not file.written or file.unwritable or file.free_write:
            at = -1
        elif sessions:
            at = sessions[0]
        else:
            return None
        if not file.free_read and not any(
                i >= at for i, key in enumerate(order) if key in file.readers):
            return None
        if file.type == "backup":
            backup_sessions.add(at)
        written_in[index] = order[at] if at >= 0 else None
    return len(backup_sessions), written_in


def _application_terms(app):
    key_type = APP_CRYPTO[int(app["key_settings_2"], 16) & 0xC0][0]
    aid = app["aid"].upper()
    files = [_File(declared, key_type) for declared in app["files"]]
    changing = [key["number"] for key in app["keys"] if _key_changes(key)]
    open_key, change_auths = _open_session_after_keys(app, changing)
    unwritable = [file for file in files if file.unwritable]
    auths, commits, written_in = _session_plan(files, open_key)
    terms = [
        (f"{aid}: select", 1),
        (f"{aid}: authenticate with the factory key 0", AUTHENTICATION),
        (f"{aid}: CreateFile, one each", len(files)),
        (f"{aid}: ChangeFileSettings of files no key may write", len(unwritable)),
        (f"{aid}: ChangeKey of each key that changes", len(changing)),
        (f"{aid}: authentications the change-key right requires",
         AUTHENTICATION * change_auths),
        (f"{aid}: authentications the write and read rights require", AUTHENTICATION * auths),
        (f"{aid}: WriteData frames", sum(
            file.write_apdus(file.comm if written_in[i] is not None else "plain")
            for i, file in enumerate(files) if file.written)),
        (f"{aid}: CommitTransaction of backup files, once a session", commits),
        (f"{aid}: read-back frames", sum(
            file.read_apdus("plain" if file.free_read else file.comm) for file in files)),
    ]
    return terms


def minimum_terms(declaration, format_before_write=True, *, picc_key_changes=None,
                  dam_keys_change=True, applications_on_chip=0):
    """[(what, APDUs)] of encoding `declaration` and reading it back.

    `picc_key_changes`: whether the chip's master key is not the layout's yet (default: the
    layout's start key differs from its key, as on a blank chip; False when encoding again a
    chip that holds this layout's master key). `dam_keys_change`: the DAM keys are not loaded
    yet. `applications_on_chip`: the layout's applications the chip holds, deleted one by one
    when it is not formatted."""
    picc = declaration["picc"]
    if picc_key_changes is None:
        start = picc.get("start_key") or {"reference": "default", "type": "des"}
        picc_key_changes = start != picc["key"]
    terms = _picc_terms(declaration, format_before_write, picc_key_changes, dam_keys_change,
                        applications_on_chip)
    for app in declaration["applications"]:
        terms += _application_terms(app)
    return [(what, count) for what, count in terms if count]


def minimum_apdus(declaration, format_before_write=True, **options):
    """The APDUs encoding `declaration` on a chip and reading it back take at least."""
    return sum(count for _what, count in minimum_terms(declaration, format_before_write,
                                                       **options))


# --- ESUP's sequence ---------------------------------------------------------------------------

STEP = 1 + AUTHENTICATION  # ESUP selects and authenticates again before every step


def esup_sequence_apdus(declaration, format_before_write=True):
    """What ESUP-SGC's writeCard sends for `declaration` (desfire.md §1.3), then reading each
    file back its way (DesfireReadConfig: select, authenticate with the read key unless reading
    is free, GetFileSettings, ReadData): every step selects and authenticates first; files are
    created free, written in plain in chunks of 47 then 54 bytes, then given their rights."""
    dam = declaration.get("dam_keys") or {}
    total = (STEP + 1) if format_before_write else 0  # FormatPICC
    for app in declaration["applications"]:
        key_type = APP_CRYPTO[int(app["key_settings_2"], 16) & 0xC0][0]
        total += STEP + 1  # CreateApplication
        total += (STEP + 1) * sum(_key_changes(key) for key in app["keys"])  # ChangeKey
        for declared in app["files"]:
            file = _File(declared, key_type)
            total += STEP + 1  # CreateFile, free
            if file.written:
                chunks = 1 + -(-max(0, file.size - ESUP_FIRST_CHUNK) // ESUP_CHUNK)
                total += STEP + chunks + (1 if file.type == "backup" else 0)
            total += STEP + 1  # ChangeFileSettings to the real rights
            read = 1 if file.free_read else STEP
            total += read + 1 + file.read_apdus("plain" if file.free_read else file.comm)
    picc = declaration["picc"]
    if (picc.get("start_key") or {"reference": "default", "type": "des"}) != picc["key"]:
        total += STEP + 1  # ChangeKey of the master key
    return total + (STEP + 1) * len(dam)
