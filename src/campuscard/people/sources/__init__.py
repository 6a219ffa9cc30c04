"""Where people come from: one module per kind of source (ldap, sql, rest, csv), the computed
rules, the TOML configuration, and the sync that writes what they say (`sync.py`).

A source reads entries (all of them, those changed since a mark, or one eppn) and turns each
into a dict of strings named after the Person fields (plus the extra names the rules read).
"""

from importlib import import_module

from campuscard.people.sources.fields import as_text

KINDS = {"ldap": "ldap", "sql": "sql", "rest": "rest", "csv": "csv"}


class SourceError(Exception):
    """The source could not be read (unreachable, bind refused, timeout…): apply nothing of it."""


class Source:
    """Base of the kinds. `entries()` yields raw entries; `values()` maps one to strings."""

    incremental = False  # whether entries(since=…) reads only what changed

    def __init__(self, config):
        self.config = config
        self.high_water = ""  # set by entries(): where the next incremental read starts

    def entries(self, since="", timeout=None):
        raise NotImplementedError

    def lookup(self, eppn, timeout=None):
        """The raw entry for one eppn, or None when the source does not know them."""
        raise NotImplementedError

    def raw_value(self, raw, key):
        return raw.get(key)

    def values(self, raw):
        """{name: text} for every mapped name with a non-empty value."""
        found = {}
        for name, key in self.config.mapping().items():
            text = as_text(self.raw_value(raw, key))
            if text:
                found[name] = text
        return found

    def describe(self):
        return ""

    def close(self):
        pass


def normalise_key(key):
    return (key or "").strip().lower()


def first(iterable):
    """The first item of a generator (or None), closing it so its connection is released."""
    iterator = iter(iterable)
    try:
        return next(iterator, None)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def open_source(config):
    module = import_module(f"campuscard.people.sources.{KINDS[config.kind]}")
    return module.SOURCE_CLASS(config)
