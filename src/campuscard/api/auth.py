"""Bearer-token authentication, one instance per set of scopes an endpoint accepts."""

from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from campuscard.api.clients import find_client, touch


class ClientToken(HttpBearer):
    """`Authorization: Bearer cc_…`: the client must hold one of `scopes`.

    A missing, unknown or revoked token gives 401; a valid token without the scope gives 403.
    """

    def __init__(self, *scopes):
        self.scopes = tuple(str(scope) for scope in scopes)
        super().__init__()

    def authenticate(self, request, token):
        client = find_client(token)
        if client is None:
            return None
        if not client.has_scope(*self.scopes):
            raise AuthorizationError(
                message=_("This token does not have the scope this needs (one of: %(scopes)s).")
                % {"scopes": ", ".join(self.scopes)})
        touch(client)
        return client
