"""What the software card does for each command, with the checks (and statuses) a real card
applies. A handler takes the card and the Request, opens the command's data under the running
session (which checks its MAC or deciphers it), and returns the answer's data; it sets
`request.response_comm` when the answer does not travel SIGNED. A failed check raises the
DesfireError of the status the card answers."""

from campuscard.nfc.desfire import crypto
from campuscard.nfc.desfire.codes import FILE_COMMS, Comm, Ins
from campuscard.nfc.desfire.keys import CRYPTO_BITS
from campuscard.nfc.desfire.messaging import ack_comm
from campuscard.nfc.desfire.settings import (
    ALLOW_CHANGE_MASTER_KEY,
    CHANGE_KEY_FROZEN,
    CHANGE_KEY_WITH_MASTER,
    CHANGE_KEY_WITH_SAME_KEY,
    CONFIGURATION_CHANGEABLE,
    FREE,
    FREE_CREATE_DELETE,
    FREE_DIRECTORY_LIST,
    KS3_PRESENT,
    NEVER,
    AccessRights,
    key_type_of,
)
from campuscard.nfc.desfire.status import (
    ApplicationNotFound,
    AuthenticationError,
    BoundaryError,
    CountError,
    DuplicateError,
    FileNotFound,
    IntegrityError,
    LengthError,
    NoSuchKey,
    OutOfEeprom,
    ParameterError,
    PermissionDenied,
)
from campuscard.nfc.softcard.state import (
    BLOCK,
    DAM_AUTH_KEY,
    DAM_ENC_KEY,
    DAM_MAC_KEY,
    Application,
    CardKey,
    DataFile,
)

HARDWARE = bytes.fromhex("04010112001A05")  # NXP, DESFire, EV2, 8 KiB, ISO 14443-2 and -3
SOFTWARE = bytes.fromhex("04010112001A05")
BATCH, WEEK, YEAR = bytes.fromhex("BA7C400000"), 0x01, 0x26
ENC_K, DAM_MAC = 32, 8
PICC_KEY_TYPE_FLAGS = {0x80: "aes", 0x40: "3tdea", 0x00: "2tdea"}


class Request:
    def __init__(self, card, ins, body):
        self.card = card
        self.ins = ins
        self.body = body
        self.response_comm = Comm.SIGNED
        self.end_session = False  # after the answer is protected

    def open(self, header_len, comm, length=None):
        return self.card.session.open_command(self.ins, self.body, header_len, comm, length)

    def signed(self):
        return self.open(len(self.body), Comm.SIGNED)


def le(data):
    return int.from_bytes(data, "little")


def need_length(data, *sizes):
    if len(data) not in sizes:
        raise LengthError(f"{len(data)} bytes, expected {' or '.join(map(str, sizes))}")


# --- rules --------------------------------------------------------------------------------

def require_picc_level(card):
    if card.selected is not None:
        raise PermissionDenied("only at the PICC level")


def require_application(card):
    if card.selected is None:
        raise PermissionDenied("select an application first")
    return card.selected


def require_key(card, key_no):
    if key_no == NEVER:
        raise PermissionDenied("never allowed")
    if card.auth_key is None:
        raise AuthenticationError("authenticate first")
    if card.auth_key != key_no:
        raise PermissionDenied(f"needs key {key_no:X}")


def current_settings(card):
    return card.memory.picc_settings if card.selected is None else card.selected.ks1


def require_setting_or_master(card, bit):
    if not current_settings(card) & bit and card.auth_key != 0:
        raise PermissionDenied("needs the master key")


def key_for(card, key_no):
    if card.selected is None:
        if key_no == 0:
            return card.memory.picc_key
        if key_no in card.memory.dam_keys:
            return card.memory.dam_keys[key_no]
        raise NoSuchKey(f"no PICC key {key_no:02X}")
    if key_no >= len(card.selected.keys):
        raise NoSuchKey(f"no key {key_no}")
    return card.selected.keys[key_no]


def file_of(card, file_no):
    app = require_application(card)
    if file_no not in app.files:
        raise FileNotFound(f"no file {file_no}")
    return app.files[file_no]


def file_comm(card, file, rights):
    """The comm mode a file access travels in: the file's when the session's key grants the
    right, plain when the right is free, else refused."""
    if card.auth_key is not None and card.auth_key in rights:
        return Comm(file.comm)
    if FREE in rights:
        return Comm.PLAIN
    raise PermissionDenied("the file's access rights do not allow this")


def expected_length(card, ins, first):
    """How long a command that may span several frames is, once its first frame is in."""
    if ins == Ins.WRITE_DATA and len(first) >= 7:
        try:
            file = file_of(card, first[0])
            comm = file_comm(card, file, (file.access.write, file.access.read_write))
        except (FileNotFound, PermissionDenied):
            return None  # the command fails on its first frame
        return 7 + card.session.wire_length(comm, le(first[4:7]))
    if ins == Ins.CREATE_DELEGATED_APPLICATION:
        return len(first) + ENC_K + DAM_MAC + card.session.wire_length(Comm.SIGNED, 0)
    return None


# --- PICC and applications ----------------------------------------------------------------

def get_version(card, request):
    request.signed()
    return HARDWARE + SOFTWARE + card.uid + BATCH + bytes([WEEK, YEAR])


def get_card_uid(card, request):
    request.signed()
    if card.auth_key is None:
        raise AuthenticationError("GetCardUID needs an authentication")
    request.response_comm = Comm.FULL
    return card.uid


def free_memory(card, request):
    request.signed()
    return card.memory.free_bytes.to_bytes(3, "little")


def select_application(card, request):
    need_length(request.body, 3)
    aid = le(request.body)
    if aid and aid not in card.memory.applications:
        raise ApplicationNotFound(f"no application {aid:06X}")
    abort_transaction_of(card.selected)
    card.reset_authentication()
    card.selected = card.memory.applications.get(aid) if aid else None
    return b""


def parse_application(data):
    if len(data) < 5 or len(data) == 6 or len(data) > 7 + 16:
        raise LengthError("AID, KS1, KS2 and an optional ISO FID and DF name")
    rest = data[5:]
    return le(data[:3]), data[3], data[4], rest[:2] or None, rest[2:] or None


def new_application(aid, ks1, ks2, iso_fid, df_name):
    key_type, count = key_type_of(ks2), ks2 & 0x0F
    if not aid or key_type is None or not 1 <= count <= 14 or ks2 & KS3_PRESENT:
        raise ParameterError("bad AID or key settings")
    keys = [CardKey.zero(key_type) for _ in range(count)]
    return Application(aid, ks1, ks2, keys, iso_fid=iso_fid, df_name=df_name)


def add_application(card, app):
    memory = card.memory
    existing = memory.applications.values()
    if app.aid in memory.applications or any(
            (app.iso_fid and other.iso_fid == app.iso_fid)
            or (app.df_name and other.df_name == app.df_name) for other in existing):
        raise DuplicateError(f"application {app.aid:06X} exists")
    if len(memory.applications) >= memory.max_applications:
        raise CountError("no room for another application")
    if app.cost * BLOCK > memory.free_bytes:
        raise OutOfEeprom("not enough free memory")
    memory.applications[app.aid] = app


def create_application(card, request):
    data = request.signed()
    require_picc_level(card)
    require_setting_or_master(card, FREE_CREATE_DELETE)
    add_application(card, new_application(*parse_application(data)))
    return b""


def delete_application(card, request):
    data = request.signed()
    need_length(data, 3)
    aid = le(data)
    if aid not in card.memory.applications:
        raise ApplicationNotFound(f"no application {aid:06X}")
    own_master = card.selected is not None and card.selected.aid == aid and card.auth_key == 0
    picc_master = card.selected is None and card.auth_key == 0
    if not (picc_master or (own_master and card.memory.picc_settings & FREE_CREATE_DELETE)):
        raise PermissionDenied("needs the PICC master key")
    del card.memory.applications[aid]
    if own_master:
        card.selected = None
        request.end_session = True
    return b""


def get_application_ids(card, request):
    request.signed()
    require_picc_level(card)
    require_setting_or_master(card, FREE_DIRECTORY_LIST)
    return b"".join(aid.to_bytes(3, "little") for aid in card.memory.applications)


def format_picc(card, request):
    request.signed()
    require_picc_level(card)
    require_key(card, 0)
    card.memory.applications.clear()
    return b""


# --- keys ---------------------------------------------------------------------------------

def get_key_settings(card, request):
    request.signed()
    require_setting_or_master(card, FREE_DIRECTORY_LIST)
    if card.selected is None:
        return bytes([card.memory.picc_settings,
                      CRYPTO_BITS[card.memory.picc_key.type] | 0x01])
    return bytes([card.selected.ks1, card.selected.ks2])


def change_key_settings(card, request):
    require_key(card, 0)
    if not current_settings(card) & CONFIGURATION_CHANGEABLE:
        raise PermissionDenied("the key settings are frozen")
    settings = request.open(0, Comm.FULL, length=1)[0]
    if card.selected is None:
        card.memory.picc_settings = settings
    else:
        card.selected.ks1 = settings
    return b""


def get_key_version(card, request):
    data = request.signed()
    need_length(data, 1)
    return bytes([key_for(card, data[0]).version])


def _picc_key_change(card, key_byte):
    """(key number, new key type) of a PICC-level ChangeKey, with the right checked."""
    require_key(card, 0)
    if key_byte in card.memory.dam_keys:
        return key_byte, "aes"
    if key_byte & 0x3F or key_byte & 0xC0 not in PICC_KEY_TYPE_FLAGS:
        raise NoSuchKey(f"no PICC key {key_byte:02X}")
    if not card.memory.picc_settings & ALLOW_CHANGE_MASTER_KEY:
        raise PermissionDenied("the PICC master key is frozen")
    return 0, PICC_KEY_TYPE_FLAGS[key_byte & 0xC0]


def _application_key_change(card, key_byte):
    app = card.selected
    key_no = key_byte & 0x0F
    if key_no >= len(app.keys):
        raise NoSuchKey(f"no key {key_no}")
    right = app.ks1 >> 4
    if key_no == 0 or right == CHANGE_KEY_WITH_MASTER:
        require_key(card, 0)
        if key_no == 0 and not app.ks1 & ALLOW_CHANGE_MASTER_KEY:
            raise PermissionDenied("the application master key is frozen")
    elif right == CHANGE_KEY_FROZEN:
        require_key(card, 0)
        raise PermissionDenied("the application's keys are frozen")
    else:
        require_key(card, key_no if right == CHANGE_KEY_WITH_SAME_KEY else right)
    return key_no, app.key_type


def _store_key(card, key_no, key):
    if card.selected is not None:
        card.selected.keys[key_no] = key
    elif key_no == 0:
        card.memory.picc_key = key
    else:
        card.memory.dam_keys[key_no] = key


def change_key(card, request):
    return _change_key(card, request, None)


def change_key_ev2(card, request):
    """C6 with key set 0, the active keys (no InitializeKeySet/RollKeySet here)."""
    if card.session.kind != "ev2":
        raise PermissionDenied("ChangeKeyEV2 needs an EV2 session")
    if request.body[:1] != b"\x00":
        raise NoSuchKey("only key set 0")
    return _change_key(card, request, 0)


def _change_key(card, request, key_set):
    header_len = 1 if key_set is None else 2
    if len(request.body) < header_len:
        raise LengthError("ChangeKey takes a key number")
    key_byte = request.body[header_len - 1]
    if card.auth_key is None:
        raise AuthenticationError("ChangeKey needs an authentication")
    if card.selected is None:
        key_no, key_type = _picc_key_change(card, key_byte)
    else:
        key_no, key_type = _application_key_change(card, key_byte)
    same = key_no == card.auth_key
    old = None if same else key_for(card, key_no).value
    extra = {} if key_set is None else {"key_set": key_set}
    new, version = card.session.open_change_key(
        key_byte, request.body[header_len:], len(CardKey.zero(key_type).value),
        key_type == "aes", old, **extra)
    _store_key(card, key_no, CardKey(key_type, new, version[0] if version else 0))
    if same:  # the session's own key changed: the session ends
        card.reset_authentication()
    return b""


# --- files --------------------------------------------------------------------------------

def get_file_ids(card, request):
    request.signed()
    app = require_application(card)
    require_setting_or_master(card, FREE_DIRECTORY_LIST)
    return bytes(sorted(app.files))


def file_settings(file):
    head = bytes([{"std": 0, "backup": 1, "value": 2}[file.kind], file.comm])
    head += file.access.to_wire()
    if file.kind == "value":
        return head + b"".join(value.to_bytes(4, "little", signed=True)
                               for value in (file.lower, file.upper, 0)) + bytes(
            [file.limited_credit])
    return head + file.size.to_bytes(3, "little")


def get_file_settings(card, request):
    data = request.signed()
    need_length(data, 1)
    file = file_of(card, data[0])
    require_setting_or_master(card, FREE_DIRECTORY_LIST)
    return file_settings(file)


def change_file_settings(card, request):
    if not request.body:
        raise LengthError("ChangeFileSettings takes a file number")
    file = file_of(card, request.body[0])
    change = file.access.change
    if change == FREE:
        data, request.response_comm = request.open(4, Comm.PLAIN), Comm.PLAIN
    else:
        require_key(card, change)
        data = request.open(1, Comm.FULL, length=3)
    need_length(data, 4)
    if data[1] not in FILE_COMMS:
        raise ParameterError("unknown communication mode")
    file.comm, file.access = data[1], AccessRights.from_wire(data[2:4])
    return b""


def _file_header(app, data, fixed):
    """(file number, ISO FID or None, rest) of a CreateFile command."""
    need_length(data, fixed, fixed + 2)
    iso_fid = data[1:3] if len(data) == fixed + 2 else None
    rest = data[3:] if iso_fid else data[1:]
    if data[0] > 31 or rest[0] not in FILE_COMMS:
        raise ParameterError("bad file number or communication mode")
    if data[0] in app.files or (iso_fid and any(
            file.iso_fid == iso_fid for file in app.files.values())):
        raise DuplicateError(f"file {data[0]} exists")
    return data[0], iso_fid, rest


def _add_file(card, app, file_no, file):
    if app.quota is not None:
        room = (app.quota - app.used_blocks) * BLOCK
    else:
        room = card.memory.free_bytes
    if file.cost * BLOCK > room:
        raise OutOfEeprom("not enough free memory")
    app.files[file_no] = file


def _create_data_file(card, request, kind):
    data = request.signed()
    app = require_application(card)
    require_setting_or_master(card, FREE_CREATE_DELETE)
    file_no, iso_fid, rest = _file_header(app, data, 7)
    size = le(rest[3:6])
    if not size:
        raise ParameterError("a file has at least one byte")
    _add_file(card, app, file_no, DataFile(kind, rest[0], AccessRights.from_wire(rest[1:3]),
                                           size, bytes(size), iso_fid))
    return b""


def create_std_data_file(card, request):
    return _create_data_file(card, request, "std")


def create_backup_data_file(card, request):
    return _create_data_file(card, request, "backup")


def create_value_file(card, request):
    data = request.signed()
    app = require_application(card)
    require_setting_or_master(card, FREE_CREATE_DELETE)
    file_no, iso_fid, rest = _file_header(app, data, 17)
    lower, upper, value = (int.from_bytes(rest[i:i + 4], "little", signed=True)
                           for i in (3, 7, 11))
    if not lower <= value <= upper:
        raise ParameterError("the value must lie between the limits")
    _add_file(card, app, file_no, DataFile(
        "value", rest[0], AccessRights.from_wire(rest[1:3]), iso_fid=iso_fid, lower=lower,
        upper=upper, value=value, limited_credit=rest[15]))
    return b""


def delete_file(card, request):
    data = request.signed()
    need_length(data, 1)
    file_of(card, data[0])
    require_setting_or_master(card, FREE_CREATE_DELETE)
    del card.selected.files[data[0]]
    return b""


def _data_file(card, file_no):
    file = file_of(card, file_no)
    if file.kind == "value":
        raise ParameterError("a value file has no data")
    return file


def read_data(card, request):
    need_length(request.body[:7], 7)
    file = _data_file(card, request.body[0])
    comm = file_comm(card, file, (file.access.read, file.access.read_write))
    header = request.open(7, ack_comm(comm))
    need_length(header, 7)
    offset, length = le(header[1:4]), le(header[4:7])
    if offset > file.size or offset + length > file.size:
        raise BoundaryError("past the end of the file")
    request.response_comm = comm
    return file.data[offset:offset + length if length else file.size]


def write_data(card, request):
    need_length(request.body[:7], 7)
    file = _data_file(card, request.body[0])
    comm = file_comm(card, file, (file.access.write, file.access.read_write))
    offset, length = le(request.body[1:4]), le(request.body[4:7])
    data = request.open(7, comm, length=length)[7:]
    need_length(data, length)
    if offset + length > file.size:
        raise BoundaryError("past the end of the file")
    current = file.pending if file.pending is not None else file.data
    written = current[:offset] + data + current[offset + length:]
    if file.kind == "backup":
        file.pending = written
    else:
        file.data = written
    request.response_comm = ack_comm(comm)
    return b""


def get_value(card, request):
    need_length(request.body[:1], 1)
    file = file_of(card, request.body[0])
    if file.kind != "value":
        raise ParameterError("not a value file")
    rights = (file.access.read, file.access.write, file.access.read_write)
    comm = file_comm(card, file, rights)
    request.open(1, ack_comm(comm))
    request.response_comm = comm
    return file.value.to_bytes(4, "little", signed=True)


def abort_transaction_of(app):
    for file in app.files.values() if app else ():
        file.pending = None


def commit_transaction(card, request):
    request.signed()
    for file in require_application(card).files.values():
        if file.pending is not None:
            file.data, file.pending = file.pending, None
    return b""


def abort_transaction(card, request):
    request.signed()
    abort_transaction_of(require_application(card))
    return b""


# --- delegated applications (DAM) ---------------------------------------------------------

def _dam_key(card, key_no):
    return card.memory.dam_keys[key_no].value


def create_delegated_application(card, request):
    data = request.signed()
    require_picc_level(card)
    require_key(card, DAM_AUTH_KEY)
    frame, enc_k, mac = data[:-ENC_K - DAM_MAC], data[-ENC_K - DAM_MAC:-DAM_MAC], data[-DAM_MAC:]
    if len(frame) < 10 or crypto.dam_mac(_dam_key(card, DAM_MAC_KEY), frame, enc_k) != mac:
        raise IntegrityError("wrong DAMMAC")
    plain = crypto.cbc_decrypt(_dam_key(card, DAM_ENC_KEY), bytes(16), enc_k)
    if any(plain[24:]):
        raise IntegrityError("EncK does not decipher")
    slot, slot_version, quota = le(frame[3:5]), frame[5], le(frame[6:8])
    app = new_application(*parse_application(frame[:3] + frame[8:]))
    if app.key_type != "aes" or quota < app.used_blocks:
        raise ParameterError("a delegated application has AES keys and room for them")
    if any(other.dam_slot == slot for other in card.memory.applications.values()):
        raise DuplicateError(f"DAM slot {slot} is used")
    app.keys[0] = CardKey("aes", plain[7:23], plain[23])
    app.quota, app.dam_slot, app.dam_slot_version = quota, slot, slot_version
    add_application(card, app)
    return b""


def get_delegated_info(card, request):
    data = request.signed()
    require_picc_level(card)
    if card.auth_key not in (0, DAM_AUTH_KEY):
        require_key(card, 0)
    need_length(data, 2)
    for app in card.memory.applications.values():
        if app.dam_slot == le(data):
            free = app.quota - app.used_blocks
            return (bytes([app.dam_slot_version]) + app.quota.to_bytes(2, "little")
                    + free.to_bytes(2, "little") + app.aid.to_bytes(3, "little"))
    raise ApplicationNotFound(f"no delegated application in slot {le(data)}")


HANDLERS = {
    Ins.GET_VERSION: get_version,
    Ins.GET_CARD_UID: get_card_uid,
    Ins.FREE_MEMORY: free_memory,
    Ins.SELECT_APPLICATION: select_application,
    Ins.CREATE_APPLICATION: create_application,
    Ins.DELETE_APPLICATION: delete_application,
    Ins.GET_APPLICATION_IDS: get_application_ids,
    Ins.FORMAT_PICC: format_picc,
    Ins.GET_KEY_SETTINGS: get_key_settings,
    Ins.CHANGE_KEY_SETTINGS: change_key_settings,
    Ins.GET_KEY_VERSION: get_key_version,
    Ins.CHANGE_KEY: change_key,
    Ins.CHANGE_KEY_EV2: change_key_ev2,
    Ins.GET_FILE_IDS: get_file_ids,
    Ins.GET_FILE_SETTINGS: get_file_settings,
    Ins.CHANGE_FILE_SETTINGS: change_file_settings,
    Ins.CREATE_STD_DATA_FILE: create_std_data_file,
    Ins.CREATE_BACKUP_DATA_FILE: create_backup_data_file,
    Ins.CREATE_VALUE_FILE: create_value_file,
    Ins.DELETE_FILE: delete_file,
    Ins.READ_DATA: read_data,
    Ins.WRITE_DATA: write_data,
    Ins.GET_VALUE: get_value,
    Ins.COMMIT_TRANSACTION: commit_transaction,
    Ins.ABORT_TRANSACTION: abort_transaction,
    Ins.CREATE_DELEGATED_APPLICATION: create_delegated_application,
    Ins.GET_DELEGATED_INFO: get_delegated_info,
}
