"""Sampler control and the compile cache (:mod:`mmmkit.inference`)."""

from __future__ import annotations

import warnings

import pandas as pd
import xarray as xr

import mmmkit as mk
from mmmkit import inference


def test_refit_reuses_the_compiled_sampler_and_matches_a_fresh_compile(national_sim):
    """A refit of the same specification on other weeks swaps the data, not the model."""
    first_weeks = national_sim.data.iloc[:120]
    kwargs = dict(draws=100, tune=100, chains=2, seed=7, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        mk.MMM(**national_sim.model_kwargs()).fit(national_sim.data, **kwargs)  # warm the cache
        cached = mk.MMM(**national_sim.model_kwargs()).fit(first_weeks, **kwargs)
        saved = dict(inference.COMPILED)
        inference.COMPILED.clear()
        try:
            fresh = mk.MMM(**national_sim.model_kwargs()).fit(first_weeks, **kwargs)
        finally:  # later tests of this spec keep the warm cache
            inference.COMPILED.update(saved)
    assert cached.fit_info_["compile_seconds"] < 0.2 * fresh.fit_info_["compile_seconds"]
    xr.testing.assert_equal(cached.idata.posterior, fresh.idata.posterior)
    pd.testing.assert_frame_equal(cached.roas(), fresh.roas())


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
