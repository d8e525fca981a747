"""Accuracy figures on a five-image corpus whose every figure is computed by hand below.

S1 day    ABC123 (us-ca)           read ABC123 @0.9, same box               -> exact
S2 night  XYZ789 (us-ca)           read XYZ780 @0.8 (candidate XYZ789)     -> misread, top-N hit, CER 1/6
S3 night  AAA111, BBB222 (us-nv)   reads BBB222 @0.6, AAA111 @0.7 (swapped) -> both exact
                                   + STOP @0.95 elsewhere                  -> matches no plate
S4 day    QRS456                   call timed out                           -> unread, CER 1, error
S5 day    (no plate)               read 1111 @0.3                           -> matches no plate, implausible

Plates 5, reads 6, calls 5 (1 failed).
"""

import json
from pathlib import Path

import pytest

from harness.corpus.model import Plate, Sample
from harness.metrics import score_accuracy, score_latency
from harness.metrics.accuracy import is_plausible_plate, sample_verdict
from harness.outcome import CallOutcome
from vendor_adapters.base import Box, Candidate, Read, Recognition

BOX = Box(0, 0, 100, 50)


def sample(sid, plates, **tags):
    return Sample(
        id=sid, path=Path(f"/nonexistent/{sid}.jpg"), sha256=sid * 8, plates=tuple(plates), tags=tags
    )


def ok(s, *reads, client_ms=10.0, vendor_ms=None):
    return CallOutcome(s.id, s.sha256, 1, client_ms, Recognition(tuple(reads), vendor_ms=vendor_ms))


def failed(s, kind="timeout", client_ms=30000.0):
    return CallOutcome(s.id, s.sha256, 1, client_ms, None, error_kind=kind, error_message="no answer")


@pytest.fixture(scope="module")
def pairs():
    s1 = sample("s1", [Plate("ABC123", BOX, jurisdiction="us-ca")], time="day")
    s2 = sample("s2", [Plate("XYZ789", BOX, jurisdiction="us-ca")], time="night")
    s3 = sample(
        "s3",
        [
            Plate("AAA111", BOX, jurisdiction="us-nv"),
            Plate("BBB222", Box(200, 0, 100, 50), jurisdiction="us-nv"),
        ],
        time="night",
    )
    s4 = sample("s4", [Plate("QRS456", BOX)], time="day")
    s5 = sample("s5", [], time="day")
    return [
        (s1, ok(s1, Read("ABC123", 0.9, BOX))),
        (s2, ok(s2, Read("XYZ780", 0.8, BOX, candidates=(Candidate("XYZ780"), Candidate("XYZ789"))))),
        (
            s3,
            ok(
                s3,
                Read("BBB222", 0.6, Box(200, 0, 100, 50)),
                Read("AAA111", 0.7, BOX),
                Read("STOP", 0.95, Box(400, 0, 50, 50)),
            ),
        ),
        (s4, failed(s4)),
        (s5, ok(s5, Read("1111", 0.3, Box(10, 10, 40, 20)))),
    ]


def values(section):
    return {k: (v["value"], v["n"]) for k, v in section.items()}


def test_overall_figures_match_the_hand_count(pairs):
    overall = values(score_accuracy(pairs)["overall"])
    assert overall["exact_read_plate"] == (3 / 5, 5)
    assert overall["exact_read_image"] == (2 / 5, 5)  # S1, S3
    assert overall["top_n_read"] == (4 / 5, 5)
    assert overall["cer"][0] == pytest.approx((0 + 1 / 6 + 0 + 0 + 1.0) / 5)  # 7/30
    assert overall["cer"][1] == 5
    assert overall["detection_recall"] == (4 / 5, 5)
    assert overall["detection_precision"] == (4 / 6, 6)
    assert overall["unmatched_reads"] == (2.0, 6)
    assert overall["unmatched_reads_per_1000"][0] == pytest.approx(1000 * 2 / 6)
    # no declared threshold: every read is confident; XYZ780 (misread) and STOP (no plate) are wrong,
    # 1111 is not a plausible plate
    assert overall["wrong_plate_reads"] == (2.0, 6)
    assert overall["wrong_plate_per_1000"][0] == pytest.approx(1000 * 2 / 6)


def test_every_figure_has_an_interval_where_one_is_defined(pairs):
    overall = score_accuracy(pairs)["overall"]
    for mid, est in overall.items():
        if est["method"] != "count":
            assert est["ci_low"] <= est["value"] <= est["ci_high"], mid


def test_top_n_respects_n(pairs):
    assert score_accuracy(pairs, top_n=1)["overall"]["top_n_read"]["value"] == 3 / 5
    assert score_accuracy(pairs, top_n=2)["settings"]["top_n"] == 2


@pytest.mark.parametrize(
    ("threshold", "wrong", "confident"),
    [
        (0.75, 2, 3),  # confident: ABC123 .9, XYZ780 .8, STOP .95 -> XYZ780 and STOP wrong
        (0.85, 1, 2),  # confident: ABC123 .9, STOP .95 -> STOP wrong
        (0.99, 0, 0),
    ],
)
def test_wrong_plate_reads_with_a_declared_threshold(pairs, threshold, wrong, confident):
    acc = score_accuracy(pairs, declared_threshold=threshold)
    assert values(acc["overall"])["wrong_plate_reads"] == (float(wrong), confident)
    assert str(threshold) in acc["settings"]["wrong_plate_rule"]


def test_a_read_without_confidence_counts_as_confident_under_a_threshold():
    s = sample("s9", [Plate("ABC123", BOX)])
    acc = score_accuracy([(s, ok(s, Read("ABC128", None, BOX)))], declared_threshold=0.9)
    assert values(acc["overall"])["wrong_plate_reads"] == (1.0, 1)
    assert "every read" not in acc["settings"]["wrong_plate_rule"]
    assert "every read" in score_accuracy([(s, ok(s))])["settings"]["wrong_plate_rule"]


@pytest.mark.parametrize(
    ("text", "plausible"),
    [
        ("AB12", True),
        ("STOP", True),
        ("7ABC123", True),
        ("ABCD1234", True),
        ("ABCD12345", False),
        ("X", False),
        ("1111", False),
        ("", False),
        ("ab-12", True),
    ],
)
def test_plausible_plate_rule(text, plausible):
    assert is_plausible_plate(text) is plausible


def test_errors_are_failures_to_read_and_reported_on_their_own(pairs):
    acc = score_accuracy(pairs)
    errors = acc["errors"]
    assert (errors["calls"], errors["failed"]) == (5, 1)
    assert errors["availability"]["value"] == 4 / 5
    assert errors["error_rate"]["value"] == 1 / 5
    assert set(errors["by_kind"]) == {"timeout"} and errors["by_kind"]["timeout"]["value"] == 1 / 5
    # the timed-out S4's plate counts as unread: without S4, 3 of 4 plates read exactly
    without = score_accuracy(pairs[:3] + pairs[4:])["overall"]
    assert without["exact_read_plate"]["value"] == 3 / 4
    assert without["cer"]["value"] == pytest.approx((1 / 6) / 4)


def test_by_tag_splits(pairs):
    by_tag = score_accuracy(pairs)["by_tag"]
    assert list(by_tag) == ["time=day", "time=night"]
    day, night = values(by_tag["time=day"]), values(by_tag["time=night"])
    # day: S1 (exact), S4 (error), S5 (no plate, read 1111)
    assert day["exact_read_plate"] == (1 / 2, 2)
    assert day["exact_read_image"] == (1 / 3, 3)
    assert day["cer"][0] == pytest.approx(0.5)
    assert day["unmatched_reads"] == (1.0, 2)
    assert day["wrong_plate_reads"] == (0.0, 2)
    # night: S2 (misread), S3 (two exact + STOP)
    assert night["exact_read_plate"] == (2 / 3, 3)
    assert night["top_n_read"] == (1.0, 3)
    assert night["cer"][0] == pytest.approx(1 / 18)
    assert night["wrong_plate_reads"] == (2.0, 4)
    assert night["exact_read_image"] == (1 / 2, 2)


def test_by_jurisdiction_covers_labeled_plates_only(pairs):
    by_j = score_accuracy(pairs)["by_jurisdiction"]
    assert list(by_j) == ["us-ca", "us-nv"]
    assert values(by_j["us-ca"])["exact_read_plate"] == (1 / 2, 2)
    assert by_j["us-ca"]["cer"]["value"] == pytest.approx(1 / 12)
    assert values(by_j["us-nv"])["exact_read_plate"] == (1.0, 2)
    assert "wrong_plate_reads" not in by_j["us-ca"]  # read-level figures have no jurisdiction


def test_detection_is_not_judged_when_the_vendor_reports_no_boxes():
    s = sample("s7", [Plate("ABC123", BOX)])
    overall = score_accuracy([(s, ok(s, Read("ABC123", 0.9)))])["overall"]
    assert overall["exact_read_plate"]["value"] == 1.0  # matched by text
    assert values(overall)["detection_recall"] == (None, 0)
    assert values(overall)["detection_precision"] == (None, 0)


def test_sample_verdicts(pairs):
    verdicts = [sample_verdict(s, o) for s, o in pairs]
    assert verdicts == ["correct", "incorrect", "correct", "error", "incorrect"]
    empty = sample("s8", [])
    assert sample_verdict(empty, ok(empty)) == "correct"


def test_outcome_must_belong_to_its_sample(pairs):
    (s1, _), (_, o2) = pairs[0], pairs[1]
    with pytest.raises(ValueError, match="paired with sample"):
        score_accuracy([(s1, o2)])


def test_empty_run_scores_without_crashing():
    acc = score_accuracy([])
    assert acc["overall"]["exact_read_plate"]["value"] is None
    assert acc["errors"]["availability"]["n"] == 0
    assert acc["calibration"]["reads_with_confidence"] == 0
    json.dumps(acc, allow_nan=False)


def test_output_is_reproducible_json_without_plate_text(pairs):
    acc = score_accuracy(pairs, declared_threshold=0.75)
    assert acc == score_accuracy(pairs, declared_threshold=0.75)
    text = json.dumps({"accuracy": acc, "latency": score_latency([o for _, o in pairs])}, allow_nan=False)
    for plate_text in ("ABC123", "XYZ789", "XYZ780", "AAA111", "BBB222", "QRS456", "STOP"):
        assert plate_text not in text


def test_calibration_of_the_worked_example(pairs):
    cal = score_accuracy(pairs, declared_threshold=0.75)["calibration"]
    # six reads in six bins: |0.9-1|, |0.8-0|, |0.6-1|, |0.7-1|, |0.95-0|, |0.3-0|
    assert cal["ece"]["value"] == pytest.approx((0.1 + 0.8 + 0.4 + 0.3 + 0.95 + 0.3) / 6)
    assert cal["brier"]["value"] == pytest.approx((0.01 + 0.64 + 0.16 + 0.09 + 0.9025 + 0.09) / 6)
    # kept at 0.75: ABC123 (exact), XYZ780, STOP -> precision 1/3; recall 1 of 5 plates
    assert (cal["declared_precision"]["value"], cal["declared_precision"]["n"]) == (1 / 3, 3)
    assert (cal["declared_recall"]["value"], cal["declared_recall"]["n"]) == (1 / 5, 5)


def test_a_failure_without_a_kind_is_reported_as_unknown():
    s = sample("s10", [Plate("ABC123", BOX)])
    errors = score_accuracy([(s, failed(s, kind=None))])["errors"]
    assert list(errors["by_kind"]) == ["unknown"] and errors["error_rate"]["value"] == 1.0
