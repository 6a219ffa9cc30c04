"""One Authlib client per OIDC method, all in one registry (Authlib's Django `OAuth`), so that
several providers (one per establishment) work side by side. mozilla-django-oidc was not used:
it takes a single provider from the Django settings.

The registry is rebuilt when the sign-on file changes; each client keeps the provider's metadata
(and keys) it fetched, and fetches the keys again when an ID token names a key it does not know.
"""

import threading
from urllib.parse import urlsplit

from authlib.integrations.django_client import OAuth

from campuscard.accounts.signon import config as signon_config

DEFAULT_SCOPES = "openid email profile"
DEFAULT_TIMEOUT = 10  # seconds, for each call to the provider
DISCOVERY_PATH = "/.well-known/openid-configuration"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

_lock = threading.Lock()
_registry = {"config": None, "oauth": None}


class IssuerMismatch(ValueError):
    """The provider's metadata names another issuer than the one configured."""


def discovery_url(method):
    options = method.options
    return options.get("discovery_url") or options["issuer"].rstrip("/") + DISCOVERY_PATH


def is_acceptable_url(value):
    """An https URL, or http to this machine (a provider run next to CampusCard, or tests)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http"
                                       and parts.hostname in LOOPBACK_HOSTS)


def client_for(method):
    """The Authlib client of that method; reading its client secret may raise ConfigError."""
    oauth = _oauth_for(signon_config.load())
    return oauth.create_client(method.name) or _register(oauth, method)


def _oauth_for(config):
    with _lock:
        if _registry["config"] is not config:
            _registry["config"], _registry["oauth"] = config, OAuth()
        return _registry["oauth"]


def _register(oauth, method):
    options = method.options
    secret = method.secret("client_secret")
    return oauth.register(
        method.name,
        client_id=options["client_id"],
        client_secret=secret or None,
        server_metadata_url=discovery_url(method),
        client_kwargs={
            "scope": options.get("scopes", DEFAULT_SCOPES),
            "code_challenge_method": "S256" if options.get("pkce", True) else None,
            # A client without a secret is a public one, proven by PKCE alone.
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": options.get("timeout", DEFAULT_TIMEOUT),
        },
    )


def provider_metadata(client, method):
    """The provider's metadata (fetched once), checked against the configured issuer."""
    metadata = client.load_server_metadata()
    configured = method.options.get("issuer")
    published = metadata.get("issuer")
    if not isinstance(published, str) or not published:
        raise IssuerMismatch("the provider's metadata names no issuer")
    if configured and configured.rstrip("/") != published.rstrip("/"):
        raise IssuerMismatch(f"the provider's metadata names the issuer {published}")
    return metadata
