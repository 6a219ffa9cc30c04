"""How `campuscard demo` serves: the ports it binds, the settings of its processes, its banner.

The demo keeps the console for what a newcomer needs: the logins come last, and what the
processes do (mails, pushes to the stand-in access system) goes to files in $CAMPUSCARD_HOME.
"""

import os
import textwrap
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from campuscard.core import processes
from campuscard.demo import directory, story
from campuscard.demo.access import DEMO_TARGET, access_log_path

HOST = "127.0.0.1"
FILE_MAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
QUIET_LOG_LEVEL = "WARNING"  # the processes say only what goes wrong
PORT_SEARCH = 100  # ports tried above a busy one for a free one to suggest


def bound_ports(port):
    """(port, what listens there) for every port the demo binds."""
    return [(port, _("the web server, its ESC router and verify page"))]


def port_problem(port):
    """Why the demo cannot serve on `port` (a message suggesting --port), or ''."""
    if not 0 < port < 65536:
        return _("%(port)d is not a port number: give --port a number from 1 to 65535.") % {
            "port": port}
    for number, what in bound_ports(port):
        reason = processes.bind_error(HOST, number)
        if reason:
            return busy_message(number, what, reason)
    return ""


def busy_message(port, what, reason):
    message = _("Cannot listen on %(host)s:%(port)d for %(what)s: %(reason)s. Another program, "
                "perhaps another campuscard demo, may be using it. Nothing was changed.") % {
        "host": HOST, "port": port, "what": what, "reason": reason}
    free = free_port_above(port)
    if free:
        return message + " " + _("Start the demo on another port: campuscard demo --port "
                                 "%(port)d") % {"port": free}
    return message + " " + _("Start the demo on another port with --port.")


def free_port_above(port):
    for candidate in range(port + 1, min(port + PORT_SEARCH, 65535) + 1):
        if all(processes.bind_error(HOST, number) is None
               for number, _what in bound_ports(candidate)):
            return candidate
    return None


def set_by_user(name):
    return name in os.environ or f"{name}_FILE" in os.environ


def mail_backend():
    """The user's mail backend if they chose one; otherwise mails go to files."""
    return settings.EMAIL_BACKEND if set_by_user("CAMPUSCARD_EMAIL_BACKEND") else FILE_MAIL_BACKEND


def own_settings(port):
    """The settings the demo runs with, in this process and (as environment) in its children:
    it serves the ESC router too, its establishments push to it, and mails go to files."""
    base = f"http://{HOST}:{port}"
    return {"CAMPUSCARD_PUBLIC_URL": base, "CAMPUSCARD_ESC_ROUTER_URL": f"{base}/esc-rest",
            "CAMPUSCARD_ROUTER_VERIFIER_PREFIX": f"{base}/v/", "EMAIL_BACKEND": mail_backend()}


def sources_file():
    """The sources the demo's processes read: the user's, else the demo's directory."""
    if settings.CAMPUSCARD_SOURCES_FILE:
        return settings.CAMPUSCARD_SOURCES_FILE
    path = directory.sources_path()
    return str(path) if path.exists() else ""


def child_environment(port):
    own = own_settings(port)
    env = {name: value for name, value in own.items() if name.startswith("CAMPUSCARD_")}
    env["CAMPUSCARD_EMAIL_BACKEND"] = own["EMAIL_BACKEND"]
    env["CAMPUSCARD_TARGETS"] = ",".join(dict.fromkeys([*settings.CAMPUSCARD_TARGETS,
                                                        DEMO_TARGET]))
    if sources_file():
        env["CAMPUSCARD_SOURCES_FILE"] = sources_file()
    if not set_by_user("CAMPUSCARD_LOG_LEVEL"):
        env["CAMPUSCARD_LOG_LEVEL"] = QUIET_LOG_LEVEL
    return processes.child_env(**env)


def commands(port):
    return [processes.worker_command(),
            processes.gunicorn_command(port, workers=2, host=HOST,
                                       log_level=QUIET_LOG_LEVEL.lower())]


def banner(port):
    """What the demo prints once it serves; the logins table comes last."""
    base = f"http://{HOST}:{port}"
    paragraphs = [
        *people_lines(), *mail_lines(),
        _("Pushes go to a stand-in access system, written to %(path)s, and to the ESC router "
          "this demo serves at %(url)s/esc-rest/. A card's QR code leads to %(url)s/v/<ESCN>, "
          "which says whether it is valid.") % {"path": access_log_path(), "url": base},
        _("Press Ctrl+C to stop."),
    ]
    wrapped = [textwrap.fill(text, width=92, break_long_words=False, break_on_hyphens=False)
               for text in paragraphs]
    return "\n".join(["", _("CampusCard demo: %(url)s/") % {"url": base}, "", *wrapped, "",
                      *login_table()])


def people_lines():
    source = sources_file()
    if source and Path(source) == directory.sources_path():
        return [_("People come from %(csv)s: edit a line, then press \"Sync this source now\" "
                  "on /manage/sources/ (as admin), or \"Sync this person from the sources\" on "
                  "their card's page (as manager-rouen).")
                % {"csv": directory.directory_path()}]
    if source:
        return [_("People come from the sources of %(file)s (CAMPUSCARD_SOURCES_FILE).")
                % {"file": source}]
    return []


def mail_lines():
    if mail_backend() != FILE_MAIL_BACKEND:
        return []
    return [_("Mails are written to %(folder)s, one file a mail.")
            % {"folder": settings.EMAIL_FILE_PATH}]


def login_table():
    rows = [(_("Login"), _("Password"), _("Who")),
            *((login, password, str(who)) for login, password, who in story.login_rows())]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return [f"  {a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
