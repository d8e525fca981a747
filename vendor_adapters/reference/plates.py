"""Plate-text rules of the reference recognizer: constrained CTC decoding and plate plausibility.

Nothing here knows any label: the rules are general facts about licence plates (4-8 letters and
digits, usually a mix of both) and about the OCR model's output (a CTC distribution over ~6,600
characters, of which a plate can only use 36).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""The characters a normalized plate may contain, in the order of the reduced CTC classes 1..36."""

MIN_PLATE_CHARS = 4
MAX_PLATE_CHARS = 8
_DATE_LIKE = re.compile(r"(19|20)\d{6,}")
_ALT_MIN_PROB = 0.05
"""A second-best character joins the candidates when the model gives it at least this probability."""
_MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Decoded:
    """One text line decoded under the plate alphabet."""

    text: str
    char_probs: tuple[float, ...]
    alternatives: tuple[tuple[tuple[str, float], ...], ...]
    """Per character: (character, probability) best first, only those above ``_ALT_MIN_PROB``."""

    @property
    def confidence(self) -> float:
        """Mean character probability (0 for an empty line)."""
        return float(np.mean(self.char_probs)) if self.char_probs else 0.0


def reduction_matrix(characters: list[str]) -> np.ndarray:
    """A ``(len(characters), 37)`` 0/1 matrix folding the model's classes onto blank + ``ALPHABET``.

    Upper- and lower-case forms of a letter fold onto the same class; every other class (blank,
    space, punctuation, CJK) folds onto class 0, "no plate character here".
    """
    matrix = np.zeros((len(characters), len(ALPHABET) + 1), dtype=np.float32)
    for index, char in enumerate(characters):
        upper = char.upper() if len(char) == 1 else ""
        column = ALPHABET.index(upper) + 1 if upper and upper in ALPHABET else 0
        matrix[index, column] = 1.0
    return matrix


def decode(probs: np.ndarray) -> Decoded:
    """Greedy CTC decoding of one line's reduced ``(T, 37)`` probabilities."""
    best = probs.argmax(axis=1)
    chars: list[str] = []
    char_probs: list[float] = []
    alternatives: list[tuple[tuple[str, float], ...]] = []
    previous = 0
    for t, cls in enumerate(best):
        if cls != 0 and cls != previous:
            chars.append(ALPHABET[cls - 1])
            char_probs.append(float(probs[t, cls]))
            order = np.argsort(probs[t, 1:])[::-1][:3]
            alternatives.append(
                tuple((ALPHABET[i], float(probs[t, i + 1])) for i in order if probs[t, i + 1] >= _ALT_MIN_PROB)
            )
        elif cls != 0 and cls == previous and float(probs[t, cls]) > char_probs[-1]:
            char_probs[-1] = float(probs[t, cls])
        previous = cls
    return Decoded("".join(chars), tuple(char_probs), tuple(alternatives))


def plate_prior(text: str) -> float:
    """How plausible ``text`` is as a whole plate, 0 (impossible) to 1, from its shape alone.

    Letter+digit mixes of 5-8 characters are typical; all-letter lines are more often words on the
    car (make, dealer, state) than vanity plates; long all-digit runs are timestamps or phone numbers.
    """
    n = len(text)
    if n < MIN_PLATE_CHARS or n > MAX_PLATE_CHARS:
        return 0.0
    if _DATE_LIKE.fullmatch(text):
        return 0.0
    digits = sum(c.isdigit() for c in text)
    prior = 1.0 if 0 < digits < n else 0.35
    if n == MIN_PLATE_CHARS:
        prior *= 0.5
    return prior


def candidates(decoded: Decoded) -> list[tuple[str, float]]:
    """Alternative readings from the per-character alternatives, ranked by joint probability."""
    beams: list[tuple[str, float]] = [("", 1.0)]
    for options in decoded.alternatives:
        if not options:
            continue
        beams = sorted(
            ((text + char, score * prob) for text, score in beams for char, prob in options),
            key=lambda item: -item[1],
        )[: _MAX_CANDIDATES * 2]
    n = max(len(decoded.text), 1)
    return [(text, score ** (1.0 / n)) for text, score in beams[:_MAX_CANDIDATES]]


def apply_region(text: str, region: str | None) -> str:
    """Apply a jurisdiction's glyph convention to a reading.

    ``"us"``: most US plates print the letter O and the digit 0 with one glyph, and many issuers
    avoid O in serials, so the round glyph is reported as ``0`` (the letter reading stays a
    candidate). ``None``: the reading is left as the model made it (European fonts distinguish them).
    """
    if region == "us":
        return text.replace("O", "0")
    return text
