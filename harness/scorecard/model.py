"""The scorecard document: the versioned JSON result of one run, and its published JSON Schema.

Everything else (Markdown, HTML, PDF, comparisons, signatures) renders from or checks this model.
``schema_version`` changes whenever a field is removed or changes meaning; adding an optional
field keeps the version. The JSON Schema published next to this module
(``scorecard.schema.json``) is generated from the model and a test keeps the two in sync;
regenerate it with ``python -m harness.scorecard.model``.

Adding a section: add an optional field to :class:`Results` (or :class:`Provenance`) with its
own model and a docstring, regenerate the schema, and register a Markdown renderer for it with
:func:`harness.scorecard.markdown.register_section`. Optional sections default to ``None`` and
are omitted from the JSON when absent, so older scorecards stay valid.

No field may hold plate text or a credential: per-sample outcomes are keyed by image sha256 and
say only ``correct``/``incorrect``/``error``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
"""The format version this code writes and reads."""

CANONICAL_FORM = "platebench-c14n-1"
"""Name of the canonical JSON form the integrity hash is computed over (see ``integrity.py``)."""

SCHEMA_PATH = Path(__file__).with_name("scorecard.schema.json")

SampleOutcome = Literal["correct", "incorrect", "error"]
ControlResult = Literal["PASS", "FAIL", "PARTIAL", "ATTESTED", "NOT-APPLICABLE", "INCONCLUSIVE"]
Comparator = Literal[">=", "<=", ">", "<", "=="]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, populate_by_name=True)


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
    manifest_sha256: str
    samples: int
    """Number of samples in the corpus."""


class RubricRef(_Model):
    """The rubric the requirements came from."""

    name: str
    sha256: str
    """sha256 of the rubric file's bytes."""


class RunOptions(_Model):
    """Options that change what was measured."""

    limit: int | None = None
    """Only the first N samples of the corpus (in corpus order) were run."""
    concurrency: int
    """Calls in flight at once during the accuracy/single-stream pass."""
    iou_threshold: float
    """Box IoU at or above which a read's box matches a ground-truth plate."""
    top_n: int
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


class Machine(_Model):
    """The machine the harness ran on (not the vendor's)."""

    cpu: str
    cores: int
    memory_bytes: int | None = None
    os: str
    python: str

    def describe(self) -> str:
        """One line for benchmark output: CPU, cores, memory, OS and Python."""
        memory = f", {self.memory_bytes / 2**30:.0f} GiB" if self.memory_bytes else ""
        return f"{self.cpu}, {self.cores} cores{memory}, {self.os}, Python {self.python}"


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
    attestations_sha256: str | None = None
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


# --------------------------------------------------------------------------- results


class LatencyResults(_Model):
    """Latency per scenario; ``single_stream`` comes from every call of the accuracy pass."""

    single_stream: dict[str, Any]
    """Output of ``harness.metrics.score_latency`` (client-observed and vendor-reported)."""


class LoadScenarioResult(_Model):
    """One load scenario (MLPerf LoadGen terms: ``single-stream``, ``server`` or ``offline``)."""

    scenario: str
    target_qps: float | None = None
    achieved_qps: float
    concurrency: int | None = None
    duration_s: float
    n: int
    latency_ms: dict[str, float | None]
    """Percentiles (``p50``, ``p90``, ``p99``, ``max``...) counted from the scheduled send time."""
    errors: dict[str, int] = Field(default_factory=dict)
    """Error kind -> count."""
    timeouts: int = 0
    latency_bound_ms: float | None = None
    bound_met: bool | None = None
    """The bound held for ``percentile`` at 99% confidence (MLPerf LoadGen early stopping);
    ``None`` without a bound."""
    availability: float | None = None
    """Queries answered / queries sent; ``None`` when none was sent."""
    percentile: float | None = None
    """The percentile (0-1) the latency bound is about."""
    warnings: list[str] = Field(default_factory=list)
    """E.g. a run too short to support the percentile it reports (early stopping)."""


class ErrorSummary(_Model):
    """Failed calls are measurements: counted by kind, and as availability."""

    calls: int
    ok: int
    by_kind: dict[str, int]
    availability: float | None
    """``ok / calls``; ``None`` when no call was made."""


class ControlOutcome(_Model):
    """One privacy control's result."""

    id: str
    title: str
    result: ControlResult
    message: str = ""
    evidence_sha256: str | None = None


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
    evidence_bundle_sha256: str | None = None
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
    weight: float
    """0 for mandatory requirements."""
    observed: bool | float | str | None
    """The measured value (a result code for a privacy control, true/false for a bound); ``None`` when
    it could not be measured."""
    passed: bool
    reason: str
    """Why it passed or not, in words (e.g. ``0.912 >= 0.9``, ``not met: not measured``)."""
    applicable: bool = True
    """False when the requirement does not apply to this run (a roadside figure and no camera bench):
    it then counts neither for the score nor for eligibility."""


class Score(_Model):
    """The rubric's verdict."""

    weighted: float | None
    """Sum of the weights of met weighted requirements / sum of all weights (0-1); ``None`` if none."""
    points: float
    """Sum of the weights of met weighted requirements."""
    max: float
    """Sum of all weights."""
    mandatory_passed: bool
    """Every mandatory requirement met."""
    eligible: bool
    """The bid can be awarded on this rubric: every mandatory requirement met."""


class Results(_Model):
    """The measurements and the rubric's verdict."""

    accuracy: dict[str, Any]
    """Output of ``harness.metrics.score_accuracy`` (overall and by tag, each figure with n and CI)."""
    latency: LatencyResults
    load: list[LoadScenarioResult] | None = None
    errors: ErrorSummary
    privacy: PrivacyResults | None = None
    conformance: list[ConformanceFinding] | None = None
    """Spec-conformance failures of a vendor driven through the RFP evaluation API (``evalapi``);
    absent for adapters that do not speak it, empty when every response conformed."""
    roadside: dict[str, Any] | None = None
    """The camera bench's section "At the roadside" (``harness.bench.section``): figures per camera and
    route, counts of pushes, device facts; absent when no bench was run."""
    requirements: list[RequirementResult]
    score: Score


# --------------------------------------------------------------------------- integrity


class Signature(_Model):
    """A signature over the canonical form (same bytes as the sha256)."""

    alg: Literal["ed25519"]
    public_key: str
    """Base64 of the raw 32-byte Ed25519 public key."""
    value: str
    """Base64 of the signature."""


class Integrity(_Model):
    """How to check the document was not changed."""

    canonical: Literal["platebench-c14n-1"] = CANONICAL_FORM
    sha256: str
    """Hex sha256 of the canonical form of the document without this field."""
    signature: Signature | None = None


class Scorecard(_Model):
    """The result of one run of one vendor on one corpus with one rubric."""

    schema_version: int = SCHEMA_VERSION
    provenance: Provenance
    results: Results
    samples: dict[str, SampleOutcome]
    """Per-sample outcome keyed by image sha256 (no plate text), for pairwise comparison."""
    integrity: Integrity | None = None
    """Absent only while the document is being built; sealed documents always carry it."""

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict, optional sections that are absent left out."""
        return self.model_dump(mode="json", exclude_none=False, exclude=_absent_sections(self))


def _absent_sections(card: Scorecard) -> dict[str, Any]:
    """Optional top-level/results sections that are ``None`` (omitted rather than written as null)."""
    exclude: dict[str, Any] = {}
    absent = {name for name in ("load", "privacy", "conformance") if getattr(card.results, name) is None}
    if absent:
        exclude["results"] = absent
    if card.provenance.privacy is None:
        exclude["provenance"] = {"privacy"}
    if card.integrity is None:
        exclude["integrity"] = True
    elif card.integrity.signature is None:
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
