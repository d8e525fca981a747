"""Matching reads to plates: IoU edge cases, optimal assignment, text fallback, CER."""

import pytest

from harness.corpus.model import Plate
from harness.metrics.matching import cer, levenshtein, match
from vendor_adapters.base import Box, Read


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (Box(0, 0, 10, 10), Box(0, 0, 10, 10), 1.0),  # identical
        (Box(0, 0, 10, 10), Box(10, 0, 10, 10), 0.0),  # touching edges
        (Box(0, 0, 10, 10), Box(20, 20, 5, 5), 0.0),  # disjoint
        (Box(0, 0, 10, 10), Box(2, 2, 5, 5), 0.25),  # contained: 25 / 100
        (Box(0, 0, 10, 10), Box(5, 0, 10, 10), 50 / 150),  # half overlap
        (Box(0, 0, 0, 10), Box(0, 0, 10, 10), 0.0),  # zero width
        (Box(3, 3, 0, 0), Box(3, 3, 0, 0), 0.0),  # two zero-area boxes
    ],
)
def test_iou_edge_cases(a, b, expected):
    assert a.iou(b) == pytest.approx(expected)
    assert b.iou(a) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("truth", "read", "expected"),
    [
        ("ABC123", "ABC123", 0.0),
        ("ABC123", "ABC1234", 1 / 6),  # insertion
        ("ABC123", "AB123", 1 / 6),  # deletion
        ("ABC123", "A8C123", 1 / 6),  # substitution
        ("ABC123", "BAC123", 2 / 6),  # transposition = two substitutions
        ("ABC123", "XABC12", 2 / 6),  # insertion at front + deletion at end
        ("ABC123", "", 1.0),  # empty read: six deletions
        ("ABC123", None, 1.0),  # no read at all
        ("AB", "ABCDEFG", 2.5),  # long garbage exceeds 1
        ("abc-123", "A B C.1 2 3", 0.0),  # normalization on both sides
    ],
)
def test_cer(truth, read, expected):
    assert cer(truth, read) == pytest.approx(expected)


def test_levenshtein_is_symmetric():
    assert levenshtein("KITTEN", "SITTING") == levenshtein("SITTING", "KITTEN") == 3
    assert levenshtein("", "ABC") == 3


def test_no_reads_leaves_every_plate_unmatched():
    m = match([Plate("ABC123", Box(0, 0, 10, 5)), Plate("XYZ789")], [])
    assert m.matches == () and m.unmatched_plates == (0, 1) and m.unmatched_reads == ()


def test_reads_on_an_image_without_plates_match_nothing():
    m = match([], [Read("ABC123", 0.9, Box(0, 0, 10, 5)), Read("XYZ789")])
    assert m.matches == () and m.unmatched_reads == (0, 1)


def test_several_plates_with_reads_in_swapped_order_are_paired_by_box():
    plates = [Plate("AAA111", Box(0, 0, 100, 50)), Plate("BBB222", Box(300, 0, 100, 50))]
    reads = [Read("BBB222", 0.9, Box(302, 1, 100, 50)), Read("AAA111", 0.9, Box(1, 0, 100, 50))]
    m = match(plates, reads)
    assert m.read_for_plate() == {0: 1, 1: 0}
    assert all(x.by == "box" for x in m.matches)


def test_assignment_is_optimal_not_greedy():
    # R0 overlaps A best (0.739) but also B (0.6); R1 overlaps only A well (0.6, B 0.212).
    # Greedy would take R0-A and leave B unmatched; the optimal assignment pairs R0-B and R1-A.
    a, b = Box(5, 0, 20, 20), Box(13, 0, 20, 20)
    r0, r1 = Box(8, 0, 20, 20), Box(0, 0, 20, 20)
    assert a.iou(r0) == pytest.approx(17 / 23) and b.iou(r0) == pytest.approx(0.6)
    assert a.iou(r1) == pytest.approx(0.6) and b.iou(r1) == pytest.approx(7 / 33)
    m = match([Plate("AAA111", a), Plate("BBB222", b)], [Read("X", box=r0), Read("Y", box=r1)])
    assert m.read_for_plate() == {0: 1, 1: 0}


def test_iou_threshold_is_inclusive_and_recorded_on_the_match():
    plate = Plate("ABC123", Box(0, 0, 10, 10))
    read = Read("ABC123", box=Box(0, 0, 10, 5))  # IoU exactly 0.5
    (m,) = match([plate], [read], iou_threshold=0.5).matches
    assert (m.by, m.iou) == ("box", 0.5)


def test_reads_without_boxes_are_matched_by_lowest_cer():
    plates = [Plate("AAA111", Box(0, 0, 100, 50)), Plate("BBB222", Box(300, 0, 100, 50))]
    reads = [Read("BBB22"), Read("AAA1I1")]
    m = match(plates, reads)
    assert m.read_for_plate() == {0: 1, 1: 0}
    assert {x.by for x in m.matches} == {"text"}


def test_a_misplaced_box_falls_back_to_text_but_is_not_a_detection():
    plate = Plate("ABC123", Box(0, 0, 100, 50))
    (m,) = match([plate], [Read("ABC123", box=Box(500, 500, 100, 50))]).matches
    assert (m.by, m.iou) == ("text", None)


def test_extra_reads_beyond_the_plates_are_unmatched():
    m = match([Plate("ABC123")], [Read("XYZ999"), Read("ABC128")])
    assert m.read_for_plate() == {0: 1} and m.unmatched_reads == (0,)
