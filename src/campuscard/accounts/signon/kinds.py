"""The sign-on protocols CampusCard knows: kind name → the module implementing it."""

from importlib import import_module

MODULES = {
    "password": "campuscard.accounts.signon.password",
    "cas": "campuscard.accounts.signon.cas",
    "saml": "campuscard.accounts.signon.saml",
    "header": "campuscard.accounts.signon.header",
    "oidc": "campuscard.accounts.signon.oidc",
}


def kind_module(kind):
    return import_module(MODULES[kind])


def known_kinds():
    return tuple(MODULES)
