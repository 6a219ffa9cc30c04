"""Writing a sources file for a test and running the sync as the CLI would."""

import datetime

from django.utils import timezone

from campuscard.people.sources import config as source_config
from campuscard.people.sources import sync

from .directory import slapd as slapd_helper

# The issue's example, as written; only the server's port and the secret's path are the test's.
ISSUE_EXAMPLE = """
[[source]]
name = "directory"
kind = "ldap"                  # or "sql", "rest", "csv"
establishment = "univ-rouen"   # an establishment code
url = "{url}"
base_dn = "ou=people,dc=example,dc=org"
filter = "(objectClass=inetOrgPerson)"
bind_dn = "cn=admin,dc=example,dc=org"
password_file = "{password_file}"
[source.fields]                # Person field = attribute (LDAP) / column (CSV, SQL) / path (REST)
eppn = "eduPersonPrincipalName"
last_name = "sn"

[[source]]
name = "students-csv"
kind = "csv"
establishment = "univ-rouen"
path = "{csv_path}"   # header = Person field names unless [source.fields] says
"""


def write_sources(settings, tmp_path, text, **values):
    password_file = tmp_path / "ldap-password"
    password_file.write_text(slapd_helper.ADMIN_PASSWORD + "\n")
    path = tmp_path / "sources.toml"
    path.write_text(text.format(password_file=password_file, **values))
    settings.CAMPUSCARD_SOURCES_FILE = str(path)
    return source_config.load(str(path))


def ldap_source(url, *, extra="", establishment="univ-a", name="directory"):
    return f"""
[[source]]
name = "{name}"
kind = "ldap"
establishment = "{establishment}"
url = "{url}"
base_dn = "ou=people,dc=example,dc=org"
filter = "(objectClass=inetOrgPerson)"
bind_dn = "cn=admin,dc=example,dc=org"
password_file = "{{password_file}}"
{extra}
"""


def run(*names, **options):
    return sync.run(names, **options)


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)


def schac(date):
    return date.strftime("%Y%m%d") + "000000Z"


def supann(n, **overrides):
    """A student entry's attributes: eppn sN@univ-a.fr."""
    values = {
        "cn": f"Student {n}", "sn": f"Durand{n}", "givenName": f"Camille{n}",
        "displayName": f"Camille{n} Durand{n}", "mail": f"s{n}@univ-a.fr",
        "eduPersonPrincipalName": f"s{n}@univ-a.fr", "supannEtuId": f"2026{n:05d}",
        "eduPersonPrimaryAffiliation": "student",
        "eduPersonAffiliation": ["student", "member"],
        "supannEtablissement": "{UAI}0761904G", "schacDateOfBirth": "20040315",
        "schacExpiryDate": schac(in_days(300)), "supannEtuAnneeInscription": "2026",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}
