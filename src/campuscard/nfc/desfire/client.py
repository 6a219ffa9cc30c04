"""The reader's DESFire client: one verb-named method per command, over any Transport.

    with SoftCardTransport(card) as transport:       # or a PC/SC reader
        picc = Desfire(transport)
        picc.authenticate_legacy(0, Key.zero("des"))
        picc.create_application(0xF585C0, 0x0B, 0x84)

The client keeps the running session (`messaging`); a failed command ends it, as it does on
the card. AIDs are given as written, most significant byte first (0xF585C0, "F585C0"); the
wire carries them LSB first.
"""

import dataclasses
import os

from campuscard.nfc.desfire import auth, crypto, status
from campuscard.nfc.desfire.apdu import Link
from campuscard.nfc.desfire.codes import Comm, Ins
from campuscard.nfc.desfire.messaging import NoSession, ack_comm
from campuscard.nfc.desfire.settings import AccessRights

PICC_KEY_TYPE_FLAGS = {"aes": 0x80, "3tdea": 0x40, "des": 0x00, "2tdea": 0x00}
FILE_KINDS = {0: "std", 1: "backup", 2: "value", 3: "linear record", 4: "cyclic record"}


def aid_value(aid):
    if isinstance(aid, str):
        aid = bytes.fromhex(aid)
    if isinstance(aid, bytes | bytearray):
        aid = int.from_bytes(aid, "big")
    if not 0 <= aid <= 0xFFFFFF:
        raise ValueError("an AID is three bytes")
    return aid


def aid_wire(aid):
    return aid_value(aid).to_bytes(3, "little")


def le3(value):
    return value.to_bytes(3, "little")


@dataclasses.dataclass(frozen=True)
class Version:
    hardware: bytes
    software: bytes
    uid: bytes
    batch: bytes
    week: int
    year: int

    @property
    def vendor(self):
        return self.hardware[0]

    @property
    def major(self):
        return self.hardware[3]

    @property
    def storage_bytes(self):
        """The storage size byte: 2^(n/2), '+' when odd (the real size lies above)."""
        return 1 << (self.hardware[5] >> 1)


@dataclasses.dataclass(frozen=True)
class FileSettings:
    kind: str
    comm: Comm
    access: AccessRights
    size: int | None = None
    lower: int | None = None
    upper: int | None = None
    limited_credit: int | None = None


@dataclasses.dataclass(frozen=True)
class DelegatedInfo:
    slot_version: int
    quota: int  # 32-byte blocks
    free_blocks: int
    aid: int


def delegated_application_frame(aid, slot, slot_version, quota, ks1, ks2, iso_fid=None,
                                df_name=None):
    """The data of CreateDelegatedApplication's first frame (what DAMMAC covers)."""
    frame = aid_wire(aid) + slot.to_bytes(2, "little") + bytes([slot_version])
    frame += quota.to_bytes(2, "little") + bytes([ks1, ks2])
    if iso_fid is not None:
        frame += iso_fid + (df_name or b"")
    return frame


def delegated_application_cryptogram(dam_enc_key, dam_mac_key, frame, app_key, random7):
    """What the card issuer's back end computes for a delegate: (EncK, DAMMAC)."""
    enc_k = crypto.dam_enc_k(dam_enc_key, app_key.value, app_key.version, random7)
    return enc_k, crypto.dam_mac(dam_mac_key, frame, enc_k)


class Desfire:
    def __init__(self, transport, random_bytes=os.urandom):
        self.link = Link(transport)
        self.random_bytes = random_bytes
        self.aid = 0
        self._end_session()

    @property
    def apdu_count(self):
        return self.link.apdu_count

    def _end_session(self):
        self.session = NoSession()
        self.auth_key_no = None

    def _command(self, ins, header=b"", data=b"", *, comm=Comm.SIGNED,
                 response_comm=Comm.SIGNED, length=None, first_frame=None, opens=True):
        # comm None: the data is already a cryptogram (ChangeKey)
        payload = header + data if comm is None else self.session.protect_command(
            ins, header, data, comm)
        try:
            body, st = self.link.command(ins, payload, first_frame)
            if not opens:
                return body
            return self.session.open_response(st, body, response_comm, length)
        except status.DesfireError:
            self._end_session()
            raise

    # --- authentication ----------------------------------------------------------------

    def _authenticate(self, handshake, key_no, *args):
        self._end_session()
        self.session = handshake(self.link, key_no, *args, random_bytes=self.random_bytes)
        self.auth_key_no = key_no

    def authenticate_legacy(self, key_no, key):
        """0A: DES or 2TDEA (the factory DES zero PICC key)."""
        self._authenticate(auth.authenticate_legacy, key_no, key)

    def authenticate_iso(self, key_no, key):
        """1A: 3TDEA (or DES/2TDEA in ISO mode)."""
        self._authenticate(auth.authenticate_iso, key_no, key)

    def authenticate_aes(self, key_no, key):
        """AA: EV1 AES."""
        self._authenticate(auth.authenticate_aes, key_no, key)

    def authenticate_ev2_first(self, key_no, key):
        self._authenticate(auth.authenticate_ev2_first, key_no, key)

    def authenticate_ev2_non_first(self, key_no, key):
        previous = self.session
        self._authenticate(auth.authenticate_ev2_non_first, key_no, key, previous)

    def authenticate(self, key_no, key):
        """The EV1 authentication that fits the key's type (ESUP's choice)."""
        method = {"des": self.authenticate_legacy, "2tdea": self.authenticate_legacy,
                  "3tdea": self.authenticate_iso, "aes": self.authenticate_aes}[key.type]
        method(key_no, key)

    # --- PICC and applications ---------------------------------------------------------

    def get_version(self):
        data = self._command(Ins.GET_VERSION)
        if len(data) < 28:
            raise status.ResponseError("GetVersion answered too little")
        return Version(data[0:7], data[7:14], data[14:21], data[21:26], data[26], data[27])

    def get_card_uid(self):
        legacy = self.session.kind == "legacy"  # a CRC16 does not tell the UID's length
        return self._command(Ins.GET_CARD_UID, response_comm=Comm.FULL,
                             length=7 if legacy else None)

    def free_memory(self):
        return int.from_bytes(self._command(Ins.FREE_MEMORY), "little")

    def select_application(self, aid=0):
        self._end_session()
        self._command(Ins.SELECT_APPLICATION, aid_wire(aid))
        self.aid = aid_value(aid)

    def create_application(self, aid, ks1, ks2, iso_fid=None, df_name=None):
        """KS1: settings.* bits and the change-key right; KS2: settings.key_settings_2()."""
        data = aid_wire(aid) + bytes([ks1, ks2])
        if iso_fid is not None:
            data += iso_fid + (df_name or b"")
        self._command(Ins.CREATE_APPLICATION, data=data)

    def delete_application(self, aid):
        self._command(Ins.DELETE_APPLICATION, data=aid_wire(aid))
        if aid_value(aid) == self.aid:
            self.aid = 0
            self._end_session()

    def get_application_ids(self):
        data = self._command(Ins.GET_APPLICATION_IDS)
        return [int.from_bytes(data[i:i + 3], "little") for i in range(0, len(data), 3)]

    def format_picc(self):
        self._command(Ins.FORMAT_PICC)

    # --- keys --------------------------------------------------------------------------

    def get_key_settings(self):
        """(KS1, KS2); at the PICC level KS2 carries the PICC key's type and 1 key."""
        data = self._command(Ins.GET_KEY_SETTINGS)
        return data[0], data[1]

    def change_key_settings(self, ks1):
        self._command(Ins.CHANGE_KEY_SETTINGS, data=bytes([ks1]), comm=Comm.FULL)

    def get_key_version(self, key_no):
        return self._command(Ins.GET_KEY_VERSION, data=bytes([key_no]))[0]

    def change_key(self, key_no, new_key, old_key=None):
        """ChangeKey (C4). Changing another key than the session's takes its current value;
        changing the session's own key ends the session. At the PICC level the key number
        carries the new master key's type (0x80 AES, 0x40 3TDEA)."""
        self._change_key(key_no, new_key, old_key)

    def change_key_ev2(self, key_set, key_no, new_key, old_key=None):
        """ChangeKeyEV2 (C6) under an EV2 session. Only key set 0 (the active keys) exists
        on the software card: no InitializeKeySet/RollKeySet yet."""
        if self.session.kind != "ev2":
            raise ValueError("ChangeKeyEV2 needs an EV2 session")
        self._change_key(key_no, new_key, old_key, key_set)

    def _change_key(self, key_no, new_key, old_key, key_set=None):
        if self.auth_key_no is None:  # what the card would answer
            raise status.AuthenticationError("ChangeKey needs an authentication")
        same = key_no == self.auth_key_no
        if not same and old_key is None:
            raise ValueError("changing another key needs its current value")
        key_byte = key_no
        if self.aid == 0 and key_no == 0:
            key_byte |= PICC_KEY_TYPE_FLAGS[new_key.type]
        version = bytes([new_key.version]) if new_key.type == "aes" else b""
        old = None if same else old_key.wire_value()
        extra = {} if key_set is None else {"key_set": key_set}
        cryptogram = self.session.change_key_cryptogram(key_byte, new_key.wire_value(), old,
                                                        version, **extra)
        header = bytes([key_byte]) if key_set is None else bytes([key_set, key_byte])
        ins = Ins.CHANGE_KEY if key_set is None else Ins.CHANGE_KEY_EV2
        self._command(ins, header + cryptogram, comm=None, opens=not same)
        if same:
            self._end_session()

    # --- files -------------------------------------------------------------------------

    def get_file_ids(self):
        return list(self._command(Ins.GET_FILE_IDS))

    def get_file_settings(self, file_no):
        data = self._command(Ins.GET_FILE_SETTINGS, data=bytes([file_no]))
        kind = FILE_KINDS.get(data[0], f"type {data[0]}")
        common = {"kind": kind, "comm": Comm(data[1]), "access": AccessRights.from_wire(
            data[2:4])}
        if kind == "value":
            lower, upper = (int.from_bytes(data[i:i + 4], "little", signed=True)
                            for i in (4, 8))
            return FileSettings(**common, lower=lower, upper=upper, limited_credit=data[16])
        return FileSettings(**common, size=int.from_bytes(data[4:7], "little"))

    def change_file_settings(self, file_no, comm, access, plain=False):
        """`plain` when the file's change right is free (E), as during ESUP's encoding."""
        self._command(Ins.CHANGE_FILE_SETTINGS, bytes([file_no]),
                      bytes([comm]) + access.to_wire(),
                      comm=Comm.PLAIN if plain else Comm.FULL,
                      response_comm=Comm.PLAIN if plain else Comm.SIGNED)

    def _create_file(self, ins, file_no, iso_fid, comm, access, tail):
        data = bytes([file_no]) + (iso_fid or b"") + bytes([comm]) + access.to_wire() + tail
        self._command(ins, data=data)

    def create_std_data_file(self, file_no, comm, access, size, iso_fid=None):
        self._create_file(Ins.CREATE_STD_DATA_FILE, file_no, iso_fid, comm, access, le3(size))

    def create_backup_data_file(self, file_no, comm, access, size, iso_fid=None):
        self._create_file(Ins.CREATE_BACKUP_DATA_FILE, file_no, iso_fid, comm, access,
                          le3(size))

    def create_value_file(self, file_no, comm, access, lower, upper, value,
                          limited_credit=False, iso_fid=None):
        tail = b"".join(number.to_bytes(4, "little", signed=True)
                        for number in (lower, upper, value)) + bytes([limited_credit])
        self._create_file(Ins.CREATE_VALUE_FILE, file_no, iso_fid, comm, access, tail)

    def delete_file(self, file_no):
        self._command(Ins.DELETE_FILE, data=bytes([file_no]))

    def read_data(self, file_no, offset=0, length=0, comm=Comm.PLAIN):
        """`length` 0 reads to the end. `comm`: the file's mode when the session's key grants
        the right, PLAIN when the right is free."""
        if not length and comm == Comm.FULL and self.session.kind == "legacy":
            # data ‖ CRC16 ‖ zeros also parses as a longer message: ask for the size
            length = self.get_file_settings(file_no).size - offset
        header = bytes([file_no]) + le3(offset) + le3(length)
        return self._command(Ins.READ_DATA, header, comm=ack_comm(comm), response_comm=comm,
                             length=length or None)

    def write_data(self, file_no, data, offset=0, comm=Comm.PLAIN):
        header = bytes([file_no]) + le3(offset) + le3(len(data))
        self._command(Ins.WRITE_DATA, header, data, comm=comm, response_comm=ack_comm(comm))

    def get_value(self, file_no, comm=Comm.PLAIN):
        data = self._command(Ins.GET_VALUE, bytes([file_no]), comm=ack_comm(comm),
                             response_comm=comm, length=4)
        return int.from_bytes(data, "little", signed=True)

    def commit_transaction(self):
        self._command(Ins.COMMIT_TRANSACTION)

    def abort_transaction(self):
        self._command(Ins.ABORT_TRANSACTION)

    # --- delegated applications (DAM) --------------------------------------------------

    def create_delegated_application(self, frame, enc_k, dam_mac):
        """C9 under the DAMAuthKey (0x10) session; `frame` from delegated_application_frame,
        EncK and DAMMAC from the issuer (delegated_application_cryptogram)."""
        self._command(Ins.CREATE_DELEGATED_APPLICATION, data=frame + enc_k + dam_mac,
                      first_frame=len(frame))

    def get_delegated_info(self, slot):
        data = self._command(Ins.GET_DELEGATED_INFO, data=slot.to_bytes(2, "little"))
        return DelegatedInfo(data[0], int.from_bytes(data[1:3], "little"),
                             int.from_bytes(data[3:5], "little"),
                             int.from_bytes(data[5:8], "little"))
