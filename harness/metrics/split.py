"""``results.split``: the figures on the public and on the sequestered images, and the test of the gap.

A corpus marks each sample ``split=public`` (published, so a bidder may have tuned to it) or
``split=sequestered`` (the city's never-published photos). A reader tuned to the public images reads them
better than the others; the gap in exact plate reads is tested with Fisher's exact test, one-sided.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GAP_LEVEL = 0.05
"""Significance level of the gap reported in the scorecard (the probe ``PR-MEM-03`` flags at its own ALPHA)."""


def split_section(by_tag: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """The section from ``results.accuracy.by_tag`` (``None`` unless the run has both splits)."""
    public, sequestered = by_tag.get("split=public"), by_tag.get("split=sequestered")
    if public is None or sequestered is None:
        return None
    pub, seq = public["exact_read_plate"], sequestered["exact_read_plate"]
    if not pub["n"] or not seq["n"]:
        return None
    from scipy.stats import fisher_exact

    pub_ok, seq_ok = round(pub["value"] * pub["n"]), round(seq["value"] * seq["n"])
    p = float(fisher_exact([[pub_ok, pub["n"] - pub_ok], [seq_ok, seq["n"] - seq_ok]], alternative="greater").pvalue)
    return {
        "public": dict(public),
        "sequestered": dict(sequestered),
        "gap": {
            "difference": pub["value"] - seq["value"],
            "p_value": p,
            "level": GAP_LEVEL,
            "significant": p < GAP_LEVEL,
            "test": "Fisher's exact test, one-sided (public read better), exact plate reads",
        },
    }
