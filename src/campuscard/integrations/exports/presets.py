"""ESUP-SGC's access-control exporters as formats (data, the shape the form stores).

Each reproduces the bytes ESUP-SGC writes (services/ac/CsvExport*Service.java), with our
variables in place of its fields: its desfireIds["access-control"] is our access_control_id,
its secondaryId ("Leocode") our secondary_id, its institute our establishment's name, its card
due date the person's end of rights. Copy one and edit it rather than changing it here: a
stored format does not follow later changes of its preset.

Where ESUP-SGC differs and we do not follow: a character the encoding lacks loses its accents
instead of becoming "?"; P2S counts lines per file, where ESUP-SGC counts people; PcPass is
written every 24 hours rather than at 10:00.
"""

import copy

from django.utils.translation import gettext_lazy as _

ESUP_STATES = ("ENABLED", "DISABLED", "CADUC")


def _identity_columns(titles, validity, birth, state_map):
    """The nine columns Synchronic, TIL and P2S share. `validity` and `birth` are (pattern,
    maximum or None) for the enabling and end dates, and for the birth date."""
    def date(title, value, pattern, cap, **extra):
        return {"title": title, "value": value, "format": pattern} | (
            {"max": cap} if cap else {}) | extra

    values = ["secondary_id", "last_name", "first_name", "access_control_id"]
    columns = [{"title": titles[index], "value": value} for index, value in enumerate(values)]
    columns += [
        date(titles[4], "enabled_date", *validity),
        date(titles[5], "due_date", *validity),
        {"title": titles[6], "value": "state", "map": state_map},
        date(titles[7], "birth_date", *birth, fallback="state_date"),
        {"title": titles[8], "value": "establishment_name"},
    ]
    return columns


def _esup(**keys):
    """What ESUP-SGC's exporters have in common: ISO-8859-1, ";", CRLF, no header, no quoting,
    ENABLED/DISABLED/CADUC cards that were enabled once."""
    return {
        "separator": ";", "quoting": "none", "encoding": "iso-8859-1", "line_ending": "\r\n",
        "header": False, "grouping": "per_person", "mode": "changes",
        "selection": "one_per_person", "states": list(ESUP_STATES),
        "require_enabled_date": True, "lines_per_file": 0, "every_minutes": 0,
    } | keys


SYNCHRONIC = _esup(
    columns=_identity_columns(
        ["Leocode", "NOM", "Prénom", "IDP2S", "Date_début", "Date_fin", "Bloqué",
         "Date_Naissance", "Société"],
        ("%Y%m%d", "2037-12-31"), ("%d/%m/%Y", None), {"ENABLED": "NON", "*": "OUI"}),
    file_name="{eppn}_synchronic.csv",
)

TIL = _esup(
    columns=[*_identity_columns(
        ["Leocode", "NOM", "Prénom", "IDP2S", "Date_début", "Date_fin", "Valide",
         "Date_Naissance", "Société"],
        ("%d/%m/%Y", None), ("%d/%m/%Y", None), {"ENABLED": "1", "*": "0"}),
        {"title": "Opération", "value": "constant", "constant": "A"}],
    file_name="{eppn}_til.csv",
)

P2S = _esup(
    columns=_identity_columns(
        ["Léocode", "NOM", "Prénom", "Identifiant_P2S", "Début_de_validité",
         "Fin_de_validité", "Statut", "Date_de_naissance", "Établissement"],
        ("%Y/%m/%d", "2099-12-31"), ("%Y/%m/%d", "2099-12-31"), {"ENABLED": "0", "*": "1"}),
    line_ending="\n", file_name="{epoch_ms}_{seq}_p2s.csv", grouping="batch",
    selection="all_cards", lines_per_file=1000, every_minutes=5,
)

PCPASS = {
    "columns": [
        {"title": "nom", "value": "last_name"},
        {"title": "prenom", "value": "first_name"},
        {"title": "CSN", "value": "csn", "csn": {"reversed": True}},
        {"title": "type population", "value": "population",
         "map": {"student": "ETUDIANT", "staff": "PERSONNEL", "reader": "LECTEUR",
                 "*": "EXTERIEUR"}},
        {"title": "Leocode", "value": "secondary_id"},
        {"title": "date début validité", "value": "enabled_date", "format": "%Y%m%d"},
        {"title": "date fin validité", "value": "validity_end", "format": "%Y%m%d"},
        {"title": "uid", "value": "eppn"},
    ],
    "separator": ";", "quoting": "none", "encoding": "utf-8", "line_ending": "\r\n",
    # Literally ESUP-SGC's, space before "date fin" included.
    "header": "nom;prenom;CSN;type population;Leocode;date début validité; date fin validité;uid",
    "file_name": "pcpass.csv", "grouping": "batch", "mode": "changes",
    "selection": "all_cards", "states": list(ESUP_STATES), "require_enabled_date": True,
    "lines_per_file": 0, "every_minutes": 24 * 60,
}

PRESETS = {"synchronic": SYNCHRONIC, "til": TIL, "p2s": P2S, "pcpass": PCPASS}


def preset(name):
    """A fresh copy of a preset, free to edit."""
    return copy.deepcopy(PRESETS[name])
PRESET_LABELS = {
    "synchronic": _("Synchronic (ESUP-SGC)"),
    "til": _("TIL (ESUP-SGC)"),
    "p2s": _("P2S (ESUP-SGC)"),
    "pcpass": _("PcPass (ESUP-SGC)"),
}
