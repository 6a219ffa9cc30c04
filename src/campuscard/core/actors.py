from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext as _


def client_ip(request):
    """The caller's address; behind our own proxy, the address that proxy saw."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.BEHIND_PROXY and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")


@dataclass(frozen=True)
class Actor:
    """Who is doing something, as the audit log and the lifecycle rules see it."""

    user: object = None
    ip: str | None = None
    client: object = None  # an api.ApiClient when acting through the JSON API
    is_system: bool = False

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
        if self.is_system:
            parts.append(_("system"))
        return " / ".join(parts) or _("anonymous")
