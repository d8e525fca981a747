"""Load scenarios (single-stream, server, offline), their latency recording and the load transport.

This package module stays light (the CLI and the rubric import the scenario names from it); the
machinery lives in :mod:`harness.load.scenarios`, :mod:`harness.load.plan` and their neighbours.
"""

SCENARIOS: tuple[str, ...] = ("single-stream", "server", "offline")
"""The MLPerf LoadGen scenarios platebench runs, by the names used on the command line and in rubrics."""
