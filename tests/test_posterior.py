"""The numpy posterior engine (:mod:`mmmkit.posterior`): every answer's one computation of
media, baseline and expected target on draws, checked against the PyMC graph itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytensor
import pytest
import xarray as xr

import mmmkit as mk
from mmmkit.graph import OBSERVED
from mmmkit.posterior import squeeze_national, subset_geos, with_tail


def _mean_at_draws(model, data, draws: dict) -> np.ndarray:
    """The PyMC graph's expected (scaled) target with its random variables set to ``draws``."""
    pm_model = model.build_model(data)
    obs = pm_model[OBSERVED]
    # the RV's inputs are (rng, size, *params): Normal(mu, sigma), StudentT(nu, mu, sigma)
    mu = obs.owner.inputs[3 if model.likelihood == "studentt" else 2]
    replace = {pm_model[name]: pytensor.tensor.constant(value) for name, value in draws.items()
               if name in pm_model.named_vars and pm_model[name] in pm_model.free_RVs}
    return pytensor.graph.clone_replace(mu, replace).eval()


@pytest.mark.parametrize(("sim_name", "likelihood", "drift", "geo_seasonality"), [
    ("national_sim", "normal", False, False), ("national_sim", "studentt", False, False),
    ("panel_sim", "normal", False, False), ("national_sim", "normal", True, False),
    ("panel_sim", "studentt", mk.Drift(knot_weeks=13), False),
    ("panel_sim", "normal", False, True)])
def test_numpy_engine_reproduces_the_pymc_graph(request, sim_name, likelihood, drift,
                                                geo_seasonality):
    """Contributions, ROAS and predictions are numpy; they must equal the sampled model
    (with the drifting level and the geos' own seasonality too, national and pooled across
    geos)."""
    national_sim = request.getfixturevalue(sim_name)
    adstocks = [mk.WeibullAdstock(max_lag=6, kind="pdf"), mk.GeometricAdstock(max_lag=4),
                mk.DelayedAdstock(max_lag=5)]
    saturations = [mk.HillSaturation(), mk.LogisticSaturation(),
                   mk.MichaelisMentenSaturation()]
    channels = national_sim.channels
    adstock = {ch: adstocks[i % 3] for i, ch in enumerate(channels)}
    saturation = {ch: saturations[i % 3] for i, ch in enumerate(channels)}
    model = mk.MMM(**national_sim.model_kwargs(), adstock=adstock, saturation=saturation,
                   likelihood=likelihood, drift=drift, geo_seasonality=geo_seasonality)
    data = model.prepare(national_sim.data)
    pm_model = model.build_model(data)
    import pymc as pm

    with pm_model, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the intercept prior is an observed term
        prior = pm.sample_prior_predictive(draws=3, random_seed=1).prior
    engine = model.posterior_engine(prior, data)
    if drift:  # the prior's drift really moves the level, and is centred on the fitted weeks
        level = engine.baseline_parts(data.dates, data.control_values, slice(None))["drift"]
        assert np.ptp(level, axis=-1).min() > 0
        np.testing.assert_allclose(level.mean(axis=-1), 0.0, atol=1e-9 * data.target_scale.max())
    if geo_seasonality:  # the prior's geos really differ in their yearly pattern
        season = engine.baseline_parts(data.dates, data.control_values, slice(None))
        assert np.ptp(season["seasonality"] / data.target_scale[:, None], axis=1).min() > 0
    spend = model.media.reorder(data.spend)
    for s in range(3):
        sl = slice(s, s + 1)
        ours = engine.expected_target(spend, data.dates, data.control_values, sl)[0]
        point = {name: engine.params[name][s] for name in engine.params}
        theirs = _mean_at_draws(model, data, point) * data.target_scale[:, None]
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_expected_target_is_media_plus_baseline(national_fit):
    data = national_fit.fitted_data()
    engine = national_fit.posterior_engine()
    spend = national_fit.media.reorder(data.spend)
    sl = slice(0, 5)
    total = engine.expected_target(spend, data.dates, data.control_values, sl)
    media = engine.media_contribution(spend, sl).sum(axis=-1)
    base = sum(engine.baseline_parts(data.dates, data.control_values, sl).values())
    np.testing.assert_allclose(total, media + base, rtol=1e-12)
    # history weeks carry spend in but are not reported
    later = engine.expected_target(spend, data.dates[10:], data.control_values[:, 10:], sl,
                                   history=10)
    np.testing.assert_allclose(later, total[:, :, 10:], rtol=1e-12)


def test_subset_geos_keeps_only_those_geos(panel_fit):
    engine = panel_fit.posterior_engine()
    sub = subset_geos(engine, [2, 0])
    assert sub.data.geos == [engine.data.geos[2], engine.data.geos[0]]
    np.testing.assert_array_equal(sub.params["intercept"], engine.params["intercept"][:, [2, 0]])
    np.testing.assert_array_equal(sub.params["sigma"], engine.params["sigma"])
    assert engine.data.geos == panel_fit.fitted_data().geos  # the original is untouched
    assert subset_geos(engine, list(range(engine.data.n_geos))) is engine


def test_with_tail_appends_weeks_of_zero_spend():
    spend = np.ones((2, 3, 4))
    out = with_tail(spend, 5)
    assert out.shape == (2, 8, 4)
    assert out[:, :3].sum() == 24 and out[:, 3:].sum() == 0


def test_national_answers_drop_the_placeholder_geo():
    da = xr.DataArray(np.zeros((2, 1, 3)), dims=("draw", "geo", "date"))
    assert squeeze_national(da, national=True).dims == ("draw", "date")
    assert squeeze_national(da, national=False).dims == ("draw", "geo", "date")
