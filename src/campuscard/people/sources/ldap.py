"""LDAP source (python-ldap, the `campuscard[ldap]` extra): paged search, simple or anonymous
bind, StartTLS or LDAPS with a CA file; incremental through modifyTimestamp, or through RFC 4533
content synchronisation (refreshOnly, a cookie) when the server runs syncprov."""

from django.utils.translation import gettext as _

from campuscard.people.sources import Source, SourceError, first

try:
    import ldap
    from ldap.controls import SimplePagedResultsControl
    from ldap.filter import escape_filter_chars
    from ldap.ldapobject import SimpleLDAPObject
    from ldap.syncrepl import SyncreplConsumer
except ImportError:  # the extra is not installed
    ldap = None
else:
    class _Consumer(SyncreplConsumer, SimpleLDAPObject):
        """A refreshOnly syncrepl session: changed entries land in `buffer`, the cookie in
        `cookie`; deletions are only counted (the daily whole read finds who left)."""

        def __init__(self, uri):
            SimpleLDAPObject.__init__(self, uri)
            self.cookie = None
            self.buffer = []
            self.deleted = 0

        def syncrepl_get_cookie(self):
            return self.cookie

        def syncrepl_set_cookie(self, cookie):
            self.cookie = cookie

        def syncrepl_entry(self, dn, attributes, uuid):
            self.buffer.append((dn, attributes))

        def syncrepl_delete(self, uuids):
            self.deleted += len(uuids)

        def syncrepl_present(self, uuids, refreshDeletes=False):
            pass

        def syncrepl_refreshdone(self):
            pass

SCOPES = {"sub": "SCOPE_SUBTREE", "one": "SCOPE_ONELEVEL", "base": "SCOPE_BASE"}
STAMP = "modifytimestamp"


class LdapSource(Source):
    def __init__(self, config):
        super().__init__(config)
        if ldap is None:
            raise SourceError(_("python-ldap is not installed: pip install 'campuscard[ldap]'."))
        options = config.options
        self.incremental = bool(options.get("incremental", True))
        self.syncrepl = bool(options.get("syncrepl", False))
        self.filter = options.get("filter") or "(objectClass=*)"
        self.attributes = sorted(set(config.mapping().values()) | {"modifyTimestamp"})
        self.keys = [(name, key.lower()) for name, key in config.mapping().items()]

    def describe(self):
        return f"{self.config.options['url']} {self.config.options['base_dn']}"

    def _connect(self, timeout, consumer=False):
        options = self.config.options
        try:
            conn = _Consumer(options["url"]) if consumer else ldap.initialize(options["url"])
            conn.set_option(ldap.OPT_REFERRALS, 0)
            conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
            conn.set_option(ldap.OPT_TIMEOUT, timeout)
            if options.get("ca_file"):
                conn.set_option(ldap.OPT_X_TLS_CACERTFILE, options["ca_file"])
                conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
                conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
            if options.get("start_tls"):
                conn.start_tls_s()
            conn.simple_bind_s(options.get("bind_dn", ""), self.config.secret("password"))
        except ldap.LDAPError as exc:
            raise SourceError(_describe(exc)) from None
        return conn

    def _search(self, conn, filterstr, timeout):
        scope = getattr(ldap, SCOPES[self.config.options.get("scope", "sub")])
        control = SimplePagedResultsControl(True, size=self.config.page_size, cookie="")
        while True:
            msgid = conn.search_ext(self.config.options["base_dn"], scope, filterstr,
                                    attrlist=self.attributes, serverctrls=[control])
            _type, data, _id, controls = conn.result3(msgid, timeout=timeout)
            for dn, attributes in data:
                if dn is not None:
                    entry = {name.lower(): values for name, values in attributes.items()}
                    entry["dn"] = [dn.encode()]
                    yield entry
            cookie = next((c.cookie for c in controls
                           if c.controlType == SimplePagedResultsControl.controlType), None)
            if not cookie:
                return
            control.cookie = cookie

    def entries(self, since="", timeout=None):
        timeout = timeout or self.config.timeout
        if self.syncrepl:
            yield from self._syncrepl(since if "csn=" in since else "", timeout)
            return
        conn = self._connect(timeout)
        filterstr = self.filter
        if since and self.incremental:
            filterstr = f"(&{self.filter}(modifyTimestamp>={escape_filter_chars(since)}))"
        high = since
        try:
            for entry in self._search(conn, filterstr, timeout):
                stamp = (entry.get(STAMP) or [b""])[0].decode()
                if stamp > high:
                    high = stamp
                yield entry
        except ldap.LDAPError as exc:
            raise SourceError(_describe(exc)) from None
        finally:
            conn.unbind_s()
        self.high_water = high

    def _syncrepl(self, cookie, timeout):
        """RFC 4533 refreshOnly: what changed since the cookie. Without one (a whole read), the
        server's current cookie is asked first with a search that matches nothing, then every
        entry is read with the paged search (much faster than a syncrepl refresh of them all);
        what changes in between is read again next time, and the digests skip it."""
        if not cookie:
            list(self._sync_session("", timeout, "(&(objectClass=*)(!(objectClass=*)))"))
            fresh = self.high_water
            conn = self._connect(timeout)
            try:
                yield from self._search(conn, self.filter, timeout)
            except ldap.LDAPError as exc:
                raise SourceError(_describe(exc)) from None
            finally:
                conn.unbind_s()
            self.high_water = fresh
            return
        yield from self._sync_session(cookie, timeout, self.filter)

    def _sync_session(self, cookie, timeout, filterstr):
        conn = self._connect(timeout, consumer=True)
        scope = getattr(ldap, SCOPES[self.config.options.get("scope", "sub")])
        try:
            msgid = conn.syncrepl_search(self.config.options["base_dn"], scope,
                                         mode="refreshOnly", cookie=cookie.encode() or None,
                                         filterstr=filterstr, attrlist=self.attributes)
            while True:
                going = conn.syncrepl_poll(msgid=msgid, timeout=timeout)
                for dn, attributes in conn.buffer:
                    entry = {name.lower(): values for name, values in attributes.items()}
                    entry["dn"] = [dn.encode()]
                    yield entry
                conn.buffer.clear()
                if not going:
                    break
        except ldap.LDAPError as exc:
            raise SourceError(_describe(exc)) from None
        finally:
            conn.unbind_s()
        new = conn.cookie
        self.high_water = (new.decode() if isinstance(new, bytes) else new) or cookie

    def lookup(self, eppn, timeout=None):
        timeout = timeout or self.config.timeout
        conn = self._connect(timeout)
        attribute = self.config.fields["eppn"]
        filterstr = f"(&{self.filter}({attribute}={escape_filter_chars(eppn)}))"
        try:
            return first(self._search(conn, filterstr, timeout))
        except ldap.LDAPError as exc:
            raise SourceError(_describe(exc)) from None
        finally:
            conn.unbind_s()

    def raw_value(self, raw, key):
        return [v.decode("utf-8", "replace") for v in raw.get(key.lower()) or ()]

    def values(self, raw):
        """The mapped attributes decoded, multi-values joined with ';' (the hot loop of a
        whole read: 100,000 entries, so no generic helpers here)."""
        found = {}
        for name, key in self.keys:
            values = raw.get(key)
            if not values:
                continue
            text = (values[0] if len(values) == 1 else b";".join(values)).decode(
                "utf-8", "replace").strip()
            if text:
                found[name] = text
        return found


def _describe(exc):
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    text = info.get("desc") or type(exc).__name__
    if info.get("info"):
        text = f"{text} ({info['info']})"
    return _("LDAP: %(error)s") % {"error": text}


SOURCE_CLASS = LdapSource
