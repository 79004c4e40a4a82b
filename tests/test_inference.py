"""Sampler control and the compile cache (:mod:`mmmkit.inference`)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

import mmmkit as mk
from mmmkit import inference


def _variant(sim, roas_mu: float, lift: float, weeks: int):
    """A calibrated specification and its lift test; the numbers are the variant."""
    dates = pd.to_datetime(sim.data[sim.date])
    tests = pd.DataFrame({"channel": ["tv"], "start": [dates[20]], "end": [dates[23]],
                          "spend_change": [-float(sim.data["tv"].iloc[20:24].sum())],
                          "lift": [lift], "lift_se": [0.2 * abs(lift)]})
    model = mk.MMM(**sim.model_kwargs(),
                   roas_priors={"search": mk.Prior("LogNormal", mu=roas_mu, sigma=0.4)},
                   priors={"sigma": mk.Prior("HalfNormal", sigma=0.3)})
    return model, sim.data.iloc[:weeks], tests


def test_variants_of_the_numbers_share_one_compile_and_sample_as_a_fresh_one(national_sim):
    """Another ROAS prior's numbers, another lift-test result and other weeks (a back-test
    fold, a refresh): the same compiled sampler, with the variant's data and its own starting
    points, draws equal to a fresh compile's."""
    kwargs = dict(draws=60, tune=60, chains=2, seed=3, progress=False)
    first, df1, tests1 = _variant(national_sim, np.log(2.0), -3000.0, 156)
    second, df2, tests2 = _variant(national_sim, np.log(0.5), -9000.0, 130)
    assert first.compile_key(first.prepare(df1), tests1) == second.compile_key(
        second.prepare(df2), tests2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        first.fit(df1, lift_tests=tests1, **kwargs)
        second.fit(df2, lift_tests=tests2, **kwargs)  # reuses first's compile
        saved = dict(inference.COMPILED)
        inference.COMPILED.clear()
        try:
            fresh, df3, tests3 = _variant(national_sim, np.log(0.5), -9000.0, 130)
            fresh.fit(df3, lift_tests=tests3, **kwargs)
        finally:
            inference.COMPILED.update(saved)
    assert second.fit_info_["compile_seconds"] < 0.2 * fresh.fit_info_["compile_seconds"]
    xr.testing.assert_equal(second.idata.posterior, fresh.idata.posterior)
    # the variant's numbers reached the reused sampler: not the first variant's posterior
    assert not first.idata.posterior["channel_roas"].equals(second.idata.posterior["channel_roas"])


def test_compile_key_is_the_graphs_structure(national_sim):
    """Families, parameter shapes, shared transforms and the lift tests' layout fix the
    graph; the numbers do not."""
    data = mk.MMM(**national_sim.model_kwargs()).prepare(national_sim.data)

    def key(**kw):
        return mk.MMM(**national_sim.model_kwargs(), **kw).compile_key(data)

    # ROAS priors' numbers are data; their channels and family are structure
    one = key(roas_priors={"tv": mk.Prior("LogNormal", mu=0.0, sigma=0.3)})
    assert key(roas_priors={"tv": mk.Prior("LogNormal", mu=1.0, sigma=0.5)}) == one
    assert key(roas_priors={"search": mk.Prior("LogNormal", mu=0.0, sigma=0.3)}) != one
    assert key(roas_priors={"tv": mk.Prior("Gamma", mu=1.0, sigma=0.5)}) != one
    # other priors' numbers are constants folded into the compiled code (data would cost
    # compile time on every fit): they count
    base = key(priors={"sigma": mk.Prior("HalfNormal", sigma=0.5)})
    assert key(priors={"sigma": mk.Prior("HalfNormal", sigma=0.9)}) != base
    # lift tests: values are data, the layout (channel, geos, weeks) is structure
    dates = pd.to_datetime(national_sim.data[national_sim.date])
    model = mk.MMM(**national_sim.model_kwargs())

    pause = -float(national_sim.data["tv"].iloc[20:24].sum())

    def test(**kw):
        row = {"channel": "tv", "start": dates[20], "end": dates[23], "spend_change": pause,
               "lift": -3e3, "lift_se": 600.0, **kw}
        return model.compile_key(data, pd.DataFrame([row]))

    assert test(lift=-5e3, lift_se=900.0, spend_change=pause / 2) == test()
    assert test(end=dates[25]) != test()
    assert test(channel="search") != test()


def test_compile_key_ignores_the_weeks_but_not_the_geos_or_the_specification(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    full = model.prepare(national_sim.data)
    short = model.prepare(national_sim.data.iloc[:100])
    assert model.compile_key(full) == model.compile_key(short)
    other = mk.MMM(**national_sim.model_kwargs(), trend=False)
    assert other.compile_key(full) != model.compile_key(full)
    # labels and date reading change no part of the graph: no recompile for them
    relabelled = mk.MMM(**national_sim.model_kwargs(), kpi_unit="EUR", currency="EUR",
                        dayfirst=True)
    assert relabelled.compile_key(full) == model.compile_key(full)
    assert inference.compile_key(model.config(), ["a"]) != inference.compile_key(
        model.config(), ["a", "b"])


def test_assembled_idata_holds_draws_predictive_observed_and_constant_data(national_fit):
    idata = national_fit.idata
    assert set(idata.groups()) >= {"posterior", "sample_stats", "posterior_predictive",
                                   "observed_data", "constant_data"}
    data = national_fit.fitted_data()
    target = national_fit.target
    pp = idata.posterior_predictive[target]
    assert pp.dims == ("chain", "draw", "geo", "date")
    # the predictive is the expected target plus noise: its mean tracks the data closely
    resid = pp.mean(("chain", "draw")).values - data.target
    assert abs(resid.mean()) < 0.02 * data.target.mean()
    assert (idata.constant_data["spend"].values == data.spend).all()


def test_a_trace_cut_short_is_refused_as_an_interrupt(national_fit):
    import numpy as np
    import pytest

    idata = national_fit.idata
    model = national_fit.build_model()
    chains, draws = idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]
    inference.check_complete(idata, model, draws=draws, chains=chains)  # complete: passes
    with pytest.raises(KeyboardInterrupt, match="interrupted after"):
        inference.check_complete(idata, model, draws=draws + 1, chains=chains)
    padded = idata.copy()
    padded.posterior["sigma"].values[1, draws // 2:] = np.nan
    with pytest.raises(KeyboardInterrupt, match=r"chain\(s\) \[1\]"):
        inference.check_complete(padded, model, draws=draws, chains=chains)
