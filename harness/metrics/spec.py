"""Every metric a scorecard can hold, defined once: id, title, unit, direction and meaning.

Where each one sits in a scorecard's ``results`` (the *metric path* a rubric names):

- ``accuracy.overall.<id>`` and ``accuracy.by_tag.<key=value>.<id>`` for section ``accuracy``;
  ``accuracy.by_jurisdiction.<jurisdiction>.<id>`` for the plate-level ones (``per_plate``);
- ``accuracy.errors.<id>`` (section ``errors``); ``accuracy.errors.by_kind.<kind>`` is an ``error_rate``;
- ``accuracy.calibration.<id>`` (section ``calibration``);
- ``latency.single_stream.<client_ms|vendor_ms>.<id>`` (section ``latency``: plain numbers in ms),
  measured with exactly one call in flight; ``latency.accuracy_pass.<client_ms|vendor_ms>.<id>``, the
  accuracy pass as it ran (possibly several calls at once).

Accuracy, error and calibration figures are :class:`~harness.metrics.stats.Estimate` objects;
a path may end in ``.value`` (the default), ``.ci_low``, ``.ci_high`` or ``.n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_IOU_THRESHOLD = 0.5
"""A read matches a plate when their boxes' IoU is at least this (recorded in every scorecard; ``--iou-threshold``)."""
DEFAULT_TOP_N = 5
"""How many of a sample's reads the top-N read rate looks at (recorded in every scorecard)."""

Section = Literal["accuracy", "errors", "calibration", "latency"]
ESTIMATE_FIELDS = ("value", "ci_low", "ci_high", "n")


UNIT_RANGES: dict[str, tuple[float, float | None]] = {
    "proportion": (0.0, 1.0),
    "edits per truth character": (0.0, None),
    "reads": (0.0, None),
    "per 1,000": (0.0, 1000.0),
    "per 10,000": (0.0, 10000.0),
    "squared probability": (0.0, 1.0),
    "calls": (0.0, None),
    "ms": (0.0, None),
}
"""Every unit a metric can have, with the range its values lie in (``None``: no upper bound);
the scorecard schema enforces them."""


@dataclass(frozen=True)
class MetricSpec:
    """One metric: what it measures, which way is better, and how it is put to a reader."""

    id: str
    title: str
    unit: str
    higher_is_better: bool | None
    description: str
    section: Section = "accuracy"
    per_plate: bool = False
    """Defined per ground-truth plate, so also reported by jurisdiction."""
    plain: str = ""
    """The metric in plain words, for a council member (reports and comparisons)."""
    headline: bool = False
    """Shown in the accuracy table of every scorecard and comparison (in the order of ``_ALL``)."""
    by_group: bool = False
    """Shown per tag and per jurisdiction in the scorecard."""


_ALL = (
    MetricSpec(
        "exact_read_plate",
        "Exact read (per plate)",
        "proportion",
        True,
        "Plates whose matched read's top-1 text equals the truth after normalization; unread plates "
        "and plates in failed calls count as not read.",
        per_plate=True,
        plain="Share of plates whose number was read exactly right.",
        headline=True,
        by_group=True,
    ),
    MetricSpec(
        "exact_read_image",
        "Exact read (per image)",
        "proportion",
        True,
        "Images in which every plate was read exactly (an image without plates: no read at all); "
        "failed calls count as not read.",
        plain="Share of photos in which every plate was read exactly right.",
        headline=True,
    ),
    MetricSpec(
        "top_n_read",
        "Top-N read (per plate)",
        "proportion",
        True,
        "Plates whose truth is among the matched read's text and its first candidates (N in settings).",
        per_plate=True,
        plain="Share of plates whose right number was among the reader's top guesses.",
        headline=True,
    ),
    MetricSpec(
        "cer",
        "Character error rate (per plate)",
        "edits per truth character",
        False,
        "Mean over plates of Levenshtein(truth, read) / len(truth); an unread plate counts 1.0.",
        per_plate=True,
        plain="How many characters per plate number were wrong, on average (lower is better).",
        headline=True,
        by_group=True,
    ),
    MetricSpec(
        "detection_recall",
        "Detection recall",
        "proportion",
        True,
        "Boxed truth plates matched by a read box at IoU >= the stated threshold. None when the "
        "vendor returned no box in the whole run.",
        per_plate=True,
        plain="Share of plates the reader found in the photo at all.",
        headline=True,
        by_group=True,
    ),
    MetricSpec(
        "detection_precision",
        "Detection precision",
        "proportion",
        True,
        "Boxed reads in fully boxed images that match a truth plate at IoU >= the threshold.",
        plain="Share of the reader's found plates that really were plates.",
        headline=True,
    ),
    MetricSpec(
        "unmatched_reads",
        "Reads matching no plate",
        "reads",
        False,
        "Count of reads matched to no ground-truth plate; n is all reads.",
    ),
    MetricSpec(
        "unmatched_reads_per_1000",
        "Reads matching no plate per 1,000 reads",
        "per 1,000",
        False,
        "Reads matched to no plate per 1,000 reads returned.",
        plain="Reads that matched no real plate, per 1,000 reads (lower is better).",
        headline=True,
    ),
    MetricSpec(
        "wrong_plate_reads",
        "Wrong-plate reads",
        "reads",
        False,
        "Confident, plausible reads whose text differs from the plate they match or that match no "
        "plate (rule in settings.wrong_plate_rule); n is the confident reads.",
        plain="Confident reads of a different, real-looking plate (lower is better).",
    ),
    MetricSpec(
        "wrong_plate_per_1000",
        "Wrong-plate reads per 1,000 confident reads",
        "per 1,000",
        False,
        "Wrong-plate reads per 1,000 confident reads: the misreads that can put an innocent driver "
        "on a hotlist hit.",
        plain="Confident reads of a different, real-looking plate, per 1,000: the misreads that "
        "can send police after an innocent driver (lower is better).",
        headline=True,
    ),
    MetricSpec(
        "availability",
        "Availability",
        "proportion",
        True,
        "Calls that returned a usable recognition / all calls.",
        section="errors",
        plain="Share of requests the reader answered.",
    ),
    MetricSpec(
        "error_rate",
        "Error rate",
        "proportion",
        False,
        "Failed calls / all calls (overall, and by error kind under by_kind).",
        section="errors",
        plain="Share of requests that failed (lower is better).",
    ),
    MetricSpec(
        "ece",
        "Expected calibration error",
        "proportion",
        False,
        "Count-weighted mean |observed exact-read accuracy - mean confidence| over 10 equal-width "
        "confidence bins, over reads with a confidence.",
        section="calibration",
        plain="How far the reader's confidence is from how often it is really right (lower is better).",
    ),
    MetricSpec(
        "brier",
        "Brier score",
        "squared probability",
        False,
        "Mean (confidence - exact)^2 over reads with a confidence.",
        section="calibration",
        plain="Confidence and correctness combined in one error score (lower is better).",
    ),
    MetricSpec(
        "declared_precision",
        "Precision at the declared threshold",
        "proportion",
        True,
        "Exact reads / reads kept at the vendor's declared confidence threshold.",
        section="calibration",
        plain="At the confidence level the vendor told us to act on: share of reads that were right.",
    ),
    MetricSpec(
        "declared_recall",
        "Recall at the declared threshold",
        "proportion",
        True,
        "Plates read exactly by a kept read / all plates, at the declared threshold.",
        section="calibration",
        plain="At the confidence level the vendor told us to act on: share of plates read right.",
    ),
    MetricSpec(
        "n", "Calls timed", "calls", None, "Number of calls the latency figures rest on.", section="latency"
    ),
    MetricSpec("mean", "Mean latency", "ms", False, "Arithmetic mean.", section="latency"),
    MetricSpec("min", "Minimum latency", "ms", False, "Fastest call.", section="latency"),
    MetricSpec("p50", "Median latency", "ms", False, "50th percentile (nearest rank).", section="latency"),
    MetricSpec("p90", "90th percentile latency", "ms", False, "Nearest rank.", section="latency"),
    MetricSpec("p95", "95th percentile latency", "ms", False, "Nearest rank.", section="latency"),
    MetricSpec("p99", "99th percentile latency", "ms", False, "Nearest rank.", section="latency"),
    MetricSpec("max", "Maximum latency", "ms", False, "Slowest call.", section="latency"),
)

METRICS: dict[str, MetricSpec] = {m.id: m for m in _ALL}
"""Every metric, by id."""

HEADLINE: tuple[MetricSpec, ...] = tuple(m for m in _ALL if m.headline)
"""The accuracy table of every scorecard and comparison, in order."""
BY_GROUP: tuple[MetricSpec, ...] = tuple(m for m in _ALL if m.by_group)
"""The columns of the by-tag and by-jurisdiction tables, in order."""
CALIBRATION: tuple[MetricSpec, ...] = tuple(m for m in _ALL if m.section == "calibration")
ERRORS: tuple[MetricSpec, ...] = tuple(m for m in _ALL if m.section == "errors")
LATENCY_STATS = ("p50", "p90", "p95", "p99", "max")
"""The latency figures every report shows, in order."""


def metrics_in(section: Section) -> tuple[MetricSpec, ...]:
    """The metrics of one section, in order."""
    return tuple(m for m in _ALL if m.section == section)


def latency_title(stat: str) -> str:
    """``50th percentile`` for ``p50``, ``slowest`` for ``max``, ``mean`` for ``mean``."""
    if stat == "max":
        return "slowest"
    if stat == "min":
        return "fastest"
    return f"{stat[1:]}th percentile" if stat.startswith("p") else stat


def units(metric_id: str) -> dict[str, object]:
    """``unit`` and ``higher_is_better`` of a metric, as keyword arguments for the estimate builders."""
    spec = METRICS[metric_id]
    return {"unit": spec.unit, "higher_is_better": spec.higher_is_better}


LATENCY_SERIES = ("client_ms", "vendor_ms")


class UnknownMetricPath(ValueError):
    """A rubric or query named a path no scorecard can hold."""


def resolve_path(path: str) -> MetricSpec:
    """The metric a scorecard path (relative to ``results``) names; :class:`UnknownMetricPath` if none.

    Tag and jurisdiction names are not checked (they depend on the corpus); the rest is.
    """
    parts = path.split(".")
    if parts and parts[-1] in ESTIMATE_FIELDS and parts[0] == "accuracy":
        parts = parts[:-1]
    spec: MetricSpec | None = None
    match parts:
        case ["accuracy", "overall", mid] | ["accuracy", "by_tag", _, mid]:
            spec = _in_section(mid, "accuracy")
        case ["accuracy", "by_jurisdiction", _, mid]:
            spec = _in_section(mid, "accuracy")
            spec = spec if spec and spec.per_plate else None
        case ["accuracy", "errors", "by_kind", _]:
            spec = METRICS["error_rate"]
        case ["accuracy", "errors", mid]:
            spec = _in_section(mid, "errors")
        case ["accuracy", "calibration", mid]:
            spec = _in_section(mid, "calibration")
        case ["latency", "single_stream" | "accuracy_pass", series, mid] if series in LATENCY_SERIES:
            spec = _in_section(mid, "latency")
    if spec is None:
        raise UnknownMetricPath(
            f"unknown metric path {path!r}; known paths look like: {', '.join(example_paths())}"
        )
    return spec


def _in_section(metric_id: str, section: Section) -> MetricSpec | None:
    spec = METRICS.get(metric_id)
    return spec if spec is not None and spec.section == section else None


def example_paths() -> list[str]:
    """One valid path per metric (for error messages and docs)."""
    where = {
        "accuracy": "accuracy.overall.{}",
        "errors": "accuracy.errors.{}",
        "calibration": "accuracy.calibration.{}",
        "latency": "latency.single_stream.client_ms.{}",
    }
    return [where[m.section].format(m.id) for m in _ALL]
