"""The rubric: the city's requirements, each a measured value, a comparator and a threshold.

A rubric is a TOML file (format in ``docs/rubric.md``; the default ships as
``harness/rubrics/default.toml``)::

    name = "default"

    [[requirement]]
    id = "ACU-01"
    title = "Exact plate reads"
    metric = "accuracy.overall.exact_read_plate.value"
    comparator = ">="
    threshold = 0.80
    mandatory = true          # or: weight = 3

A privacy control's result is judged by its code::

    [[requirement]]
    id = "PC-SHR-01"
    title = "Default-deny sharing"
    metric = "privacy.controls.PC-SHR-01.result"
    comparator = "=="
    threshold = "PASS"
    mandatory = true

Load scenarios are judged through ``load.<scenario>.<field>`` paths (``load.server.bound_met``
with ``comparator = "=="`` and ``threshold = true``; ``load.server.latency_ms.p99``;
``load.server.availability``...). An optional ``[load]`` table says which scenarios a run makes
after its accuracy pass, and with what parameters, per kind of vendor::

    [load]
    seed = 20240601            # arrival-time seed (recorded)
    percentile = 99            # the percentile a latency bound is about

    [load.network]             # vendors reached over HTTP
    scenarios = ["server"]
    target_qps = 5
    duration_s = 180
    latency_bound_ms = 2000

    [load.local]               # engines the harness runs on its own machine (SDKs, command-line tools)
    scenarios = ["single-stream"]
    duration_s = 20

Command-line options override these values for one run (and are recorded).

The file's form is checked against the published JSON Schema (``harness/rubric.schema.json``), then every
metric path and threshold, before any vendor call, against :mod:`harness.metrics.paths` (the metric
definitions, the privacy controls and the scorecard's result layout). A requirement whose value could not be measured (``None``, or a tag the
corpus does not have, or privacy controls that were not run) is *not met*, and says so. ATTESTED
never equals PASS: a signed statement is not a demonstration. The weighted score is the sum of the
weights of met weighted requirements divided by the sum of all weights; mandatory requirements
carry no weight but decide eligibility.

Roadside figures of the camera bench (docs/bench.md) are judged through ``roadside.<figure>``
(``roadside.capture_rate``, ``roadside.latency_p95_s``...): the worst of the bench's cameras and
routes. When no bench was run they are *not applicable*: the verdict says so and the requirement
counts neither for the weighted score nor for eligibility (a vendor bidding an image API is not
charged for the camera bench).
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.metrics.paths import (
    PRIVACY_PREFIX,
    check_metric_path,
    is_load_path,
    is_privacy_path,
    is_probe_path,
    is_roadside_path,
    result_codes,
    value_kind,
)
from harness.metrics.spec import UnknownMetricPath
from harness.perturb.sweep import PerturbError, canonical_sweeps
from harness.schema_check import raise_problems, read_toml, schema_problems

DEFAULT_RUBRIC = Path(__file__).with_name("rubrics") / "default.toml"

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}

LOAD_KINDS = {"network": "vendors reached over HTTP", "local": "engines the harness runs on its own machine"}
RUBRIC_SCHEMA = Path(__file__).with_name("rubric.schema.json")
"""The published JSON Schema of a rubric file (docs/rubric.md links it)."""


class RubricError(UserError):
    """The rubric file is unreadable or names something no scorecard can hold."""


@dataclass(frozen=True)
class Requirement:
    """One rubric line."""

    id: str
    title: str
    metric: str
    comparator: str
    threshold: bool | float | str
    """A number, a privacy result code for a ``privacy.controls.<id>.result`` metric, or
    true/false for ``load.<scenario>.bound_met``."""
    mandatory: bool
    weight: float


@dataclass(frozen=True)
class LoadSettings:
    """Which load scenarios a run makes for one kind of vendor, and their parameters."""

    scenarios: tuple[str, ...] = ()
    target_qps: float | None = None
    duration_s: float | None = None
    queries: int | None = None
    concurrency: int | None = None
    latency_bound_ms: float | None = None


@dataclass(frozen=True)
class LoadDefaults:
    """The rubric's ``[load]`` table."""

    seed: int = 0
    percentile: float = 0.99
    """0-1."""
    by_kind: dict[str, LoadSettings] = field(default_factory=dict)
    """``network`` / ``local`` -> settings (a kind without a table runs no scenario)."""

    def settings(self, network: bool) -> LoadSettings:
        """The settings for a network vendor, or for a local engine."""
        return self.by_kind.get("network" if network else "local", LoadSettings())


@dataclass(frozen=True)
class PerturbDefaults:
    """The rubric's ``[perturb]`` table: sweeps every run on it makes (``--perturb`` overrides them)."""

    sweeps: tuple[str, ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class Rubric:
    """A loaded, validated rubric."""

    name: str
    path: Path
    sha256: str
    requirements: tuple[Requirement, ...]
    load: LoadDefaults = field(default_factory=LoadDefaults)
    perturb: PerturbDefaults = field(default_factory=PerturbDefaults)


def format_threshold(threshold: bool | float | str) -> str:
    """A threshold as a rule shows it: ``0.95``, ``2000``, ``PASS``, ``true``."""
    if isinstance(threshold, bool):
        return "true" if threshold else "false"
    return threshold if isinstance(threshold, str) else f"{threshold:g}"


def load_rubric(path: Path | None = None) -> Rubric:
    """Read and validate a rubric file (the default one when ``path`` is ``None``): its form against
    :data:`RUBRIC_SCHEMA`, then every metric path and threshold; a :class:`RubricError` lists every problem."""
    path = path or DEFAULT_RUBRIC
    raw, data = read_toml(path, "rubric", RubricError)
    problems = schema_problems(RUBRIC_SCHEMA, data)
    if not problems:
        problems = [
            f"requirement {entry['id']}: {problem}" for entry in data["requirement"] if (problem := _meaning(entry))
        ]
        problems += _perturb_problems(data.get("perturb", {}))
        ids = [entry["id"] for entry in data["requirement"]]
        problems += [f"requirement {rid}: duplicate id" for rid in sorted({i for i in ids if ids.count(i) > 1})]
    raise_problems(problems, "rubric", path, RUBRIC_SCHEMA, RubricError)
    requirements = tuple(
        Requirement(e["id"], e["title"], e["metric"], e["comparator"], _threshold(e), e.get("mandatory", False),
                    float(e.get("weight", 0)))
        for e in data["requirement"]
    )
    name = data.get("name", path.stem)
    perturb = data.get("perturb", {})
    return Rubric(name, path, hashlib.sha256(raw).hexdigest(), requirements, _load_defaults(data.get("load", {})),
                  PerturbDefaults(tuple(canonical_sweeps(perturb.get("sweeps", ()))), perturb.get("seed")))


def _perturb_problems(table: Mapping[str, Any]) -> list[str]:
    try:
        canonical_sweeps(table.get("sweeps", ()))
    except PerturbError as exc:
        return [f"[perturb] sweeps: {str(exc).removeprefix('--perturb ')}"]
    return []


def _meaning(entry: Mapping[str, Any]) -> str | None:
    """What is wrong with a (well-formed) requirement's metric path or threshold, if anything."""
    metric, comparator, threshold = entry["metric"], entry["comparator"], entry["threshold"]
    try:
        check_metric_path(metric)
    except UnknownMetricPath as exc:
        return str(exc)
    kind = value_kind(metric)
    if kind == "bool" and (comparator != "==" or not isinstance(threshold, bool)):
        return "bound_met is true or false: use comparator = \"==\" and threshold = true"
    if kind == "code":
        if comparator != "==":
            return f"a privacy control's result is compared with '==' (got {comparator!r})"
        if threshold not in result_codes():
            return f"'threshold' of a privacy control must be a result code: {', '.join(result_codes())} (got {threshold!r})"
    if kind == "number" and (isinstance(threshold, bool) or not isinstance(threshold, int | float)):
        return "'threshold' must be a number"
    return None


def _threshold(entry: Mapping[str, Any]) -> bool | float | str:
    kind = value_kind(entry["metric"])
    return entry["threshold"] if kind == "bool" else str(entry["threshold"]) if kind == "code" else float(entry["threshold"])


def _load_settings(table: Mapping[str, Any]) -> LoadSettings:
    number = {k: float(table[k]) for k in ("target_qps", "duration_s", "latency_bound_ms") if k in table}
    whole = {k: int(table[k]) for k in ("queries", "concurrency") if k in table}
    return LoadSettings(scenarios=tuple(table.get("scenarios", ())), **number, **whole)


def _load_defaults(table: Mapping[str, Any]) -> LoadDefaults:
    by_kind = {kind: _load_settings(table[kind]) for kind in LOAD_KINDS if kind in table}
    return LoadDefaults(seed=table.get("seed", 0), percentile=table.get("percentile", 99) / 100, by_kind=by_kind)


_MISSING = object()


def lookup(results: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` in ``results``; an estimate object yields its ``value``; a list of objects
    is addressed by ``id`` (``privacy.controls.PC-SHR-01``) or ``scenario`` (``load.server``);
    missing -> ``_MISSING``."""
    node: Any = results
    for part in path.split("."):
        if isinstance(node, list):
            node = next(
                (item for item in node if isinstance(item, Mapping) and part in (item.get("id"), item.get("scenario"))),
                _MISSING,
            )
        elif isinstance(node, Mapping):
            node = node.get(part, _MISSING)
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    if isinstance(node, Mapping) and "value" in node:
        node = node["value"]
    return node


def _judge_number(req: Requirement, value: Any) -> tuple[float | None, bool, str]:
    if value is None:
        return None, False, "not met: not measured"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, False, f"not met: {req.metric} is not a number"
    observed = float(value)
    passed = COMPARATORS[req.comparator](observed, req.threshold)
    verb = "met" if passed else "not met"
    return observed, passed, f"{verb}: {observed:.6g} {req.comparator} {req.threshold:g} is {'true' if passed else 'false'}"


def _judge_bool(req: Requirement, value: Any) -> tuple[bool | None, bool, str]:
    if not isinstance(value, bool):
        return None, False, "not met: not shown (the run was too short, or had no latency bound, to decide it)"
    passed = value == req.threshold
    return value, passed, f"{'met' if passed else 'not met'}: {req.metric} is {format_threshold(value)}"


def _judge_code(req: Requirement, value: Any, results: Mapping[str, Any]) -> tuple[str | None, bool, str]:
    control_id = req.metric.removeprefix(PRIVACY_PREFIX).rpartition(".")[0]
    if not isinstance(value, str):
        return None, False, f"not met: {control_id} has no result code"
    message = lookup(results, f"{PRIVACY_PREFIX}{control_id}.message")
    detail = f" ({message})" if isinstance(message, str) and message else ""
    if value == req.threshold:
        return value, True, f"met: {control_id} is {value}{detail}"
    note = "; an attestation is not a demonstration and never meets a PASS requirement" if (
        value == "ATTESTED" and req.threshold == "PASS") else ""
    return value, False, f"not met: {control_id} is {value}, {req.threshold} required{note}{detail}"


OVERLOAD_PER_CORE = 1.0
"""Above this 1-minute load average per core, an engine on the harness's machine competed with other
jobs for the CPU, so its latency is not judged."""


@dataclass(frozen=True)
class Conditions:
    """What the rubric needs to know about how a run was made, besides its results."""

    network: bool = True
    """The vendor was reached over the network (its latency is its own); False for an engine the
    harness ran on its own machine."""
    load_per_core: float | None = None
    """The machine's peak 1-minute load average per core during the accuracy pass (``None``: unknown)."""

    @property
    def overloaded(self) -> bool:
        return not self.network and self.load_per_core is not None and self.load_per_core > OVERLOAD_PER_CORE


def _not_applicable(rubric: Rubric, req: Requirement, value: Any, conditions: Conditions) -> str | None:
    """Why ``req`` does not apply to this kind of vendor, or ``None``: a load scenario that did not run
    and that the rubric's ``[load]`` table runs for the other kind of vendor only (server load, planned
    for vendors over HTTP, for an engine on the harness's machine). A scenario the rubric plans for no
    kind stays required (not measured)."""
    if value is not _MISSING or not is_load_path(req.metric):
        return None
    scenario = req.metric.split(".")[1]
    planned = rubric.load.settings(conditions.network).scenarios
    if scenario in planned or scenario not in rubric.load.settings(not conditions.network).scenarios:
        return None
    kind = LOAD_KINDS["network" if conditions.network else "local"]
    return (
        f"not applicable: the rubric runs no {scenario} scenario for {kind} "
        f"([load.{'network' if conditions.network else 'local'}] scenarios: {', '.join(planned) or 'none'})"
    )


def judge(
    rubric: Rubric, results: Mapping[str, Any], conditions: Conditions = Conditions()
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each requirement's verdict, and the score (see the module docstring).

    A requirement that does not apply to this kind of vendor is ``applicable: false``: it neither
    blocks eligibility nor counts in the weighted score's maximum. The latency of an engine on the
    harness's machine is not judged when the machine was overloaded (not met, and says why)."""
    verdicts: list[dict[str, Any]] = []
    for req in rubric.requirements:
        value = lookup(results, req.metric)
        observed: bool | float | str | None = None
        applicable = True
        if is_roadside_path(req.metric) and not results.get("roadside"):
            applicable, passed, reason = False, False, "not applicable: no camera bench was run"
        elif is_probe_path(req.metric) and not results.get("probes"):
            applicable, passed, reason = False, False, "not applicable: the run made no probes (--probes)"
        elif is_probe_path(req.metric) and value is None:
            why = lookup(results, req.metric.removesuffix(".flagged") + ".evidence")
            passed, reason = False, f"not met: not shown (the probe did not run: {why})"
        elif (reason_na := _not_applicable(rubric, req, value, conditions)) is not None:
            applicable, passed, reason = False, False, reason_na
        elif value is _MISSING and req.metric.startswith("latency.single_stream."):
            passed, reason = False, (
                "not met: not measured (no measurement with exactly one call in flight: the accuracy pass ran "
                "several calls at once and the single-stream load scenario was not run)"
            )
        elif req.metric.startswith("latency.") and conditions.overloaded:
            passed, reason = False, (
                f"not met: not judged, the harness's machine was overloaded during the accuracy pass "
                f"(load {conditions.load_per_core:.1f} per core, above {OVERLOAD_PER_CORE:g}): an engine on that "
                "machine is timed slower than it is; re-run on a quiet machine"
            )
        elif value is _MISSING and is_privacy_path(req.metric) and not results.get("privacy"):
            passed, reason = False, "not met: not demonstrated (the privacy controls were not run in this run)"
        elif value is _MISSING and is_load_path(req.metric):
            scenario = req.metric.split(".")[1]
            passed, reason = False, f"not met: not measured (the {scenario} load scenario was not run in this run)"
        elif value is _MISSING:
            passed, reason = False, "not met: not measured (this run's results have no such value)"
        elif is_privacy_path(req.metric):
            observed, passed, reason = _judge_code(req, value, results)
        elif isinstance(req.threshold, bool):
            observed, passed, reason = _judge_bool(req, value)
        else:
            observed, passed, reason = _judge_number(req, value)
        verdicts.append(
            {
                "id": req.id,
                "title": req.title,
                "metric": req.metric,
                "comparator": req.comparator,
                "threshold": req.threshold,
                "mandatory": req.mandatory,
                "weight": req.weight,
                "observed": observed,
                "passed": passed,
                "applicable": applicable,
                "reason": reason,
            }
        )
    total = sum(v["weight"] for v in verdicts if v["applicable"])
    points = sum(v["weight"] for v in verdicts if v["passed"] and not v["mandatory"])
    mandatory_passed = all(v["passed"] for v in verdicts if v["mandatory"] and v["applicable"])
    score = {
        "weighted": points / total if total else None,
        "points": points,
        "max": total,
        "mandatory_passed": mandatory_passed,
        "eligible": mandatory_passed,
    }
    return verdicts, score


def breaking_points(rubric: Rubric, robustness: Mapping[str, Any]) -> None:
    """Fill each sweep's ``breaking_points``: for every requirement on an overall accuracy figure, the mildest
    level at which the figure at that level no longer meets it (``None``: met at every level swept)."""
    for req in rubric.requirements:
        parts = req.metric.split(".")
        if parts[:2] != ["accuracy", "overall"] or len(parts) not in (3, 4) or parts[3:] not in ([], ["value"]):
            continue
        for name, curve in robustness["operators"].items():
            level, reason = None, "met at every level swept"
            for point in curve["points"]:
                value = point["figures"][parts[2]]["value"]
                if value is None or not COMPARATORS[req.comparator](value, req.threshold):
                    level = point["level"]
                    shown = "not measured" if value is None else f"{value:.4g} {req.comparator} {format_threshold(req.threshold)} is false"
                    reason = f"not met from {name}={point['key']} on: {shown}"
                    break
            curve["breaking_points"].append({"requirement": req.id, "metric": req.metric, "level": level, "reason": reason})
