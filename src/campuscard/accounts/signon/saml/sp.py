"""pysaml2's configuration of our service provider (settings.SAML_CONFIG_LOADER): the SP from the
settings, the identity providers from the SAML methods of the sign-on file.

Each IdP's metadata is read once and kept (a file until it changes, a URL for METADATA_MAX_AGE);
only the entity the method names is kept from it, so that a federation's aggregate brings in
that one IdP and no other. An IdP whose metadata cannot be read is left out (its logins fail
with a clear page) while the others go on working.
"""

import copy
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import SPConfig
from saml2.mdstore import MetaDataExtern, MetaDataFile
from saml2.sigver import SignatureError
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from campuscard.accounts.signon import config as signon_config

logger = logging.getLogger("campuscard.signon")
METADATA_MAX_AGE = 3600        # seconds before an IdP's metadata is fetched from its URL again
METADATA_RETRY_AFTER = 300     # after a failed fetch, the metadata kept is used this much longer
HTTP_TIMEOUT = 10


class MetadataUnavailable(Exception):
    """An identity provider's metadata cannot be read, or does not describe it."""


class _RequireSignature:
    """With a certificate, the metadata must be signed with it (pysaml2 alone accepts an
    unsigned document even then)."""

    def parse_and_check_signature(self, txt):
        checked = super().parse_and_check_signature(txt)
        if self.cert and not self.signed():
            raise SignatureError("the metadata is not signed")
        return checked


class SignedMetaDataExtern(_RequireSignature, MetaDataExtern):
    pass


class SignedMetaDataFile(_RequireSignature, MetaDataFile):
    pass


def saml_methods():
    return signon_config.load().of_kind("saml")


def method_for_entity(entity_id):
    """The SAML method whose identity provider this is (None for any other)."""
    if not entity_id:
        return None
    for method in saml_methods():
        if method.options["idp_entity_id"] == entity_id:
            return method
    return None


def xmlsec_binary():
    return shutil.which("xmlsec1")


def _url(name):
    return settings.CAMPUSCARD_PUBLIC_URL + reverse(f"signon:saml:{name}")


def entity_id():
    return settings.CAMPUSCARD_SAML_SP_ENTITY_ID or _url("saml2_metadata")


def sp_settings():
    """The SP's pysaml2 settings, without any IdP."""
    key_file = settings.CAMPUSCARD_SAML_SP_KEY_FILE
    cert_file = settings.CAMPUSCARD_SAML_SP_CERT_FILE
    return {
        "entityid": entity_id(),
        "xmlsec_binary": xmlsec_binary(),
        "key_file": key_file,
        "cert_file": cert_file,
        # The same pair decrypts the assertions an IdP encrypts for us (it is in our metadata).
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "allow_unknown_attributes": True,
        "accepted_time_diff": 60,
        "http_client_timeout": HTTP_TIMEOUT,
        "delete_tmpfiles": True,
        "service": {"sp": {
            "name": "CampusCard",
            "endpoints": {
                "assertion_consumer_service": [(_url("saml2_acs"), BINDING_HTTP_POST)],
                "single_logout_service": [(_url("saml2_ls"), BINDING_HTTP_REDIRECT),
                                          (_url("saml2_ls_post"), BINDING_HTTP_POST)],
            },
            "allow_unsolicited": False,      # an answer must be to a request of this browser
            "want_assertions_signed": True,
            "want_response_signed": False,   # Shibboleth IdPs sign the assertion only
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "logout_responses_signed": True,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
        }},
    }


def _base_config():
    conf = SPConfig()
    conf.load(copy.deepcopy(sp_settings()))
    return conf


def sp_config(request=None):
    """djangosaml2's config loader: our SP with every IdP whose metadata could be read."""
    conf = _base_config()
    store = conf.load_metadata([])
    for method in saml_methods():
        try:
            store.metadata.update(metadata_of(conf, method).metadata)
        except MetadataUnavailable:
            logger.exception("sign-on %s: the identity provider's metadata is unavailable",
                             method.name)
    conf.metadata = store
    return conf


def sp_config_without_idps(request=None):
    """For our own metadata, which must come out whatever the IdPs' state."""
    conf = _base_config()
    conf.metadata = conf.load_metadata([])
    return conf


@dataclass
class _Kept:
    fingerprint: tuple
    store: object
    until: float


_kept = {}
_lock = threading.Lock()


def metadata_of(conf, method):
    """The method's IdP metadata (a pysaml2 MetadataStore), read again when it is due."""
    fingerprint = _fingerprint(method)
    with _lock:
        kept = _kept.get(method.name)
        if kept is not None and kept.fingerprint == fingerprint and time.monotonic() < kept.until:
            return kept.store
        try:
            store = _read(conf, method)
        except MetadataUnavailable:
            if kept is None or kept.fingerprint != fingerprint:
                raise
            logger.warning("sign-on %s: the metadata could not be refreshed, the copy kept is "
                           "used", method.name, exc_info=True)
            kept.until = time.monotonic() + METADATA_RETRY_AFTER
            return kept.store
        _kept[method.name] = _Kept(fingerprint, store, time.monotonic() + METADATA_MAX_AGE)
        return store


def _fingerprint(method):
    options = method.options
    fingerprint = tuple(sorted(options.items()))
    if "idp_metadata_file" in options:
        try:
            stat = os.stat(options["idp_metadata_file"])
        except OSError:
            return fingerprint
        fingerprint += (stat.st_mtime_ns, stat.st_size)
    return fingerprint


def _read(conf, method):
    options = method.options
    store = conf.load_metadata([])
    common = {"security": store.security, "cert": options.get("idp_metadata_cert")}
    if "idp_metadata_file" in options:
        source = options["idp_metadata_file"]
        loader = SignedMetaDataFile(store.attrc, source, **common)
    else:
        source = options["idp_metadata_url"]
        loader = SignedMetaDataExtern(store.attrc, source, http=store.http, **common)
    try:
        loader.load()
    except Exception as exc:  # pysaml2 lets through whatever reading or parsing raised
        raise MetadataUnavailable(f"{source}: {exc!r}") from exc
    store.metadata[source] = loader
    _keep_only(store, options["idp_entity_id"], source)
    return store


def _keep_only(store, entity_id, source):
    found = False
    for loader in store.metadata.values():
        loader.entity = {key: value for key, value in loader.entity.items() if key == entity_id}
        found = found or any("idpsso_descriptor" in value for value in loader.entity.values())
    if not found:
        raise MetadataUnavailable(f"{source} does not describe the identity provider {entity_id}")
