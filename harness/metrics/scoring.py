"""The two scoring entry points (re-exported by :mod:`harness.metrics`): ``results.accuracy`` and
``results.latency.single_stream``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.corpus.model import Sample
from harness.metrics.accuracy import (
    DEFAULT_TOP_N,
    PLAUSIBLE_RULE,
    analyze,
    as_json,
    error_figures,
    figures,
    jurisdictions,
    tag_groups,
    wrong_plate_rule,
)
from harness.metrics.calibration import N_BINS, calibration_report
from harness.metrics.latency import single_stream
from harness.metrics.matching import DEFAULT_IOU_THRESHOLD, MATCHING_RULE
from harness.metrics.stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CONFIDENCE
from harness.outcome import CallOutcome


def score_accuracy(
    pairs: Sequence[tuple[Sample, CallOutcome]],
    *,
    iou_threshold: float = DEFAULT_IOU_THRESHOLD,
    declared_threshold: float | None = None,
    top_n: int = DEFAULT_TOP_N,
) -> dict[str, Any]:
    """The ``results.accuracy`` section: overall, by tag, by jurisdiction, errors, calibration, settings.

    ``pairs`` holds one final outcome per sample. ``declared_threshold`` is the vendor's declared
    confidence threshold (``VendorInfo.declared_threshold``), used by the wrong-plate rule and
    marked on the precision/recall sweep.
    """
    results = [
        analyze(s, o, iou_threshold=iou_threshold, top_n=top_n, declared_threshold=declared_threshold)
        for s, o in pairs
    ]
    boxes_reported = any(r.box is not None for _, o in pairs for r in o.reads)
    reads = [(r.confidence, r.exact) for res in results for r in res.reads]
    n_plates = sum(len(r.plates) for r in results)
    return {
        "overall": as_json(figures(results, boxes_reported=boxes_reported)),
        "by_tag": {
            tag: as_json(figures(group, boxes_reported=boxes_reported))
            for tag, group in tag_groups(results).items()
        },
        "by_jurisdiction": {
            j: as_json(
                figures(
                    results, boxes_reported=boxes_reported, plate_filter=lambda p, j=j: p.jurisdiction == j
                )
            )
            for j in jurisdictions(results)
        },
        "errors": error_figures(results),
        "calibration": calibration_report(reads, plates=n_plates, declared_threshold=declared_threshold),
        "counts": {
            "samples": len(results),
            "plates": n_plates,
            "plates_with_box": sum(p.has_box for r in results for p in r.plates),
            "reads": len(reads),
            "boxes_reported": boxes_reported,
        },
        "settings": {
            "iou_threshold": iou_threshold,
            "declared_threshold": declared_threshold,
            "top_n": top_n,
            "confidence_level": CONFIDENCE,
            "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "seed": BOOTSTRAP_SEED, "method": "percentile"},
            "calibration_bins": N_BINS,
            "matching_rule": MATCHING_RULE,
            "plausible_plate_rule": PLAUSIBLE_RULE,
            "wrong_plate_rule": wrong_plate_rule(declared_threshold),
        },
    }


def score_latency(outcomes: Sequence[CallOutcome]) -> dict[str, Any]:
    """The ``results.latency.single_stream`` section: ``{"client_ms": {...}, "vendor_ms": {...}}``."""
    return single_stream(outcomes)
