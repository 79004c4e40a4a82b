"""Plan versus actual (:mod:`mmmkit.actuals`) on simulated weeks after the fitted period.

The simulator cannot extend a series, so a 130-week series is simulated and the model is
fitted on its first 117 weeks: the last 13 are "what then happened", drawn from the same
truth (spend, controls, trend, seasonality, noise). Shifts of the actual KPI are then known.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from conftest import FAST_FIT
from mmmkit import scenarios
from mmmkit.actuals import DRIFT_ALPHA, PlanCheck, binomial_tail, plan_vs_actual, run_chance
from mmmkit.plan_files import load_plan, save_plan

N_WEEKS, N_FIT = 130, 117


@pytest.fixture(scope="module")
def sim():
    return mk.simulate.simulate(n_geos=1, n_weeks=N_WEEKS, n_channels=3, seed=21)


@pytest.fixture(scope="module")
def fit(sim):
    """One fit for the module, on the first 117 weeks."""
    model = mk.MMM(**sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(sim.data.iloc[:N_FIT], **FAST_FIT)
    return model


@pytest.fixture
def actual(sim) -> pd.DataFrame:
    """The 13 weeks after the fitted period, as they happened."""
    return sim.data.iloc[N_FIT:].reset_index(drop=True)


@pytest.fixture(scope="module")
def check(fit, sim) -> PlanCheck:
    return plan_vs_actual(fit, sim.data.iloc[N_FIT:].reset_index(drop=True))


@pytest.fixture(scope="module")
def plan(fit):
    """A plan over the last 13 fitted weeks (the quarter the next one is planned from)."""
    return scenarios.optimize_budget(fit, start=fit.fitted_data().dates[-13], n_uncertainty=0)


# -- no shift: the actuals agree with the predictions ---------------------------------------------
def test_without_a_shift_coverage_is_near_nominal_and_no_drift(check, actual, fit):
    assert check.n_points == 13 and len(check.weekly) == 13
    assert check.coverage >= 0.75  # nominal 0.9: 13 weeks allow 1-3 outside
    assert check.coverage_p_value > DRIFT_ALPHA
    assert not check.drift
    assert "consistent with the model" in check.reasons[0]
    assert check.totals.loc["total", "inside"]
    np.testing.assert_allclose(check.weekly["actual"], actual["sales"])
    np.testing.assert_allclose(check.totals.loc["total", "actual"], actual["sales"].sum())
    w = check.weekly
    assert (w["lower"] <= w["mean"]).all() and (w["mean"] <= w["upper"]).all()
    assert (w["inside"] == ((w["actual"] >= w["lower"]) & (w["actual"] <= w["upper"]))).all()
    assert check.draws.dims == ("chain", "draw", "date")
    assert check.fitted_end == fit.fitted_data().dates[-1]


def test_the_predictions_are_the_model_predict_draws_for_the_spend_used(check, fit, actual):
    draws = fit.predict(actual, include_noise=True, seed=0)
    np.testing.assert_allclose(check.draws.values, draws.values)
    flat = draws.values.reshape(-1, 13)
    np.testing.assert_allclose(check.weekly["mean"], flat.mean(axis=0))
    lo, hi = np.quantile(flat, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(check.weekly["lower"], lo)
    np.testing.assert_allclose(check.weekly["upper"], hi)
    total = flat.sum(axis=1)
    np.testing.assert_allclose(check.totals.loc["total", ["lower", "upper"]],
                               np.quantile(total, [0.05, 0.95]))


def test_the_text_names_units_intervals_and_the_verdict(check):
    text = check.text()
    assert "sales" in text and "90% predictive interval" in text
    assert "Drift: not flagged." in text
    assert f"{check.n_points - check.n_outside} of 13" in text
    assert str(check.dates[0].date()) in text and str(check.fitted_end.date()) in text


# -- known shifts ---------------------------------------------------------------------------------
def _shifted_run(check: PlanCheck, first: pd.Timestamp, side: str) -> pd.Series:
    long = check.runs[(check.runs["weeks"] >= 8) & (check.runs["side"] == side)]
    assert len(long) == 1, check.runs
    run = long.iloc[0]
    assert run["first"] <= first and run["last"] == check.dates[-1]
    return run


def test_a_30_percent_rise_in_the_last_8_weeks_is_drift_naming_the_weeks(fit, actual):
    shifted = actual.copy()
    shifted.loc[5:, "sales"] *= 1.3
    check = plan_vs_actual(fit, shifted)
    assert check.drift
    run = _shifted_run(check, actual["date"].iloc[5], "above")
    text = " ".join(check.reasons)
    assert f"{run['first'].date()} to {run['last'].date()}" in text
    assert "above the 90% predictive band" in text
    assert check.weekly["side"].iloc[5:].eq("above").all()
    assert check.totals.loc["total", "actual"] > check.totals.loc["total", "upper"]
    assert "Drift: yes." in check.text()


def test_a_level_drop_of_five_noise_sds_is_drift_below_the_band(fit, actual, sim):
    shifted = actual.copy()
    shifted.loc[5:, "sales"] -= 5 * sim.params["noise_sd"][0]
    check = plan_vs_actual(fit, shifted)
    assert check.drift
    run = _shifted_run(check, actual["date"].iloc[5], "below")
    assert str(run["last"].date()) in " ".join(check.reasons)


def test_scattered_misses_are_drift_through_the_coverage_alone(fit, actual):
    shifted = actual.copy()
    odd = shifted.index[1::2]  # 6 weeks, never two in a row
    shifted.loc[odd, "sales"] *= 1.3
    check = plan_vs_actual(fit, shifted, outside_run=13)  # no run can flag
    assert check.n_outside >= 6
    assert check.coverage_p_value < DRIFT_ALPHA and check.drift
    assert any(r.startswith("Coverage is improbably low") and "binomial" in r
               for r in check.reasons)


# -- the plan -------------------------------------------------------------------------------------
def test_a_plan_is_compared_with_the_spend_actually_used(fit, actual, plan, tmp_path):
    check = plan_vs_actual(fit, actual, plan)
    ch = check.channels
    channels = list(fit.channels)
    np.testing.assert_allclose(ch.loc[channels, "actual"], actual[channels].sum())
    np.testing.assert_allclose(ch.loc[channels, "planned"], plan.allocation[channels])
    np.testing.assert_allclose(ch.loc[channels, "actual_vs_planned"],
                               actual[channels].sum() / plan.allocation[channels])  # 13 and 13
    assert ch.attrs["planned_weeks"] == 13 and ch.attrs["actual_weeks"] == 13
    lift = check.lift
    assert list(lift.index) == ["promised", "plan_in_actual_weeks", "actual_spend",
                                "actual_minus_plan"]
    promised = plan.lift.summary(0.9).loc["total"]
    np.testing.assert_allclose(lift.loc["promised", ["mean", "lower", "upper"]],
                               promised[["mean", "lower", "upper"]])
    np.testing.assert_allclose(lift.loc["actual_minus_plan", "mean"],
                               lift.loc["actual_spend", "mean"]
                               - lift.loc["plan_in_actual_weeks", "mean"], rtol=1e-9)
    assert lift.attrs["units"] == "sales" and "promised by the plan" in check.text()
    assert check.notes == []
    # the saved plan gives the same comparison
    save_plan(plan, tmp_path / "plan.nc", model=fit)
    again = plan_vs_actual(fit, actual, load_plan(tmp_path / "plan.nc"))
    pd.testing.assert_frame_equal(again.lift, check.lift)
    pd.testing.assert_frame_equal(again.channels, check.channels)
    assert again.notes == []


def test_a_plan_followed_exactly_shows_no_departure(fit, actual, plan):
    followed = actual.copy()
    weekly = plan.weekly_plan.sel(geo="all").transpose("date", "channel")
    followed[list(fit.channels)] = weekly.values  # the plan's 13 weeks, re-dated
    check = plan_vs_actual(fit, followed, plan)
    np.testing.assert_allclose(check.channels["actual_vs_planned"], 1.0, rtol=1e-9)
    assert check.channels.attrs["mix_deviation"] < 1e-9
    np.testing.assert_allclose(check.lift.loc["actual_minus_plan", ["mean", "lower", "upper"]],
                               0.0, atol=1e-6)


def test_a_plan_of_another_model_is_noted_and_a_lift_is_refused(fit, actual, nat_truth,
                                                                 geo_truth, tmp_path):
    other = scenarios.optimize_budget(nat_truth, n_uncertainty=0)
    save_plan(other, tmp_path / "other.nc", model=nat_truth)
    check = plan_vs_actual(fit, actual, load_plan(tmp_path / "other.nc"))
    assert any("other data" in n for n in check.notes)
    assert any("other data" in line for line in check.text().splitlines())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scenarios.ScenarioWarning)
        save_plan(scenarios.shift(nat_truth, {"tv": 0.1}), tmp_path / "lift.nc")
    with pytest.raises(ValueError, match="saved scenario lift"):
        plan_vs_actual(fit, actual, load_plan(tmp_path / "lift.nc"))
    panel_plan = scenarios.optimize_budget(geo_truth, n_uncertainty=0)
    with pytest.raises(ValueError, match="none in common"):
        plan_vs_actual(fit, actual, panel_plan)


# -- bad frames: a DataError before anything is computed -----------------------------------------
def _bad_frames(actual: pd.DataFrame, sim) -> dict:
    text_target = actual.astype({"sales": object})
    text_target.loc[4, "sales"] = "n/a"
    nan_target = actual.copy()
    nan_target.loc[7, "sales"] = np.nan
    off_grid = actual.copy()
    off_grid["date"] = off_grid["date"] + pd.Timedelta(days=1)
    return {
        "no target": (actual.drop(columns="sales"), r"no column 'sales', the actual KPI"),
        "no channel": (actual.drop(columns="search"), r"'search' not found"),
        "no control": (actual.drop(columns="control_1"), r"'control_1' not found"),
        "fitted weeks": (sim.data.iloc[N_FIT - 3:].reset_index(drop=True),
                         r"inside the fitted period .*pass only weeks after 2023-03-27"),
        "text target": (text_target, r"column 'sales' has 'n/a'.*date=2023-05-01"),
        "missing target": (nan_target, r"column 'sales' is missing \(NaN\)"),
        "off the weekly grid": (off_grid, r"not on the fitted weekly grid"),
        "negative spend": (actual.assign(tv=-actual["tv"]), r"'tv' has negative spend"),
    }


@pytest.mark.parametrize("case", ["no target", "no channel", "no control", "fitted weeks",
                                  "text target", "missing target", "off the weekly grid",
                                  "negative spend"])
def test_a_bad_frame_raises_a_data_error_before_anything_is_computed(fit, actual, sim, case,
                                                                     monkeypatch):
    frame, message = _bad_frames(actual, sim)[case]
    before = frame.copy()

    def boom(*args, **kwargs):
        raise AssertionError("predicted before the frame was checked")

    monkeypatch.setattr(fit, "predict", boom)
    with pytest.raises(mk.DataError, match=message):
        plan_vs_actual(fit, frame)
    pd.testing.assert_frame_equal(frame, before)


def test_the_inside_weeks_error_names_the_row(fit, sim):
    frame = sim.data.iloc[N_FIT - 2:].reset_index(drop=True)
    with pytest.raises(mk.DataError, match=r"week 2023-03-20 at row date=2023-03-20 \(index 0\)"
                                           r" \(2 rows in all\)"):
        plan_vs_actual(fit, frame)


def test_the_callers_frame_is_never_changed(fit, actual, plan):
    before = actual.copy()
    plan_vs_actual(fit, actual, plan)
    pd.testing.assert_frame_equal(actual, before)


def test_bad_arguments_are_refused(fit, actual):
    with pytest.raises(ValueError, match="prob"):
        plan_vs_actual(fit, actual, prob=1.5)
    for run in (0, 2.5, True):
        with pytest.raises(ValueError, match="outside_run"):
            plan_vs_actual(fit, actual, outside_run=run)
    with pytest.raises(TypeError, match="BudgetPlan"):
        plan_vs_actual(fit, actual, plan="plan.nc")
    with pytest.raises(TypeError, match=r"mmmkit\.MMM"):
        plan_vs_actual("model.mmm", actual)
    with pytest.raises(mk.DataError, match="DataFrame"):
        plan_vs_actual(fit, actual.to_dict())


def test_weeks_between_the_fitted_period_and_the_actuals_are_noted(fit, actual):
    with pytest.warns(mk.FitWarning, match="zero spend"):
        check = plan_vs_actual(fit, actual.iloc[2:].reset_index(drop=True))
    assert any(n.startswith("2 week(s) between the fitted period") for n in check.notes)


# -- panels ---------------------------------------------------------------------------------------
def _later_weeks(sim, weeks: int) -> pd.DataFrame:
    """``weeks`` weeks after ``sim``'s last, spend and controls repeated from its last weeks."""
    tail = sim.data.groupby("geo").tail(weeks).copy()
    tail["date"] = tail["date"] + pd.Timedelta(weeks=weeks)
    return tail.reset_index(drop=True)


@pytest.fixture(scope="module")
def panel_truth(geo_sim):
    from truth import model_from_truth

    return model_from_truth(geo_sim, chains=2, draws=150, seed=4)


def test_a_panel_is_checked_per_geo_and_in_total(panel_truth, geo_sim):
    frame = _later_weeks(geo_sim, 13)
    # the actual KPI is one draw of the model's own predictive distribution: no drift
    draw = panel_truth.predict(frame, include_noise=True, seed=99).isel(chain=0, draw=0)
    frame["sales"] = [float(draw.sel(date=d, geo=g)) for d, g in zip(frame["date"],
                                                                       frame["geo"], strict=True)]
    check = plan_vs_actual(panel_truth, frame, seed=1)
    assert len(check.weekly) == 4 * 13 and "geo" in check.weekly
    assert list(check.totals.index) == [*geo_sim.geos, "total"]
    assert len(check.weekly_total) == 13
    assert check.n_points == 52 and check.coverage >= 0.8
    assert not check.drift, check.reasons
    assert "geo-weeks" in check.reasons[0] and "Geo-weeks inside" in check.text()
    np.testing.assert_allclose(check.totals.loc["total", "actual"], frame["sales"].sum())
    # a shift in one geo is drift in that geo
    shifted = frame.copy()
    hit = (shifted["geo"] == "geo_02") & (shifted["date"] >= shifted["date"].max()
                                          - pd.Timedelta(weeks=4))
    shifted.loc[hit, "sales"] *= 1.5
    check = plan_vs_actual(panel_truth, shifted, seed=1)
    assert check.drift and any("in geo geo_02" in r for r in check.reasons)


def test_a_panel_plan_is_compared_in_the_geos_both_cover(panel_truth, geo_sim):
    plan = scenarios.optimize_budget(panel_truth, start=panel_truth.fitted_data().dates[-13],
                                     n_uncertainty=0)
    frame = _later_weeks(geo_sim, 13)  # the plan period's historical spend, re-dated
    frame = frame[frame["geo"] != "geo_01"].reset_index(drop=True)
    check = plan_vs_actual(panel_truth, frame, plan)
    shared = ["geo_00", "geo_02", "geo_03"]
    assert check.channels.attrs["geos"] == shared
    assert any("no rows for 1 geo(s) of the plan (geo_01)" in n for n in check.notes)
    channels = list(panel_truth.channels)
    np.testing.assert_allclose(check.channels.loc[channels, "planned"],
                               plan.allocation_by_geo.loc[shared, channels].sum())
    promised = plan.lift.by_geo.sel(geo=shared).sum(("geo", "channel")).values.ravel()
    np.testing.assert_allclose(check.lift.loc["promised", "mean"], promised.mean())
    # the spend actually used is the historical split itself: no lift over it
    np.testing.assert_allclose(check.lift.loc["actual_spend", ["mean", "lower", "upper"]], 0.0,
                               atol=1e-6)
    np.testing.assert_allclose(check.lift.loc["actual_minus_plan", "mean"],
                               -check.lift.loc["plan_in_actual_weeks", "mean"])


def test_a_geo_the_model_was_not_fitted_on_is_a_data_error(panel_truth, geo_sim):
    frame = _later_weeks(geo_sim, 4)
    frame["geo"] = frame["geo"].replace({"geo_03": "geo_99"})
    before = frame.copy()
    with pytest.raises(mk.DataError, match=r"column 'geo' has geo 'geo_99', which the model "
                                           r"was not fitted on"):
        plan_vs_actual(panel_truth, frame)
    pd.testing.assert_frame_equal(frame, before)


# -- the probabilities ----------------------------------------------------------------------------
def test_run_chance_matches_enumeration():
    for n, run, q in [(6, 2, 0.1), (7, 3, 0.3), (5, 1, 0.2), (4, 4, 0.5), (3, 5, 0.5)]:
        exact = 0.0
        for weeks in itertools.product([0, 1], repeat=n):
            longest = max((len(list(g)) for k, g in itertools.groupby(weeks) if k), default=0)
            if longest >= run:
                k = sum(weeks)
                exact += q ** k * (1 - q) ** (n - k)
        assert math.isclose(run_chance(n, run, q), exact, rel_tol=1e-12, abs_tol=1e-15)


def test_binomial_tail():
    n, p = 13, 0.1
    for k in range(0, 14):
        exact = sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))
        assert math.isclose(binomial_tail(k, n, p), exact, rel_tol=1e-9, abs_tol=1e-15)
