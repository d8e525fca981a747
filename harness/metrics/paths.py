"""Every path a rubric requirement may name in a scorecard's ``results``, and what kind of value it holds.

Three families besides the metric paths of :func:`harness.metrics.spec.resolve_path` (which include the
one call summary, ``accuracy.errors.<availability|error_rate>``):

- ``privacy.controls.<control id>.result``: a privacy control's result code (``PASS``...), control ids
  from the privacy suite's registry;
- ``load.<scenario>.<field>``, ``load.<scenario>.latency_ms.<stat>``, ``load.<scenario>.errors.<kind>``:
  a load scenario's figures (numbers), and ``load.<scenario>.bound_met`` (true/false);
- ``roadside.<figure>``: the camera bench's figures for the bench as a whole, its worst camera and
  route (numbers; figures from :data:`harness.metrics.roadside.SUMMARY_FIGURES`);
- ``robustness.operators.<operator>.worst.<accuracy metric>``: an accuracy figure at the harshest level a perturbation
  sweep reached (numbers; operators from :data:`harness.perturb.registry.OPERATORS`);
- ``split.<public|sequestered>.<accuracy metric>`` and ``split.gap.p_value``: the figures on the public and the
  sequestered images, and the test of the gap (numbers);
- ``probes.checks.<probe id>.flagged``: whether a memorisation or caching probe flagged the vendor (true/false);
- ``hotlist.false_alerts_per_10000``: simulated hotlist alerts on innocent plates per 10,000 reads (a number).

The rubric resolves paths here only; this module is the one that knows where those vocabularies live.
"""

from __future__ import annotations

from typing import Literal

from harness.load import SCENARIOS
from harness.metrics.spec import UnknownMetricPath, resolve_path

ValueKind = Literal["number", "bool", "code"]

PRIVACY_PREFIX = "privacy.controls."
PRIVACY_FIELD = "result"

LOAD_PREFIX = "load."
LOAD_FIELDS = ("achieved_qps", "target_qps", "n", "duration_s", "timeouts", "availability", "bound_met")
"""Plain fields of a ``results.load`` entry a requirement can name (plus ``latency_ms.<stat>``, ``errors.<kind>``)."""
LOAD_LATENCY_STATS = ("p50", "p90", "p95", "p99", "min", "mean", "max")

ROADSIDE_PREFIX = "roadside."
ROBUSTNESS_PREFIX = "robustness."
SPLIT_PREFIX = "split."
SPLITS = ("public", "sequestered")
PROBES_PREFIX = "probes.checks."
HOTLIST_FIGURES = ("false_alerts_per_10000",)


def is_probe_path(path: str) -> bool:
    """True for ``probes.checks.<id>.flagged`` paths (not applicable when the run made no probes)."""
    return path.startswith(PROBES_PREFIX)


def is_privacy_path(path: str) -> bool:
    """True for ``privacy.*`` paths (judged by result code, not by number)."""
    return path.startswith("privacy.")


def is_load_path(path: str) -> bool:
    """True for ``load.<scenario>.<field>`` paths."""
    return path.startswith(LOAD_PREFIX)


def is_roadside_path(path: str) -> bool:
    """True for ``roadside.<figure>`` paths (camera bench figures)."""
    return path.startswith(ROADSIDE_PREFIX)


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
    if (is_load_path(path) and path.endswith(".bound_met")) or is_probe_path(path):
        return "bool"
    return "number"


def check_metric_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` names a value a scorecard's ``results`` can hold."""
    if is_privacy_path(path):
        _check_privacy_path(path)
    elif is_load_path(path):
        _check_load_path(path)
    elif is_roadside_path(path):
        _check_roadside_path(path)
    elif path.startswith(("robustness.", "split.", "probes.", "hotlist.")):
        _check_robustness_path(path)
    else:
        resolve_path(path)


def _check_roadside_path(path: str) -> None:
    from harness.metrics.roadside import SUMMARY_FIGURES

    if path.removeprefix(ROADSIDE_PREFIX) not in SUMMARY_FIGURES:
        raise UnknownMetricPath(
            f"unknown roadside path {path!r}; roadside paths are roadside.<figure> with figure one of "
            f"{', '.join(SUMMARY_FIGURES)}"
        )


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


def _accuracy_metric(metric: str) -> bool:
    try:
        resolve_path(f"accuracy.overall.{metric}")
    except UnknownMetricPath:
        return False
    return True


def _check_robustness_path(path: str) -> None:
    from harness.perturb.registry import OPERATORS
    from harness.probes.spec import PROBES

    parts = path.split(".")
    ok = False
    match parts:
        case ["robustness", "operators", operator, "worst", *metric] if operator in OPERATORS and metric:
            ok = _accuracy_metric(".".join(metric))
        case ["split", "gap", "p_value"]:
            ok = True
        case ["split", split, *metric] if split in SPLITS and metric:
            ok = _accuracy_metric(".".join(metric))
        case ["probes", "checks", probe, "flagged"]:
            ok = probe in PROBES
        case ["hotlist", figure]:
            ok = figure in HOTLIST_FIGURES
    if not ok:
        raise UnknownMetricPath(
            f"unknown path {path!r}; robustness paths look like robustness.operators.blur.worst.exact_read_plate, "
            "split.sequestered.exact_read_plate, split.gap.p_value, probes.checks.PR-MEM-02.flagged, "
            "hotlist.false_alerts_per_10000"
        )
