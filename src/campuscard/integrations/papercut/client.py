"""PaperCut's web services API (XML-RPC, stdlib xmlrpc.client over HTTP with a timeout): the
few calls a card needs. Every call's first argument is the authentication token."""

import http.client
import xmlrpc.client
from xml.parsers.expat import ExpatError

from django.utils.translation import gettext as _


class PapercutUnavailable(Exception):
    """PaperCut cannot answer now (down, timeout, 5xx): try again later."""


class PapercutRefused(Exception):
    """PaperCut refused the call (a fault): a person must look."""


class PapercutUnauthorized(PapercutRefused):
    """PaperCut does not accept the token."""


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


class _SafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


class PapercutClient:
    def __init__(self, url, token, timeout=10):
        transport = (_SafeTransport if url.startswith("https:") else _Transport)(timeout)
        self._proxy = xmlrpc.client.ServerProxy(url, transport=transport, allow_none=True)
        self._token = token
        self.url = url

    def user_exists(self, username):
        return bool(self._call("isUserExists", username))

    def get_property(self, username, name):
        return self._call("getUserProperty", username, name) or ""

    def set_property(self, username, name, value):
        self._call("setUserProperty", username, name, value)

    def _call(self, method, *args):
        try:
            return getattr(self._proxy.api, method)(self._token, *args)
        except xmlrpc.client.Fault as exc:
            if "auth" in str(exc.faultString).lower() or "token" in str(exc.faultString).lower():
                raise PapercutUnauthorized(_("PaperCut does not accept the authentication token "
                                             "(%(fault)s).") % {"fault": exc.faultString}) from None
            raise PapercutRefused(_("PaperCut refused api.%(method)s: %(fault)s") % {
                "method": method, "fault": exc.faultString}) from None
        except xmlrpc.client.ProtocolError as exc:
            message = f"{self.url}: HTTP {exc.errcode} {exc.errmsg}"
            if exc.errcode >= 500 or exc.errcode in (408, 429):
                raise PapercutUnavailable(message) from None
            raise PapercutRefused(message) from None
        except (OSError, http.client.HTTPException, ExpatError) as exc:
            raise PapercutUnavailable(f"{self.url}: {type(exc).__name__}: {exc}") from None
