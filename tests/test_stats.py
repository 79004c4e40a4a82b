"""Intervals and fit scores (:mod:`mmmkit.stats`), on arrays whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mmmkit import evaluation as ev
from mmmkit import stats


def test_crps_of_a_point_mass_is_the_absolute_error():
    point = np.array([1.0, 2.0, -3.0, 10.0])
    actual = np.array([1.5, 2.0, 0.0, 4.0])
    draws = np.tile(point, (50, 1))
    np.testing.assert_allclose(stats.crps(draws, actual), np.abs(point - actual))



def test_crps_equals_its_integral_definition():
    # two equally likely values 0 and 1, y = 0: integral of (F(z) - 1{z >= 0})^2 = 0.25
    assert stats.crps(np.array([0.0, 1.0]), np.array(0.0)) == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=300), 0.4
    grid = np.linspace(-8.0, 8.0, 160_001)
    cdf = np.searchsorted(np.sort(x), grid, side="right") / x.size
    integral = np.sum((cdf - (grid >= y)) ** 2) * (grid[1] - grid[0])
    assert stats.crps(x, np.array(y)) == pytest.approx(integral, abs=1e-3)



def test_mape_r2_and_coverage_by_hand():
    actual = np.array([100.0, 200.0, 300.0])
    point = np.array([110.0, 180.0, 300.0])
    assert stats.mape(point, actual) == pytest.approx((0.1 + 0.1 + 0.0) / 3)
    assert stats.r2(point, actual) == pytest.approx(1 - (100 + 400) / 20_000)
    # weeks with zero sales have no percentage error
    assert stats.mape([1.0, 5.0], [0.0, 4.0]) == pytest.approx(0.25)
    # per group: each geo's own mean is the reference, so geo size is not "explained"
    y = np.array([1.0, 2.0, 3.0, 11.0, 12.0, 13.0])
    yhat = np.array([1.0, 2.0, 4.0, 11.0, 12.0, 12.0])
    assert stats.r2(yhat, y, groups=[0, 0, 0, 1, 1, 1]) == pytest.approx(1 - 2 / 4)
    assert stats.r2(yhat, y) == pytest.approx(1 - 2 / 154)
    # draws 1..100: the 90% interval is [5.95, 95.05]
    draws = np.tile(np.arange(1.0, 101.0)[:, None], (1, 4))
    assert stats.coverage(draws, np.array([0.0, 50.0, 96.0, 6.0]), 0.9) == pytest.approx(0.5)
    scores = ev.score(draws, np.array([0.0, 50.0, 96.0, 6.0]))
    assert list(scores) == list(ev.SCORE_COLUMNS) and scores["n"] == 4


def test_intervals_are_equal_tailed_quantiles():
    draws = np.arange(1.0, 101.0)[:, None] * np.array([1.0, 2.0])  # (100, 2)
    lo, hi = stats.interval(draws, 0.9)
    np.testing.assert_allclose(lo, [5.95, 11.9])
    np.testing.assert_allclose(hi, [95.05, 190.1])
    assert stats.tails(0.8) == pytest.approx((0.1, 0.9))
    out = stats.summarize(draws, 0.5)
    np.testing.assert_allclose(out["mean"], [50.5, 101.0])
    np.testing.assert_allclose(out["median"], [50.5, 101.0])
    np.testing.assert_allclose(out["lower"], [25.75, 51.5])
    np.testing.assert_allclose(out["upper"], [75.25, 150.5])


def test_quantiles_treat_infinite_draws_as_the_largest():
    """A marginal ROAS at zero spend can be +inf: the upper bound is inf, the rest finite,
    where plain np.quantile gives NaN from inf - inf."""
    draws = np.array([1.0, 2.0, 3.0, np.inf])
    assert stats.quantile(draws, 0.5) == pytest.approx(2.5)
    assert stats.quantile(draws, 0.99) == np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.quantile(draws, 0.99))


@pytest.mark.parametrize("prob", [0, 1, 1.5, -0.1])
def test_prob_outside_zero_one_is_refused(prob):
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.check_prob(prob)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.interval(np.ones((3, 1)), prob)


def test_evaluation_reexports_the_same_scores():
    assert ev.crps is stats.crps and ev.mape is stats.mape and ev.r2 is stats.r2
    assert ev.coverage is stats.coverage
