"""The scorecard document: the versioned JSON result of one run, and its published JSON Schema.

Everything else (Markdown, HTML, PDF, comparisons, signatures) renders from or checks this model.
``schema_version`` changes whenever a field is removed or changes meaning; adding an optional
field keeps the version. The JSON Schema published next to this module
(``scorecard.schema.json``) is generated from the model and a test keeps the two in sync;
regenerate it with ``python -m harness.scorecard.model``.

Adding a section: add an optional field to :class:`Results` (or :class:`Provenance`) with its
own model and a docstring, regenerate the schema, and register a Markdown renderer for it with
:func:`harness.report.markdown.register_section`. Optional sections default to ``None`` and
are omitted from the JSON when absent, so older scorecards stay valid.

No field may hold plate text or a credential: per-sample outcomes are keyed by image sha256 and
say only ``correct``/``incorrect``/``error``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from harness.metrics.spec import UNIT_RANGES, metrics_in

SCHEMA_VERSION = 2
"""The format version this code writes and reads."""

CANONICAL_FORM = "platebench-c14n-1"
"""Name of the canonical JSON form the integrity hash is computed over (see ``integrity.py``)."""

SCHEMA_PATH = Path(__file__).with_name("scorecard.schema.json")

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Proportion = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""Lower-case hex sha256."""
SampleOutcome = Literal["correct", "incorrect", "error"]
ControlResult = Literal["PASS", "FAIL", "PARTIAL", "ATTESTED", "NOT-APPLICABLE", "INCONCLUSIVE"]
Comparator = Literal[">=", "<=", ">", "<", "=="]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, use_attribute_docstrings=True, populate_by_name=True
    )
    """Unknown members are refused (``additionalProperties: false``) and values are never coerced:
    a figure written as a string, or a count as ``true``, is an error, not a number."""


# --------------------------------------------------------------------------- provenance


class GitInfo(_Model):
    """The platebench source the run used, when it ran from a git checkout."""

    commit: str
    """Full commit hash of ``HEAD``."""
    dirty: bool
    """True when the checkout had uncommitted changes to tracked files."""


class AdapterRef(_Model):
    """Which adapter drove the vendor."""

    name: str
    """Registry name (``vendors.toml`` key or built-in name)."""
    adapter: str
    """The registered adapter the name resolves to, e.g. ``platerecognizer``."""
    class_path: str
    """``module:Class`` of the adapter implementation."""
    kind: str
    """``in-process``, ``http``, ``cli`` or ``camera``."""


class VendorRef(_Model):
    """Who the vendor said it was before the run (from ``Adapter.info()``)."""

    vendor: str
    product: str = ""
    version: str = ""
    declared_threshold: float | None = None
    """Confidence at or above which the vendor says a read should be acted on (0-1)."""


class CorpusRef(_Model):
    """The corpus the run used, identified by its manifest hash."""

    name: str
    format: str
    """How it was read: ``manifest``, ``openalpr``, ``csv``..."""
    version: str = "1"
    manifest_sha256: Sha256
    samples: Count
    """Number of samples in the corpus."""


class RubricRef(_Model):
    """The rubric the requirements came from."""

    name: str
    sha256: Sha256
    """sha256 of the rubric file's bytes."""


class RunOptions(_Model):
    """Options that change what was measured."""

    limit: int | None = None
    """Only the first N samples of the corpus (in corpus order) were run."""
    concurrency: Annotated[int, Field(ge=1)]
    """Calls in flight at once during the accuracy/single-stream pass."""
    iou_threshold: Proportion
    """Box IoU at or above which a read's box matches a ground-truth plate."""
    top_n: Annotated[int, Field(ge=1)]
    """Candidates considered by the top-N read metric."""
    timing: Literal["client", "worker"] = "client"
    """What ``client_ms`` measures: ``client`` = around the call in the calling process;
    ``worker`` = around ``recognize`` inside a process-pool worker (the engine call itself)."""
    scenarios: list[str] = Field(default_factory=list)
    """Load scenarios run after the accuracy pass (empty: none)."""
    seed: int | None = None
    """Seed of the server scenario's Poisson arrival times (``None``: no load scenario)."""
    transport: dict[str, Any] | None = None
    """Time-outs and limits of the HTTP transport (``connect_timeout_s``, ``read_timeout_s``,
    ``total_timeout_s``, ``max_body_bytes``...) for network vendors; ``None`` for local engines."""
    retry: dict[str, Any] | None = None
    """Retry policy of the accuracy pass and the load scenarios (``max_attempts`` 1: no retries)."""
    load: dict[str, Any] | None = None
    """The load plan as run (scenarios, rate, duration or queries, bound, percentile, seed...)."""
    resumed: bool = False
    """True when the run was continued from a journal after an interruption."""
    bench: str | None = None
    """The camera bench of ``--bench`` as given: a plan run on the simulated bench, or the folder of a
    bench run with real cameras (``None``: no bench; its plan and journal hashes are in ``results.roadside``)."""
    perturb: list[str] = Field(default_factory=list)
    """Perturbation sweeps (``NAME=L1,L2,...``) sent besides the corpus images (empty: none)."""
    perturb_seed: int | None = None
    """Seed of the perturbations' random draws (``None``: no sweep)."""
    probes: dict[str, Any] | None = None
    """The memorisation and caching probes' plan (seed, images probed, near-duplicates); ``None``: no probes."""


class Machine(_Model):
    """The machine the harness ran on (not the vendor's)."""

    cpu: str
    cores: Annotated[int, Field(ge=1)]
    memory_bytes: int | None = None
    os: str
    python: str

    def describe(self) -> str:
        """One line for benchmark output: CPU, cores, memory, OS and Python."""
        memory = f", {self.memory_bytes / 2**30:.0f} GiB" if self.memory_bytes else ""
        return f"{self.cpu}, {self.cores} cores{memory}, {self.os}, Python {self.python}"


class RunConditions(_Model):
    """How busy the harness's machine was while the accuracy pass ran. It moves the latency of an
    engine that runs on that machine, not its accuracy."""

    load_average_start: NonNegative | None = None
    """The machine's 1-minute load average when the accuracy pass started (``None``: not available)."""
    load_average_end: NonNegative | None = None
    """The same when it ended."""
    cpu_ms_per_image: NonNegative | None = None
    """CPU time the harness and its worker processes spent per image sent in the accuracy pass: for an
    engine on this machine, a cost that does not grow when other jobs share the CPU."""


class PrivacyCheck(_Model):
    """How this run checked the privacy controls (absent when it did not try: ``--no-privacy``)."""

    method: Literal["reference-server", "vendor-sandbox", "not-tested"]
    """``reference-server``: the reference vendor's HTTP server, started by the harness on a loopback
    port (the accuracy pass ran the same vendor's recognizer in-process); ``vendor-sandbox``: the
    vendor's own RFP evaluation API sandbox; ``not-tested``: no API to test through."""
    detail: str
    """The same in words, with the reason when nothing could be tested."""
    reference_flaws: list[str] = Field(default_factory=list)
    """Deliberate flaws the reference server was started with (demonstrations only)."""
    attestations_sha256: Sha256 | None = None
    """sha256 of the vendor attestation file's bytes, when one was given."""


class Provenance(_Model):
    """Where the figures come from: software, vendor, corpus, rubric, options, machine, time."""

    run_id: str
    platebench_version: str
    git: GitInfo | None = None
    adapter: AdapterRef
    vendor: VendorRef
    corpus: CorpusRef
    rubric: RubricRef
    options: RunOptions
    machine: Machine
    started_at: str
    """UTC, ISO 8601, when the first call of the run was sent (the original start on resume)."""
    ended_at: str
    """UTC, ISO 8601, when the scorecard was built."""
    privacy: PrivacyCheck | None = None
    conditions: RunConditions | None = None
    """Absent in scorecards of runs that did not record them."""


# --------------------------------------------------------------------------- results



def _estimate_model(unit: str) -> type[BaseModel]:
    """The estimate type of one unit: value and interval inside the unit's range (``UNIT_RANGES``)."""
    low, high = UNIT_RANGES[unit]
    figure = Annotated[float | None, Field(ge=low, le=high, allow_inf_nan=False)]
    name = "Estimate_" + "".join(ch if ch.isalnum() else "_" for ch in unit).strip("_")
    return create_model(
        name,
        __base__=_Model,
        __doc__=f"A figure in {unit} with its n and 95% confidence interval (``None`` when n is 0).",
        value=(figure, ...),
        n=(Count, ...),
        ci_low=(figure, ...),
        ci_high=(figure, ...),
        unit=(Literal[unit], ...),  # type: ignore[valid-type]
        higher_is_better=(bool | None, ...),
        method=(str, ...),
    )


ESTIMATES: dict[str, type[BaseModel]] = {unit: _estimate_model(unit) for unit in UNIT_RANGES}
"""Estimate type by unit (``harness.metrics.stats.Estimate`` in its JSON form)."""


def _figures_model(name: str, doc: str, *, per_plate_only: bool = False) -> type[BaseModel]:
    """A model with one estimate field per accuracy metric (spec order, spec units)."""
    fields: dict[str, Any] = {
        m.id: (ESTIMATES[m.unit], Field(description=m.title))
        for m in metrics_in("accuracy")
        if m.per_plate or not per_plate_only
    }
    return create_model(name, __base__=_Model, __doc__=doc, **fields)


AccuracyFigures = _figures_model(
    "AccuracyFigures", "Every accuracy metric of one group of samples (harness.metrics.spec)."
)
PlateFigures = _figures_model(
    "PlateFigures", "The per-plate accuracy metrics of one jurisdiction's plates.", per_plate_only=True
)
Rate = ESTIMATES["proportion"]
"""A proportion (0-1) with its interval."""
SquaredProbability = ESTIMATES["squared probability"]


class ErrorFigures(_Model):
    """The one summary of failed calls: counted by kind, and as availability (every figure Wilson)."""

    calls: Count
    failed: Count
    availability: Rate  # type: ignore[valid-type]
    """Calls that returned a usable recognition / all calls."""
    error_rate: Rate  # type: ignore[valid-type]
    by_kind: dict[str, Rate]  # type: ignore[valid-type]
    """Error kind -> its share of all calls (``n`` is all calls, the count is ``value * n``)."""


class ReliabilityBin(_Model):
    """One equal-width confidence bin of the reliability diagram."""

    low: Proportion
    high: Proportion
    count: Count
    mean_confidence: Proportion | None
    accuracy: Proportion | None


class SweepPoint(_Model):
    """Precision and recall when reads below ``threshold`` are ignored."""

    threshold: Proportion
    reads_kept: Count
    precision: Proportion | None
    recall: Proportion | None
    declared: bool


class Calibration(_Model):
    """How far the reader's confidence can be trusted."""

    reads_with_confidence: Count
    reads_without_confidence: Count
    reads_with_confidence_out_of_range: Count
    ece: Rate  # type: ignore[valid-type]
    brier: SquaredProbability  # type: ignore[valid-type]
    bins: list[ReliabilityBin]
    threshold_sweep: list[SweepPoint]
    declared_threshold: Proportion | None
    declared_reads_kept: Count | None
    declared_precision: Rate  # type: ignore[valid-type]
    declared_recall: Rate  # type: ignore[valid-type]


class AccuracyCounts(_Model):
    """What the accuracy figures rest on."""

    samples: Count
    """Samples scored (the images the run sent, out of ``provenance.corpus.samples``)."""
    plates: Count
    plates_with_box: Count
    reads: Count
    boxes_reported: bool


class BootstrapSettings(_Model):
    resamples: Count
    seed: int
    method: str


class AccuracySettings(_Model):
    """The rules the accuracy figures were computed with."""

    iou_threshold: Proportion
    declared_threshold: Proportion | None
    top_n: Annotated[int, Field(ge=1)]
    confidence_level: Proportion
    bootstrap: BootstrapSettings
    calibration_bins: Annotated[int, Field(ge=1)]
    matching_rule: str
    plausible_plate_rule: str
    wrong_plate_rule: str


class AccuracyResults(_Model):
    """Output of ``harness.metrics.score_accuracy``: overall, by tag and jurisdiction, errors, calibration."""

    overall: AccuracyFigures  # type: ignore[valid-type]
    by_tag: dict[str, AccuracyFigures]  # type: ignore[valid-type]
    """``key=value`` tag -> the figures over the samples with that tag."""
    by_jurisdiction: dict[str, PlateFigures]  # type: ignore[valid-type]
    """Jurisdiction -> the per-plate figures over its plates."""
    errors: ErrorFigures
    calibration: Calibration
    counts: AccuracyCounts
    settings: AccuracySettings


Milliseconds = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]
Interval = Annotated[list[NonNegative], Field(min_length=2, max_length=2)]
"""A 95% interval ``[low, high]``."""


class LatencySeries(_Model):
    """Percentiles (nearest rank) of one series of latencies, with bootstrap CIs of p50 and p95."""

    n: Count
    unit: Literal["ms"]
    percentile_method: str
    ci_method: str
    mean: Milliseconds
    min: Milliseconds
    p50: Milliseconds
    p90: Milliseconds
    p95: Milliseconds
    p99: Milliseconds
    max: Milliseconds
    p50_ci: Interval | None
    p95_ci: Interval | None
    cdf: list[NonNegative] | None
    """The percentiles 0, 1, ..., 100 (for drawing the distribution)."""


class LatencyFigures(_Model):
    """Client-observed and vendor-reported latency of one set of calls."""

    client_ms: LatencySeries
    """Calls the vendor answered (failed calls never count as latency: a vendor that errors fast earns nothing)."""
    vendor_ms: LatencySeries
    failed_ms: LatencySeries | None = None
    """How long the failed calls took, reported apart (``None`` in scorecards made before it was recorded)."""


class AccuracyPassLatency(LatencyFigures):
    """Every call of the accuracy pass, timed as it ran: ``in_flight`` calls at once."""

    in_flight: Annotated[int, Field(ge=1)]
    """Calls in flight at once (the run's concurrency). Above 1 these are not single-stream figures."""


class SingleStreamLatency(LatencyFigures):
    """Latency with exactly one call in flight: what single-stream requirements are judged on."""

    source: Literal["accuracy-pass", "single-stream-scenario"]
    """``accuracy-pass``: the accuracy pass ran one call at a time; ``single-stream-scenario``: the
    single-stream load scenario (no bootstrap intervals, no vendor-reported series)."""


class LatencyResults(_Model):
    """Latency of the accuracy pass, and single-stream latency when it was measured."""

    accuracy_pass: AccuracyPassLatency
    single_stream: SingleStreamLatency | None = None
    """Absent when no measurement had exactly one call in flight (the accuracy pass ran several at
    once and the single-stream scenario was not run): single-stream requirements are then not met,
    as not measured."""


class LoadScenarioResult(_Model):
    """One load scenario (MLPerf LoadGen terms: ``single-stream``, ``server`` or ``offline``)."""

    scenario: str
    target_qps: NonNegative | None = None
    achieved_qps: NonNegative
    concurrency: Annotated[int, Field(ge=1)] | None = None
    duration_s: NonNegative
    n: Count
    latency_ms: dict[str, Milliseconds]
    """Percentiles (``p50``, ``p90``, ``p99``, ``max``...) counted from the scheduled send time."""
    errors: dict[str, Count] = Field(default_factory=dict)
    """Error kind -> count."""
    timeouts: Count = 0
    latency_bound_ms: NonNegative | None = None
    bound_met: bool | None = None
    """The bound held for ``percentile`` at 99% confidence (MLPerf LoadGen early stopping);
    ``None`` without a bound."""
    availability: Proportion | None = None
    """Queries answered / queries sent; ``None`` when none was sent."""
    percentile: Proportion | None = None
    """The percentile (0-1) the latency bound is about."""
    warnings: list[str] = Field(default_factory=list)
    """E.g. a run too short to support the percentile it reports (early stopping)."""


class ControlOutcome(_Model):
    """One privacy control's result."""

    id: str
    title: str
    result: ControlResult
    message: str = ""
    evidence_sha256: Sha256 | None = None


class PrivacyExploration(_Model):
    """The second pass: random action sequences judged by the policy model (``docs/privacy-exploration.md``)."""

    seed: int
    budget: dict[str, float]
    """``actions`` and ``seconds``: the exploration stopped at whichever came first."""
    examples: int
    actions: int
    seconds: float
    model: str
    """The policy the model was configured with (name and version)."""
    diverged_controls: list[str]
    """Controls a divergence failed; each control's evidence holds its shortest reproducing sequence."""
    unavailable: str | None = None
    """Why the exploration could not run (e.g. the sandbox offers no reset), if it could not."""


class PrivacyResults(_Model):
    """Privacy controls checked through the vendor's sandbox."""

    controls: list[ControlOutcome]
    evidence_bundle_sha256: Sha256 | None = None
    seed: int | None = None
    """The seed the suite's test traffic (and its exploration) was drawn from: the same seed draws the
    same plates, names, case numbers and phrasings again."""
    exploration: PrivacyExploration | None = None


class ConformanceFinding(_Model):
    """One vendor response that broke the published RFP evaluation API: where and what, never a value."""

    source: Literal["recognition", "privacy-sandbox"]
    """``recognition``: the accuracy pass (``/v1/info``, ``/v1/recognize``); ``privacy-sandbox``: the
    privacy suite's calls."""
    method: str
    path: str
    status: int | None = None
    field: str
    """Where: ``status``, ``content-type``, ``body`` or a JSON path such as ``reads[0].confidence``."""
    message: str
    """The rule broken."""


class RequirementResult(_Model):
    """One rubric line, judged."""

    id: str
    title: str
    metric: str
    """Path into ``results``, e.g. ``accuracy.overall.exact_read.value``."""
    comparator: Comparator
    threshold: bool | float | str
    """A number, a privacy result code (``PASS``...) for a ``privacy.controls.<id>.result`` path, or
    true/false for a ``load.<scenario>.bound_met`` path."""
    mandatory: bool
    weight: NonNegative
    """0 for mandatory requirements."""
    observed: bool | float | str | None
    """The measured value (a result code for a privacy control, true/false for a bound); ``None`` when
    it could not be measured."""
    passed: bool
    applicable: bool = True
    """False when the requirement does not apply to this run: to this kind of vendor (the rubric runs no
    such load scenario for it), or a roadside figure and no camera bench. It then neither blocks
    eligibility nor counts in the score's maximum."""
    reason: str
    """Why it passed or not, in words (e.g. ``0.912 >= 0.9``, ``not met: not measured``)."""


class Score(_Model):
    """The rubric's verdict."""

    weighted: Proportion | None
    """Sum of the weights of met weighted requirements / sum of all weights (0-1); ``None`` if none."""
    points: NonNegative
    """Sum of the weights of met weighted requirements."""
    max: NonNegative
    """Sum of all weights."""
    mandatory_passed: bool
    """Every mandatory requirement met."""
    eligible: bool
    """The bid can be awarded on this rubric: every mandatory requirement met."""


class RobustnessPoint(_Model):
    """One level of a sweep: the accuracy figures on the images perturbed at that level."""

    level: float
    key: str
    """The level as written in sample ids and ``--perturb`` (``7``, ``0.25``)."""
    figures: AccuracyFigures  # type: ignore[valid-type]
    not_applicable: Count
    """Samples the operator could not be applied to (it aims at a plate box and none is labelled)."""
    samples: dict[Sha256, SampleOutcome]
    """Outcome by perturbed image sha256 (the same seed makes the same images for every vendor: pairwise tests)."""


class BreakingPoint(_Model):
    """Where a rubric requirement on an overall accuracy figure stops being met along one sweep."""

    requirement: str
    metric: str
    level: float | None
    """The mildest level at which it is not met; ``None``: met at every level swept."""
    reason: str


class RobustnessCurve(_Model):
    """One perturbation sweep: what its level means and one point per level, mildest first."""

    title: str
    condition: str
    unit: str
    level_meaning: str
    points: list[RobustnessPoint]
    worst: AccuracyFigures  # type: ignore[valid-type]
    """The figures at the harshest level swept (``robustness.operators.<operator>.worst.<metric>`` in a rubric)."""
    breaking_points: list[BreakingPoint]


class RobustnessResults(_Model):
    """"How it degrades": accuracy under perturbations of the corpus images (``docs/robustness.md``)."""

    seed: int
    """Seed of the perturbations' random draws (recipes in the journal make every image again)."""
    operators: dict[str, RobustnessCurve]


class SplitGap(_Model):
    """The test of the gap between public and sequestered exact plate reads."""

    difference: Annotated[float, Field(ge=-1, le=1)]
    """Public minus sequestered exact plate read rate."""
    p_value: Proportion
    level: Proportion
    significant: bool
    test: str


class SplitResults(_Model):
    """Figures on the published and on the never-published images, and their gap."""

    public: AccuracyFigures  # type: ignore[valid-type]
    sequestered: AccuracyFigures  # type: ignore[valid-type]
    gap: SplitGap


class ProbeResult(_Model):
    """One memorisation or caching probe: its exact test and the evidence (counts, never plate text)."""

    id: str
    title: str
    status: Literal["passed", "flagged", "not-run"]
    flagged: bool | None
    p_value: Proportion | None
    alpha: Proportion
    n: Count
    """Observations the test rests on (discordant images, canary matches, plates, timed pairs)."""
    null: str
    """The null hypothesis (what an honest engine does) the test rejects when it flags."""
    evidence: str


class ProbeResults(_Model):
    """Memorisation and caching probes (MLPerf TEST01/TEST04 in spirit)."""

    seed: int
    images: Count
    near_duplicates: list[str]
    canaries: Count
    alpha: Proportion
    figures: dict[str, Rate]  # type: ignore[valid-type]
    """``agreement`` (near-duplicates read like their original), ``originals_exact``, ``near_duplicates_exact``."""
    checks: dict[str, ProbeResult]
    flagged: list[str]


PerTenThousand = ESTIMATES["per 10,000"]


class HotlistResults(_Model):
    """Simulated hotlist alerts on innocent plates (near misses planted on the list; no plate text here)."""

    listed: Count
    confident_reads: Count
    alerts: Count
    false_alerts_per_10000: PerTenThousand  # type: ignore[valid-type]
    by_kind: dict[str, PerTenThousand]  # type: ignore[valid-type]
    rule: str


class Results(_Model):
    """The measurements and the rubric's verdict."""

    accuracy: AccuracyResults
    latency: LatencyResults
    load: list[LoadScenarioResult] | None = None
    privacy: PrivacyResults | None = None
    conformance: list[ConformanceFinding] | None = None
    """Spec-conformance failures of a vendor driven through the RFP evaluation API (``evalapi``);
    absent for adapters that do not speak it, empty when every response conformed."""
    roadside: dict[str, Any] | None = None
    """The camera bench's section "At the roadside" (``harness.bench.section``): figures per camera and
    route, counts of pushes, device facts; absent when no bench was run."""
    robustness: RobustnessResults | None = None
    """How it degrades under perturbation sweeps; absent when none was run."""
    split: SplitResults | None = None
    """Public against sequestered images; absent unless the corpus has both."""
    probes: ProbeResults | None = None
    """Memorisation and caching probes; absent unless ``--probes``."""
    hotlist: HotlistResults | None = None
    """Simulated hotlist false alerts; absent in scorecards made before it was reported."""
    requirements: list[RequirementResult]
    score: Score


# --------------------------------------------------------------------------- integrity


class Signature(_Model):
    """A signature over the canonical form (same bytes as the sha256)."""

    alg: Literal["ed25519"]
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")]
    """Base64 of the raw 32-byte Ed25519 public key."""
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{86}==$")]
    """Base64 of the 64-byte signature."""


class Integrity(_Model):
    """How to check the document was not changed."""

    canonical: Literal["platebench-c14n-1"] = CANONICAL_FORM
    sha256: Sha256
    """Hex sha256 of the canonical form of the document without this field."""
    signature: Signature | None = None


class ScorecardBody(_Model):
    """A scorecard before it is sealed: everything the integrity hash covers."""

    schema_version: Literal[2] = SCHEMA_VERSION
    provenance: Provenance
    results: Results
    samples: dict[Sha256, SampleOutcome]
    """Per-sample outcome keyed by image sha256 (no plate text), for pairwise comparison."""

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict, optional sections that are absent left out."""
        return self.model_dump(mode="json", exclude_none=False, exclude=_absent_sections(self))

    @property
    def scored(self) -> int:
        """Samples scored in this run (the corpus may hold more: ``provenance.corpus.samples``)."""
        return len(self.samples)


class Scorecard(ScorecardBody):
    """The result of one run of one vendor on one corpus with one rubric, sealed."""

    integrity: Integrity
    """The hash (and optional signature) over the canonical form of everything else."""

    def redacted(self, plates: tuple[str, ...] = ()) -> Scorecard:
        """A copy with credentials and the given plate strings removed from every string."""
        from harness.redact import redact_value

        return Scorecard.model_validate(redact_value(self.to_json_dict(), plates))


def _absent_sections(card: ScorecardBody) -> dict[str, Any]:
    """Optional top-level/results sections that are ``None`` (omitted rather than written as null)."""
    exclude: dict[str, Any] = {}
    absent: dict[str, Any] = {
        name: True for name in ("load", "privacy", "conformance", "robustness", "split", "probes", "hotlist")
        if getattr(card.results, name) is None
    }
    if card.results.latency.single_stream is None:
        absent["latency"] = {"single_stream"}
    if absent:
        exclude["results"] = absent
    absent_provenance = {name for name in ("privacy", "conditions") if getattr(card.provenance, name) is None}
    if absent_provenance:
        exclude["provenance"] = absent_provenance
    if isinstance(card, Scorecard) and card.integrity.signature is None:
        exclude["integrity"] = {"signature"}
    return exclude


def json_schema() -> dict[str, Any]:
    """The scorecard's JSON Schema (draft 2020-12), as published in ``scorecard.schema.json``."""
    schema = Scorecard.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:platebench:scorecard:v{SCHEMA_VERSION}",
        **schema,
    }


def schema_text() -> str:
    """The schema file's exact text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
