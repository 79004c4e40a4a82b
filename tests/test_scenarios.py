"""Scenarios: lift, reallocation, forward plans and response curves (the budget optimiser is
tested in ``test_optimize.py``, which shares this file's helpers and fitted model).

Two kinds of model are used:

* *truth models* (``tests/truth.py``): every posterior draw is the simulator's true parameter
  set, so every scenario answer must equal the simulator's own (``SimulatedData.true_lift``)
  to rounding error, and the optimiser must find the true optimum;
* a small *real fit* of a geo panel, for the properties that need a real posterior (intervals,
  risk objectives, agreement with ``MMM.roas``); it is fitted once per session
  (:func:`fitted_panel`), whichever of the two test files asks first.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import scenarios

RTOL = 1e-6  # the criterion; the implementation reaches ~1e-12


# nat_sim, nat_truth, geo_sim, geo_truth: known-truth models from conftest


@functools.cache
def fitted_panel():
    """The small real fit ``(sim, model)``, fitted once per session (test_optimize uses it
    too; no test changes it)."""
    sim = mk.simulate.simulate(n_geos=5, n_weeks=80, n_channels=3, seed=7)
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(sim.data, draws=200, tune=200, chains=2, seed=1, progress=False)
    return sim, model


@pytest.fixture(scope="module")
def fit_sim():
    return fitted_panel()[0]


@pytest.fixture(scope="module")
def fit_model():
    return fitted_panel()[1]


# -- helpers ----------------------------------------------------------------------------------
def _frame(sim, spend: np.ndarray, dates=None) -> pd.DataFrame:
    """A plan frame (date[, geo] + channels) holding ``spend`` ``(G, T, C)``."""
    dates = sim.dates if dates is None else dates
    G, T, _ = spend.shape
    out = {"date": np.tile(np.asarray(dates), G)}
    if sim.geo:
        out["geo"] = np.repeat(sim.geos, T)
    for c, ch in enumerate(sim.channels):
        out[ch] = spend[:, :, c].reshape(-1)
    return pd.DataFrame(out)


def _assert_lift(lift: scenarios.LiftResult, truth: pd.Series, rtol: float = RTOL) -> None:
    """Every draw of ``lift`` equals the true lift per channel and in total."""
    scale = np.abs(truth.values).max()
    for ch in lift.channels:
        np.testing.assert_allclose(lift.draws.sel(channel=ch).values, truth[ch],
                                   rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(lift.total.values, truth["total"], rtol=rtol, atol=rtol * scale)


def _scaled(sim, allocation, cells=None) -> np.ndarray:
    """Actual spend with each channel's pattern in ``cells`` ``(G, T)`` (default: all)
    scaled to its allocated total; spend outside ``cells`` unchanged."""
    cells = np.ones(sim.spend.shape[:2], dtype=bool) if cells is None else cells
    inside = sim.spend * cells[:, :, None]
    factor = np.asarray(allocation, dtype=float) / inside.sum(axis=(0, 1))
    return np.where(cells[:, :, None], sim.spend * factor, sim.spend)


def _true_gain(sim, allocation, cells=None) -> float:
    """True lift of scaling each channel's actual pattern to its allocated total."""
    return float(sim.true_lift(_scaled(sim, allocation, cells))["total"])


def _brute_force_optimum(sim, budget: float | None = None, cells=None) -> float:
    """Best true gain over a grid of channel splits (coarse, then refined near the best)."""
    cells = np.ones(sim.spend.shape[:2], dtype=bool) if cells is None else cells
    hist = (sim.spend * cells[:, :, None]).sum(axis=(0, 1))
    budget = hist.sum() if budget is None else budget
    C = len(hist)

    def gain(shares) -> float:
        return _true_gain(sim, budget * np.asarray(shares), cells)

    def grid(center, half, step):
        axes = [np.arange(max(center[c] - half, 0), center[c] + half + 1e-12, step)
                for c in range(C - 1)]
        for point in itertools.product(*axes):
            last = 1 - sum(point)
            if last >= -1e-12:
                yield (*point, max(last, 0.0))

    best_shares, best = None, -np.inf
    for shares in grid(np.full(C, 0.5), 0.5, 0.02):
        value = gain(shares)
        if value > best:
            best, best_shares = value, shares
    for shares in grid(np.asarray(best_shares), 0.02, 0.002):
        best = max(best, gain(shares))
    return best


# =============================================================================================
# Lift against the truth
# =============================================================================================
@pytest.mark.parametrize("which", ["nat", "geo"])
def test_lift_of_a_plan_equals_the_true_lift(which, request):
    sim = request.getfixturevalue(f"{which}_sim")
    model = request.getfixturevalue(f"{which}_truth")
    rng = np.random.default_rng(0)
    alt = sim.spend * rng.uniform(0.3, 1.8, sim.spend.shape)  # every week, geo, channel moves
    lift = scenarios.incremental_lift(model, _frame(sim, alt))
    _assert_lift(lift, sim.true_lift(alt))
    # the breakdowns add up to the same draws
    np.testing.assert_allclose(lift.by_geo.sum("geo"), lift.draws, rtol=1e-12)
    np.testing.assert_allclose(lift.by_week.sum("date"), lift.draws, rtol=1e-12)
    # carryover after the last week is counted: max_lag - 1 weeks past the fitted period
    assert lift.by_week.sizes["date"] == len(sim.dates) + model.media.max_lag - 1
    assert float(abs(lift.by_week.isel(date=-1)).max()) > 0
    spend = lift.incremental_spend
    np.testing.assert_allclose(spend[sim.channels].values, (alt - sim.spend).sum(axis=(0, 1)))


def test_lift_of_a_window_counts_carryover_into_later_fitted_weeks(nat_sim, nat_truth):
    alt = nat_sim.spend.copy()
    alt[:, 20:30, 1] *= 2.0  # search: always on, so the later weeks have spend
    plan = _frame(nat_sim, alt)
    lift = scenarios.incremental_lift(nat_truth, plan, start=nat_sim.dates[20],
                                      end=nat_sim.dates[29])
    _assert_lift(lift, nat_sim.true_lift(alt))
    assert lift.by_week.sizes["date"] == 10 + nat_truth.media.max_lag - 1
    # weeks after the window keep their actual spend, which saturates with the carryover:
    # ignoring them (zero spend after the window) would overstate the lift
    cut = nat_sim.spend.copy()
    cut[:, 30:] = 0.0
    alt_cut = alt.copy()
    alt_cut[:, 30:] = 0.0
    wrong = nat_sim.true_lift(alt_cut, cut)["total"]
    assert abs(wrong - lift.total.values[0, 0]) > 1e-3 * abs(wrong)


def test_shift_over_a_window_and_some_geos_equals_the_true_lift(geo_sim, geo_truth):
    geos = [geo_sim.geos[1], geo_sim.geos[3]]
    lift = scenarios.shift(geo_truth, {"tv": -0.3, "social": 0.25},
                           start=geo_sim.dates[10], end=geo_sim.dates[25], geos=geos)
    alt = geo_sim.spend.copy()
    for g in (1, 3):
        alt[g, 10:26, 0] *= 0.7
        alt[g, 10:26, 2] *= 1.25
    _assert_lift(lift, geo_sim.true_lift(alt))
    assert lift.geos == geos and lift.draws.sel(channel="search").values.max() == 0.0
    # the same plan as a frame of those geos and weeks only
    rows = geo_sim.data["geo"].isin(geos) & geo_sim.data["date"].between(
        geo_sim.dates[10], geo_sim.dates[25])
    frame = _frame(geo_sim, alt)[rows.to_numpy()]
    again = scenarios.incremental_lift(geo_truth, frame)
    np.testing.assert_allclose(again.by_geo, lift.by_geo, rtol=1e-12)
    np.testing.assert_allclose(lift.incremental_spend["tv"],
                               -0.3 * geo_sim.spend[[1, 3], 10:26, 0].sum())


def test_shift_national_window(nat_sim, nat_truth):
    lift = scenarios.shift(nat_truth, {"search": -0.5}, start=nat_sim.dates[40])
    alt = nat_sim.spend.copy()
    alt[:, 40:, 1] *= 0.5
    _assert_lift(lift, nat_sim.true_lift(alt))


def test_shift_window_is_keyword_only_and_old_positional_calls_still_work(nat_sim, nat_truth):
    start, end = nat_sim.dates[10], nat_sim.dates[20]
    params = inspect.signature(scenarios.shift).parameters
    assert all(params[p].kind is inspect.Parameter.KEYWORD_ONLY for p in ("start", "end",
                                                                          "geos"))
    lift = scenarios.shift(nat_truth, {"tv": 0.2}, start=start, end=end)
    with pytest.warns(DeprecationWarning, match=r"start=\.\.\., end=\.\.\.") as record:
        old = scenarios.shift(nat_truth, {"tv": 0.2}, start, end)
    assert [w.filename for w in record if w.category is DeprecationWarning] == [__file__]
    np.testing.assert_array_equal(old.geo_draws, lift.geo_draws)
    with pytest.raises(TypeError, match="multiple values"):
        scenarios.shift(nat_truth, {"tv": 0.2}, start, start=start)
    with pytest.raises(TypeError, match="positional"):
        scenarios.shift(nat_truth, {"tv": 0.2}, start, end, None, None)


def test_move_keeps_patterns_and_equals_the_true_lift(geo_sim, geo_truth):
    hist = geo_sim.spend.sum(axis=(0, 1))
    amount = 0.4 * hist[1]
    lift = scenarios.move(geo_truth, amount, "search", ["tv", "social"], weights=[3, 1])
    alt = geo_sim.spend.copy()
    alt[..., 1] *= 1 - amount / hist[1]
    alt[..., 0] *= 1 + 0.75 * amount / hist[0]
    alt[..., 2] *= 1 + 0.25 * amount / hist[2]
    _assert_lift(lift, geo_sim.true_lift(alt))
    spend = lift.incremental_spend
    assert spend["total"] == pytest.approx(0.0, abs=1e-6 * amount)
    assert spend["search"] == pytest.approx(-amount)
    assert spend["tv"] == pytest.approx(0.75 * amount)
    with pytest.raises(ValueError, match="only"):
        scenarios.move(geo_truth, 2 * hist[1], "search", "tv")
    with pytest.raises(ValueError, match="other channels"):
        scenarios.move(geo_truth, 1.0, "search", ["search"])


# =============================================================================================
# Forward plans
# =============================================================================================
def _extended(sim, future: np.ndarray, gap: int = 0):
    """The simulation with ``gap`` zero weeks and ``future`` weeks appended to its spend, so
    that ``true_lift`` (which appends the carryover tail) covers a forward plan."""
    G, _, C = sim.spend.shape
    return np.concatenate([sim.spend, np.zeros((G, gap, C)), future], axis=1)


@pytest.mark.parametrize("which", ["nat", "geo"])
def test_forward_plan_against_last_years_weeks_equals_the_true_lift(which, request):
    sim = request.getfixturevalue(f"{which}_sim")
    model = request.getfixturevalue(f"{which}_truth")
    T, weeks = len(sim.dates), 10
    start = sim.dates[-1] + pd.Timedelta(weeks=1)
    reference = scenarios.plan_from_history(model, start, weeks)
    plan = scenarios.plan_from_history(model, start, weeks, scale={"tv": 1.5, "search": 0.6})
    assert list(plan.columns) == ["date", *(["geo"] if sim.geo else []), *sim.channels]
    source = np.arange(T, T + weeks) - 52
    ref_arr = sim.spend[:, source]
    alt_arr = ref_arr * np.array([1.5, 0.6, 1.0])
    np.testing.assert_allclose(plan[sim.channels].to_numpy(),
                               alt_arr.reshape(-1, alt_arr.shape[-1]))
    lift = scenarios.incremental_lift(model, plan, reference=reference)
    # truth: the fitted weeks carry into the plan (both plans), then the plans differ
    truth_sim = dataclasses.replace(sim, spend=_extended(sim, ref_arr))
    _assert_lift(lift, truth_sim.true_lift(_extended(sim, alt_arr)))
    assert lift.by_week["date"].values[0] == np.datetime64(start)
    # the carry-in matters: without the fitted history the answer differs
    ref_cold, alt_cold = _extended(sim, ref_arr), _extended(sim, alt_arr)
    ref_cold[:, :T] = 0.0
    alt_cold[:, :T] = 0.0
    wrong = dataclasses.replace(sim, spend=ref_cold).true_lift(alt_cold)["total"]
    assert abs(wrong - lift.total.values[0, 0]) > 1e-4 * abs(wrong)


def test_forward_plan_after_a_gap_warns_and_counts_zero_spend(nat_sim, nat_truth):
    T, weeks, gap = len(nat_sim.dates), 8, 3
    start = nat_sim.dates[-1] + pd.Timedelta(weeks=1 + gap)
    reference = scenarios.plan_from_history(nat_truth, start, weeks)
    plan = scenarios.plan_from_history(nat_truth, start, weeks, scale=1.3)
    with pytest.warns(scenarios.ScenarioWarning, match="zero spend"):
        lift = scenarios.incremental_lift(nat_truth, plan, reference=reference)
    ref_arr = nat_sim.spend[:, np.arange(T + gap, T + gap + weeks) - 52]
    truth_sim = dataclasses.replace(nat_sim, spend=_extended(nat_sim, ref_arr, gap))
    _assert_lift(lift, truth_sim.true_lift(_extended(nat_sim, ref_arr * 1.3, gap)))


def test_plan_errors_name_the_problem(nat_sim, nat_truth, geo_sim, geo_truth):
    start = nat_sim.dates[-1] + pd.Timedelta(weeks=1)
    future = scenarios.plan_from_history(nat_truth, start, 4)
    with pytest.raises(ValueError, match="reference"):
        scenarios.incremental_lift(nat_truth, future)
    other = scenarios.plan_from_history(nat_truth, start + pd.Timedelta(weeks=1), 4)
    with pytest.raises(mk.DataError, match="same weeks"):
        scenarios.incremental_lift(nat_truth, future, reference=other)
    off_grid = future.assign(date=future["date"] + pd.Timedelta(days=2))
    with pytest.raises(mk.DataError, match="weekly grid"):
        scenarios.incremental_lift(nat_truth, off_grid, reference=off_grid)
    with pytest.raises(mk.DataError, match="not fitted on"):
        one_geo = geo_sim.data[geo_sim.data["geo"] == geo_sim.geos[0]]
        scenarios.incremental_lift(geo_truth, one_geo.assign(geo="atlantis"))
    with pytest.raises(ValueError, match="fitted weeks"):
        scenarios.plan_from_history(nat_truth, start + pd.Timedelta(weeks=60), 4)
    with pytest.raises(ValueError, match="not a channel"):
        scenarios.shift(nat_truth, {"radio": 0.1})
    with pytest.raises(ValueError, match=">= -1"):
        scenarios.shift(nat_truth, {"tv": -1.5})
    with pytest.raises(mk.NotFittedError):
        scenarios.shift(mk.MMM(**nat_sim.model_kwargs()), {"tv": 0.1})


# =============================================================================================
# Response curves
# =============================================================================================
def test_response_curves_on_the_truth(nat_sim, nat_truth):
    curves = scenarios.response_curves(nat_truth, multipliers=[0.0, 0.5, 1.0, 1.5])
    lift = curves.lift.isel(chain=0, draw=0)
    assert (lift.sel(multiplier=0.0) == 0).all()
    spend = nat_sim.spend.sum(axis=(0, 1))
    np.testing.assert_allclose(lift.sel(multiplier=1.0), nat_sim.roas.values * spend, rtol=1e-9)
    np.testing.assert_allclose(curves.spend.sel(multiplier=1.5), 1.5 * spend)
    # the marginal ROAS is the exact derivative of the curve
    h = 1e-5
    near = scenarios.response_curves(nat_truth, multipliers=[0.7 - h, 0.7, 0.7 + h])
    lifted = near.lift.isel(chain=0, draw=0).values
    numeric = (lifted[:, 2] - lifted[:, 0]) / (2 * h * spend)
    np.testing.assert_allclose(near.marginal_roas.isel(chain=0, draw=0).values[:, 1], numeric,
                               rtol=1e-6)
    assert curves.lift.attrs["units"] == "sales"


def test_saturation_point(nat_truth):
    curves = scenarios.response_curves(nat_truth, multipliers=np.linspace(0, 4, 81))
    point = curves.saturation_point(threshold=1.0)
    with pytest.warns(DeprecationWarning, match="prob=..."):  # prob is keyword-only now
        pd.testing.assert_frame_equal(curves.saturation_point(1.0, 0.8),
                                      curves.saturation_point(1.0, prob=0.8))
    shuffled = scenarios.response_curves(nat_truth, multipliers=np.linspace(4, 0, 81))
    pd.testing.assert_frame_equal(shuffled.saturation_point(threshold=1.0), point)
    assert list(point.columns) == ["current_spend", "mean", "median", "lower", "upper",
                                   "share_beyond_grid", "grid_max_spend", "prob_saturated"]
    # a grid too short for every draw: quantiles may be inf, but no inf mean, and it says how
    # many draws lie beyond the grid
    short = scenarios.response_curves(nat_truth, multipliers=np.linspace(0, 0.3, 7))
    tight = short.saturation_point(threshold=0.01)
    assert (tight["share_beyond_grid"] == 1.0).all() and tight["mean"].isna().all()
    assert np.isinf(tight["median"]).all()
    np.testing.assert_allclose(tight["grid_max_spend"], 0.3 * tight["current_spend"])
    mroas = curves.marginal_roas.isel(chain=0, draw=0)
    for ch in point.index:
        spend_at = point.loc[ch, "median"]
        grid = curves.spend.sel(channel=ch).values
        above = grid[mroas.sel(channel=ch).values >= 1.0]
        if not np.isfinite(spend_at) or spend_at == 0:
            continue
        # beyond the point, the marginal ROAS stays below 1 on the grid
        assert above.max() <= spend_at + 1e-9
        assert spend_at <= above.max() + (grid[1] - grid[0])
        now = float(curves.current["marginal_roas"].isel(chain=0, draw=0).sel(channel=ch))
        assert point.loc[ch, "prob_saturated"] == float(now < 1.0)


def test_response_curves_agree_with_roas(fit_model):
    curves = scenarios.response_curves(fit_model)
    roas = fit_model.roas_draws()
    spend = fit_model.data_.spend.sum(axis=(0, 1))
    assert float(abs(curves.lift.sel(multiplier=0.0)).max()) == 0.0
    np.testing.assert_allclose(curves.lift.sel(multiplier=1.0).transpose(*roas.dims),
                               roas * spend, rtol=1e-9)
    np.testing.assert_allclose(curves.current["lift"], curves.lift.sel(multiplier=1.0),
                               rtol=1e-12)
    marginal = fit_model.roas(marginal=True)["mean"]
    ours = curves.current["marginal_roas"].mean(("chain", "draw")).to_series()
    np.testing.assert_allclose(ours[marginal.index], marginal, rtol=0.05)
    table = curves.summary()
    assert isinstance(table, pd.DataFrame)
    assert {"spend", "lift_mean", "lift_lower", "marginal_roas_upper"} <= set(table.columns)


# =============================================================================================
# Summaries
# =============================================================================================
def test_summary_and_incremental_roas(fit_model):
    with pytest.warns(scenarios.ScenarioWarning, match="changes the total budget"):
        lift = scenarios.shift(fit_model, {"tv": 0.2, "social": -0.2})
    table = lift.summary(prob=0.8)
    assert list(table.columns) == ["mean", "median", "lower", "upper", "prob_positive",
                                   "spend_change"]
    hist = fit_model.data_.spend.sum(axis=(0, 1))  # model channel order: tv, search, social
    np.testing.assert_allclose(table["spend_change"],
                               [0.2 * hist[0], 0.0, -0.2 * hist[2], 0.2 * (hist[0] - hist[2])])
    # search did not change: no lift to be sure of, not "0% chance of a gain"
    assert np.isnan(table.loc["search", "prob_positive"])
    assert table.attrs["unchanged"] == ["search"]
    assert list(table.index) == [*fit_model.channels, "total"]
    assert (table["lower"] <= table["median"]).all() and (table["median"] <= table["upper"]).all()
    draws = lift.draws.sel(channel="tv").values
    assert table.loc["tv", "prob_positive"] == pytest.approx((draws > 0).mean())
    assert table.loc["tv", "prob_positive"] == 1.0 and table.loc["social", "prob_positive"] == 0
    assert table.attrs["units"] == "sales"
    wide = lift.summary(prob=0.95)
    assert (wide["lower"] <= table["lower"]).all() and (wide["upper"] >= table["upper"]).all()
    roas = lift.incremental_roas()
    assert np.isnan(roas.loc["search", "mean"])  # search spend did not change
    tv = lift.draws.sel(channel="tv") / lift.incremental_spend["tv"]
    assert roas.loc["tv", "mean"] == pytest.approx(float(tv.mean()))
    moved = scenarios.move(fit_model, 0.1 * hist[1], "search", "tv")
    assert np.isnan(moved.incremental_roas().loc["total", "mean"])  # no net spend change
    assert abs(moved.summary().loc["total", "spend_change"]) < 1e-9 * hist.sum()
    assert "LiftResult" in repr(lift)


# =============================================================================================
# Staying near the data: extrapolation
# =============================================================================================
def test_lifts_say_where_they_extrapolate(geo_truth, geo_sim):
    channels = list(geo_truth.channels)
    within = scenarios.shift(geo_truth, {"tv": -0.3})
    assert within.extrapolates == []
    table = within.extrapolation
    assert list(table.index) == channels and not table["beyond"].any()
    # every week of the fitted period at its own level: the fitted maxima, ratio exactly 1
    same = scenarios.incremental_lift(geo_truth, geo_sim.data[["date", "geo", *channels]])
    assert same.extrapolates == [] and same.extrapolation["ratio"].max() == pytest.approx(1)
    up = scenarios.shift(geo_truth, {"search": 0.5})
    assert up.extrapolates == ["search"]
    row = up.extrapolation.loc["search"]
    assert row["ratio"] == pytest.approx(1.5) and row["weeks_beyond"] > 0
    assert up.summary().attrs["extrapolates"] == ["search"]


def test_response_curves_mark_the_observed_range(geo_truth, geo_sim):
    curves = scenarios.response_curves(geo_truth)
    limit = curves.dataset["observed_multiplier"]
    # over the whole fitted period the highest week is the fitted maximum: limit exactly 1
    np.testing.assert_allclose(limit.values, 1.0)
    inside = curves.dataset["within_data"]
    assert bool(inside.sel(multiplier=1.0, method="nearest").all())
    assert not bool(inside.sel(multiplier=1.2, method="nearest").any())
    late = scenarios.response_curves(geo_truth, start=geo_sim.dates[30])
    # a sub-period whose peak weeks are lower than the fitted maximum can be scaled up further
    assert (late.dataset["observed_multiplier"].values >= 1.0).all()
