"""Every path a rubric requirement may name in a scorecard's ``results``, and what kind of value it holds.

Three families besides the metric paths of :func:`harness.metrics.spec.resolve_path`:

- ``errors.<availability|calls|ok>``: the scorecard's own call summary (numbers);
- ``privacy.controls.<control id>.result``: a privacy control's result code (``PASS``...), control ids
  from the privacy suite's registry;
- ``load.<scenario>.<field>``, ``load.<scenario>.latency_ms.<stat>``, ``load.<scenario>.errors.<kind>``:
  a load scenario's figures (numbers), and ``load.<scenario>.bound_met`` (true/false).

The rubric resolves paths here only; this module is the one that knows where those vocabularies live.
"""

from __future__ import annotations

from typing import Literal

from harness.load import SCENARIOS
from harness.metrics.spec import UnknownMetricPath, resolve_path

ValueKind = Literal["number", "bool", "code"]

ERROR_SUMMARY_PATHS = ("errors.availability", "errors.calls", "errors.ok")
"""Paths into the scorecard's own ``results.errors`` block (besides the metric paths)."""

PRIVACY_PREFIX = "privacy.controls."
PRIVACY_FIELD = "result"

LOAD_PREFIX = "load."
LOAD_FIELDS = ("achieved_qps", "target_qps", "n", "duration_s", "timeouts", "availability", "bound_met")
"""Plain fields of a ``results.load`` entry a requirement can name (plus ``latency_ms.<stat>``, ``errors.<kind>``)."""
LOAD_LATENCY_STATS = ("p50", "p90", "p95", "p99", "min", "mean", "max")


def is_privacy_path(path: str) -> bool:
    """True for ``privacy.*`` paths (judged by result code, not by number)."""
    return path.startswith("privacy.")


def is_load_path(path: str) -> bool:
    """True for ``load.<scenario>.<field>`` paths."""
    return path.startswith(LOAD_PREFIX)


def privacy_control(path: str) -> str:
    """The control id of a ``privacy.controls.<id>.result`` path."""
    return path.removeprefix(PRIVACY_PREFIX).rpartition(".")[0]


def result_codes() -> tuple[str, ...]:
    """The result codes a privacy control can have (``PASS``, ``FAIL``, ``ATTESTED``...)."""
    from harness.privacy.controls import RESULTS

    return RESULTS


def value_kind(path: str) -> ValueKind:
    """What a (valid) path holds: a number, true/false (``load.<scenario>.bound_met``) or a result code."""
    if is_privacy_path(path):
        return "code"
    if is_load_path(path) and path.endswith(".bound_met"):
        return "bool"
    return "number"


def check_metric_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` names a value a scorecard's ``results`` can hold."""
    if path in ERROR_SUMMARY_PATHS:
        return
    if is_privacy_path(path):
        _check_privacy_path(path)
    elif is_load_path(path):
        _check_load_path(path)
    else:
        resolve_path(path)


def _check_privacy_path(path: str) -> None:
    from harness.privacy.runner import control_registry

    known = control_registry()
    control_id, _, field = path.removeprefix(PRIVACY_PREFIX).rpartition(".")
    if not path.startswith(PRIVACY_PREFIX) or field != PRIVACY_FIELD or not control_id:
        raise UnknownMetricPath(
            f"unknown privacy path {path!r}; privacy requirements name a control's result, "
            f"e.g. {PRIVACY_PREFIX}PC-SHR-01.{PRIVACY_FIELD}"
        )
    if control_id not in known:
        raise UnknownMetricPath(f"unknown privacy control {control_id!r} in {path!r}; known controls: {', '.join(known)}")


def _check_load_path(path: str) -> None:
    from vendor_adapters.errors import ERROR_KINDS

    parts = path.split(".")
    ok = len(parts) >= 3 and parts[1] in SCENARIOS
    if ok:
        rest = parts[2:]
        ok = (
            (len(rest) == 1 and rest[0] in LOAD_FIELDS)
            or (len(rest) == 2 and rest[0] == "latency_ms" and rest[1] in LOAD_LATENCY_STATS)
            or (len(rest) == 2 and rest[0] == "errors" and rest[1] in ERROR_KINDS)
        )
    if not ok:
        raise UnknownMetricPath(
            f"unknown load path {path!r}; load paths are load.<scenario>.<field> with scenario one of "
            f"{', '.join(SCENARIOS)} and field one of {', '.join(LOAD_FIELDS)}, "
            f"latency_ms.<{'|'.join(LOAD_LATENCY_STATS)}> or errors.<error kind>, e.g. load.server.latency_ms.p99"
        )
