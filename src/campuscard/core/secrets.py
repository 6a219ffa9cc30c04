"""Secrets named in a configuration file by where they are, never by their value:
`<secret>_file` (a path, read when needed) or `<secret>_env` (an environment variable)."""

import os
from pathlib import Path

HOW = ("file", "env")


class SecretUnavailable(Exception):
    """The file cannot be read or the variable is not set; `reason` says which, in English
    for the log and translated by the caller for a person."""


def secret_refs(table, names):
    """{secret: (how, where)} for each of `names` the table refers to."""
    refs = {}
    for name in names:
        for how in HOW:
            if f"{name}_{how}" in table:
                refs[name] = (how, str(table[f"{name}_{how}"]))
    return refs


def ref_keys(names):
    return {f"{name}_{how}" for name in names for how in HOW}


def read_secret(ref):
    how, where = ref
    if how == "file":
        try:
            return Path(where).read_text().strip()
        except OSError as exc:
            raise SecretUnavailable(exc.strerror or str(exc)) from None
    value = os.environ.get(where)
    if value is None:
        raise SecretUnavailable(f"{where} is not set")
    return value
