"""The demo's people come from a directory: a CSV file read by the real sync.

The file shipped here (directory.csv) is copied to $CAMPUSCARD_HOME/demo/ at the first start,
next to a sources file declaring it (sources.toml); the demo's web server and worker read that
sources file unless CAMPUSCARD_SOURCES_FILE names another. Edit a line, sync, and the change
shows.

Some ends of rights in the shipped file are relative to the first start, and written as dates
in the copy: `academic-year` (the end of next academic year, as a student's), `90-days` (a
guest's) and `left-yesterday` (someone who has left: their rights ended yesterday).
"""

import csv
import datetime
import json
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from campuscard.people.sources import config as source_config
from campuscard.people.sources import sync

SHIPPED = Path(__file__).with_name("directory.csv")
SOURCE_NAME = "demo-directory"
LEFT = "left-yesterday"

SOURCES_TOML = """\
# The demo's people: one line a person in directory.csv. Edit a line, then sync: the "Sync this
# person from the sources" button of a card's page in the back-office, or
#   CAMPUSCARD_SOURCES_FILE={sources} campuscard sync
# (the worker also syncs every hour). docs/sources.md says what else a source can be: an LDAP
# directory, a student information system over SQL or REST, and computed rules.

[[source]]
name = "{name}"
kind = "csv"
path = {path}
upload = true  # an administrator may also upload a new file from the back-office
"""


class DirectoryError(Exception):
    """The demo's directory did not sync as shipped."""


def folder():
    return Path(settings.HOME) / "demo"


def directory_path():
    return folder() / "directory.csv"


def sources_path():
    return folder() / "sources.toml"


def academic_year_end(today):
    """A student's end of rights: the end of next academic year (31 August)."""
    year = today.year + (1 if today.month >= 9 else 0)
    return datetime.date(year + 1, 8, 31)


def rights_end(value, today, *, left):
    """The date written in the copy for the shipped `value`; `left`: whether the people marked
    left-yesterday have left yet (before, they are students like the others)."""
    if value == LEFT and left:
        return (today - datetime.timedelta(days=1)).isoformat()
    if value in (LEFT, "academic-year"):
        return academic_year_end(today).isoformat()
    if value == "90-days":
        return (today + datetime.timedelta(days=90)).isoformat()
    return value


def shipped_rows():
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_directory(today, *, left):
    """$CAMPUSCARD_HOME/demo/directory.csv: the shipped people, their ends of rights as dates."""
    rows = shipped_rows()
    path = directory_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row | {"rights_end": rights_end(row["rights_end"], today, left=left)})
    return path


def write_sources_file():
    """$CAMPUSCARD_HOME/demo/sources.toml, declaring the copy as a CSV source."""
    path = sources_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # A JSON string is a valid TOML basic string: the path is quoted and escaped.
    path.write_text(SOURCES_TOML.format(name=SOURCE_NAME, sources=path,
                                        path=json.dumps(str(directory_path()))),
                    encoding="utf-8")
    return path


def sync_directory():
    """Run the sync on the demo's sources file; its report, or DirectoryError if anything in
    the shipped directory was not taken."""
    result = sync.run(config=source_config.load(sources_path()))
    report = result.reports[SOURCE_NAME]
    problem = result.stopped or report.error or "; ".join(
        f"{entry}: {reason}" for entry, reason in report.refused)
    if problem:
        raise DirectoryError(_("The demo's directory did not sync: %(problem)s")
                             % {"problem": problem})
    return report


def eppns_in_file_order():
    return [row["eppn"].strip().lower() for row in shipped_rows()]
