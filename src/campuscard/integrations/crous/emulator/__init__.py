"""An emulator of the CROUS API (integrations.md §1), shipped with CampusCard for tests, the
demo and benchmarks. It keeps its own state (its own SQLite file) and knows nothing of
CampusCard's models. See `server.EmulatorServer` and `campuscard crous-emulator`."""

from campuscard.integrations.crous.emulator.app import CrousEmulator
from campuscard.integrations.crous.emulator.server import EmulatorServer

__all__ = ["CrousEmulator", "EmulatorServer"]
