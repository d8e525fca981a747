"""What a scorecard says in words: result codes with their words and colours, how privacy was
checked, who was scored and why a bid is ineligible. The same in every rendering (Markdown, HTML,
PDF, CSV, XLSX, plots) and in the comparison.

A privacy control's code (PASS, FAIL, PARTIAL, ATTESTED, NOT-APPLICABLE, INCONCLUSIVE) travels
with it into every requirements table: an untested control never reads FAIL. A requirement adds
its own verdict (met / not met / not applicable), and the method of the privacy check says how a
code was obtained.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.rubric import OVERLOAD_PER_CORE
from harness.scorecard.model import LoadScenarioResult, RequirementResult, Scorecard


@dataclass(frozen=True)
class Code:
    """How one result code is shown."""

    words: str
    """What the code means, in a few words."""
    colour: str
    """Fill colour (hex) of a cell or plot tile with this code."""
    css: str
    """CSS class of an HTML cell with this code."""


CODES: dict[str, Code] = {
    "PASS": Code("demonstrated through the vendor's API", "#2e8540", "pass"),
    "FAIL": Code("a violation was demonstrated", "#c0392b", "fail"),
    "PARTIAL": Code("no data leaked, but not as the contract says", "#e08e0b", "partial"),
    "ATTESTED": Code("the vendor's signed statement only, never a pass", "#8d5a97", "attested"),
    "NOT-APPLICABLE": Code("the capability verifiably does not exist", "#7d7d7d", "na"),
    "INCONCLUSIVE": Code("not tested: re-test before award", "#b8860b", "inconclusive"),
}
"""Privacy control result codes, in the suite's order."""

VERDICTS: dict[str, Code] = {
    "met": Code("requirement met", "#2e8540", "pass"),
    "not met": Code("requirement not met", "#c0392b", "fail"),
    "not applicable": Code("does not apply to this kind of vendor", "#7d7d7d", "na"),
}
"""A requirement's verdict."""

METHODS: dict[str, str] = {
    "reference-server": "reference server (the reference vendor's own HTTP server on loopback, "
    "not the product whose accuracy was scored)",
    "vendor-sandbox": "vendor sandbox (the vendor's RFP evaluation API)",
    "not-tested": "not tested (no API to test through)",
    "not-run": "not run (privacy pass turned off)",
}
"""How a bid's privacy controls were checked, in words."""

ATTESTATION_METHOD = "attestation (the vendor's signed statement)"


def legend() -> str:
    """Every code with its words, for the foot of a privacy table."""
    return " ".join(f"{code}: {c.words}." for code, c in CODES.items())


def privacy_method(method: str | None, attested: bool = False) -> str:
    """The method of a bid's privacy check in words (``None``: the pass was turned off)."""
    text = METHODS[method or "not-run"]
    return f"{text}; some controls by {ATTESTATION_METHOD}" if attested else text


SCENARIO_WORDS: dict[str, str] = {
    "single-stream": "One photo at a time, the next sent when the previous answer came back",
    "server": "Photos arriving at random times at a set average rate, as cameras would send them",
    "offline": "Many photos at once, to find the most the system can handle",
}
"""Each load scenario (MLPerf LoadGen terms) in words."""

MIN_SAMPLES = {"p50": 2, "p90": 10, "p95": 20, "p99": 100, "max": 1}
"""Below this many calls a percentile is just one of the few slowest calls, not an estimate."""


def percentile_warning(stat: str, n: int) -> str | None:
    """The too-few-samples warning that belongs next to a percentile from ``n`` calls."""
    need = MIN_SAMPLES.get(stat)
    if need is None or n == 0 or n >= need:
        return None
    return f"only {n} calls: too few for a {stat} (needs at least {need}); read it as the slowest few calls"


def load_warning(scenario: LoadScenarioResult) -> str | None:
    """The scenario's own warnings (e.g. too few queries for its percentile), in one line."""
    return "; ".join(scenario.warnings) or None


def accuracy_pass_timing(card: Scorecard) -> str:
    """How the accuracy pass's calls were timed: ``one at a time`` only when exactly one was in flight."""
    c = card.results.latency.accuracy_pass.in_flight
    return "one at a time" if c == 1 else f"accuracy pass, {c} calls in flight at once"


def single_stream_source(card: Scorecard) -> str:
    """Where the single-stream figures come from, in words (or why there are none)."""
    ss = card.results.latency.single_stream
    if ss is None:
        return (
            f"not measured: the accuracy pass ran {card.results.latency.accuracy_pass.in_flight} calls at once "
            "and the single-stream load scenario was not run"
        )
    if ss.source == "accuracy-pass":
        return "the accuracy pass, which ran one call at a time"
    return "the single-stream load scenario (one query at a time, each sent when the previous answer came back)"


def peak_load_per_core(card: Scorecard) -> float | None:
    """The higher of the load averages at the start and end of the accuracy pass, per core."""
    c = card.provenance.conditions
    loads = [x for x in ((c.load_average_start, c.load_average_end) if c else ()) if x is not None]
    return max(loads) / card.provenance.machine.cores if loads else None


def overloaded(card: Scorecard) -> bool:
    """True when the harness's machine was busier than it has cores during the accuracy pass."""
    peak = peak_load_per_core(card)
    return peak is not None and peak > OVERLOAD_PER_CORE


def conditions_text(card: Scorecard) -> str:
    """The machine's load and CPU time per image, in words."""
    c = card.provenance.conditions
    if c is None:
        return "not recorded"
    cores = card.provenance.machine.cores
    loads = " to ".join(f"{x:.1f}" for x in (c.load_average_start, c.load_average_end) if x is not None)
    parts = []
    if loads:
        peak = peak_load_per_core(card) or 0.0
        state = "overloaded: other jobs competed for the CPU" if overloaded(card) else "not overloaded"
        parts.append(f"load average {loads} on {cores} cores ({peak:.1f} per core, {state})")
    if c.cpu_ms_per_image is not None:
        parts.append(f"{c.cpu_ms_per_image:,.0f} ms of CPU per image")
    return "; ".join(parts) or "not recorded"


def bid_name(card: Scorecard) -> str:
    """Who was scored, in a few words: the vendor and product as declared (``platebench reference
    recognizer``); the adapter's name when the vendor declared neither."""
    v = card.provenance.vendor
    return " ".join(part for part in (v.vendor, v.product) if part) or card.provenance.adapter.name


def vendor_title(card: Scorecard) -> str:
    """Who was scored, with the version (``platebench reference recognizer, version 1.4``)."""
    version = card.provenance.vendor.version
    return f"{bid_name(card)}, version {version}" if version else bid_name(card)


def samples_text(card: Scorecard) -> str:
    """``60 of 222 images`` (or ``40 images`` when the whole corpus was scored)."""
    scored, total = card.scored, card.provenance.corpus.samples
    return f"{scored} images" if scored == total else f"{scored} of {total} images"


TITLED_GATES = 3
"""Up to this many failed gates are named with their titles; more are named by id only."""


def eligibility_text(card: Scorecard, *, named: int | None = None) -> str:
    """``eligible: ...`` or ``not eligible: fails 2 mandatory requirement(s): ACU-01 (Exact plate
    reads), PC-SHR-01 (...)``: every failed gate, with its title when there are few; with ``named``,
    at most that many, the rest counted."""
    if card.results.score.eligible:
        return "eligible: every mandatory requirement met"
    failed = failed_gates(card)
    titled = len(failed) <= TITLED_GATES and named is None
    shown = [f"{r.id} ({r.title})" if titled else r.id for r in failed[:named]]
    more = len(failed) - len(shown)
    listed = ", ".join(shown) + (f" and {more} more" if more else "")
    return f"not eligible: fails {len(failed)} mandatory requirement(s): {listed}"


AVAILABILITY_METRIC = "accuracy.errors.availability.value"
"""The rubric path of the accuracy pass's share of calls answered."""


def availability_warning(card: Scorecard) -> str | None:
    """When fewer calls were answered than a rubric requirement on availability asks: a sentence every
    rendering puts first, because each accuracy figure then counts the failed calls as unread plates."""
    floors = [r for r in card.results.requirements if r.metric == AVAILABILITY_METRIC and r.applicable and not r.passed]
    if not floors:
        return None
    errors = card.results.accuracy.errors
    answered = errors.availability.value
    shown = "n/a" if answered is None else f"{100 * answered:.1f}%"
    floor = floors[0]
    return (f"Only {shown} of the calls were answered ({errors.calls - errors.failed} of {errors.calls}), under the "
            f"rubric's floor of {100 * float(floor.threshold):.1f}% ({floor.id}): every accuracy figure counts the "
            f"{errors.failed} failed calls as unread plates.")


def privacy_method_text(card: Scorecard) -> str:
    """How this bid's privacy controls were checked, in words."""
    check = card.provenance.privacy
    controls = card.results.privacy.controls if card.results.privacy else []
    attested = any(c.result == "ATTESTED" for c in controls)
    return privacy_method(check.method if check else None, attested)


def flaws_text(card: Scorecard) -> str:
    """The deliberate flaws of a demonstration run, or ``none``."""
    check = card.provenance.privacy
    flaws = check.reference_flaws if check else []
    return "deliberately flawed: " + ", ".join(flaws) if flaws else "none"


def requirement_verdict(req: RequirementResult) -> str:
    """``met``, ``not met`` or ``not applicable``."""
    if not req.applicable:
        return "not applicable"
    return "met" if req.passed else "not met"


def failed_gates(card: Scorecard) -> list[RequirementResult]:
    """The mandatory requirements a bid does not meet."""
    return [r for r in card.results.requirements if r.mandatory and requirement_verdict(r) == "not met"]


def _seconds(value: Any) -> str:
    return f"{value:g} s" if isinstance(value, int | float) else str(value)


def options_text(card: Scorecard) -> str:
    """The run options that change what was measured, as a sentence (no raw Python values)."""
    o = card.provenance.options
    parts = [
        f"first {o.limit} images of the corpus" if o.limit else "every image of the corpus",
        f"{o.concurrency} call(s) in flight at once in the accuracy pass",
        f"boxes matched at IoU >= {o.iou_threshold:g}",
        f"top-{o.top_n} reads",
        "latency timed around the engine call in a worker process" if o.timing == "worker"
        else "latency timed around each call in the harness",
    ]
    load = o.load or {}
    if o.scenarios:
        length = f"{_seconds(load['duration_s'])} each" if load.get("duration_s") else (
            f"{load['queries']} queries each" if load.get("queries") else ""
        )
        parts.append(f"load scenarios {', '.join(o.scenarios)}" + (f" ({length})" if length else ""))
    else:
        parts.append("no load scenario")
    if o.seed is not None and o.scenarios:
        parts.append(f"arrival seed {o.seed}")
    if o.retry:
        attempts = o.retry.get("max_attempts", 1)
        parts.append("no retries" if attempts == 1 else f"up to {attempts} attempts per call")
    if o.transport:
        timeouts = [
            f"{name.removesuffix('_timeout_s')} {_seconds(value)}"
            for name, value in o.transport.items()
            if name.endswith("_timeout_s") and value is not None
        ]
        if timeouts:
            parts.append("time-outs: " + ", ".join(timeouts))
    if o.resumed:
        parts.append("resumed after an interruption")
    return "; ".join(parts)
