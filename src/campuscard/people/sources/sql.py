"""SQL source: one read-only SELECT on PostgreSQL (psycopg) or MariaDB/MySQL (PyMySQL), one row
a person, columns named by [source.fields]. Incremental through an `updated_column`.

The configured query is wrapped, never edited: `SELECT * FROM (<query>) AS source_rows WHERE …`
with bound parameters, so neither an eppn nor a mark is ever pasted into SQL text."""

from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext as _

from campuscard.people.sources import Source, SourceError, first


class SqlSource(Source):
    def __init__(self, config):
        super().__init__(config)
        self.column = config.options.get("updated_column", "")
        self.incremental = bool(self.column)
        url = urlsplit(config.options["url"])
        self.flavour = "postgres" if url.scheme.startswith("postgres") else "mysql"
        self.url = url

    def describe(self):
        url = self.url
        return f"{url.scheme}://{url.hostname or ''}{':' + str(url.port) if url.port else ''}" \
               f"{url.path}"

    def _connect(self, timeout):
        url, password = self.url, self.config.secret("password")
        try:
            if self.flavour == "postgres":
                import psycopg

                extra = {"password": password} if password else {}
                conn = psycopg.connect(
                    self.config.options["url"], **extra,
                    connect_timeout=max(1, int(timeout)),
                    options=f"-c statement_timeout={int(timeout * 1000)}")
                conn.read_only = True
                return conn
            import pymysql

            conn = pymysql.connect(
                host=url.hostname or "127.0.0.1", port=url.port or 3306,
                user=unquote(url.username or ""), password=password,
                database=url.path.lstrip("/"), connect_timeout=max(1, int(timeout)),
                read_timeout=max(1, int(timeout)), charset="utf8mb4",
                cursorclass=pymysql.cursors.SSDictCursor)
            with conn.cursor() as cursor:
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
            return conn
        except Exception as exc:
            raise SourceError(_("SQL: %(error)s") % {"error": _first_line(exc)}) from None

    def _rows(self, conn, where, params):
        sql = f"SELECT * FROM ({self.config.options['query']}) AS source_rows{where}"  # noqa: S608
        try:
            if self.flavour == "postgres":
                from psycopg.rows import dict_row

                with conn.transaction(), conn.cursor("campuscard_source", row_factory=dict_row) \
                        as cursor:
                    cursor.itersize = self.config.page_size
                    cursor.execute(sql, params)
                    yield from cursor
            else:
                with conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    yield from cursor
        except SourceError:
            raise
        except Exception as exc:
            raise SourceError(_("SQL: %(error)s") % {"error": _first_line(exc)}) from None
        finally:
            conn.close()

    def entries(self, since="", timeout=None):
        conn = self._connect(timeout or self.config.timeout)
        where, params = "", ()
        if since and self.column:
            where, params = f" WHERE {self._quoted(self.column)} > %s", (since,)
        high = since
        for row in self._rows(conn, where, params):
            if self.column and row.get(self.column) is not None:
                stamp = row[self.column]
                stamp = stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp)
                high = max(high, stamp)
            yield row
        self.high_water = high

    def lookup(self, eppn, timeout=None):
        conn = self._connect(timeout or self.config.timeout)
        where = f" WHERE lower({self._quoted(self.config.fields['eppn'])}) = %s"
        return first(self._rows(conn, where, (eppn.lower(),)))

    def _quoted(self, column):
        if not column.replace("_", "").isalnum():
            raise SourceError(_("SQL: “%(column)s” is not a plain column name.")
                              % {"column": column})
        return f'"{column}"' if self.flavour == "postgres" else f"`{column}`"


def _first_line(exc):
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


SOURCE_CLASS = SqlSource
