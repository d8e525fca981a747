"""The metric catalogue: one definition per metric, matching what the scorers emit; path resolution."""

from pathlib import Path

import pytest

from harness.corpus.model import Plate, Sample
from harness.metrics import METRICS, UnknownMetricPath, resolve_path, score_accuracy, score_latency
from harness.outcome import CallOutcome
from vendor_adapters.base import Box, Read, Recognition


@pytest.fixture(scope="module")
def scored():
    s = Sample(
        "a", Path("/x/a.jpg"), "a" * 64, (Plate("ABC123", Box(0, 0, 10, 5), jurisdiction="eu"),), {"k": "v"}
    )
    o = CallOutcome(
        "a", s.sha256, 1, 3.0, Recognition((Read("ABC123", 0.7, Box(0, 0, 10, 5)),), vendor_ms=1.0)
    )
    return score_accuracy([(s, o)], declared_threshold=0.5), score_latency([o])


def test_every_emitted_estimate_is_catalogued_with_the_same_unit_and_direction(scored):
    acc, _ = scored
    emitted = {
        **acc["overall"],
        **{k: v for k, v in acc["errors"].items() if isinstance(v, dict) and "value" in v},
        **{k: acc["calibration"][k] for k in ("ece", "brier", "declared_precision", "declared_recall")},
    }
    for mid, est in emitted.items():
        spec = METRICS[mid]
        assert (est["unit"], est["higher_is_better"]) == (spec.unit, spec.higher_is_better), mid
    catalogued = {m.id for m in METRICS.values() if m.section != "latency"}
    assert catalogued == set(emitted)


def test_every_latency_metric_is_emitted(scored):
    _, lat = scored
    for series in ("client_ms", "vendor_ms"):
        assert {m.id for m in METRICS.values() if m.section == "latency"} <= set(lat[series])


@pytest.mark.parametrize(
    ("path", "metric"),
    [
        ("accuracy.overall.exact_read_plate", "exact_read_plate"),
        ("accuracy.overall.exact_read_plate.ci_low", "exact_read_plate"),
        ("accuracy.by_tag.time=night.cer", "cer"),
        ("accuracy.by_jurisdiction.us-co.detection_recall.value", "detection_recall"),
        ("accuracy.errors.availability", "availability"),
        ("accuracy.errors.by_kind.timeout", "error_rate"),
        ("accuracy.calibration.ece.ci_high", "ece"),
        ("latency.single_stream.client_ms.p95", "p95"),
        ("latency.single_stream.vendor_ms.p50", "p50"),
    ],
)
def test_resolve_path(path, metric):
    assert resolve_path(path).id == metric


@pytest.mark.parametrize(
    "path",
    [
        "accuracy.overall.p95",
        "accuracy.overall.exact_read",
        "accuracy.by_jurisdiction.eu.wrong_plate_reads",
        "latency.single_stream.server_ms.p95",
        "latency.single_stream.client_ms.p95.value",
        "accuracy.calibration.cer",
        "",
    ],
)
def test_unknown_paths_are_rejected_with_examples(path):
    with pytest.raises(UnknownMetricPath, match="known paths look like"):
        resolve_path(path)
