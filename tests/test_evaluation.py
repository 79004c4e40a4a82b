"""Calibration and trust: scores, holdout, back-test, model comparison, prior predictive.

Fits reuse the specifications of ``conftest``'s ``national_fit`` and ``panel_fit`` (same
channels, geos and transforms), so the suite compiles them once; only the deliberately wrong
specification in the comparison test compiles a sampler of its own.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from conftest import FAST_FIT
from mmmkit import evaluation as ev
from mmmkit.graph import OBSERVED

FIT = {k: v for k, v in FAST_FIT.items() if k != "seed"}  # holdout takes its own seed
HOLDOUT_WEEKS = 26


# -- scores on hand-made arrays ----------------------------------------------------------------


# -- holdout and back-test (one panel specification, reused) -----------------------------------
@pytest.fixture(scope="module")
def panel_data():
    # truth and spec share GeometricAdstock(max_lag=4), as conftest's panel_fit: same sampler
    return mk.simulate.simulate(n_geos=3, n_weeks=104, n_channels=2, seed=0,
                                adstock=mk.GeometricAdstock(max_lag=4))


def _panel_spec(sim):
    return mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=4))


@pytest.fixture(scope="module")
def panel_holdout(panel_data):
    spec = _panel_spec(panel_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        result = ev.holdout(spec, panel_data.data, test_weeks=HOLDOUT_WEEKS, seed=3, **FIT)
    assert spec.idata is None  # the caller's model is only a specification
    return result


def test_holdout_90_interval_covers_80_to_97_percent_of_held_out_weeks(panel_holdout):
    """The issue's criterion: 3 geos x 26 weeks = 78 held-out values."""
    overall = panel_holdout.scores.loc["overall"]
    print(panel_holdout.scores.to_string())
    assert overall["n"] == 3 * HOLDOUT_WEEKS
    assert 0.80 <= overall["coverage_90"] <= 0.97
    assert overall["coverage_50"] < overall["coverage_90"]
    assert overall["mape"] < 0.1 and overall["r2"] > 0.5


def test_holdout_forecasts_exactly_the_last_weeks(panel_holdout, panel_data):
    res = panel_holdout
    dates = panel_data.dates
    assert list(res.test_dates) == list(dates[-HOLDOUT_WEEKS:])
    assert list(res.train_dates) == list(dates[:-HOLDOUT_WEEKS])
    assert list(res.model.data_.dates) == list(dates[:-HOLDOUT_WEEKS])  # never saw the test
    assert res.predictions.dims == ("chain", "draw", "date", "geo")
    assert res.predictions.sizes["date"] == HOLDOUT_WEEKS
    truth = panel_data.data.pivot(index="date", columns="geo", values="sales")
    np.testing.assert_allclose(res.actual.transpose("date", "geo").values,
                               truth.iloc[-HOLDOUT_WEEKS:].to_numpy())
    assert list(res.scores.index) == [*panel_data.geos, "overall"]
    # the overall scores are recomputed from the arrays the result exposes
    draws = res.predictions.stack(s=("chain", "draw")).transpose("s", "date", "geo").values
    assert res.scores.loc["overall", "crps"] == pytest.approx(
        ev.crps(draws, res.actual.values).mean())
    text = res.describe()
    assert "26 weeks" in text and "90%" in text and "MAPE" in text
    pd.testing.assert_frame_equal(res.summary(), res.scores)
    assert res.summary().attrs["test_weeks"] == HOLDOUT_WEEKS


def test_backtest_one_row_per_fold_with_expanding_training(panel_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        table = ev.backtest(_panel_spec(panel_data), panel_data.data, folds=2, test_weeks=13,
                            min_train_weeks=52, seed=3, **FIT)
    print(table.to_string())
    assert list(table.index) == [1, 2]
    assert table["train_end"].is_monotonic_increasing and table["train_end"].is_unique
    week = pd.Timedelta(weeks=1)
    assert ((table["test_start"] - table["train_end"]) == week).all()
    assert table["test_end"].iloc[-1] == panel_data.dates[-1]
    assert (table["train_start"] == panel_data.dates[0]).all()
    assert list(table["train_weeks"]) == [104 - 26, 104 - 13]
    assert (table["n"] == 3 * 13).all()
    for col in ev.SCORE_COLUMNS:
        assert table[col].notna().all()


def test_holdout_of_a_national_series_from_a_factory(national_sim):
    def factory():
        return mk.MMM(**national_sim.model_kwargs())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        res = ev.holdout(factory, national_sim.data, test_weeks=13, seed=3, **FIT)
    assert list(res.scores.index) == ["overall"]
    assert res.predictions.dims == ("chain", "draw", "date")
    assert res.actual.dims == ("date",)
    np.testing.assert_allclose(res.actual.values, national_sim.data["sales"].iloc[-13:])
    assert res.scores.loc["overall", "n"] == 13
    assert "in 1 geos" not in res.describe()
    with pytest.raises(TypeError, match="MMM"):
        ev.holdout(lambda: "not a model", national_sim.data)
    with pytest.raises(ValueError, match="test_weeks"):
        ev.holdout(factory, national_sim.data, test_weeks=len(national_sim.dates))


def test_backtest_refuses_too_short_training(panel_data):
    with pytest.raises(ValueError, match="min_train_weeks"):
        ev.backtest(_panel_spec(panel_data), panel_data.data, folds=5, test_weeks=13,
                    min_train_weeks=52)


# -- model comparison --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_carryover_fit(national_sim):
    model = mk.MMM(**national_sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(national_sim.data, **FAST_FIT)
    return model


def test_compare_ranks_the_true_carryover_above_none(national_sim, national_fit,
                                                    no_carryover_fit):
    # the simulator's tv carries 65% of its effect into each next week (geometric, 8 lags,
    # like national_fit's specification); a no-carryover model cannot follow that
    assert national_sim.adstock == mk.GeometricAdstock(max_lag=8)
    assert national_sim.params["adstock"]["alpha"].max() > 0.6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        table = ev.compare({"no-carryover": no_carryover_fit, "geometric-8": national_fit})
    print(table.to_string(), *table.attrs["messages"], sep="\n")
    assert list(table.index) == ["geometric-8", "no-carryover"]
    wrong = table.loc["no-carryover"]
    assert wrong["elpd_diff"] > 2 * wrong["dse"]
    assert "Best by LOO: geometric-8" in table.attrs["messages"][0]
    assert "pareto_k_bad" in table.columns


def test_compare_refuses_models_fitted_to_different_data(national_fit):
    other = copy.copy(national_fit)
    other.data_ = copy.copy(national_fit.data_)
    other.data_.target = national_fit.data_.target * 1.01
    with pytest.raises(ValueError, match="different data"):
        ev.compare({"a": national_fit, "b": other})
    with pytest.raises(ValueError, match="at least two"):
        ev.compare({"a": national_fit})


def test_log_likelihood_matches_pymc_in_target_units(national_fit):
    """PyMC's own pointwise log-likelihood (scaled target) minus log(target_scale)."""
    import arviz as az
    import pymc as pm

    ll = ev.log_likelihood(national_fit)
    assert ll.dims == ("chain", "draw", "geo", "date")
    few = national_fit.idata.posterior.isel(draw=slice(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pm.compute_log_likelihood(
            az.InferenceData(posterior=few), model=national_fit.build_model(),
            extend_inferencedata=False, progressbar=False)[OBSERVED]
    scale = national_fit.data_.target_scale[None, None, :, None]
    np.testing.assert_allclose(ll.isel(draw=slice(0, 3)).values,
                               ref.transpose("chain", "draw", "geo", "date").values
                               - np.log(scale), rtol=1e-6, atol=1e-6)


# -- prior predictive --------------------------------------------------------------------------
def test_prior_predictive_covers_data_from_the_models_own_structure(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    res = ev.prior_predictive(model, national_sim.data, draws=400, seed=0)
    print(res.describe())
    assert res.draws.dims == ("chain", "draw", "date")
    assert res.draws.sizes["draw"] == 400
    assert res.coverage_90 >= 0.9
    # the level prior is wide, so the importance weights barely matter
    assert res.effective_draws > 0.8 * 400
    assert 0.0 < float(res.media_share.median()) < 1.0
    assert "prior" in res.describe()


def test_prior_predictive_flags_priors_that_rule_out_the_data(national_sim):
    # a baseline of 5x the average week, known to +-5%: nothing observed is that high
    wrong = mk.MMM(**national_sim.model_kwargs(),
                   priors={"intercept": mk.Prior("Normal", mu=5.0, sigma=0.05),
                           "sigma": mk.Prior("HalfNormal", sigma=0.02)})
    res = ev.prior_predictive(wrong, national_sim.data, draws=200, seed=0)
    assert res.coverage_90 < 0.1 and res.below_90 > 0.9
    assert "rule out" in res.describe()


def test_every_summary_is_a_table_and_describe_says_it_in_words(national_sim):
    """summary() is a DataFrame everywhere in mmmkit; the words are describe()."""
    res = ev.prior_predictive(mk.MMM(**national_sim.model_kwargs()), national_sim.data,
                              draws=60, seed=3)
    table = res.summary()
    assert isinstance(table, pd.DataFrame) and table.loc["prior", "coverage_90"] == \
        pytest.approx(res.coverage_90)
    assert table.loc["prior", "media_share_lower"] <= table.loc["prior", "media_share_median"]
    assert isinstance(res.describe(), str) and str(res) == res.describe()
