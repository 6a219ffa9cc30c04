"""The LDAP side of a write-back (python-ldap, the `campuscard[ldap]` extra): find the holder's
entry, add or remove single values, each in its own modification so that a value already there
(or already gone) never stops the others."""

import contextlib

from django.utils.translation import gettext as _

from campuscard.core.secrets import SecretUnavailable, read_secret

try:
    import ldap
    from ldap.filter import escape_filter_chars
except ImportError:  # the extra is not installed
    ldap = None


class DirectoryUnavailable(Exception):
    """The server cannot be reached now (down, timeout, busy): try again later."""


class DirectoryRefused(Exception):
    """The server refused (credentials, access rights, schema): a person must look."""


def _transient():
    return (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.TIMELIMIT_EXCEEDED, ldap.BUSY, ldap.UNAVAILABLE,
            ldap.CONNECT_ERROR)


def describe(exc):
    """The server's words for an LDAP error (never anything we sent, so no password)."""
    detail = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    text = detail.get("desc") or type(exc).__name__
    if detail.get("info"):
        text = f"{text}: {detail['info']}"
    return text


def people_filter(template, eppn):
    uid = eppn.split("@", 1)[0]
    return (template.replace("{eppn}", escape_filter_chars(eppn))
            .replace("{uid}", escape_filter_chars(uid)))


class Directory:
    """One bound connection to the write-back's server; use as a context manager."""

    def __init__(self, config):
        if ldap is None:
            raise DirectoryRefused(_("python-ldap is not installed: pip install "
                                     "'campuscard[ldap]'."))
        self.config = config
        self.conn = None

    def __enter__(self):
        config = self.config
        password = ""
        if config.password_ref():
            try:
                password = read_secret(config.password_ref())
            except SecretUnavailable as exc:
                raise DirectoryRefused(_("The bind password cannot be read: %(reason)s.")
                                       % {"reason": exc}) from None
        with self.errors():
            conn = ldap.initialize(config.url)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, config.timeout)
            conn.set_option(ldap.OPT_TIMEOUT, config.timeout)
            if config.ca_file:
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, config.ca_file)
                conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
                conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            if config.start_tls:
                conn.start_tls_s()
            conn.simple_bind_s(config.bind_dn, password)
        self.conn = conn
        return self

    def __exit__(self, *exc_info):
        if self.conn is not None:
            with contextlib.suppress(ldap.LDAPError):
                self.conn.unbind_s()

    class errors:
        """Turns python-ldap's errors into ours, with the server's message."""

        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            if exc is None or not isinstance(exc, ldap.LDAPError):
                return False
            if isinstance(exc, _transient()):
                raise DirectoryUnavailable(describe(exc)) from None
            raise DirectoryRefused(describe(exc)) from None

    def find_dn(self, eppn):
        """The DN of the first entry the people filter finds, or None."""
        filterstr = people_filter(self.config.people_filter, eppn)
        with self.errors():
            found = self.conn.search_st(self.config.base_dn, ldap.SCOPE_SUBTREE, filterstr,
                                        ["1.1"], timeout=self.config.timeout)
        # Active Directory adds referrals (dn None) to what it finds: they are not entries.
        return next((dn for dn, _attributes in found if dn), None)

    def add_value(self, dn, attribute, value):
        self._modify(dn, ldap.MOD_ADD, attribute, value, ldap.TYPE_OR_VALUE_EXISTS)

    def remove_value(self, dn, attribute, value):
        # Gone already (the value, or the whole entry): nothing of ours is left to remove.
        self._modify(dn, ldap.MOD_DELETE, attribute, value,
                     (ldap.NO_SUCH_ATTRIBUTE, ldap.NO_SUCH_OBJECT))

    def replace_value(self, dn, attribute, value):
        self._modify(dn, ldap.MOD_REPLACE, attribute, value, None)

    def _modify(self, dn, operation, attribute, value, harmless):
        try:
            with self.errors():
                try:
                    self.conn.modify_s(dn, [(operation, attribute, [value.encode()])])
                except ldap.LDAPError as exc:
                    if harmless is not None and isinstance(exc, harmless):
                        return
                    raise
        except DirectoryRefused as exc:
            raise DirectoryRefused(_("%(dn)s, %(attribute)s: %(error)s")
                                   % {"dn": dn, "attribute": attribute, "error": exc}) from None
