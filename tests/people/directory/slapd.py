"""A throw-away OpenLDAP slapd for the tests and the benchmark: its own directory, a free
port, the core/cosine/inetorgperson/nis schemas plus eduPerson/SupAnn/SCHAC, mdb and syncprov."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA = Path(__file__).with_name("edu-supann.schema")
SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "test-only-admin"
PEOPLE = f"ou=people,{SUFFIX}"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include {schema}
pidfile {root}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
sizelimit unlimited
database mdb
maxsize 4294967296
suffix "{suffix}"
rootdn "{admin}"
rootpw {password}
directory {root}/data
index objectClass eq
index eduPersonPrincipalName eq
index modifyTimestamp eq,pres
index entryCSN,entryUUID eq
overlay syncprov
syncprov-checkpoint 1000 10
"""


def available():
    return Path(SLAPD).exists() and Path("/etc/ldap/schema/core.schema").exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Slapd:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="campuscard-slapd-"))
        (self.root / "data").mkdir()
        self.config = self.root / "slapd.conf"
        self.config.write_text(CONFIG.format(schema=SCHEMA, root=self.root, suffix=SUFFIX,
                                             admin=ADMIN_DN, password=ADMIN_PASSWORD))
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process = None

    def load(self, ldif):
        """Bulk-load LDIF offline (slapadd), before start(): far faster than ldapadd."""
        path = self.root / "load.ldif"
        path.write_text(ldif)
        subprocess.run([SLAPD.replace("slapd", "slapadd"), "-q", "-f", str(self.config),
                        "-l", str(path)], check=True, capture_output=True)
        path.unlink()

    def start(self):
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.config), "-h", f"{self.url}/", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd stopped: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not start listening")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def connection(self):
        import ldap

        conn = ldap.initialize(self.url)
        conn.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
        return conn


def base_ldif():
    return (f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
            f"o: Example\n\ndn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n")


def person_ldif(uid, **attributes):
    """One SupAnn person entry as LDIF; attribute values may be lists."""
    lines = [f"dn: uid={uid},{PEOPLE}", "objectClass: inetOrgPerson", "objectClass: eduPerson",
             "objectClass: supannPerson", "objectClass: schacPersonalCharacteristics",
             "objectClass: schacEntryMetadata", f"uid: {uid}"]
    for name, value in attributes.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {item}")
    return "\n".join(lines) + "\n\n"
