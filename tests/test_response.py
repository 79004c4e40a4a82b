"""The scenario engine (:mod:`mmmkit.response`): its kernels against the model's own posterior
engine, the optimiser's fast Hill path against the exact one, and the shared helpers."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import response, scenarios
from mmmkit.posterior import PosteriorEngine
from mmmkit.stats import summarize
from truth import model_from_truth


@pytest.fixture(scope="module")
def spread(geo_sim):
    """40 draws scattered around the truth (Hill curves, geometric adstock)."""
    return model_from_truth(geo_sim, chains=2, draws=20, jitter=0.25, seed=3)


def test_mixed_transforms_agree_with_the_posterior_engine(nat_sim):
    """Lift and curves use their own fast kernels; they must equal the model's engine for
    every adstock and saturation kind (prior draws stand in for a posterior)."""
    import pymc as pm

    adstock = {"tv": mk.WeibullAdstock(max_lag=6, kind="pdf"),
               "search": mk.GeometricAdstock(max_lag=4), "social": mk.DelayedAdstock(max_lag=5)}
    saturation = {"tv": mk.HillSaturation(), "search": mk.LogisticSaturation(),
                  "social": mk.MichaelisMentenSaturation()}
    model = mk.MMM(**nat_sim.model_kwargs(), adstock=adstock, saturation=saturation)
    data = model.prepare(nat_sim.data)
    with model.build_model(data), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=4, random_seed=2).prior
    model.from_posterior(nat_sim.data, prior, seed=0)
    engine = PosteriorEngine(prior, data, model.media, seasonality=model.seasonality,
                             trend=model.trend, likelihood=model.likelihood)

    lift = scenarios.shift(model, {"tv": 0.4, "search": -0.3, "social": 0.2},
                           start=nat_sim.dates[30], end=nat_sim.dates[45])
    alt = data.spend.copy()
    alt[:, 30:46] *= np.array([1.4, 0.7, 1.2])
    tail = model.media.max_lag - 1
    from mmmkit.posterior import with_tail

    sl = slice(0, engine.n_samples)
    diff = (engine.media_contribution(model.media.reorder(with_tail(alt, tail)), sl)
            - engine.media_contribution(model.media.reorder(with_tail(data.spend, tail)), sl))
    expected = diff.sum(axis=(1, 2))[:, [model.media.order.index(c) for c in model.channels]]
    np.testing.assert_allclose(lift.draws.values.reshape(-1, 3), expected, rtol=1e-9,
                               atol=1e-9 * np.abs(expected).max())

    curves = scenarios.response_curves(model, multipliers=[0.0, 0.6 - 1e-5, 0.6, 0.6 + 1e-5,
                                                           1.0])
    roas = model.roas_draws()
    np.testing.assert_allclose(curves.lift.sel(multiplier=1.0).transpose(*roas.dims),
                               roas * data.spend.sum(axis=(0, 1)), rtol=1e-9)
    lifted = curves.lift.values
    numeric = (lifted[..., 3] - lifted[..., 1]) / (2e-5 * curves.spend.values[:, 4])
    np.testing.assert_allclose(curves.marginal_roas.values[..., 2], numeric, rtol=1e-5)


def test_the_fast_hill_path_equals_the_exact_response(spread, geo_sim):
    """The optimiser's log-free Hill evaluation is the same function as the curve's own."""
    weeks = np.arange(10, 41)
    geo_idx = [0, 2, 3]
    channels = list(spread.channels)
    exact = response.ChannelBlocks.build(spread, channels, weeks, geo_idx)
    fast = response.ChannelBlocks.build(spread, channels, weeks, geo_idx, optimizer=True)
    for ch in channels:
        a, b = exact.blocks[ch], fast.blocks[ch]
        # spend after the period stays as it is: no fast path for a block with carry-in
        assert b.fast() == (b.a_out is None)
        for m in (np.full(a.n_geos, 0.3), np.array([0.5, 1.0, 1.7])[:a.n_geos]):
            value, dm = a.response(m, exact=True)
            value_f, dm_f = b.response(m)
            np.testing.assert_allclose(value_f, value, rtol=1e-10)
            np.testing.assert_allclose(dm_f, dm, rtol=1e-8)
    # the draws of a subset are the same draws
    idx = np.array([1, 7, 30])
    block = fast.blocks[channels[0]]
    m = np.full(block.n_geos, 1.2)
    np.testing.assert_array_equal(block.subset(idx).response(m)[0], block.response(m)[0][idx])


def test_a_plan_equal_to_its_reference_has_no_lift(spread, geo_sim):
    data = spread.fitted_data()
    weeks, geo_idx = response.window(spread, geo_sim.dates[5], geo_sim.dates[9], None)
    actual = data.spend[np.ix_(geo_idx, weeks)]
    lift = response.lift_arrays(spread, actual, actual.copy(), data.dates[weeks], geo_idx)
    assert not lift.geo_draws.any() and not lift.week_draws.any()
    # counted weeks: the plan's and max_lag - 1 weeks of carryover after them
    timeline = response.plan_timeline(spread, data.dates[weeks], geo_idx)
    H = spread.media.max_lag - 1
    assert timeline.history == H and len(timeline.dates) == len(weeks) + 2 * H
    assert lift.dates.equals(timeline.counted)
    np.testing.assert_array_equal(timeline.with_plan(actual), timeline.base)


def test_stats_frame_is_the_shared_summary_and_keeps_undefined_columns_undefined():
    rng = np.random.default_rng(0)
    draws = rng.normal(size=(500, 3))
    draws[:, 1] = np.inf
    draws[3, 2] = np.nan
    frame = response.stats_frame(draws, ["a", "b", "c"], prob=0.8, positive=True)
    want = summarize(draws[:, [True, True, False]], 0.8)
    for col in ("mean", "median", "lower", "upper"):
        np.testing.assert_array_equal(frame[col].to_numpy()[:2], want[col])
    assert np.isinf(frame.loc["b", "upper"]) and frame.loc["c"].drop("prob_positive").isna().all()
    assert list(frame.index) == ["a", "b", "c"] and frame.index.name == "channel"
    with pytest.raises(ValueError, match="prob"):
        response.stats_frame(draws, ["a", "b", "c"], prob=1.5)


def test_keyword_only_keeps_old_positional_calls_working():
    @response.keyword_only("start", "end")
    def window(model, changes, *, start=None, end=None):
        return model, changes, start, end

    assert window(1, 2, start=3) == (1, 2, 3, None)
    assert inspect.signature(window).parameters["start"].kind is inspect.Parameter.KEYWORD_ONLY
    with pytest.warns(DeprecationWarning, match=r"start, end by keyword"):
        assert window(1, 2, 3, 4) == (1, 2, 3, 4)
    with pytest.raises(TypeError, match="multiple values"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        window(1, 2, 3, start=3)
    with pytest.raises(TypeError, match="at most 4 positional"):
        window(1, 2, 3, 4, 5)


def test_plan_reading_checks_the_frame(geo_sim, spread):
    frame = geo_sim.data[["date", "geo", *spread.channels]].iloc[:8]
    dates, geos, spend = response.read_plan(spread, frame, "plan")
    assert spend.shape == (len(geos), len(dates), 3)
    back = response.plan_frame(spread, spend, dates, geos)
    assert list(back.columns) == ["date", "geo", *spread.channels]
    with pytest.raises(mk.DataError, match="weekly grid"):
        response.read_plan(spread, frame.assign(date=frame["date"] + pd.Timedelta(days=1)),
                           "plan")
    with pytest.raises(ValueError, match="not a channel"):
        response.check_channel(spread, "radio")
    with pytest.raises(ValueError, match="Unknown geo"):
        response.window(spread, None, None, ["atlantis"])
