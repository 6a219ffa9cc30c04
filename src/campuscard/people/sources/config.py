"""The sources file (TOML, path in CAMPUSCARD_SOURCES_FILE): sources, computed rules, sync limits.

Secrets never sit in the file: a source names them with `<secret>_file` (a path) or
`<secret>_env` (an environment variable), and they are read when the source connects.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from campuscard.core.configfile import CachedFile
from campuscard.core.secrets import SecretUnavailable, read_secret, ref_keys
from campuscard.core.secrets import secret_refs as source_secret_refs
from campuscard.people.roles import parse_role_rules
from campuscard.people.sources import fields as F
from campuscard.people.sources.rules import RuleError, parse_rules

SECRETS = ("password", "token", "api_key")
COMMON_KEYS = {"name", "kind", "establishment", "eppn_filter", "creates", "timeout", "fields",
               "extra", "page_size"}
KIND_KEYS = {
    "ldap": {"url", "base_dn", "filter", "scope", "bind_dn", "start_tls", "ca_file",
             "incremental", "syncrepl"},
    "sql": {"url", "query", "updated_column"},
    "rest": {"url", "person_url", "items", "next", "page_param", "auth", "username",
             "api_key_header", "ca_file"},
    "csv": {"path", "delimiter", "encoding", "upload"},
}
SYNC_DEFAULTS = {"grace_days": 30, "max_rights_end_share": 0.05, "guard_minimum": 10,
                 "batch_size": 1000}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_URL_PASSWORD = re.compile(r"^[a-z+]+://[^/@]*:[^/@]*@", re.IGNORECASE)


class ConfigError(ImproperlyConfigured):
    pass


@dataclass
class SourceConfig:
    name: str
    kind: str
    order: int
    establishment: str = ""
    eppn_filter: re.Pattern | None = None
    creates: bool = True
    timeout: float = 30.0
    page_size: int = 1000
    fields: dict = field(default_factory=dict)   # Person field -> attribute / column / path
    extra: dict = field(default_factory=dict)    # name in the rules -> attribute / column / path
    options: dict = field(default_factory=dict)  # the kind's own keys
    secret_refs: dict = field(default_factory=dict)  # secret -> ("file" | "env", where)

    def covers(self, eppn):
        return self.eppn_filter is None or bool(self.eppn_filter.fullmatch(eppn))

    def secret(self, name):
        """The secret's value, read now from its file or environment variable ('' if none)."""
        ref = self.secret_refs.get(name)
        if ref is None:
            return ""
        try:
            return read_secret(ref)
        except SecretUnavailable as exc:
            how, where = ref
            if how == "file":
                raise ConfigError(_("Source “%(name)s”: cannot read %(secret)s_file (%(error)s).")
                                  % {"name": self.name, "secret": name, "error": exc}) from None
            raise ConfigError(_("Source “%(name)s”: the environment variable %(var)s is not set.")
                              % {"name": self.name, "var": where}) from None

    def mapping(self):
        """Everything read from the source: Person fields, then the rules' extra names."""
        return self.fields | {k: v for k, v in self.extra.items() if k not in self.fields}

    def fingerprint_data(self):
        return {"name": self.name, "establishment": self.establishment,
                "creates": self.creates, "fields": self.fields, "extra": self.extra,
                "order": self.order}


@dataclass
class Config:
    sources: list
    rules: tuple
    sync: dict
    fingerprint: str
    path: str = ""
    roles: tuple = ()   # [[role]]: staff roles from the directory (people/roles.py)

    def source(self, name):
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(_("No source named “%(name)s”.") % {"name": name})

    @property
    def uses_today(self):
        return any(rule.uses_today for rule in self.rules)


EMPTY = Config([], (), dict(SYNC_DEFAULTS), "")


def load(path=None):
    """The configuration from `path` or CAMPUSCARD_SOURCES_FILE (none configured: no sources)."""
    path = path or settings.CAMPUSCARD_SOURCES_FILE
    if not path:
        return EMPTY
    return _file.load(path)


def parse(text, path=""):
    return _file.parse_text(text, path)


def _unreadable(path, reason):
    return ConfigError(_("Cannot read the sources file %(path)s (%(error)s).")
                       % {"path": path, "error": reason})


def _invalid(error):
    return ConfigError(_("The sources file is not valid TOML: %(error)s.") % {"error": error})


def _parse(data, path):
    unknown = set(data) - {"source", "rule", "role", "sync"}
    if unknown:
        raise ConfigError(_("Unknown tables in the sources file: %(keys)s.")
                          % {"keys": ", ".join(sorted(unknown))})
    sources = [_source(item, order) for order, item in enumerate(data.get("source", []))]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(_("Two sources are named %(names)s.") % {"names": ", ".join(duplicates)})
    try:
        rules = parse_rules(data.get("rule", []))
        roles = parse_role_rules(data.get("role", []))
    except RuleError as exc:
        raise ConfigError(str(exc)) from None
    sync = _sync(data.get("sync", {}))
    fingerprint = hashlib.sha256(json.dumps(
        {"sources": [s.fingerprint_data() for s in sources], "rules": data.get("rule", []),
         "roles": data.get("role", []), "sync": sync},
        sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Config(sources, rules, sync, fingerprint, path, roles)


def _sync(table):
    unknown = set(table) - set(SYNC_DEFAULTS)
    if unknown:
        raise ConfigError(_("Unknown keys in [sync]: %(keys)s.")
                          % {"keys": ", ".join(sorted(unknown))})
    values = SYNC_DEFAULTS | table
    share = values["max_rights_end_share"]
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ConfigError(_("[sync] max_rights_end_share is a share between 0 and 1."))
    for key in ("grace_days", "guard_minimum", "batch_size"):
        if not isinstance(values[key], int) or values[key] < (1 if key == "batch_size" else 0):
            raise ConfigError(_("[sync] %(key)s must be a whole number.") % {"key": key})
    return values


def _source(item, order):
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(_("Source %(n)d needs a name (lower-case letters, digits, - and _).")
                          % {"n": order + 1})
    kind = item.get("kind")
    if kind not in KIND_KEYS:
        raise ConfigError(_("Source “%(name)s”: kind is one of %(kinds)s.")
                          % {"name": name, "kinds": ", ".join(KIND_KEYS)})

    def fail(message, **values):
        raise ConfigError(_("Source “%(name)s”: ") % {"name": name} + message % values)

    secret_keys = ref_keys(SECRETS)
    for secret in SECRETS:
        if secret in item:
            fail(_("a %(secret)s is never written in the file: use %(secret)s_file or "
                   "%(secret)s_env."), secret=secret)
    if isinstance(item.get("url"), str) and _URL_PASSWORD.match(item["url"]):
        fail(_("the url holds a password: use password_file or password_env."))
    unknown = set(item) - COMMON_KEYS - KIND_KEYS[kind] - secret_keys
    if unknown:
        fail(_("unknown keys %(keys)s."), keys=", ".join(sorted(unknown)))
    fields = item.get("fields", {})
    extra = item.get("extra", {})
    for table, label in ((fields, "fields"), (extra, "extra")):
        if not isinstance(table, dict) or not all(isinstance(v, str) and v
                                                  for v in table.values()):
            fail(_("[source.%(table)s] maps names to non-empty strings."), table=label)
    bad = sorted(set(fields) - set(F.SYNCED_FIELDS))
    if bad:
        fail(_("[source.fields] has unknown Person fields %(fields)s."), fields=", ".join(bad))
    defaults = (F.SUPANN_FIELDS, F.SUPANN_EXTRA) if kind == "ldap" else (F.PLAIN_FIELDS, {})
    eppn_filter = item.get("eppn_filter")
    try:
        eppn_filter = re.compile(eppn_filter) if eppn_filter else None
    except re.error as exc:
        fail(_("eppn_filter is not a regular expression (%(error)s)."), error=exc)
    timeout = item.get("timeout", 30)
    if not isinstance(timeout, int | float) or timeout <= 0:
        fail(_("timeout is a number of seconds."))
    page_size = item.get("page_size", 1000)
    if not isinstance(page_size, int) or not 1 <= page_size <= 100_000:
        fail(_("page_size is a whole number from 1 to 100000."))
    options = {k: item[k] for k in KIND_KEYS[kind] if k in item}
    _check_kind(kind, options, fail)
    secret_refs = source_secret_refs(item, SECRETS)
    merged_fields = dict(defaults[0]) | fields
    return SourceConfig(
        name=name, kind=kind, order=order, establishment=str(item.get("establishment", "")),
        eppn_filter=eppn_filter, creates=bool(item.get("creates", True)),
        timeout=float(timeout), page_size=page_size, fields=merged_fields,
        extra=dict(defaults[1]) | extra, options=options, secret_refs=secret_refs,
    )


def _check_kind(kind, options, fail):
    required = {"ldap": ("url", "base_dn"), "sql": ("url", "query"), "csv": ("path",),
                "rest": ()}[kind]
    for key in required:
        if not options.get(key):
            fail(_("%(key)s is required."), key=key)
    if kind == "rest" and not (options.get("url") or options.get("person_url")):
        fail(_("give url (the list of people), person_url (one person by eppn) or both."))
    if kind == "rest" and options.get("auth", "none") not in ("none", "basic", "bearer",
                                                               "api-key"):
        fail(_("auth is one of none, basic, bearer, api-key."))
    if kind == "ldap" and options.get("scope", "sub") not in ("sub", "one", "base"):
        fail(_("scope is one of sub, one, base."))
    if kind == "sql":
        query = options["query"].strip().rstrip(";")
        if not re.match(r"^(select|with)\b", query, re.IGNORECASE) or ";" in query:
            fail(_("query must be one SELECT (or WITH … SELECT) statement."))
        options["query"] = query
        column = options.get("updated_column")
        if column and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", column):
            fail(_("updated_column must be a plain column name."))
        if not re.match(r"^(postgres|postgresql|mysql|mariadb)://", options["url"]):
            fail(_("url starts with postgresql:// or mysql:// (MariaDB)."))


_file = CachedFile(_parse, _unreadable, _invalid)
