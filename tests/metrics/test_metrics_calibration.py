"""Calibration: reliability bins, count-weighted ECE, Brier, threshold sweep, reads without confidence."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from harness.corpus.model import Plate, Sample
from harness.metrics import score_accuracy
from harness.metrics.calibration import (
    calibration_report,
    expected_calibration_error,
    reliability_bins,
    threshold_sweep,
)
from harness.outcome import CallOutcome
from vendor_adapters.base import Read, Recognition

# Two bins filled: (0.1, 0.2] holds 2 reads at 0.15, one right (accuracy 0.5, gap 0.35);
# (0.8, 0.9] holds 4 reads at 0.85, three right (accuracy 0.75, gap 0.10).
# ECE = 2/6 * 0.35 + 4/6 * 0.10 = 1.1/6; an unweighted mean of the gaps would say 0.225.
CONF = [0.15, 0.15, 0.85, 0.85, 0.85, 0.85]
RIGHT = [False, True, True, True, True, False]


def test_ece_weights_bins_by_count():
    assert expected_calibration_error(CONF, RIGHT) == pytest.approx(1.1 / 6)


def test_perfect_calibration_has_zero_ece():
    assert expected_calibration_error(
        [0.5, 0.5, 0.25, 0.25, 0.25, 0.25], [True, False, True, False, False, False]
    ) == pytest.approx(0.0)


def test_reliability_bins_keep_empty_bins_and_agree_with_sklearn():
    bins = reliability_bins(CONF, RIGHT)
    assert [b["count"] for b in bins] == [0, 2, 0, 0, 0, 0, 0, 0, 4, 0]
    assert bins[1]["mean_confidence"] == pytest.approx(0.15) and bins[1]["accuracy"] == 0.5
    assert bins[8]["mean_confidence"] == pytest.approx(0.85) and bins[8]["accuracy"] == 0.75
    assert bins[0]["accuracy"] is None and (bins[0]["low"], bins[0]["high"]) == (0.0, 0.1)
    prob_true, _ = calibration_curve(np.array(RIGHT, dtype=int), np.array(CONF), n_bins=10)
    assert [b["accuracy"] for b in bins if b["count"]] == pytest.approx(prob_true.tolist())


def test_bin_edges_follow_sklearn_right_closed_rule():
    # 0.1 belongs to the first bin, 1.0 and 0.95 to the last, 0.0 to the first
    assert [b["count"] for b in reliability_bins([0.0, 0.1, 0.95, 1.0], [1, 1, 1, 1])] == [2] + [0] * 8 + [2]


def test_threshold_sweep_counts_kept_reads_against_all_plates():
    rows = threshold_sweep(CONF, RIGHT, plates=8, thresholds=[0.0, 0.5, 0.9])
    assert rows[0] == {"threshold": 0.0, "reads_kept": 6, "precision": 4 / 6, "recall": 4 / 8}
    assert rows[1] == {"threshold": 0.5, "reads_kept": 4, "precision": 3 / 4, "recall": 3 / 8}
    assert rows[2] == {"threshold": 0.9, "reads_kept": 0, "precision": None, "recall": 0.0}


def test_report_excludes_reads_without_confidence_and_marks_the_declared_threshold():
    reads = [(c, r) for c, r in zip(CONF, RIGHT, strict=True)] + [(None, True), (None, False)]
    report = calibration_report(reads, plates=8, declared_threshold=0.5)
    assert (report["reads_with_confidence"], report["reads_without_confidence"]) == (6, 2)
    assert report["ece"]["value"] == pytest.approx(1.1 / 6) and report["ece"]["n"] == 6
    # Brier: 2 * 0.15^2 ... (0.15-0)^2 + (0.15-1)^2 + 3 * (0.85-1)^2 + (0.85-0)^2
    brier = (0.0225 + 0.7225 + 3 * 0.0225 + 0.7225) / 6
    assert report["brier"]["value"] == pytest.approx(brier)
    assert report["brier"]["ci_low"] <= brier <= report["brier"]["ci_high"]
    declared = [row for row in report["threshold_sweep"] if row["declared"]]
    assert declared == [
        {"threshold": 0.5, "reads_kept": 4, "precision": 0.75, "recall": 3 / 8, "declared": True}
    ]
    assert report["declared_precision"]["value"] == 0.75 and report["declared_precision"]["n"] == 4
    assert report["declared_recall"]["value"] == 3 / 8 and report["declared_recall"]["n"] == 8


def test_an_off_grid_declared_threshold_is_added_to_the_sweep():
    report = calibration_report(list(zip(CONF, RIGHT, strict=True)), plates=6, declared_threshold=0.83)
    thresholds = [row["threshold"] for row in report["threshold_sweep"]]
    assert 0.83 in thresholds and thresholds == sorted(thresholds) and len(thresholds) == 22


def test_no_declared_threshold_reports_none():
    report = calibration_report(list(zip(CONF, RIGHT, strict=True)), plates=6, declared_threshold=None)
    assert report["declared_precision"]["value"] is None
    assert not any(row["declared"] for row in report["threshold_sweep"])


def test_calibration_through_score_accuracy_labels_reads_by_exactness():
    def s(i, text):
        return Sample(f"c{i}", Path(f"/x/c{i}.jpg"), str(i) * 64, (Plate(text),))

    samples = [s(1, "ABC123"), s(2, "DEF456"), s(3, "GHI789")]
    reads = [Read("ABC123", 0.9), Read("DEF450", 0.8), Read("GHI789", None)]
    pairs = [
        (sm, CallOutcome(sm.id, sm.sha256, 1, 5.0, Recognition((r,))))
        for sm, r in zip(samples, reads, strict=True)
    ]
    cal = score_accuracy(pairs)["calibration"]
    assert (cal["reads_with_confidence"], cal["reads_without_confidence"]) == (2, 1)
    # (0.9, right) and (0.8, wrong) in separate bins: ECE = (0.1 + 0.8) / 2
    assert cal["ece"]["value"] == pytest.approx(0.45)
    assert cal["brier"]["value"] == pytest.approx((0.01 + 0.64) / 2)


def test_out_of_range_confidences_are_counted_and_left_out():
    reads = [(0.9, True), (90.0, True), (float("nan"), False), (-0.1, False), (None, True)]
    report = calibration_report(reads, plates=5, declared_threshold=None)
    assert report["reads_with_confidence"] == 1
    assert report["reads_with_confidence_out_of_range"] == 3
    assert report["reads_without_confidence"] == 1
    assert report["ece"]["value"] == pytest.approx(0.1)
