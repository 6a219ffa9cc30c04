"""Free TCP ports for the servers tests start."""

import socket


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_demo_port():
    """A port for `campuscard demo --port` whose next three are free too: the demo binds the
    CROUS emulator's, the PaperCut emulator's and the card reader's there unless told other
    ones (demo/serving.py), and a busy one stops it."""
    while True:
        port = free_port()
        if port + 3 <= 65535 and all(is_free(port + offset) for offset in (1, 2, 3)):
            return port


def is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
