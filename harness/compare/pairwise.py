"""Is one vendor really better than another on the same images? McNemar's exact test, paired bootstrap.

Per-sample correctness comes from each scorecard's ``samples`` (image sha256 -> ``correct`` /
``incorrect`` / ``error``; an error counts as not correct), joined by image hash. McNemar's exact
test looks only at the images where the two disagree (one read it, the other did not): if the
vendors were equally good, each of those would go either way with probability 1/2. With more than
two vendors the p-values of all pairs are adjusted by Holm's method, so the chance of any false
"better" verdict stays at the significance level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from harness.metrics.stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CONFIDENCE

ALPHA = 0.05
"""Significance level of every verdict."""


@dataclass(frozen=True)
class PairResult:
    """One pair of vendors compared on the images both were scored on."""

    a: str
    b: str
    n: int
    """Images in both scorecards."""
    both_correct: int
    a_only: int
    """Images A read correctly and B did not."""
    b_only: int
    neither: int
    accuracy_a: float | None
    accuracy_b: float | None
    difference: float | None
    """Accuracy of A minus accuracy of B over the paired images (share of images read correctly)."""
    difference_ci: tuple[float, float] | None
    """Paired percentile-bootstrap 95% interval of ``difference``."""
    p_value: float | None
    """McNemar's exact (two-sided binomial) p-value; ``None`` when no image is shared."""
    p_adjusted: float | None
    """Holm-adjusted p-value (equal to ``p_value`` when only two vendors are compared)."""
    significant: bool
    verdict: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _correct(samples: Mapping[str, str], keys: list[str]) -> np.ndarray:
    return np.array([samples[k] == "correct" for k in keys], dtype=bool)


def paired_bootstrap(a: np.ndarray, b: np.ndarray) -> tuple[float, float] | None:
    """Seeded percentile-bootstrap interval of mean(a) - mean(b), resampling images (pairs together)."""
    n = a.size
    if n < 2:
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    diff = a.astype(float) - b.astype(float)
    means = diff[rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts (1.0 when there are none)."""
    if a_only + b_only == 0:
        return 1.0
    return float(mcnemar([[0, a_only], [b_only, 0]], exact=True).pvalue)


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _verdict(r: dict[str, Any], holm: bool) -> str:
    if r["p_value"] is None:
        return f"{r['a']} and {r['b']} share no scored image: not compared"
    p = r["p_adjusted"]
    level = f"McNemar's exact test, significance level {ALPHA:g}" + (", Holm-adjusted" if holm else "")
    if r["significant"]:
        better, worse = (r["a"], r["b"]) if r["a_only"] > r["b_only"] else (r["b"], r["a"])
        return f"{better} reads more plates correctly than {worse} (p {_fmt_p(p)}; {level})"
    return f"no significant difference between {r['a']} and {r['b']} (p {_fmt_p(p)}; {level})"


def compare_pairs(labels: list[str], samples: list[Mapping[str, str]]) -> list[PairResult]:
    """Every pair of vendors (in input order), tested on the images both scorecards hold."""
    rows: list[dict[str, Any]] = []
    for i, j in combinations(range(len(labels)), 2):
        keys = sorted(set(samples[i]) & set(samples[j]))
        a, b = _correct(samples[i], keys), _correct(samples[j], keys)
        a_only, b_only = int((a & ~b).sum()), int((~a & b).sum())
        n = len(keys)
        rows.append(
            {
                "a": labels[i],
                "b": labels[j],
                "n": n,
                "both_correct": int((a & b).sum()),
                "a_only": a_only,
                "b_only": b_only,
                "neither": int((~a & ~b).sum()),
                "accuracy_a": float(a.mean()) if n else None,
                "accuracy_b": float(b.mean()) if n else None,
                "difference": float(a.mean() - b.mean()) if n else None,
                "difference_ci": paired_bootstrap(a, b),
                "p_value": mcnemar_exact(a_only, b_only) if n else None,
            }
        )
    tested = [r for r in rows if r["p_value"] is not None]
    holm = len(labels) > 2
    if tested:
        raw = [r["p_value"] for r in tested]
        adjusted = multipletests(raw, alpha=ALPHA, method="holm")[1] if holm else raw
        for r, p in zip(tested, adjusted, strict=True):
            r["p_adjusted"] = float(p)
    results = []
    for r in rows:
        r.setdefault("p_adjusted", None)
        r["significant"] = (
            r["p_adjusted"] is not None and r["p_adjusted"] < ALPHA and r["a_only"] != r["b_only"]
        )
        r["verdict"] = _verdict(r, holm)
        results.append(PairResult(**r))
    return results
