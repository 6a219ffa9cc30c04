"""How `campuscard demo` serves: the ports it binds, the settings of its processes, its banner.

The demo keeps the console for what a newcomer needs: the logins come last, and what the
processes do (mails, pushes to the stand-in access system) goes to files in $CAMPUSCARD_HOME.
"""

import os
import secrets
import sys
import textwrap
from pathlib import Path

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from campuscard.core import processes
from campuscard.demo import directory, story
from campuscard.integrations.crous.emulator import EmulatorServer
from campuscard.integrations.crous.models import CrousEstablishment
from campuscard.integrations.papercut.emulator import PapercutEmulator
from campuscard.integrations.papercut.emulator.server import PATH as PAPERCUT_PATH

HOST = "127.0.0.1"
FILE_MAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
QUIET_LOG_LEVEL = "WARNING"  # the processes say only what goes wrong
PORT_SEARCH = 100  # ports tried above a busy one for a free one to suggest
CROUS_CLIENT_ID = "campuscard-demo"


def crous_port_for(port, crous_port=None):
    """The CROUS emulator's port: --crous-port, else the one after the web server's."""
    return port + 1 if crous_port is None else crous_port


def papercut_port_for(port, papercut_port=None):
    """The PaperCut emulator's port: --papercut-port, else the web server's + 2."""
    return port + 2 if papercut_port is None else papercut_port


def agent_port_for(port):
    """The reader agent of the demo's encoding station (a software reader): the web server's
    port + 3."""
    return port + 3


def bound_ports(port, crous_port=None, papercut_port=None):
    """(port, what listens there) for every port the demo binds."""
    return [(port, _("the web server, its ESC router and verify page")),
            (crous_port_for(port, crous_port), _("the CROUS API emulator")),
            (papercut_port_for(port, papercut_port), _("the PaperCut emulator")),
            (agent_port_for(port), _("the software card reader of the encoding station"))]


def port_problem(port, crous_port=None, papercut_port=None):
    """Why the demo cannot serve on these ports (a message suggesting --port), or ''."""
    for option, number in (("--port", port), ("--crous-port", crous_port_for(port, crous_port)),
                           ("--papercut-port", papercut_port_for(port, papercut_port))):
        if not 0 < number < 65536:
            return _("%(port)d is not a port number: give %(option)s a number from 1 to "
                     "65535.") % {"port": number, "option": option}
    if crous_port == port:
        return _("The web server and the CROUS emulator need two ports: give --crous-port "
                 "another number than --port.")
    numbers = [number for number, _what in bound_ports(port, crous_port, papercut_port)]
    if len(set(numbers)) < len(numbers):
        return _("The web server, the CROUS emulator and the PaperCut emulator need three "
                 "ports: give --port, --crous-port and --papercut-port different numbers.")
    for number, what in bound_ports(port, crous_port, papercut_port):
        reason = processes.bind_error(HOST, number)
        if reason:
            return busy_message(number, what, reason, port, crous_port, papercut_port)
    return ""


def busy_message(busy, what, reason, port, crous_port=None, papercut_port=None):
    """The error, and a free port to try: for --crous-port or --papercut-port when the user
    chose that busy port, else for --port (the emulators on the next ports, unless the user
    chose their own)."""
    message = _("Cannot listen on %(host)s:%(port)d for %(what)s: %(reason)s. Another program, "
                "perhaps another campuscard demo, may be using it. Nothing was changed.") % {
        "host": HOST, "port": busy, "what": what, "reason": reason}
    chosen = {number for number in (port, crous_port, papercut_port) if number is not None}
    if busy == crous_port:
        option, free = "--crous-port", free_port_above(busy, lambda c: [c], avoid=chosen)
    elif busy == papercut_port:
        option, free = "--papercut-port", free_port_above(busy, lambda c: [c], avoid=chosen)
    else:
        def ports_for(candidate):
            return [candidate, agent_port_for(candidate),
                    *([crous_port_for(candidate)] if crous_port is None else []),
                    *([papercut_port_for(candidate)] if papercut_port is None else [])]
        option, free = "--port", free_port_above(busy, ports_for, avoid=chosen - {port})
    if free:
        return message + " " + _("Start the demo on another port: campuscard demo %(option)s "
                                 "%(port)d") % {"option": option, "port": free}
    return message + " " + _("Start the demo on another port with %(option)s.") % {
        "option": option}


def free_port_above(port, ports_for, avoid=()):
    """The first candidate above `port` whose ports (`ports_for(candidate)`) are all free and
    none of the ports to avoid (the user's other choices)."""
    for candidate in range(port + 1, min(port + PORT_SEARCH, 65533) + 1):
        wanted = ports_for(candidate)
        if not set(wanted) & set(avoid) and all(processes.bind_error(HOST, number) is None
                                                for number in wanted):
            return candidate
    return None


def set_by_user(name):
    return name in os.environ or f"{name}_FILE" in os.environ


def mail_backend():
    """The user's mail backend if they chose one; otherwise mails go to files."""
    return settings.EMAIL_BACKEND if set_by_user("CAMPUSCARD_EMAIL_BACKEND") else FILE_MAIL_BACKEND


def own_settings(port, crous_port=None, papercut_port=None):
    """The settings the demo runs with, in this process and (as environment) in its children:
    it serves the ESC router too, its establishments push to it and to its CROUS emulator, and
    mails go to files."""
    base = f"http://{HOST}:{port}"
    crous = crous_url(port, crous_port)
    return {"CAMPUSCARD_PUBLIC_URL": base, "CAMPUSCARD_ESC_ROUTER_URL": f"{base}/esc-rest",
            "CAMPUSCARD_ROUTER_VERIFIER_PREFIX": f"{base}/v/", "EMAIL_BACKEND": mail_backend(),
            "CAMPUSCARD_CROUS_URL": crous, "CAMPUSCARD_CROUS_TOKEN_URL": f"{crous}/api/oauth/token",
            "CAMPUSCARD_CROUS_CLIENT_ID": CROUS_CLIENT_ID,
            "CAMPUSCARD_CROUS_CLIENT_SECRET": crous_secret(),
            "CAMPUSCARD_READER_AGENT_URL": f"http://{HOST}:{agent_port_for(port)}",
            # Read by story.connect_to_demo_papercut only (a PaperCut server is a database row).
            "DEMO_PAPERCUT_URL": papercut_url(port, papercut_port)}


def crous_url(port, crous_port=None):
    return f"http://{HOST}:{crous_port_for(port, crous_port)}"


def crous_secret_path():
    return Path(settings.HOME) / "demo" / "crous-client-secret"


def crous_secret():
    """The client secret the demo's CROUS emulator accepts, made on the first start and kept in
    a file only its owner reads: the processes read it from there (…_SECRET_FILE)."""
    return demo_secret(crous_secret_path())


def demo_secret(path):
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def write_private(path, text):
    """`text` in a file only its owner reads (0600), replacing the one there, if any."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text + "\n")
    os.replace(partial, path)


def station_token_path():
    """The demo print station's device token (story.connect_demo_print_station writes it)."""
    return Path(settings.HOME) / "demo" / "station-token"


def printed_folder():
    """Where the demo print station writes each card it prints, as a PDF."""
    return Path(settings.HOME) / "demo" / "printed"


STATION_WAIT = 5  # seconds of each long-poll: a stopping web server waits for the one running


def print_station_command(port):
    """`campuscard station print` for the demo's station, printing into printed_folder(); it
    waits quietly for the web server it starts beside, and says only what goes wrong."""
    return [sys.executable, "-m", "campuscard.cli", "station", "--verbosity", "0", "print",
            "--server", f"http://{HOST}:{port}", "--token-file", str(station_token_path()),
            "--folder", str(printed_folder()), "--wait", str(STATION_WAIT),
            "--wait-for-server", "60"]


def softcards_folder():
    """Where the demo's software reader keeps the blank cards it lays (one JSON file each)."""
    return Path(settings.HOME) / "demo" / "softcards"


def reader_agent_command(port):
    """`campuscard station agent` with a software reader, for the encoding station's page."""
    return [sys.executable, "-m", "campuscard.cli", "station", "--verbosity", "0", "agent",
            "--origin", f"http://{HOST}:{port}", "--port", str(agent_port_for(port)),
            "--softcards", str(softcards_folder())]


def crous_emulator_path():
    return Path(settings.HOME) / "demo" / "crous-emulator.sqlite3"


def start_crous_emulator(port, crous_port=None):
    """The CROUS API emulator, served by a thread of this process: it listens before the worker
    starts pushing to it. Raises OSError when its port was taken meanwhile."""
    emulator = EmulatorServer({CROUS_CLIENT_ID: crous_secret()}, host=HOST,
                              port=crous_port_for(port, crous_port),
                              db_path=str(crous_emulator_path())).start()
    give_tariff_grids(emulator)
    return emulator


def give_tariff_grids(emulator):
    """The demo's CROUS has a tariff grid for each establishment, as a real one does."""
    for crous_number, uai in CrousEstablishment.objects.filter(
            establishment__code__in=story.CROUS_SETTINGS).values_list(
            "crous_number", "establishment__uai"):
        httpx.put(f"{emulator.url}/_emulator/rules/{crous_number}/{uai}",
                  json=story.CROUS_TARIFF_GRID, timeout=5).raise_for_status()


def papercut_url(port, papercut_port=None):
    return f"http://{HOST}:{papercut_port_for(port, papercut_port)}{PAPERCUT_PATH}"


def papercut_token_path():
    return Path(settings.HOME) / "demo" / "papercut-token"


def papercut_token():
    """The token the demo's PaperCut emulator accepts (made once, like the CROUS secret)."""
    return demo_secret(papercut_token_path())


def start_papercut_emulator(port, papercut_port=None):
    """The PaperCut emulator, a thread of this process, knowing the people of the demo's
    PaperCut establishment as users. Raises OSError when its port was taken meanwhile."""
    store = Path(settings.HOME) / "demo" / "papercut-emulator.json"
    return PapercutEmulator(papercut_token(), users=story.papercut_usernames(), host=HOST,
                            port=papercut_port_for(port, papercut_port),
                            store_path=store).start()


def sources_file():
    """The sources the demo's processes read: the user's, else the demo's directory."""
    if settings.CAMPUSCARD_SOURCES_FILE:
        return settings.CAMPUSCARD_SOURCES_FILE
    path = directory.sources_path()
    return str(path) if path.exists() else ""


def child_environment(port, crous_port=None):
    own = own_settings(port, crous_port)
    env = {name: value for name, value in own.items()
           if name.startswith("CAMPUSCARD_") and name != "CAMPUSCARD_CROUS_CLIENT_SECRET"}
    env["CAMPUSCARD_CROUS_CLIENT_SECRET_FILE"] = str(crous_secret_path())
    env["CAMPUSCARD_EMAIL_BACKEND"] = own["EMAIL_BACKEND"]
    if sources_file():
        env["CAMPUSCARD_SOURCES_FILE"] = sources_file()
    if not set_by_user("CAMPUSCARD_LOG_LEVEL"):
        env["CAMPUSCARD_LOG_LEVEL"] = QUIET_LOG_LEVEL
    return processes.child_env(**env)


def commands(port):
    station = station_token_path().exists()
    # The station's long-poll holds a web worker while it waits: one more for the pages.
    server = processes.gunicorn_command(port, workers=3 if station else 2, host=HOST,
                                        log_level=QUIET_LOG_LEVEL.lower())
    return [processes.worker_command(), server, reader_agent_command(port),
            *([print_station_command(port)] if station else [])]


def banner(port, crous_port=None, papercut_port=None):
    """What the demo prints once it serves; the logins table comes last."""
    base = f"http://{HOST}:{port}"
    paragraphs = [
        *people_lines(), *mail_lines(),
        _("The doors' access-control files are written to %(path)s (a Synchronic file per "
          "person for Rouen, P2S files for INSA, which also recognises Rouen's "
          "students' cards); pushes also go to the ESC router "
          "this demo serves at %(url)s/esc-rest/. A card's QR code leads to %(url)s/v/<ESCN>, "
          "which says whether it is valid.") % {"path": story.doors_root(), "url": base},
        _("CROUS / Izly: the cards of the students who consent go to a CROUS API emulator; "
          "%(url)s/_emulator/ lists its right-holders and smartcards (a card declared lost is "
          "opposed there with reason DP). Its client secret, a demo one, is in %(secret)s.")
        % {"url": crous_url(port, crous_port), "secret": crous_secret_path()},
        _("PaperCut: the enabled cards of %(establishment)s set their holders' card number on a "
          "PaperCut emulator at %(url)s; its users are in %(store)s.")
        % {"establishment": story.PAPERCUT_ESTABLISHMENT,
           "url": papercut_url(port, papercut_port),
           "store": Path(settings.HOME) / "demo" / "papercut-emulator.json"},
        *print_station_lines(),
        _("Encoding: \"%(station)s\" encodes the printed cards' chips from the browser (as "
          "manager-rouen, Stations → Encode cards at this station), on blank software cards "
          "the demo's reader lays at %(agent)s and keeps in %(folder)s; the card's page then "
          "shows what its chip holds.")
        % {"station": story.ENCODING_STATION, "agent": own_settings(port)[
            "CAMPUSCARD_READER_AGENT_URL"], "folder": softcards_folder()},
        _("Press Ctrl+C to stop."),
    ]
    wrapped = [textwrap.fill(text, width=92, break_long_words=False, break_on_hyphens=False)
               for text in paragraphs]
    return "\n".join(["", _("CampusCard demo: %(url)s/") % {"url": base}, "", *wrapped, "",
                      *login_table()])


def print_station_lines():
    if not station_token_path().exists():
        return []
    return [_("Printing: \"%(station)s\" serves %(establishment)s. Send a checked request to it "
              "(as manager-rouen, on the card's page or with a selection): it writes the card's "
              "PDF into %(folder)s and the card becomes \"Printed\". Its token is in %(token)s.")
            % {"station": story.PRINT_STATION, "establishment": next(
                e["name"] for e in story.ESTABLISHMENTS
                if e["code"] == story.PRINT_STATION_ESTABLISHMENT),
               "folder": printed_folder(), "token": station_token_path()}]


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
