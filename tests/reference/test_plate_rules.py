"""Plate-text rules: constrained CTC decoding, plausibility prior, candidates, region convention."""

from __future__ import annotations

import numpy as np
import pytest

from vendor_adapters.reference import plates


def one_hot_line(spec: list[dict[str, float]]) -> np.ndarray:
    """Reduced (T, 37) probabilities: each step maps characters (or "" for blank) to probabilities."""
    probs = np.zeros((len(spec), len(plates.ALPHABET) + 1), dtype=np.float32)
    for t, step in enumerate(spec):
        for char, p in step.items():
            probs[t, plates.ALPHABET.index(char) + 1 if char else 0] = p
    return probs


def test_reduction_folds_case_and_drops_non_plate_characters() -> None:
    matrix = plates.reduction_matrix(["blank", "a", "A", "-", "中", "7", " "])
    columns = matrix.argmax(axis=1)
    assert list(columns) == [0, 1, 1, 0, 0, plates.ALPHABET.index("7") + 1, 0]
    assert matrix.sum(axis=1).tolist() == [1.0] * 7


def test_decode_collapses_repeats_and_blanks_and_keeps_alternatives() -> None:
    line = one_hot_line([{"A": 0.9}, {"A": 0.95}, {"": 1.0}, {"A": 0.8}, {"0": 0.6, "O": 0.4}, {"": 1.0}])
    decoded = plates.decode(line)
    assert decoded.text == "AA0"
    assert decoded.char_probs == pytest.approx((0.95, 0.8, 0.6))
    assert [c for c, _ in decoded.alternatives[2]] == ["0", "O"]
    ranked = plates.candidates(decoded)
    assert [t for t, _ in ranked] == ["AA0", "AAO"]
    assert ranked[0][1] > ranked[1][1]


def test_plate_prior_prefers_mixed_plates_and_rejects_timestamps() -> None:
    assert plates.plate_prior("ABC1234") == 1.0
    assert 0 < plates.plate_prior("ALTIMA") < plates.plate_prior("AB1234")
    assert plates.plate_prior("20140617142016") == 0.0
    assert plates.plate_prior("AB") == 0.0
    assert plates.plate_prior("ABCDE12345") == 0.0


def test_region_convention() -> None:
    assert plates.apply_region("MLOC2S", "us") == "ML0C2S"
    assert plates.apply_region("MLOC2S", None) == "MLOC2S"
