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

Every metric path is checked when the rubric is loaded, before any vendor call, against the
metric definitions (:mod:`harness.metrics.spec`), the privacy suite's control registry and the
scorecard's result layout. A requirement whose value could not be measured (``None``, or a tag the
corpus does not have, or privacy controls that were not run) is *not met*, and says so. ATTESTED
never equals PASS: a signed statement is not a demonstration. The weighted score is the sum of the
weights of met weighted requirements divided by the sum of all weights; mandatory requirements
carry no weight but decide eligibility.
"""

from __future__ import annotations

import hashlib
import operator
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.load import SCENARIOS
from harness.metrics.spec import UnknownMetricPath, resolve_path
from vendor_adapters.errors import ConfigurationError

DEFAULT_RUBRIC = Path(__file__).with_name("rubrics") / "default.toml"

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}

PRIVACY_PREFIX = "privacy.controls."
PRIVACY_FIELD = "result"

LOAD_PREFIX = "load."
LOAD_FIELDS = ("achieved_qps", "target_qps", "n", "duration_s", "timeouts", "availability", "bound_met")
"""Plain fields of a ``results.load`` entry a requirement can name (plus ``latency_ms.<stat>``, ``errors.<kind>``)."""
LOAD_LATENCY_STATS = ("p50", "p90", "p95", "p99", "min", "mean", "max")
LOAD_KINDS = {"network": "vendors reached over HTTP", "local": "engines the harness runs on its own machine"}
_LOAD_SETTINGS = {"scenarios", "target_qps", "duration_s", "queries", "concurrency", "latency_bound_ms"}

_KEYS = {"id", "title", "metric", "comparator", "threshold", "mandatory", "weight"}


class RubricError(ConfigurationError):
    """The rubric file is unreadable or names something no scorecard can hold."""


class _Invalid(Exception):
    """One requirement is malformed (collected into a :class:`RubricError`)."""


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
class Rubric:
    """A loaded, validated rubric."""

    name: str
    path: Path
    sha256: str
    requirements: tuple[Requirement, ...]
    load: LoadDefaults = field(default_factory=LoadDefaults)


def is_privacy_path(path: str) -> bool:
    """True for ``privacy.controls.<id>.result`` style paths (judged by result code, not by number)."""
    return path.startswith("privacy.")


def check_privacy_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` is ``privacy.controls.<known id>.result``."""
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


def is_load_path(path: str) -> bool:
    """True for ``load.<scenario>.<field>`` paths."""
    return path.startswith(LOAD_PREFIX)


def check_load_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` names a field of a ``results.load`` entry."""
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


def check_metric_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` names a value a scorecard's ``results`` can hold."""
    if is_privacy_path(path):
        check_privacy_path(path)
        return
    if is_load_path(path):
        check_load_path(path)
        return
    resolve_path(path)


def format_threshold(threshold: bool | float | str) -> str:
    """A threshold as a rule shows it: ``0.95``, ``2000``, ``PASS``, ``true``."""
    if isinstance(threshold, bool):
        return "true" if threshold else "false"
    return threshold if isinstance(threshold, str) else f"{threshold:g}"


def load_rubric(path: Path | None = None) -> Rubric:
    """Read and validate a rubric file (the default one when ``path`` is ``None``)."""
    path = path or DEFAULT_RUBRIC
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"cannot read rubric {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"rubric {path} is not valid TOML: {exc}") from None
    entries = data.get("requirement")
    if not isinstance(entries, list) or not entries:
        raise RubricError(f"rubric {path}: no [[requirement]] tables")
    problems: list[str] = []
    requirements: list[Requirement] = []
    for index, entry in enumerate(entries, start=1):
        try:
            requirements.append(_requirement(entry))
        except _Invalid as exc:
            label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
            problems.append(f"requirement {label}: {exc}")
    seen: set[str] = set()
    for req in requirements:
        if req.id in seen:
            problems.append(f"requirement {req.id}: duplicate id")
        seen.add(req.id)
    if problems:
        raise RubricError(f"rubric {path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    unknown_top = sorted(set(data) - {"name", "requirement", "load"})
    if unknown_top:
        problems.append(f"unknown top-level key(s) {', '.join(unknown_top)} (known: name, [load], [[requirement]])")
    load = LoadDefaults()
    if "load" in data:
        try:
            load = _load_defaults(data["load"])
        except _Invalid as exc:
            problems.append(f"[load]: {exc}")
    if problems:
        raise RubricError(f"rubric {path} has {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    name = data.get("name") if isinstance(data.get("name"), str) else path.stem
    return Rubric(name, path, hashlib.sha256(raw).hexdigest(), tuple(requirements), load)


def _positive(table: Mapping[str, Any], key: str, *, integer: bool = False) -> Any:
    value = table.get(key)
    if value is None:
        return None
    kind = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise _Invalid(f"{key} must be a positive {'whole number' if integer else 'number'} (got {value!r})")
    return value if integer else float(value)


def _load_settings(kind: str, table: Any) -> LoadSettings:
    if not isinstance(table, dict):
        raise _Invalid(f"[load.{kind}] must be a table")
    unknown = sorted(set(table) - _LOAD_SETTINGS)
    if unknown:
        raise _Invalid(f"[load.{kind}]: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_LOAD_SETTINGS))})")
    scenarios = table.get("scenarios", [])
    if not isinstance(scenarios, list) or any(s not in SCENARIOS for s in scenarios):
        raise _Invalid(f"[load.{kind}] scenarios must be a list of {', '.join(SCENARIOS)} (got {scenarios!r})")
    settings = LoadSettings(
        scenarios=tuple(scenarios),
        target_qps=_positive(table, "target_qps"),
        duration_s=_positive(table, "duration_s"),
        queries=_positive(table, "queries", integer=True),
        concurrency=_positive(table, "concurrency", integer=True),
        latency_bound_ms=_positive(table, "latency_bound_ms"),
    )
    if "server" in settings.scenarios and settings.target_qps is None:
        raise _Invalid(f"[load.{kind}]: the server scenario needs target_qps")
    if settings.scenarios and settings.duration_s is None and settings.queries is None:
        raise _Invalid(f"[load.{kind}]: give duration_s or queries")
    return settings


def _load_defaults(table: Any) -> LoadDefaults:
    if not isinstance(table, dict):
        raise _Invalid("must be a table")
    unknown = sorted(set(table) - {"seed", "percentile", *LOAD_KINDS})
    if unknown:
        raise _Invalid(f"unknown key(s) {', '.join(unknown)} (known: seed, percentile, {', '.join(LOAD_KINDS)})")
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise _Invalid(f"seed must be a whole number >= 0 (got {seed!r})")
    percentile = table.get("percentile", 99)
    if isinstance(percentile, bool) or not isinstance(percentile, int | float) or not 0 < percentile < 100:
        raise _Invalid(f"percentile must be between 0 and 100 (got {percentile!r})")
    by_kind = {kind: _load_settings(kind, table[kind]) for kind in LOAD_KINDS if kind in table}
    return LoadDefaults(seed=seed, percentile=percentile / 100, by_kind=by_kind)


def _requirement(entry: Any) -> Requirement:
    if not isinstance(entry, dict):
        raise _Invalid("not a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise _Invalid(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    for key in ("id", "title", "metric", "comparator"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise _Invalid(f"{key!r} must be a non-empty string")
    if entry["comparator"] not in COMPARATORS:
        raise _Invalid(f"comparator {entry['comparator']!r} is not one of {' '.join(COMPARATORS)}")
    try:
        check_metric_path(entry["metric"])
    except UnknownMetricPath as exc:
        raise _Invalid(str(exc)) from None
    threshold = _threshold(entry)
    mandatory = entry.get("mandatory", False)
    weight = entry.get("weight", 0)
    if not isinstance(mandatory, bool):
        raise _Invalid("'mandatory' must be true or false")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
        raise _Invalid("'weight' must be a number >= 0")
    if mandatory == (weight > 0):
        raise _Invalid("give exactly one of 'mandatory = true' or 'weight = N' (N > 0)")
    return Requirement(entry["id"], entry["title"], entry["metric"], entry["comparator"], threshold, mandatory, float(weight))


def _threshold(entry: Mapping[str, Any]) -> bool | float | str:
    threshold = entry.get("threshold")
    if entry["metric"].endswith(".bound_met") and is_load_path(entry["metric"]):
        if entry["comparator"] != "==" or not isinstance(threshold, bool):
            raise _Invalid("bound_met is true or false: use comparator = \"==\" and threshold = true")
        return threshold
    if is_privacy_path(entry["metric"]):
        from harness.privacy.controls import RESULTS

        if entry["comparator"] != "==":
            raise _Invalid(f"a privacy control's result is compared with '==' (got {entry['comparator']!r})")
        if threshold not in RESULTS:
            raise _Invalid(f"'threshold' of a privacy control must be a result code: {', '.join(RESULTS)} (got {threshold!r})")
        return str(threshold)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise _Invalid("'threshold' must be a number")
    return float(threshold)


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


def judge(rubric: Rubric, results: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each requirement's verdict, and the score (see the module docstring)."""
    verdicts: list[dict[str, Any]] = []
    for req in rubric.requirements:
        value = lookup(results, req.metric)
        observed: bool | float | str | None = None
        if value is _MISSING and is_privacy_path(req.metric) and not results.get("privacy"):
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
                "reason": reason,
            }
        )
    total = sum(r.weight for r in rubric.requirements)
    points = sum(v["weight"] for v in verdicts if v["passed"] and not v["mandatory"])
    mandatory_passed = all(v["passed"] for v in verdicts if v["mandatory"])
    score = {
        "weighted": points / total if total else None,
        "points": points,
        "max": total,
        "mandatory_passed": mandatory_passed,
        "eligible": mandatory_passed,
    }
    return verdicts, score
