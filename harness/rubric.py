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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

ERROR_SUMMARY_PATHS = ("errors.availability", "errors.calls", "errors.ok")
"""Paths into the scorecard's own ``results.errors`` block (besides the metric paths)."""

PRIVACY_PREFIX = "privacy.controls."
PRIVACY_FIELD = "result"

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
    threshold: float | str
    """A number, or a privacy result code for a ``privacy.controls.<id>.result`` metric."""
    mandatory: bool
    weight: float


@dataclass(frozen=True)
class Rubric:
    """A loaded, validated rubric."""

    name: str
    path: Path
    sha256: str
    requirements: tuple[Requirement, ...]


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


def check_metric_path(path: str) -> None:
    """Raise :class:`UnknownMetricPath` unless ``path`` names a value a scorecard's ``results`` can hold."""
    if path in ERROR_SUMMARY_PATHS:
        return
    if is_privacy_path(path):
        check_privacy_path(path)
        return
    resolve_path(path)


def format_threshold(threshold: float | str) -> str:
    """A threshold as a rule shows it: ``0.95``, ``2000``, ``PASS``."""
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
    name = data.get("name") if isinstance(data.get("name"), str) else path.stem
    return Rubric(name, path, hashlib.sha256(raw).hexdigest(), tuple(requirements))


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


def _threshold(entry: Mapping[str, Any]) -> float | str:
    threshold = entry.get("threshold")
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
    with ids is addressed by id (``privacy.controls.PC-SHR-01``); missing -> ``_MISSING``."""
    node: Any = results
    for part in path.split("."):
        if isinstance(node, list):
            node = next((item for item in node if isinstance(item, Mapping) and item.get("id") == part), _MISSING)
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
        observed: float | str | None = None
        if value is _MISSING and is_privacy_path(req.metric) and not results.get("privacy"):
            passed, reason = False, "not met: not demonstrated (the privacy controls were not run in this run)"
        elif value is _MISSING:
            passed, reason = False, "not met: not measured (this run's results have no such value)"
        elif is_privacy_path(req.metric):
            observed, passed, reason = _judge_code(req, value, results)
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
