"""The optimiser's numerical problem (:mod:`mmmkit.budget_problem`): the risk functionals,
their gradients, the projection onto the budget, and the optimality tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats.mstats import hdquantiles

import mmmkit as mk
from mmmkit import response
from mmmkit.budget_problem import BudgetProblem, clip_to_sum, risk_functional
from truth import model_from_truth


@pytest.fixture(scope="module")
def problem():
    """The channel split of a 40-draw posterior around the truth, unbounded."""
    sim = mk.simulate.simulate(n_geos=3, n_weeks=50, n_channels=3, seed=4)
    model = model_from_truth(sim, chains=2, draws=20, jitter=0.2, seed=2)
    weeks, geo_idx = response.window(model, None, None, None)
    blocks = response.ChannelBlocks.build(model, list(model.channels), weeks, geo_idx,
                                          optimizer=True)
    budget = float(sim.spend.sum())
    return lambda **kw: BudgetProblem(
        blocks, list(model.channels), np.zeros(3), np.full(3, np.inf), budget,
        **{"per_geo": False, "objective": "mean", "risk": None, "margin": None, **kw})


@pytest.mark.parametrize("q", [0.05, 0.3, 0.5])
def test_the_quantile_is_harrell_davis(q):
    values = np.random.default_rng(1).lognormal(size=301)
    value, weights = risk_functional(values, "quantile", q)
    assert value == pytest.approx(float(hdquantiles(values, prob=[q]).data[0]), rel=1e-12)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()


@pytest.mark.parametrize(("objective", "risk"), [("mean", None), ("mean_minus_std", 1.5),
                                                 ("quantile", 0.1)])
def test_the_weights_are_the_gradient(objective, risk):
    values = np.random.default_rng(2).normal(size=50)
    value, weights = risk_functional(values, objective, risk)
    h = 1e-6
    for i in (0, 17, 49):
        bumped = values.copy()
        bumped[i] += h
        numeric = (risk_functional(bumped, objective, risk)[0] - value) / h
        assert numeric == pytest.approx(weights[i], rel=1e-4, abs=1e-9)


def test_clip_to_sum_meets_the_total_within_the_bounds():
    lo, hi = np.array([0.0, 0.1, 0.0]), np.array([0.5, 0.2, 1.0])
    x = clip_to_sum(np.array([0.9, 0.9, 0.9]), lo, hi, 1.0)
    assert x.sum() == pytest.approx(1.0) and (x >= lo).all() and (x <= hi).all()
    np.testing.assert_allclose(clip_to_sum(np.array([0.2, 0.15, 0.65]), lo, hi, 1.0),
                               [0.2, 0.15, 0.65])


@pytest.mark.parametrize("kw", [{}, {"margin": 0.7}, {"objective": "mean_minus_std", "risk": 1}])
def test_gradient_of_the_objective_is_exact(problem, kw):
    p = problem(**kw)
    y = p.project(np.array([0.5, 0.3, 0.2]))
    _, grad = p.evaluate(y)
    for i in range(3):
        d = np.zeros(3)
        d[i] = 1e-6
        numeric = (p.evaluate(y + d)[0] - p.evaluate(y - d)[0]) / 2e-6
        assert numeric == pytest.approx(grad[i], rel=1e-5)


def test_solve_reaches_a_verified_optimum(problem):
    p = problem()
    result = p.solve(n_starts=2, rng=np.random.default_rng(0))
    assert result.converged and p.optimal(result.y)
    assert result.amounts.sum() == pytest.approx(p.budget)
    start = p.project(p.hist / p.hist.sum())
    assert result.value >= p.evaluate(start)[0]
    assert not p.kkt(start)  # the historical split is not optimal here


def test_a_lift_that_is_not_a_number_is_not_an_optimum(problem):
    """NaN compares false in every optimality test: a posterior draw whose lift overflowed
    once made the optimiser return the start as "converged" (a Weibull adstock draw, fixed
    in mmmkit.adstock); such a problem must say it did not converge, and why."""
    p = problem()
    value, grad = p.evaluate(p.project(np.array([0.5, 0.3, 0.2])))
    p.evaluate = lambda y: (np.nan, np.zeros_like(y))
    result = p.solve(n_starts=2, rng=np.random.default_rng(0))
    assert not result.converged and "not a finite number" in result.message
    assert np.isfinite(value) and np.isfinite(grad).all()  # the real problem is finite
