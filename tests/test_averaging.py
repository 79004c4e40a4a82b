"""Answers averaged over candidate specifications (mmmkit.averaging)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from mmmkit import scenarios
from mmmkit.averaging import ModelAverage
from truth import model_from_truth


@pytest.fixture(scope="module")
def candidates():
    """Two posteriors of the same data that disagree: draws scattered around the truth, and
    the same with every channel effect 60% higher (no fit needed: the averaging reads draws)."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=80, n_channels=3, seed=31)
    low = model_from_truth(sim, chains=2, draws=300, jitter=0.2, seed=1)
    high = model_from_truth(sim, chains=2, draws=300, jitter=0.2, seed=2)
    posterior = high.idata.posterior.copy()
    posterior["channel_effect"] = posterior["channel_effect"] * 1.6
    high = mk.MMM(**sim.model_kwargs(), adstock=sim.adstock,
                  saturation=sim.saturation).from_posterior(sim.data, posterior)
    return {"low": low, "high": high}


def _n_draws(model) -> int:
    return model.idata.posterior.sizes["chain"] * model.idata.posterior.sizes["draw"]


def test_stacking_weights_come_from_the_loo_comparison(candidates):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        avg = ModelAverage(candidates)
    assert avg.weights_.sum() == pytest.approx(1.0)
    assert (avg.weights_ >= 0).all()
    np.testing.assert_allclose(avg.weights_, avg.comparison_["weight"].reindex(
        list(candidates)).to_numpy() / avg.comparison_["weight"].sum())
    assert avg.counts().sum() == _n_draws(candidates["low"])  # each draw used at most once


def test_one_weight_reproduces_that_model(candidates):
    avg = ModelAverage(candidates, weights={"low": 1.0})
    mixed = avg.roas_draws()
    assert set(mixed["model"].values) == {"low"}
    own = candidates["low"].roas_draws()
    # all draws of the one model, reordered: the same distribution exactly
    np.testing.assert_allclose(np.sort(mixed.values[0], axis=0),
                               np.sort(own.values.reshape(-1, 3), axis=0))


def test_disagreeing_forms_widen_the_interval(candidates):
    """Half and half: the mixture's mean is the average of the two means (exactly, with half
    the draws from each), and its interval covers both candidates' medians."""
    avg = ModelAverage(candidates, weights={"low": 1.0, "high": 1.0}, seed=2)
    table = avg.roas()
    mixed = avg.roas_draws()
    for ch in table.index:
        parts = [mixed.sel(channel=ch).values[0][mixed["model"].values == n] for n in candidates]
        assert [len(p) for p in parts] == [_n_draws(candidates["low"]) // 2] * 2
        assert table.loc[ch, "mean"] == pytest.approx(np.mean(np.concatenate(parts)))
        medians = [candidates[n].roas().loc[ch, "median"] for n in candidates]
        assert table.loc[ch, "lower"] <= min(medians) and table.loc[ch, "upper"] >= max(medians)
    widths = {n: (m.roas()["upper"] - m.roas()["lower"]) for n, m in candidates.items()}
    assert ((table["upper"] - table["lower"]) >= np.minimum(*widths.values()) - 1e-9).all()
    assert {"mean (low)", "mean (high)"} <= set(table.columns)


def test_any_scenario_can_be_averaged(candidates):
    avg = ModelAverage(candidates, weights={"low": 0.7, "high": 0.3})
    spend = candidates["low"].data_.spend.sum(axis=(0, 1))

    def lift(model):
        return scenarios.move(model, 0.1 * float(spend[0]), "tv", "social").total

    table = avg.summary(lift)
    assert list(table.index) == ["mixture", "low", "high"]
    assert table.loc["mixture", "weight"] == 1.0
    assert table.loc["low", "weight"] == pytest.approx(0.7)
    lo, hi = table[["mean"]].drop("mixture").min().item(), table[["mean"]].max().item()
    assert lo - 1e-9 <= table.loc["mixture", "mean"] <= hi + 1e-9


def test_bad_arguments(candidates):
    with pytest.raises(ValueError, match="at least two"):
        ModelAverage({"low": candidates["low"]})
    with pytest.raises(ValueError, match="not among the models"):
        ModelAverage(candidates, weights={"weibull": 1.0})
    with pytest.raises(ValueError, match="not all 0"):
        ModelAverage(candidates, weights={"low": 0.0})
    with pytest.raises(ValueError, match="'stacking' or a mapping"):
        ModelAverage(candidates, weights="bma")


@pytest.fixture(scope="module")
def tilted():
    """Two posteriors that disagree on which channel pays: the second has channel 0's effect
    2.5x and channel 1's 0.5x, so the two candidates' best splits differ."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=80, n_channels=3, seed=31)
    base = model_from_truth(sim, chains=2, draws=200, jitter=0.2, seed=1)
    posterior = base.idata.posterior.copy()
    channels = list(posterior["channel"].values)
    factor = np.ones(len(channels))
    factor[channels.index(sim.channels[0])] = 2.5
    factor[channels.index(sim.channels[1])] = 0.5
    posterior["channel_effect"] = posterior["channel_effect"] * factor
    other = mk.MMM(**sim.model_kwargs(), adstock=sim.adstock,
                   saturation=sim.saturation).from_posterior(sim.data, posterior)
    return sim, {"base": base, "tilted": other}


def _mixture_mean_lift(avg: ModelAverage, plan) -> float:
    frame = plan.to_frame()
    return float(avg.summary(lambda m: scenarios.incremental_lift(m, frame).total)
                 .loc["mixture", "mean"])


def test_a_one_model_average_plans_as_that_model(tilted):
    _, models = tilted
    avg = ModelAverage(models, weights={"base": 1.0})
    mixed = avg.optimize_budget(seed=3, n_uncertainty=0)
    own = scenarios.optimize_budget(models["base"], seed=3, n_uncertainty=0)
    np.testing.assert_allclose(mixed.allocation, own.allocation, rtol=1e-6)
    np.testing.assert_allclose(np.sort(mixed.lift.total.values.ravel()),
                               np.sort(own.lift.total.values.ravel()), rtol=1e-9)


def test_the_average_plans_for_the_mixture_not_for_one_candidate(tilted):
    """Half and half: the mixture's plan lies between the candidates' own plans, and under
    the mixture it beats each of them (it maximises the pooled mean lift)."""
    _, models = tilted
    avg = ModelAverage(models, weights={"base": 1.0, "tilted": 1.0}, seed=1)
    mixed = avg.optimize_budget(seed=0, n_uncertainty=0)
    assert mixed.converged
    plans = {name: scenarios.optimize_budget(m, seed=0, n_uncertainty=0)
             for name, m in models.items()}
    ch0 = models["base"].channels[0]
    lo, hi = sorted(p.allocation[ch0] for p in plans.values())
    assert lo - 1e-6 * hi <= mixed.allocation[ch0] <= hi * (1 + 1e-6)
    assert plans["tilted"].allocation[ch0] > plans["base"].allocation[ch0] * 1.05
    best = _mixture_mean_lift(avg, mixed)
    for name, plan in plans.items():
        assert best >= _mixture_mean_lift(avg, plan) - 1e-6 * abs(best), name
    # the plan's own lift is the mixture's: half its draws from each candidate
    np.testing.assert_allclose(float(mixed.lift.total.mean()), best, rtol=1e-9)
    assert mixed.lift.total.sizes["draw"] == avg.counts().sum()
