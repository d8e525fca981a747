"""Is a vendor's confidence worth anything? Reliability bins, ECE, Brier, and the threshold trade-off.

Only reads with a confidence in [0, 1] take part; the numbers without one, and with one out of
range (an adapter bug, e.g. a percentage not divided by 100; NaN included), are reported. A read's outcome is
1 when it is an exact read of the plate it is matched to, else 0 (a read matching no plate is 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.metrics.spec import METRICS, units
from harness.metrics.stats import Estimate, bootstrap, wilson

N_BINS = 10
SWEEP_STEP = 0.05


def _bin_ids(confidence: np.ndarray) -> np.ndarray:
    """Bin of each confidence, by the rule sklearn's ``calibration_curve`` uses (bins closed on the right,
    the first also on the left: [0, 0.1], (0.1, 0.2], ..., (0.9, 1])."""
    edges = np.linspace(0.0, 1.0, N_BINS + 1)
    return np.searchsorted(edges[1:-1], confidence)


def reliability_bins(confidence: Sequence[float], correct: Sequence[bool]) -> list[dict[str, Any]]:
    """10 equal-width bins: edges, count, mean confidence, observed exact-read accuracy (``None`` if empty)."""
    conf = np.asarray(confidence, dtype=float)
    y = np.asarray(correct, dtype=int)
    counts = np.bincount(_bin_ids(conf), minlength=N_BINS) if conf.size else np.zeros(N_BINS, dtype=int)
    accuracy = iter(())
    mean_conf = iter(())
    if conf.size:
        from sklearn.calibration import calibration_curve  # lazy: sklearn costs ~1 s to import

        # calibration_curve drops empty bins; it returns the non-empty ones in bin order.
        prob_true, prob_pred = calibration_curve(y, conf, n_bins=N_BINS, strategy="uniform", pos_label=1)
        accuracy, mean_conf = iter(prob_true.tolist()), iter(prob_pred.tolist())
    bins = []
    for b in range(N_BINS):
        filled = counts[b] > 0
        bins.append(
            {
                "low": b / N_BINS,
                "high": (b + 1) / N_BINS,
                "count": int(counts[b]),
                "mean_confidence": next(mean_conf) if filled else None,
                "accuracy": next(accuracy) if filled else None,
            }
        )
    return bins


def expected_calibration_error(
    confidence: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray
) -> float:
    """Sum over bins of (bin count / all) * |accuracy - mean confidence| (10 equal-width bins)."""
    conf = np.asarray(confidence, dtype=float)
    y = np.asarray(correct, dtype=float)
    ids = _bin_ids(conf)
    counts = np.bincount(ids, minlength=N_BINS)
    gap = np.abs(
        np.bincount(ids, weights=y, minlength=N_BINS) - np.bincount(ids, weights=conf, minlength=N_BINS)
    )
    # per bin: count * |acc - conf| = |sum(y) - sum(conf)|
    return float(gap.sum() / counts.sum())


def threshold_sweep(
    confidence: Sequence[float], correct: Sequence[bool], plates: int, thresholds: Sequence[float]
) -> list[dict[str, Any]]:
    """At each threshold keep reads with confidence >= it: precision = exact / kept,
    recall = exact kept reads / all ``plates`` (each plate has at most one matched read)."""
    conf = np.asarray(confidence, dtype=float)
    y = np.asarray(correct, dtype=bool)
    rows = []
    for t in thresholds:
        kept = conf >= t
        k, exact = int(kept.sum()), int((kept & y).sum())
        rows.append(
            {
                "threshold": round(float(t), 6),
                "reads_kept": k,
                "precision": exact / k if k else None,
                "recall": exact / plates if plates else None,
            }
        )
    return rows


def calibration_report(
    reads: Sequence[tuple[float | None, bool]], *, plates: int, declared_threshold: float | None
) -> dict[str, Any]:
    """Everything about confidence, JSON-ready. ``reads`` are ``(confidence, exact)``; ``plates`` the
    number of ground-truth plates (the recall denominator)."""
    scored = [(c, e) for c, e in reads if c is not None and 0.0 <= c <= 1.0]
    invalid = sum(1 for c, _ in reads if c is not None and not 0.0 <= c <= 1.0)
    conf = np.array([c for c, _ in scored], dtype=float)
    y = np.array([e for _, e in scored], dtype=bool)
    pairs = np.column_stack([conf, y]) if scored else np.empty((0, 2))
    ece = bootstrap(pairs, lambda a: expected_calibration_error(a[:, 0], a[:, 1]), **units("ece"))
    brier = bootstrap(pairs, lambda a: float(np.mean((a[:, 0] - a[:, 1]) ** 2)), **units("brier"))
    if scored:  # sklearn computes the value; the bootstrap supplies the interval
        from sklearn.metrics import brier_score_loss

        brier = _with_value(brier, float(brier_score_loss(y.astype(int), conf, pos_label=1)))
    grid = [round(i * SWEEP_STEP, 6) for i in range(round(1 / SWEEP_STEP) + 1)]
    sweep = threshold_sweep(conf, y, plates, sorted(set(grid) | ({declared_threshold} - {None})))
    for row in sweep:
        row["declared"] = declared_threshold is not None and row["threshold"] == round(declared_threshold, 6)
    report: dict[str, Any] = {
        "reads_with_confidence": len(scored),
        "reads_without_confidence": len(reads) - len(scored) - invalid,
        "reads_with_confidence_out_of_range": invalid,
        "ece": ece.to_json(),
        "brier": brier.to_json(),
        "bins": reliability_bins(conf, y),
        "threshold_sweep": sweep,
        "declared_threshold": declared_threshold,
        "declared_reads_kept": None,
        "declared_precision": _none("declared_precision"),
        "declared_recall": _none("declared_recall"),
    }
    if declared_threshold is not None:
        kept = conf >= declared_threshold
        exact = int((kept & y).sum())
        report["declared_reads_kept"] = int(kept.sum())
        report["declared_precision"] = wilson(exact, int(kept.sum()), **units("declared_precision")).to_json()
        report["declared_recall"] = wilson(exact, plates, **units("declared_recall")).to_json()
    return report


def _with_value(e: Estimate, value: float) -> Estimate:
    return Estimate(value, e.n, e.ci_low, e.ci_high, e.unit, e.higher_is_better, e.method)


def _none(metric_id: str) -> dict[str, Any]:
    spec = METRICS[metric_id]
    return Estimate(None, 0, None, None, spec.unit, spec.higher_is_better, "no declared threshold").to_json()
