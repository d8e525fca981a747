"""Scoring: turns (sample, outcome) pairs into the accuracy and latency sections of a scorecard.

Two entry points, both returning JSON-ready dicts that contain numbers, metric ids, tag names and
settings only (never plate text):

- :func:`score_accuracy` -> ``results.accuracy``
- :func:`score_latency` -> ``results.latency.single_stream``

Every metric is defined once in :mod:`harness.metrics.spec` (``METRICS``); ``docs/metrics.md``
explains each.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "score_accuracy": "harness.metrics.scoring",
    "score_latency": "harness.metrics.scoring",
    "sample_verdict": "harness.metrics.accuracy",
    "Estimate": "harness.metrics.stats",
    "METRICS": "harness.metrics.spec",
    "MetricSpec": "harness.metrics.spec",
    "UnknownMetricPath": "harness.metrics.spec",
    "resolve_path": "harness.metrics.spec",
}
"""Public names -> defining module. Imported on first use, so that importing a light submodule
(``harness.metrics.spec``, e.g. for the command line's option defaults) does not load the scoring stack."""

__all__ = [
    "METRICS",
    "Estimate",
    "MetricSpec",
    "UnknownMetricPath",
    "resolve_path",
    "sample_verdict",
    "score_accuracy",
    "score_latency",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harness.metrics' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
