import functools
import ipaddress
from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext as _


@functools.cache
def _trusted_networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def is_trusted_proxy(address):
    """Whether `address` is one of settings.CAMPUSCARD_TRUSTED_PROXIES (addresses or CIDRs)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    return any(ip in network
               for network in _trusted_networks(tuple(settings.CAMPUSCARD_TRUSTED_PROXIES)))


def client_ip(request):
    """The caller's address. X-Forwarded-For is read only when the request comes from a trusted
    proxy: then the client is the last address in it that is not itself a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR")
    if not is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not is_trusted_proxy(hop):
            return hop if _is_address(hop) else remote
    return remote


def _is_address(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Actor:
    """Who is doing something, as the audit log and the lifecycle rules see it."""

    user: object = None
    ip: str | None = None
    client: object = None  # an api.ApiClient when acting through the JSON API
    is_system: bool = False
    station: object = None  # a device (e.g. a print station) acting with its own token

    @classmethod
    def device(cls, station, ip=None):
        """A device acting on its own: the lifecycle asks `station.roles_on_card(card)`."""
        return cls(ip=ip, station=station)

    @classmethod
    def system(cls):
        return cls(is_system=True)

    @classmethod
    def from_request(cls, request, client=None):
        user = getattr(request, "user", None)
        if client is not None or (user is not None and not user.is_authenticated):
            user = None  # an API call acts as its client, whatever session cookie came along
        return cls(user=user, ip=client_ip(request), client=client)

    def as_system(self):
        """The system acting as a consequence of what this actor did (keeps who and where)."""
        return replace(self, is_system=True)

    @property
    def label(self):
        parts = []
        if self.user is not None:
            parts.append(self.user.get_username())
        if self.client is not None:
            parts.append(f"api:{self.client.name}")
        if self.station is not None:
            parts.append(f"station:{self.station.name}")
        if self.is_system:
            parts.append(_("system"))
        return " / ".join(parts) or _("anonymous")
