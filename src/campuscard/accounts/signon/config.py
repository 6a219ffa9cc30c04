"""The sign-on methods, from the TOML file named by CAMPUSCARD_SIGNON_FILE (docs/signon.md).

Without a file there is one method: local passwords, for every establishment. Secrets (a client
secret, a key's password) are named by `<secret>_file` or `<secret>_env`, never written here.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campuscard.accounts.signon.kinds import kind_module, known_kinds
from campuscard.core.configfile import CachedFile
from campuscard.core.secrets import SecretUnavailable, read_secret, ref_keys, secret_refs

COMMON_KEYS = {"name", "kind", "label", "establishments", "username_attribute",
               "username_suffix", "attributes", "enabled"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Method:
    name: str
    kind: str
    labels: dict                      # language code ('' for any) -> text
    establishments: tuple = ()        # establishment codes; empty: every establishment
    username_attribute: str = ""      # the attribute with the user name; '' : the protocol's id
    username_suffix: str = ""         # appended to a user name without "@" (e.g. "@univ.fr")
    attributes: dict = field(default_factory=dict)  # name in the role rules -> protocol's name
    options: dict = field(default_factory=dict)     # the kind's own keys
    secret_refs: dict = field(default_factory=dict)

    @property
    def label(self):
        language = (get_language() or "en").split("-")[0]
        return self.labels.get(language) or self.labels.get("") or self.labels.get("en") \
            or self.name

    def serves(self, establishment_code):
        return not self.establishments or establishment_code in self.establishments

    def secret(self, name):
        ref = self.secret_refs.get(name)
        if ref is None:
            return ""
        try:
            return read_secret(ref)
        except SecretUnavailable as exc:
            raise ConfigError(_("Sign-on “%(name)s”: cannot read its %(secret)s (%(error)s).")
                              % {"name": self.name, "secret": name, "error": exc}) from None


@dataclass(frozen=True)
class Config:
    methods: tuple
    path: str = ""

    def method(self, name):
        for method in self.methods:
            if method.name == name:
                return method
        return None

    def of_kind(self, kind):
        return tuple(m for m in self.methods if m.kind == kind)

    def for_establishment(self, code=None):
        """The methods the login page offers for that establishment (all when None)."""
        if not code:
            return self.methods
        return tuple(m for m in self.methods if m.serves(code))


DEFAULT = Config((Method("password", "password", {}),))


def load(path=None):
    path = path if path is not None else settings.CAMPUSCARD_SIGNON_FILE
    if not path:
        return DEFAULT
    return _file.load(path)


def parse(text, path=""):
    return _file.parse_text(text, path)


def _unreadable(path, reason):
    return ConfigError(_("Cannot read the sign-on file %(path)s (%(error)s).")
                       % {"path": path, "error": reason})


def _invalid(error):
    return ConfigError(_("The sign-on file is not valid TOML: %(error)s.") % {"error": error})


def _parse(data, path):
    unknown = set(data) - {"signon"}
    if unknown:
        raise ConfigError(_("Unknown tables in the sign-on file: %(keys)s.")
                          % {"keys": ", ".join(sorted(unknown))})
    items = data.get("signon", [])
    if not isinstance(items, list) or not items:
        raise ConfigError(_("The sign-on file declares no [[signon]] method."))
    methods = [_method(item, index) for index, item in enumerate(items, start=1)]
    methods = tuple(m for m, enabled in methods if enabled)
    names = [m.name for m in methods]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(_("Two sign-on methods are named %(names)s.")
                          % {"names": ", ".join(duplicates)})
    return Config(methods, path)


def _method(item, index):
    if not isinstance(item, dict):
        raise ConfigError(_("Sign-on method %(n)d must be a table.") % {"n": index})
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(_("Sign-on method %(n)d needs a name (lower-case letters, digits, - "
                            "and _).") % {"n": index})

    def fail(message, **values):
        raise ConfigError(_("Sign-on “%(name)s”: ") % {"name": name} + message % values)

    kind = item.get("kind")
    if kind not in known_kinds():
        fail(_("kind is one of %(kinds)s."), kinds=", ".join(known_kinds()))
    module = kind_module(kind)
    for secret in module.SECRETS:
        if secret in item:
            fail(_("a %(secret)s is never written in the file: use %(secret)s_file or "
                   "%(secret)s_env."), secret=secret)
    unknown = set(item) - COMMON_KEYS - set(module.KEYS) - ref_keys(module.SECRETS)
    if unknown:
        fail(_("unknown keys %(keys)s."), keys=", ".join(sorted(unknown)))
    method = Method(
        name=name, kind=kind, labels=_labels(item.get("label", ""), fail),
        establishments=_codes(item.get("establishments", []), fail),
        username_attribute=_text(item, "username_attribute", fail),
        username_suffix=_text(item, "username_suffix", fail),
        attributes=_attributes(item.get("attributes", {}), fail),
        options={k: item[k] for k in module.KEYS if k in item},
        secret_refs=secret_refs(item, module.SECRETS),
    )
    module.check(method, fail)
    return method, bool(item.get("enabled", True))


def _labels(value, fail):
    if isinstance(value, str):
        return {"": value} if value else {}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k).lower(): v for k, v in value.items()}
    fail(_("label is a text or a table of texts by language (en, fr)."))


def _codes(value, fail):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        fail(_("establishments is a list of establishment codes."))
    return tuple(value)


def _text(item, key, fail):
    value = item.get(key, "")
    if not isinstance(value, str):
        fail(_("%(key)s is a text."), key=key)
    return value


def _attributes(value, fail):
    if not isinstance(value, dict) or not all(isinstance(v, str) and v for v in value.values()):
        fail(_("[signon.attributes] maps names in the role rules to attribute names."))
    return dict(value)


_file = CachedFile(_parse, _unreadable, _invalid)
