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
    def __init__(self, tls=False):
        self.root = Path(tempfile.mkdtemp(prefix="campuscard-slapd-"))
        (self.root / "data").mkdir()
        self.config = self.root / "slapd.conf"
        text = CONFIG.format(schema=SCHEMA, root=self.root, suffix=SUFFIX, admin=ADMIN_DN,
                             password=ADMIN_PASSWORD)
        self.ca_file = None
        if tls:  # StartTLS on ldap://, and ldaps:// on a second port, with a test CA
            self.ca_file, cert, key = make_certificates(self.root)
            text = (f"TLSCACertificateFile {self.ca_file}\nTLSCertificateFile {cert}\n"
                    f"TLSCertificateKeyFile {key}\n") + text
        self.config.write_text(text)
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.tls_port = free_port() if tls else None
        self.ldaps_url = f"ldaps://127.0.0.1:{self.tls_port}" if tls else None
        self.process = None

    def load(self, ldif):
        """Bulk-load LDIF offline (slapadd), before start(): far faster than ldapadd."""
        path = self.root / "load.ldif"
        path.write_text(ldif)
        subprocess.run([SLAPD.replace("slapd", "slapadd"), "-q", "-f", str(self.config),
                        "-l", str(path)], check=True, capture_output=True)
        path.unlink()

    def start(self):
        urls = f"{self.url}/" + (f" {self.ldaps_url}/" if self.ldaps_url else "")
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.config), "-h", urls, "-d", "0"],
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


def make_certificates(root, name="CampusCard test CA"):
    """A CA and a server certificate for 127.0.0.1 (PEM files in `root`)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [root / f"{name.replace(' ', '-')}-ca.pem", root / "server.pem", root / "server.key"]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return [str(p) for p in paths]
