"""Fixtures: real scorecards from ``platebench run`` of planned vendors (shared with tests/compare)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compare"))

from scorecard_factory import card_a, card_b, corpus12  # noqa: F401  (fixtures)
