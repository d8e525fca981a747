"""Which read belongs to which ground-truth plate, in one image.

The rule (documented in ``docs/metrics.md``):

1. **By box.** Truth plates with a box and reads with a box are paired by an optimal assignment
   (Hungarian method, ``scipy.optimize.linear_sum_assignment``) maximizing total IoU; a pair is kept
   when its IoU is at least the threshold (default 0.5, recorded in every scorecard) and above 0
   (``Box.iou``: touching or zero-area boxes have IoU 0 and never match by box).
2. **By text.** The plates and reads left over (a read without a box, or one whose box overlaps no
   free plate enough, or any read when the truth has no box) are then paired by an optimal
   assignment minimizing total character error rate. Every pair that assignment makes is kept, so
   a left-over read in a one-plate image is that plate's read however wrong its text. Only box
   matches count for detection recall and precision; both kinds count for reading.
3. Reads left over match no plate; plates left over were not read.

Texts are compared after :func:`vendor_adapters.base.normalize_plate_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from harness.corpus.model import Plate
from harness.metrics.spec import DEFAULT_IOU_THRESHOLD
from vendor_adapters.base import Read, normalize_plate_text

MATCHING_RULE = (
    "optimal assignment (Hungarian) of boxed reads to boxed plates maximizing IoU, pairs kept at "
    "IoU >= the threshold; the plates and reads left over then paired by optimal assignment "
    "minimizing character error rate; texts normalized (upper case, A-Z and 0-9 only)"
)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(truth: str, read: str | None) -> float:
    """Character error rate of ``read`` against ``truth`` (both normalized first); ``None`` read is 1.0.

    Levenshtein distance divided by the truth's length; may exceed 1 for long garbage reads.
    """
    t = normalize_plate_text(truth)
    if read is None:
        return 1.0
    r = normalize_plate_text(read)
    if not t:
        return 0.0 if not r else 1.0
    return levenshtein(t, r) / len(t)


@dataclass(frozen=True)
class Match:
    """One paired plate and read (indices into the sample's plates and the outcome's reads)."""

    plate: int
    read: int
    by: str
    """``"box"`` or ``"text"``."""
    iou: float | None
    """The pair's IoU when matched by box."""


@dataclass(frozen=True)
class Matching:
    """The matching of one image: pairs, plus what was left over."""

    matches: tuple[Match, ...]
    unmatched_plates: tuple[int, ...]
    unmatched_reads: tuple[int, ...]

    def read_for_plate(self) -> dict[int, int]:
        """Plate index -> read index."""
        return {m.plate: m.read for m in self.matches}

    def plate_for_read(self) -> dict[int, int]:
        """Read index -> plate index."""
        return {m.read: m.plate for m in self.matches}


def match(
    plates: Sequence[Plate], reads: Sequence[Read], iou_threshold: float = DEFAULT_IOU_THRESHOLD
) -> Matching:
    """Pair ``reads`` with ground-truth ``plates`` by the module's rule."""
    matches: list[Match] = []
    plate_boxes = [(i, p.box) for i, p in enumerate(plates) if p.box is not None]
    read_boxes = [(j, r.box) for j, r in enumerate(reads) if r.box is not None]
    if plate_boxes and read_boxes:
        scores = np.array([[pb.iou(rb) for _, rb in read_boxes] for _, pb in plate_boxes])
        rows, cols = linear_sum_assignment(scores, maximize=True)
        for r, c in zip(rows, cols, strict=True):
            if scores[r, c] >= iou_threshold and scores[r, c] > 0:
                matches.append(Match(plate_boxes[r][0], read_boxes[c][0], "box", float(scores[r, c])))
    used_plates = {m.plate for m in matches}
    used_reads = {m.read for m in matches}
    free_plates = [i for i in range(len(plates)) if i not in used_plates]
    free_reads = [j for j in range(len(reads)) if j not in used_reads]
    if free_plates and free_reads:
        costs = np.array([[cer(plates[i].text, reads[j].text) for j in free_reads] for i in free_plates])
        rows, cols = linear_sum_assignment(costs)
        for r, c in zip(rows, cols, strict=True):
            matches.append(Match(free_plates[r], free_reads[c], "text", None))
    used_plates = {m.plate for m in matches}
    used_reads = {m.read for m in matches}
    return Matching(
        matches=tuple(sorted(matches, key=lambda m: m.plate)),
        unmatched_plates=tuple(i for i in range(len(plates)) if i not in used_plates),
        unmatched_reads=tuple(j for j in range(len(reads)) if j not in used_reads),
    )
