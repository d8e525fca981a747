"""Estimates: Wilson intervals against known values, seeded bootstrap, rates per 1,000."""

import numpy as np
import pytest

from harness.metrics.stats import Estimate, bootstrap, count, rate_per_1000, wilson


def test_wilson_8_of_10_matches_the_textbook_interval():
    e = wilson(8, 10)
    assert e.value == 0.8 and e.n == 10 and e.method == "wilson"
    assert e.ci_low == pytest.approx(0.4902, abs=5e-5)
    assert e.ci_high == pytest.approx(0.9433, abs=5e-5)


def test_wilson_zero_successes_has_closed_form_upper_bound():
    # p = 0: upper = z^2 / (n + z^2) with z = 1.959964
    z2 = 1.959964**2
    e = wilson(0, 10)
    assert e.value == 0.0 and e.ci_low == pytest.approx(0.0, abs=1e-12)
    assert e.ci_high == pytest.approx(z2 / (10 + z2), abs=1e-6)


def test_wilson_with_no_observations_has_no_value():
    e = wilson(0, 0)
    assert (e.value, e.n, e.ci_low, e.ci_high) == (None, 0, None, None)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson(11, 10)


def test_rate_per_1000_is_wilson_scaled():
    p, r = wilson(3, 40), rate_per_1000(3, 40)
    assert r.value == pytest.approx(75.0)
    assert (r.ci_low, r.ci_high) == pytest.approx((1000 * p.ci_low, 1000 * p.ci_high))
    assert r.unit == "per 1,000" and r.higher_is_better is False
    assert rate_per_1000(0, 0).value is None


def test_count_carries_its_denominator():
    e = count(2, 7, unit="reads")
    assert (e.value, e.n, e.ci_low) == (2.0, 7, None)


def test_bootstrap_is_seeded_and_brackets_the_mean():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    a = bootstrap(values, unit="ms", higher_is_better=False)
    b = bootstrap(values, unit="ms", higher_is_better=False)
    c = bootstrap(values, seed=1, unit="ms", higher_is_better=False)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.value == 4.0
    assert 1.0 <= a.ci_low < 4.0 < a.ci_high <= 10.0


def test_bootstrap_of_constant_values_has_a_point_interval():
    e = bootstrap([0.25] * 6, unit="x", higher_is_better=None)
    assert (e.value, e.ci_low, e.ci_high) == (0.25, 0.25, 0.25)


def test_bootstrap_edge_sizes():
    assert bootstrap([], unit="x", higher_is_better=None).value is None
    one = bootstrap([3.0], unit="x", higher_is_better=None)
    assert (one.value, one.n, one.ci_low, one.ci_high) == (3.0, 1, None, None)


def test_bootstrap_resamples_rows_together():
    rows = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    # columns are always equal within a row, so a row-wise statistic of their difference is 0 in every resample
    e = bootstrap(rows, lambda a: float(np.abs(a[:, 0] - a[:, 1]).sum()), unit="x", higher_is_better=None)
    assert (e.value, e.ci_low, e.ci_high) == (0.0, 0.0, 0.0)


def test_estimate_json_is_plain():
    assert Estimate(0.5, 2, 0.1, 0.9, "proportion", True, "wilson").to_json() == {
        "value": 0.5,
        "n": 2,
        "ci_low": 0.1,
        "ci_high": 0.9,
        "unit": "proportion",
        "higher_is_better": True,
        "method": "wilson",
    }
