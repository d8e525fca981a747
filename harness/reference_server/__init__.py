"""The reference vendor server: the whole RFP evaluation API, with injectable flaws (see ``docs/reference-server.md``)."""

from harness.reference_server.app import create_app
from harness.reference_server.flaws import FLAWS, Flaw, UnknownFlawError, parse_flaws
from harness.reference_server.launcher import ServerHandle, running_reference_server

__all__ = ["FLAWS", "Flaw", "ServerHandle", "UnknownFlawError", "create_app", "parse_flaws", "running_reference_server"]
