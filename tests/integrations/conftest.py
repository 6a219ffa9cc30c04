"""The people tests' real slapd, reused by the LDAP write-back tests."""

from tests.people.conftest import directory, slapd_server  # noqa: F401 - fixtures
