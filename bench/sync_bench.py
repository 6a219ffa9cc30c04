"""Person sync benchmark: 100,000 SupAnn entries in a local slapd, synced into PostgreSQL.

    .venv/bin/python bench/sync_bench.py [--people 100000] [--changed 0.01]

Needs slapd (Debian `slapd`) and python-ldap (`campuscard[ldap]`). Generates the entries, loads
them with slapadd into a throw-away slapd on a free port (the tests' helper, with the
eduPerson/SupAnn/SCHAC schemas), points a fresh PostgreSQL database (BENCH_DATABASE_URL) at it
through a sources file, and times `campuscard.people.sources.sync.run`:

  1. the first full sync (everyone created: person rows, audit entries, source links);
  2. a full sync with nothing changed (every entry read, every digest matches: no write);
  3. the incremental sync with nothing changed (modifyTimestamp mark: nothing read);
  4. a full sync after 1 % of the entries changed (new name; a tenth of them rights ended);
  5. the incremental sync after another 1 % changed;
  6. the same through RFC 4533 content synchronisation (syncrepl refreshOnly): a whole read
     (nothing changed), then the sync after a third 1 % changed; beside them python-ldap's
     bare syncrepl consumer with the same cookie.

Beside each, the bare read of the same entries from slapd: a python-ldap paged search of the
same attributes with the same filter and nothing else. Peak RSS is this process's high-water
mark (ru_maxrss) after each step. See docs/benchmarks.md.
"""

import argparse
import datetime
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import use_database

use_database("postgres://postgres@127.0.0.1:5432/campuscard_bench_sync", fresh=True)

import django  # noqa: E402

django.setup()

import ldap  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from ldap.controls import SimplePagedResultsControl  # noqa: E402

from campuscard.core.models import AuditEntry  # noqa: E402
from campuscard.institutions.models import Establishment  # noqa: E402
from campuscard.people.models import Person, Population  # noqa: E402
from campuscard.people.sources import config as source_config  # noqa: E402
from campuscard.people.sources import open_source, sync  # noqa: E402
from tests.people.directory import slapd as slapd_helper  # noqa: E402

TARGETS = {"first full sync": 60, "nothing changed": 10, "1 % changed": 15}
RSS_TARGET_MB = 500


def entry(n, today, sn_suffix=""):
    expiry = (today + datetime.timedelta(days=200 + n % 300)).strftime("%Y%m%d") + "000000Z"
    return slapd_helper.person_ldif(
        f"u{n:06d}", cn=f"Camille Durand {n}", sn=f"Durand{n}{sn_suffix}",
        givenName=f"Camille{n}", displayName=f"Camille{n} Durand{n}", mail=f"u{n:06d}@univ-a.fr",
        eduPersonPrincipalName=f"u{n:06d}@univ-a.fr", supannEtuId=f"{20260000000 + n}",
        supannCodeINE=f"{n:010d}A", eduPersonPrimaryAffiliation="student",
        eduPersonAffiliation=["student", "member"], supannEtablissement="{UAI}0761904G",
        supannEntiteAffectationPrincipale=f"UFR{n % 12}", schacDateOfBirth="20040315",
        schacExpiryDate=expiry, supannEtuAnneeInscription="2026")


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_read(server, config, since=""):
    """python-ldap paged search of the same attributes, and nothing else."""
    source = open_source(config)
    filterstr = source.filter
    if since:
        filterstr = f"(&{source.filter}(modifyTimestamp>={since}))"
    started = time.perf_counter()
    conn = ldap.initialize(server.url)
    conn.simple_bind_s(slapd_helper.ADMIN_DN, slapd_helper.ADMIN_PASSWORD)
    control = SimplePagedResultsControl(True, size=config.page_size, cookie="")
    count = 0
    while True:
        msgid = conn.search_ext(slapd_helper.PEOPLE, ldap.SCOPE_SUBTREE, filterstr,
                                attrlist=source.attributes, serverctrls=[control])
        _type, data, _id, controls = conn.result3(msgid)
        count += len(data)
        cookie = next((c.cookie for c in controls
                       if c.controlType == SimplePagedResultsControl.controlType), None)
        if not cookie:
            break
        control.cookie = cookie
    conn.unbind_s()
    return count, time.perf_counter() - started


def bare_syncrepl(server, config, cookie):
    """python-ldap's own syncrepl consumer, refreshOnly from `cookie`, counting entries."""
    from ldap.ldapobject import SimpleLDAPObject
    from ldap.syncrepl import SyncreplConsumer

    class Counter(SyncreplConsumer, SimpleLDAPObject):
        count, cookie = 0, None

        def syncrepl_get_cookie(self):
            return self.cookie

        def syncrepl_set_cookie(self, value):
            self.cookie = value

        def syncrepl_entry(self, dn, attributes, uuid):
            self.count += 1

        def syncrepl_present(self, uuids, refreshDeletes=False):
            pass

        def syncrepl_delete(self, uuids):
            pass

        def syncrepl_refreshdone(self):
            pass

    source = open_source(config)
    started = time.perf_counter()
    conn = Counter(server.url)
    conn.simple_bind_s(slapd_helper.ADMIN_DN, slapd_helper.ADMIN_PASSWORD)
    msgid = conn.syncrepl_search(slapd_helper.PEOPLE, ldap.SCOPE_SUBTREE, mode="refreshOnly",
                                 cookie=cookie.encode() or None, filterstr=source.filter,
                                 attrlist=source.attributes)
    while conn.syncrepl_poll(msgid=msgid, all=1):
        pass
    conn.unbind_s()
    return conn.count, time.perf_counter() - started


def timed_sync(full):
    started = time.perf_counter()
    result = sync.run(full=full, force=False)
    elapsed = time.perf_counter() - started
    if result.stopped or not result.ok:
        raise SystemExit(f"sync failed: {result.stopped or result.reports}")
    return result.reports["directory"], elapsed


def change(server, numbers, today, tag):
    conn = server.connection()
    for index, n in enumerate(numbers):
        changes = [(ldap.MOD_REPLACE, "sn", [f"Durand{n}-{tag}".encode()])]
        if index % 10 == 0:  # a tenth of them leave: rights end yesterday
            past = (today - datetime.timedelta(days=1)).strftime("%Y%m%d") + "000000Z"
            changes.append((ldap.MOD_REPLACE, "schacExpiryDate", [past.encode()]))
        conn.modify_s(f"uid=u{n:06d},{slapd_helper.PEOPLE}", changes)
    conn.unbind_s()


def main():
    options = parse_args()
    if not slapd_helper.available():
        raise SystemExit("slapd is not installed (apt-get install slapd)")
    today = datetime.date.today()
    print(f"# {options.people:,} SupAnn entries; PostgreSQL "
          f"{connection.cursor().connection.info.server_version}; Python "
          f"{platform.python_version()}; {os.cpu_count()} CPUs", flush=True)
    call_command("migrate", verbosity=0)
    Establishment.objects.create(name="Université A", code="univ-a", pic="999859608",
                                 uai="0761904G")
    Population.objects.create(code="student", name_en="Student", name_fr="Étudiant")

    server = slapd_helper.Slapd()
    started = time.perf_counter()
    server.load(slapd_helper.base_ldif()
                + "".join(entry(n, today) for n in range(options.people)))
    server.start()
    print(f"# slapadd of {options.people:,} entries: {time.perf_counter() - started:.1f} s "
          "(not timed below)", flush=True)
    try:
        rows = run_steps(server, options, today)
    finally:
        server.stop()
    print_table(rows, options)


def run_steps(server, options, today):
    sources = Path(os.environ["CAMPUSCARD_HOME"]) / "sources.toml"
    password = Path(os.environ["CAMPUSCARD_HOME"]) / "ldap-password"
    password.write_text(slapd_helper.ADMIN_PASSWORD)
    sources.write_text(f"""
[[source]]
name = "directory"
kind = "ldap"
establishment = "univ-a"
url = "{server.url}"
base_dn = "{slapd_helper.PEOPLE}"
filter = "(objectClass=inetOrgPerson)"
bind_dn = "{slapd_helper.ADMIN_DN}"
password_file = "{password}"
page_size = 1000
timeout = 120

[sync]
batch_size = 2000
""")
    from django.conf import settings

    settings.CAMPUSCARD_SOURCES_FILE = str(sources)
    config = source_config.load(str(sources)).source("directory")
    changed = max(1, int(options.people * options.changed))
    rows = []

    def step(name, full, target_key, since_mark=False, syncrepl=False):
        state = sync.SourceState.objects.filter(source="directory").first()
        mark = state.high_water if state else ""
        report, elapsed = timed_sync(full)
        if syncrepl:
            count, bare = bare_syncrepl(server, config, "" if full else mark)
        else:
            count, bare = bare_read(server, config, since=mark if since_mark else "")
        rows.append((name, report, elapsed, count, bare, rss_mb(), target_key))
        print(f"{name}: {elapsed:.1f} s (bare read {bare:.1f} s, {count:,} entries), "
              f"peak RSS {rss_mb():.0f} MB", flush=True)

    step("first full sync", True, "first full sync")
    step("nothing changed, full read", True, "nothing changed")
    step("nothing changed, incremental", False, "nothing changed", since_mark=True)
    time.sleep(1.1)  # modifyTimestamp counts whole seconds
    change(server, range(0, options.people, options.people // changed)[:changed], today, "a")
    step("1 % changed, full read", True, "1 % changed")
    time.sleep(1.1)
    change(server, range(1, options.people, options.people // changed)[:changed], today, "b")
    step("1 % changed, incremental", False, "1 % changed", since_mark=True)
    # The same directory through RFC 4533 content synchronisation (syncprov): a whole
    # refreshOnly read brings a cookie back, the next one gets only what changed since.
    sources.write_text(sources.read_text().replace("timeout = 120",
                                                   "timeout = 120\nsyncrepl = true"))
    step("syncrepl whole read, nothing changed", True, "nothing changed", syncrepl=True)
    change(server, range(2, options.people, options.people // changed)[:changed], today, "c")
    step("1 % changed, syncrepl", False, "1 % changed", syncrepl=True)
    assert Person.objects.count() == options.people
    print(f"# {AuditEntry.objects.count():,} audit entries written in all", flush=True)
    return rows


def print_table(rows, options):
    print()
    print("| sync | read | created | updated | unchanged | rights ended | time | bare "
          "slapd read | sync / bare | peak RSS | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, report, elapsed, count, bare, rss, key in rows:
        target = TARGETS[key]
        verdict = "met" if elapsed < target and rss < RSS_TARGET_MB else "**missed**"
        print(f"| {name} | {report.read:,} | {report.created:,} | {report.updated:,} | "
              f"{report.unchanged:,} | {report.rights_ended:,} | {elapsed:.1f} s | "
              f"{bare:.1f} s ({count:,}) | {elapsed / bare if bare else 0:.1f}x | "
              f"{rss:.0f} MB | < {target} s, < {RSS_TARGET_MB} MB: {verdict} |")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.01)
    return parser.parse_args()


if __name__ == "__main__":
    main()
