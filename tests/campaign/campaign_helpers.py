"""Helpers shared by the campaign tests."""

from __future__ import annotations

import copy
from typing import Any


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A scorecard without what may differ between two runs of the same inputs: provenance (ids, times,
    machine, executor), the seal over them, latency figures and the requirements judged on latency."""
    doc = copy.deepcopy(document)
    doc.pop("provenance")
    doc.pop("integrity")
    results = doc["results"]
    results.pop("latency")
    results.pop("score")
    results["requirements"] = [r for r in results["requirements"] if not r["metric"].startswith("latency.")]
    return doc
