"""DESFire's command codes (the INS byte of a wrapped APDU) and communication modes."""

import enum


class Ins(enum.IntEnum):
    AUTHENTICATE_LEGACY = 0x0A
    AUTHENTICATE_ISO = 0x1A
    AUTHENTICATE_AES = 0xAA
    AUTHENTICATE_EV2_FIRST = 0x71
    AUTHENTICATE_EV2_NON_FIRST = 0x77
    CHANGE_KEY_SETTINGS = 0x54
    CHANGE_KEY = 0xC4
    CHANGE_KEY_EV2 = 0xC6
    GET_KEY_SETTINGS = 0x45
    GET_KEY_VERSION = 0x64
    CREATE_APPLICATION = 0xCA
    CREATE_DELEGATED_APPLICATION = 0xC9
    GET_DELEGATED_INFO = 0x69
    DELETE_APPLICATION = 0xDA
    GET_APPLICATION_IDS = 0x6A
    FREE_MEMORY = 0x6E
    SELECT_APPLICATION = 0x5A
    FORMAT_PICC = 0xFC
    GET_VERSION = 0x60
    GET_CARD_UID = 0x51
    GET_FILE_IDS = 0x6F
    GET_FILE_SETTINGS = 0xF5
    CHANGE_FILE_SETTINGS = 0x5F
    CREATE_STD_DATA_FILE = 0xCD
    CREATE_BACKUP_DATA_FILE = 0xCB
    CREATE_VALUE_FILE = 0xCC
    DELETE_FILE = 0xDF
    READ_DATA = 0xBD
    WRITE_DATA = 0x3D
    GET_VALUE = 0x6C
    COMMIT_TRANSACTION = 0xC7
    ABORT_TRANSACTION = 0xA7
    ADDITIONAL_FRAME = 0xAF


class Comm(enum.IntEnum):
    """How a command and its answer travel.

    PLAIN, MAC and FULL are the file communication settings (00, 01, 03). SIGNED is how the
    management commands travel: MACed both ways under EV2; under EV1 the command only feeds
    the running CMAC IV while the answer carries a CMAC (as every EV1 answer does); plain under
    a legacy session.
    """

    PLAIN = 0x00
    MAC = 0x01
    FULL = 0x03
    SIGNED = 0x100


FILE_COMMS = (Comm.PLAIN, Comm.MAC, Comm.FULL)
