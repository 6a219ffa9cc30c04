"""The SQL source on real PostgreSQL and MariaDB servers: one read-only query, columns mapped,
incremental through updated_at, one person looked up with a bound parameter."""

import datetime

import pytest
from django.utils import timezone

from campuscard.people.models import Person
from campuscard.people.sources.sync import sync_person

from .helpers import in_days, run, write_sources

pytestmark = pytest.mark.django_db

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DATA = "campuscard_sources_data"


def _postgres():
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (PG_DATA,)).fetchone():
            admin.execute(f"CREATE DATABASE {PG_DATA}")
    conn = psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{PG_DATA}", autocommit=True)
    conn.execute("DROP TABLE IF EXISTS sis_people")
    conn.execute("CREATE TABLE sis_people (eppn text PRIMARY KEY, prenom text, nom text, "
                 "mail text, affiliation text, ine text, fin date, "
                 "updated_at timestamptz NOT NULL DEFAULT now())")
    conn.execute("DROP SEQUENCE IF EXISTS sis_counter")
    conn.execute("CREATE SEQUENCE sis_counter")
    return conn, f"postgresql://postgres@127.0.0.1:5432/{PG_DATA}"


def _mariadb():
    import pymysql

    try:
        conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="",
                               database="test", autocommit=True, connect_timeout=2)
    except pymysql.err.OperationalError:
        pytest.skip("no MariaDB on 127.0.0.1:3306")
    cursor = conn.cursor()
    cursor.execute("DROP TABLE IF EXISTS sis_people")
    cursor.execute("CREATE TABLE sis_people (eppn varchar(200) PRIMARY KEY, prenom text, "
                   "nom text, mail text, affiliation text, ine text, fin date, "
                   "updated_at datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))")

    class Wrapper:
        def execute(self, sql, params=()):
            cursor.execute(sql, params)

        def close(self):
            conn.close()

    return Wrapper(), "mysql://root@127.0.0.1:3306/test"


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request):
    conn, url = _postgres() if request.param == "postgresql" else _mariadb()
    yield request.param, conn, url
    conn.execute("DROP TABLE IF EXISTS sis_people")
    conn.close()


def sql_source(url, query="SELECT * FROM sis_people", extra=""):
    return f"""
[[source]]
name = "sis"
kind = "sql"
establishment = "univ-a"
url = "{url}"
query = "{query}"
updated_column = "updated_at"
timeout = 5
{extra}
[source.fields]
eppn = "eppn"
first_name = "prenom"
last_name = "nom"
email = "mail"
primary_affiliation = "affiliation"
ine = "ine"
rights_end = "fin"
"""


def insert(conn, eppn, prenom, nom, *, fin=None, ine=""):
    conn.execute("INSERT INTO sis_people (eppn, prenom, nom, mail, affiliation, ine, fin) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (eppn, prenom, nom, eppn, "student", ine, fin or in_days(200)))


def test_sql_full_then_incremental(settings, tmp_path, database, est_a, students):
    flavour, conn, url = database
    insert(conn, "a1@univ-a.fr", "Ana", "Silva", ine="1234567890A")
    insert(conn, "b2@univ-a.fr", "Ben", "Roy")
    write_sources(settings, tmp_path, sql_source(url))

    first = run()
    assert first.ok, first.reports
    assert first.reports["sis"].created == 2
    ana = Person.objects.get(eppn="a1@univ-a.fr")
    assert (ana.first_name, ana.ine, ana.rights_end) == ("Ana", "1234567890A", in_days(200))

    later = timezone.now() + datetime.timedelta(seconds=5)
    conn.execute("UPDATE sis_people SET nom = %s, updated_at = %s WHERE eppn = %s",
                 ("Silva-Costa", later.replace(tzinfo=None) if flavour == "mariadb"
                  else later, "a1@univ-a.fr"))
    second = run()
    report = second.reports["sis"]
    assert not report.full and (report.read, report.updated) == (1, 1)
    assert Person.objects.get(eppn="a1@univ-a.fr").last_name == "Silva-Costa"


def test_sql_one_person_is_a_bound_parameter(settings, tmp_path, database, est_a, students):
    _flavour, conn, url = database
    insert(conn, "o'brien@univ-a.fr", "Orla", "O'Brien")
    insert(conn, "x@univ-a.fr", "X", "Other")
    write_sources(settings, tmp_path, sql_source(url))
    result = sync_person("O'Brien@univ-a.fr", timeout=5)
    assert not result.stopped, result.trace
    assert list(Person.objects.values_list("last_name", flat=True)) == ["O'Brien"]
    assert sync_person("' OR '1'='1", timeout=5).reports["sis"].read == 0


def test_sql_unreachable_changes_nothing(settings, tmp_path, database, est_a, students):
    _flavour, conn, url = database
    insert(conn, "a1@univ-a.fr", "Ana", "Silva")
    write_sources(settings, tmp_path, sql_source(url))
    run()
    conn.execute("UPDATE sis_people SET nom = 'Changed'")
    broken = url.replace(":5432/", ":9/").replace(":3306/", ":9/")
    config = write_sources(settings, tmp_path, sql_source(broken))
    result = run(full=True, config=config)
    assert result.reports["sis"].error.startswith("SQL:")
    assert Person.objects.get(eppn="a1@univ-a.fr").last_name == "Silva"


def test_postgresql_query_runs_read_only(settings, tmp_path, database, est_a, students):
    flavour, conn, url = database
    if flavour != "postgresql":
        pytest.skip("read-only transactions checked on PostgreSQL")
    insert(conn, "a1@univ-a.fr", "Ana", "Silva")
    write_sources(settings, tmp_path, sql_source(
        url, query="SELECT *, nextval('sis_counter') AS n FROM sis_people"))
    result = run()
    assert "read-only transaction" in result.reports["sis"].error
    assert not Person.objects.exists()
