"""Run the web server and the worker as child processes, for `campuscard demo` and `serve`.

The parent forwards SIGINT and SIGTERM to its children and stops as soon as one of them ends,
so that a dead worker or web server never goes unnoticed.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from importlib import metadata

from django.conf import settings

STOP_TIMEOUT = 15  # seconds a child gets to finish before it is killed
# gunicorn kills a worker silent for 30 s by default; a print station's long-poll waits up to
# 60 s (stations/api.py MAX_WAIT), so the web workers get longer.
WORKER_TIMEOUT = 90


def child_env(**extra):
    """The environment for children: the same home and settings as this process."""
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
    env = os.environ.copy()
    env["CAMPUSCARD_HOME"] = str(settings.HOME)
    env.setdefault("DJANGO_SETTINGS_MODULE", "campuscard.settings")
    env.update(extra)
    return env


def gunicorn_command(port, workers, host="127.0.0.1", log_level=None):
    command = [sys.executable, "-m", "gunicorn", "campuscard.wsgi:application",
               "--workers", str(workers), "--bind", f"{host}:{port}",
               "--timeout", str(WORKER_TIMEOUT)]
    if log_level:
        command += ["--log-level", log_level]
    return command + control_socket_options()


def bind_error(host, port):
    """Why a server could not listen on host:port right now (an OS message), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a connection of a previous run lingering in TIME_WAIT is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def control_socket_options():
    """gunicorn 27+ opens a control socket in ~/.gunicorn; one per CAMPUSCARD_HOME instead, so
    that two instances on one account do not take each other's."""
    socket = settings.HOME / "gunicorn.ctl"
    if gunicorn_major() < 27 or len(str(socket)) > 100:  # a Unix socket path is short
        return []
    return ["--control-socket", str(socket)]


def gunicorn_major():
    try:
        return int(metadata.version("gunicorn").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return 0


def worker_command():
    return [sys.executable, "-m", "campuscard.cli", "worker"]


def run_together(commands, env):
    """Start every command, wait until one ends or we are told to stop; returns an exit code."""
    children = [subprocess.Popen(command, env=env)  # noqa: S603 - our own argument lists
                for command in commands]
    stopping = []

    def forward(signum, frame):
        stopping.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        ended = wait_for_first(children)
        stop_all(children)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stopping else exit_code(ended)


def wait_for_first(children):
    while True:
        for child in children:
            if child.poll() is not None:
                return child
        time.sleep(0.2)


def stop_all(children):
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def exit_code(child):
    """A child that ended by itself is a failure, even with status 0."""
    if child.returncode < 0:
        return 128 - child.returncode
    return child.returncode or 1
