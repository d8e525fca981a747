"""McNemar's exact test, the paired bootstrap and Holm's correction, on hand-built per-image outcomes."""

from __future__ import annotations

import pytest

from harness.compare.pairwise import compare_pairs, mcnemar_exact, paired_bootstrap


def _samples(outcomes: str) -> dict[str, str]:
    """'c'/'i'/'e' per image -> {image key: verdict}."""
    names = {"c": "correct", "i": "incorrect", "e": "error"}
    return {f"{i:064x}": names[o] for i, o in enumerate(outcomes)}


def test_exact_p_value_by_hand() -> None:
    # 10 images only A reads, 1 only B reads: p = 2 * P(X <= 1), X ~ Bin(11, 1/2) = 2 * 12 / 2048
    assert mcnemar_exact(10, 1) == pytest.approx(24 / 2048)
    assert mcnemar_exact(0, 0) == 1.0


def test_verdict_names_the_better_vendor_only_when_significant() -> None:
    a = _samples("c" * 12 + "i" * 8)
    b = _samples("c" * 2 + "i" * 10 + "i" * 8)  # A alone reads 10, B alone none
    (pair,) = compare_pairs(["A", "B"], [a, b])
    assert pair.p_value == pytest.approx(2 * 0.5**10)
    assert pair.significant and pair.verdict.startswith("A reads more plates correctly than B (p = 0.002")
    assert "significance level 0.05" in pair.verdict

    (swapped,) = compare_pairs(["B", "A"], [b, a])
    assert swapped.verdict.startswith("A reads more plates correctly than B")

    close = _samples("c" * 10 + "i" * 10)
    other = _samples("i" + "c" * 9 + "c" + "i" * 9)  # one each way: no evidence
    (tie,) = compare_pairs(["A", "B"], [close, other])
    assert not tie.significant and tie.verdict.startswith("no significant difference between A and B")


def test_errors_count_as_not_correct_and_images_are_joined_by_hash() -> None:
    a = _samples("ccce")
    b = {k: v for k, v in list(_samples("ciic").items())[1:]}  # B lacks the first image
    (pair,) = compare_pairs(["A", "B"], [a, b])
    assert pair.n == 3 and (pair.a_only, pair.b_only, pair.neither, pair.both_correct) == (2, 1, 0, 0)


def test_holm_correction_with_three_vendors() -> None:
    a = _samples("c" * 6 + "i" * 14)
    b = _samples("i" * 20)
    c = _samples("i" * 20)
    pairs = compare_pairs(["A", "B", "C"], [a, b, c])
    ab, ac, bc = pairs
    assert ab.p_value == pytest.approx(2 * 0.5**6)  # 0.03125: significant alone...
    assert ab.p_adjusted == pytest.approx(3 * 2 * 0.5**6)  # ...but not after Holm (x3)
    assert ac.p_adjusted == pytest.approx(3 * 2 * 0.5**6)  # step-down: max(2 x p, previous)
    assert bc.p_adjusted == 1.0
    assert (
        not ab.significant
        and "Holm-adjusted" in ab.verdict
        and ab.verdict.startswith("no significant difference")
    )


def test_paired_bootstrap_is_seeded_and_brackets_the_difference() -> None:
    import numpy as np

    a = np.array([True] * 15 + [False] * 5)
    b = np.array([True] * 8 + [False] * 12)
    first = paired_bootstrap(a, b)
    assert first == paired_bootstrap(a, b)
    assert first is not None and first[0] < 0.35 < first[1]
    assert paired_bootstrap(a[:1], b[:1]) is None
