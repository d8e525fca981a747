"""MLPerf LoadGen's early-stopping rule against values LoadGen itself prints."""

from __future__ import annotations

import pytest

from harness.load.early_stopping import estimate_rank, min_passing, min_queries, odds, server_early_stopping


def test_minimum_query_counts_match_loadgen() -> None:
    # LoadGen summaries: "Processed at least 64 queries" for a 90th-percentile single-stream run.
    assert min_queries(0.90) == 64
    assert min_queries(0.99) == 662


@pytest.mark.parametrize(("n", "discarded"), [(2048, 172), (2116, 178), (2145, 181), (4776846, 476158)])
def test_discard_counts_match_published_loadgen_summaries(n: int, discarded: int) -> None:
    # "Would discard N highest latency queries" lines from MLPerf single-stream (p90) summaries.
    rank = estimate_rank(n, 0.90)
    assert rank is not None
    assert n - rank == discarded


def test_too_short_runs_have_no_estimate() -> None:
    assert estimate_rank(63, 0.90) is None
    assert estimate_rank(661, 0.99) is None


def test_server_rule_with_no_query_over_the_bound() -> None:
    # With t = 0 the bound is shown once 0.99^h < 0.01, i.e. h >= 459.
    assert min_passing(0, 0.99) == 459
    assert not server_early_stopping(458, 0, 0.99).satisfied
    assert server_early_stopping(459, 0, 0.99).satisfied


def test_odds_is_the_binomial_cdf() -> None:
    from scipy.stats import binom

    assert odds(100, 3, 0.95) == pytest.approx(binom.cdf(3, 103, 0.05))


def test_more_over_bound_queries_need_a_longer_run() -> None:
    needed = [server_early_stopping(0, t, 0.99).needed for t in (0, 1, 5, 20)]
    assert needed == sorted(needed) and len(set(needed)) == 4
