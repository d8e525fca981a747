"""Accuracy over (sample, outcome) pairs: reading, detection, wrong plates, errors; overall and by tag.

Each pair is first reduced to a :class:`SampleResult` (one :class:`PlateResult` per ground-truth
plate, one :class:`ReadResult` per read) by :func:`analyze`; :func:`figures` then turns any subset
of those into :class:`~harness.metrics.stats.Estimate` values keyed by metric id (see ``spec.py``).
A failed call has no reads: its plates are unread (not exact, CER 1.0, not detected).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from harness.corpus.model import Sample
from harness.metrics.matching import DEFAULT_IOU_THRESHOLD, cer, match
from harness.metrics.spec import DEFAULT_TOP_N, units
from harness.metrics.stats import Estimate, bootstrap, count, rate_per_1000, wilson
from harness.outcome import CallOutcome
from vendor_adapters.base import Read, normalize_plate_text

Verdict = Literal["correct", "incorrect", "error"]

_PLAUSIBLE = re.compile(r"[A-Z0-9]{2,8}")
PLAUSIBLE_RULE = "2 to 8 characters A-Z/0-9 after normalization, not all the same character"


def is_plausible_plate(text: str) -> bool:
    """Could this text be a licence plate? (``PLAUSIBLE_RULE``; e.g. ``AB12`` yes, ``1111``/``X`` no)."""
    t = normalize_plate_text(text)
    return bool(_PLAUSIBLE.fullmatch(t)) and len(set(t)) > 1


def wrong_plate_rule(declared_threshold: float | None) -> str:
    """The wrong-plate rule in force, in words (recorded in the scorecard's settings)."""
    confident = (
        f"confidence >= the declared threshold {declared_threshold:g} (a read without a confidence "
        "counts as confident)"
        if declared_threshold is not None
        else "every read (the vendor declared no threshold)"
    )
    return (
        f"a read is confident when: {confident}; a confident read is a wrong-plate read when its text "
        f"is a plausible plate ({PLAUSIBLE_RULE}) and it differs from the truth of the plate it is "
        "matched to, or it is matched to no plate; rate per 1,000 confident reads"
    )


def is_confident(read: Read, declared_threshold: float | None) -> bool:
    """Would this read be acted on? Every read when no threshold is declared, or it has no (or a NaN)
    confidence."""
    if declared_threshold is None or read.confidence is None or math.isnan(read.confidence):
        return True
    return read.confidence >= declared_threshold


@dataclass(frozen=True)
class PlateResult:
    """How one ground-truth plate fared."""

    exact: bool
    top_n: bool
    cer: float
    has_box: bool
    detected: bool
    """Matched by a read box at IoU >= threshold."""
    jurisdiction: str | None


@dataclass(frozen=True)
class ReadResult:
    """How one read fared."""

    confidence: float | None
    matched: bool
    exact: bool
    """Matched, and its text equals that plate's truth."""
    box_judged: bool
    """It has a box and every truth plate of its image has one (so detection precision can judge it)."""
    box_matched: bool
    plausible: bool
    confident: bool


@dataclass(frozen=True)
class SampleResult:
    """One sample's plates, reads and verdict (plus its tags and error kind, if any)."""

    tags: dict[str, str]
    plates: tuple[PlateResult, ...]
    reads: tuple[ReadResult, ...]
    verdict: Verdict
    error_kind: str | None


def analyze(
    sample: Sample,
    outcome: CallOutcome,
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    top_n: int = DEFAULT_TOP_N,
    declared_threshold: float | None = None,
) -> SampleResult:
    """Match one outcome's reads to its sample's plates and judge each."""
    if outcome.sample_id != sample.id:
        raise ValueError(f"outcome for {outcome.sample_id!r} paired with sample {sample.id!r}")
    reads = outcome.reads
    matching = match(sample.plates, reads, iou_threshold)
    read_for_plate = matching.read_for_plate()
    plate_for_read = matching.plate_for_read()
    box_matches = {m.read for m in matching.matches if m.by == "box"}
    truths = [normalize_plate_text(p.text) for p in sample.plates]

    plates = []
    for i, plate in enumerate(sample.plates):
        read = reads[read_for_plate[i]] if i in read_for_plate else None
        texts = _ranked_texts(read, top_n) if read is not None else []
        plates.append(
            PlateResult(
                exact=bool(texts) and texts[0] == truths[i],
                top_n=truths[i] in texts,
                cer=cer(plate.text, read.text if read is not None else None),
                has_box=plate.box is not None,
                detected=i in read_for_plate and read_for_plate[i] in box_matches,
                jurisdiction=plate.jurisdiction,
            )
        )
    all_boxed = all(p.box is not None for p in sample.plates)
    read_results = []
    for j, read in enumerate(reads):
        plate_index = plate_for_read.get(j)
        read_results.append(
            ReadResult(
                confidence=read.confidence,
                matched=plate_index is not None,
                exact=plate_index is not None and normalize_plate_text(read.text) == truths[plate_index],
                box_judged=read.box is not None and all_boxed,
                box_matched=j in box_matches,
                plausible=is_plausible_plate(read.text),
                confident=is_confident(read, declared_threshold),
            )
        )
    return SampleResult(
        tags=dict(sample.tags),
        plates=tuple(plates),
        reads=tuple(read_results),
        verdict=_verdict(outcome, plates, read_results),
        error_kind=(outcome.error_kind or "unknown") if not outcome.ok else None,
    )


def _ranked_texts(read: Read, top_n: int) -> list[str]:
    """The read's text then its candidates, normalized, duplicates dropped, first ``top_n``."""
    texts: list[str] = []
    for text in [read.text, *(c.text for c in read.candidates)]:
        t = normalize_plate_text(text)
        if t not in texts:
            texts.append(t)
    return texts[:top_n]


def _verdict(outcome: CallOutcome, plates: Sequence[PlateResult], reads: Sequence[ReadResult]) -> Verdict:
    if not outcome.ok:
        return "error"
    if not plates:
        return "correct" if not reads else "incorrect"
    return "correct" if all(p.exact for p in plates) else "incorrect"


def sample_verdict(
    sample: Sample, outcome: CallOutcome, *, iou_threshold: float = DEFAULT_IOU_THRESHOLD
) -> Verdict:
    """``correct`` when every plate in the image was read exactly (an image without plates: no reads),
    ``error`` when the call failed, else ``incorrect``."""
    return analyze(sample, outcome, iou_threshold=iou_threshold).verdict


def figures(
    results: Sequence[SampleResult],
    *,
    boxes_reported: bool,
    plate_filter: Callable[[PlateResult], bool] | None = None,
) -> dict[str, Estimate]:
    """Every accuracy figure over ``results``, keyed by metric id.

    ``boxes_reported`` says whether the vendor returned any box in the whole run (else detection
    figures are ``None`` with n = 0). With ``plate_filter`` only the per-plate figures are computed,
    over the plates it keeps (used for the by-jurisdiction split).
    """
    plates = [p for r in results for p in r.plates if plate_filter is None or plate_filter(p)]
    boxed = [p for p in plates if p.has_box] if boxes_reported else []
    out: dict[str, Estimate] = {
        "exact_read_plate": wilson(sum(p.exact for p in plates), len(plates), **units("exact_read_plate")),
        "top_n_read": wilson(sum(p.top_n for p in plates), len(plates), **units("top_n_read")),
        "cer": bootstrap([p.cer for p in plates], **units("cer")),
        "detection_recall": wilson(sum(p.detected for p in boxed), len(boxed), **units("detection_recall")),
    }
    if plate_filter is not None:
        return out
    reads = [r for s in results for r in s.reads]
    judged = [r for r in reads if r.box_judged] if boxes_reported else []
    unmatched = sum(not r.matched for r in reads)
    confident = [r for r in reads if r.confident]
    wrong = sum(r.plausible and not r.exact for r in confident)
    out.update(
        {
            "exact_read_image": wilson(
                sum(s.verdict == "correct" for s in results), len(results), **units("exact_read_image")
            ),
            "detection_precision": wilson(
                sum(r.box_matched for r in judged), len(judged), **units("detection_precision")
            ),
            "unmatched_reads": count(unmatched, len(reads), **units("unmatched_reads")),
            "unmatched_reads_per_1000": rate_per_1000(
                unmatched, len(reads), **units("unmatched_reads_per_1000")
            ),
            "wrong_plate_reads": count(wrong, len(confident), **units("wrong_plate_reads")),
            "wrong_plate_per_1000": rate_per_1000(wrong, len(confident), **units("wrong_plate_per_1000")),
        }
    )
    return {k: out[k] for k in _ORDER}


_ORDER = (
    "exact_read_plate",
    "exact_read_image",
    "top_n_read",
    "cer",
    "detection_recall",
    "detection_precision",
    "unmatched_reads",
    "unmatched_reads_per_1000",
    "wrong_plate_reads",
    "wrong_plate_per_1000",
)


def error_figures(results: Sequence[SampleResult]) -> dict[str, object]:
    """Calls, availability, error rate, and the error rate of each error kind (all Wilson)."""
    calls = len(results)
    kinds = Counter(r.error_kind for r in results if r.verdict == "error")
    failed = sum(kinds.values())
    return {
        "calls": calls,
        "failed": failed,
        "availability": wilson(calls - failed, calls, **units("availability")).to_json(),
        "error_rate": wilson(failed, calls, **units("error_rate")).to_json(),
        "by_kind": {
            str(kind): wilson(k, calls, **units("error_rate")).to_json()
            for kind, k in sorted(kinds.items(), key=str)
        },
    }


def tag_groups(results: Sequence[SampleResult]) -> dict[str, list[SampleResult]]:
    """Results grouped by every ``key=value`` tag, sorted by key then value."""
    groups: dict[str, list[SampleResult]] = {}
    for r in results:
        for key, value in r.tags.items():
            groups.setdefault(f"{key}={value}", []).append(r)
    return dict(sorted(groups.items()))


def jurisdictions(results: Iterable[SampleResult]) -> list[str]:
    """The labeled plate jurisdictions present, sorted."""
    return sorted({p.jurisdiction for r in results for p in r.plates if p.jurisdiction})


def as_json(estimates: dict[str, Estimate]) -> dict[str, dict[str, object]]:
    """Estimates in their JSON form."""
    return {k: e.to_json() for k, e in estimates.items()}
