"""Layouts to start from (data): ESUP-SGC's, and one for the European Student Card.

`{layout}` in a key reference becomes the new layout's code, so that every layout made from a
preset has key files of its own (`file:<code>/picc.hex`…). Copy one and edit it rather than
changing it here: a saved layout does not follow later changes of its preset.

Choices, explained in docs/nfc-layouts.md:
- ESUP's file 00 is 32 bytes, not the 31 (`1F0000`) of ESUP's wiki and test context: esup-sgc
  pads the number to 64 hexadecimal digits, which are 32 bytes, and a 32-byte write into a
  31-byte file is a boundary error on a real card.
- The ESCN has an application of its own, F585E5 (no AID is registered for it; ours sits beside
  ESUP's F585xx). It is read freely, since the card prints the same ESCN in its QR code and any
  ESC reader must read it without our keys; writing it takes key 1.
"""

import copy
import json

from django.utils.translation import gettext_lazy as _

SYSTEM_ID = "CampusCard".encode("ascii").hex().upper()
ACCESS_RIGHTS = "1223"  # read key 1, write key 2, read-write key 2, change key 3


def _keys(stem, count):
    return [{"number": number, "version": 1, "reference": f"file:{{layout}}/{stem}-{number}.hex",
             "diversified": True} for number in range(count)]


def _esup_application(aid, holds):
    """An application as ESUP's wiki has it: amks 0B, nok 84 (AES, 4 keys), one enciphered
    32-byte file 00 read with key 1, written with key 2, changed with key 3."""
    return {
        "aid": aid, "key_settings_1": "0B", "key_settings_2": "84",
        "keys": _keys(aid.lower(), 4),
        "files": [{"number": 0, "type": "std", "size": 32, "communication": "enciphered",
                   "access_rights": ACCESS_RIGHTS, "holds": holds,
                   "encoding": "decimal_nibbles"}],
    }


def _picc():
    return {"start_key": {"reference": "default", "type": "des"},
            "key": {"reference": "file:{layout}/picc.hex", "type": "aes", "version": 1,
                    "diversified": True}}


ESUP_SGC = {
    "card_size_kib": 4,
    "system_id": SYSTEM_ID,
    "picc": _picc(),
    "applications": [
        _esup_application("F585C0", "access_control_id"),
        _esup_application("F585C1", "access_control_id"),
        _esup_application("F58540", "crous_number"),
    ],
}

ESC_AID = "F585E5"
ESC = {
    "card_size_kib": 4,
    "system_id": SYSTEM_ID,
    "picc": _picc(),
    "applications": [
        _esup_application("F585C0", "access_control_id"),
        {
            "aid": ESC_AID, "key_settings_1": "0B", "key_settings_2": "82",
            "keys": _keys(ESC_AID.lower(), 2),
            "files": [
                {"number": 0, "type": "std", "size": 16, "communication": "plain",
                 "access_rights": "E111", "holds": "escn", "encoding": "uuid16"},
                {"number": 1, "type": "std", "size": 16, "communication": "plain",
                 "access_rights": "E111", "holds": "card_id_bound_to_csn", "encoding": "cmac16",
                 "key": {"reference": "file:{layout}/binding.hex", "type": "aes",
                         "version": 1}},
            ],
        },
    ],
}

PRESETS = {"esup-sgc": ESUP_SGC, "esc": ESC}
LABELS = {"esup-sgc": _("ESUP-SGC (F585C0, F585C1 access control, F58540 CROUS)"),
          "esc": _("European Student Card (access control F585C0, ESCN in F585E5)")}


def preset_declaration(name, layout_code):
    """A copy of preset `name` with its key references made the layout's own."""
    text = json.dumps(copy.deepcopy(PRESETS[name]))
    return json.loads(text.replace("{layout}", layout_code))
