"""Real servers for the person sources: slapd (started here), PostgreSQL, MariaDB, HTTP."""

import os

import pytest

from campuscard.core import outbox

from .directory import slapd as slapd_helper


class Recorder(outbox.Target):
    """An outbox target that wants person changes, so the tests see the rows they make."""

    name = "recorder"
    events = frozenset({"person.updated", "card.expired", "card.unexpired"})

    def deliver(self, item):
        pass


@pytest.fixture(autouse=True)
def recorder():
    outbox.register(Recorder())
    yield
    outbox.unregister("recorder")


@pytest.fixture(scope="session")
def slapd_server():
    try:
        import ldap
    except ImportError:
        ldap = None
    if ldap is None or not slapd_helper.available():
        if os.environ.get("CAMPUSCARD_REQUIRE_LDAP"):
            pytest.fail("python-ldap or slapd missing (CI installs them: .ci/run)")
        pytest.skip("python-ldap or slapd not installed (pip install 'campuscard[ldap]', "
                    "apt-get install slapd)")
    server = slapd_helper.Slapd(tls=True)
    server.load(slapd_helper.base_ldif())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def directory(slapd_server):
    """The directory with an empty ou=people; `add(uid, **attributes)` puts people in it."""
    import ldap
    import ldap.modlist

    conn = slapd_server.connection()
    for dn, _ in conn.search_s(slapd_helper.PEOPLE, ldap.SCOPE_ONELEVEL, "(objectClass=*)",
                               ["1.1"]):
        conn.delete_s(dn)

    class Directory:
        server = slapd_server
        url = slapd_server.url
        ldaps_url = slapd_server.ldaps_url
        ca_file = slapd_server.ca_file

        def add(self, uid, **attributes):
            entry = {"objectClass": [b"inetOrgPerson", b"eduPerson", b"supannPerson",
                                     b"schacPersonalCharacteristics", b"schacEntryMetadata"],
                     "uid": [uid.encode()]}
            for name, value in attributes.items():
                values = value if isinstance(value, list) else [value]
                entry[name] = [str(v).encode() for v in values]
            conn.add_s(f"uid={uid},{slapd_helper.PEOPLE}", ldap.modlist.addModlist(entry))

        def modify(self, uid, **attributes):
            changes = [(ldap.MOD_REPLACE, name,
                        [str(v).encode() for v in (value if isinstance(value, list)
                                                   else [value])] if value is not None else None)
                       for name, value in attributes.items()]
            conn.modify_s(f"uid={uid},{slapd_helper.PEOPLE}", changes)

        def delete(self, uid):
            conn.delete_s(f"uid={uid},{slapd_helper.PEOPLE}")

    yield Directory()
    conn.unbind_s()
