"""A TOML configuration file read once and again only when it changes (its modification time
or size), so that an edit takes effect without a restart and an unchanged file costs a stat."""

import os
import tomllib
from pathlib import Path


class CachedFile:
    """`load(path)` returns `parse(data, path)` for the file's TOML; `unreadable(path, reason)`
    and `invalid(reason)` make the caller's (translated) exceptions."""

    def __init__(self, parse, unreadable, invalid):
        self._parse, self._unreadable, self._invalid = parse, unreadable, invalid
        self._cache = {}

    def load(self, path):
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise self._unreadable(path, exc.strerror) from None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = self.parse_text(Path(path).read_text(encoding="utf-8"), str(path))
        return self._cache[key]

    def parse_text(self, text, path=""):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise self._invalid(exc) from None
        return self._parse(data, path)
