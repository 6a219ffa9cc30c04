"""An emulator of PaperCut's web services API (XML-RPC at /rpc/api/xmlrpc), shipped with
CampusCard for tests and the demo: the user calls a card needs, a token check that answers a
fault as PaperCut does, users in memory or in a JSON file. See `PapercutEmulator` and
`campuscard papercut-emulator`."""

from campuscard.integrations.papercut.emulator.server import PapercutEmulator

__all__ = ["PapercutEmulator"]
