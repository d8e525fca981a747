"""The probes by id: what each one checks and the hypothesis it tests (light: the rubric checks paths here)."""

from __future__ import annotations

import math
from dataclasses import dataclass

ALPHA = 0.001
"""Each probe's false-flag rate: an honest engine is flagged by one probe with probability at most this (the
tests are exact, one-sided); by any of the five at most 0.005 (Bonferroni)."""
MIN_UNITS = math.ceil(-math.log2(ALPHA))
"""Images (or canaries) a sign or binomial test needs before it can flag at all: with fewer, even an engine that
cheats on every one reaches only p = 2**-n >= ALPHA, so the probe is reported not run rather than passed."""


@dataclass(frozen=True)
class ProbeSpec:
    """One probe: id, title, what an honest engine does, and the null hypothesis its test rejects."""

    id: str
    title: str
    honest: str
    null: str


PROBES: dict[str, ProbeSpec] = {
    p.id: p
    for p in (
        ProbeSpec(
            "PR-MEM-01", "Near-duplicates read as well as the originals",
            "reads a near-duplicate (same pixels under new bytes, re-encoded, shifted 2 px, rescaled 1%, recoloured) "
            "as well as the original",
            "among probed images where the original and its near-duplicates fare differently, the original is the "
            "better read as often as not (exact sign test, one-sided)",
        ),
        ProbeSpec(
            "PR-MEM-02", "Altered published labels are not echoed",
            "cannot know which of two equally likely wrong labels the city published for a canary image",
            "a read matching a canary's published (altered) label is no likelier than one matching its unpublished "
            "twin alteration (exact binomial test, one-sided, p = 1/2)",
        ),
        ProbeSpec(
            "PR-MEM-03", "Sequestered images read as well as public ones",
            "reads the city's never-published images as well as the published ones",
            "exact reads on public and sequestered plates have the same rate (Fisher's exact test, one-sided); valid "
            "when the sequestered images were drawn like the public ones",
        ),
        ProbeSpec(
            "PR-CACHE-01", "Repeated bytes are not answered from a cache",
            "takes as long on an identical repeat as on the same pixels under new bytes",
            "an identical repeat is faster than its pixel-identical re-wrap as often as slower, the two sent in "
            "random order (exact sign test, one-sided)",
        ),
        ProbeSpec(
            "PR-CACHE-02", "Images seen before are not answered from a cache",
            "takes as long on an identical repeat as on the same image mirrored, which no cache of seen images can "
            "match: neither collapses to under half the original's time more often than the other",
            "the repeat's time collapses (under half the original call's) no more often than the mirrored image's "
            "(exact McNemar test on the images where one collapsed and not the other, one-sided)",
        ),
    )
}
"""Every probe, in report order."""
