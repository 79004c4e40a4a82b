"""Sampler control and the compile cache (:mod:`mmmkit.inference`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mmmkit as mk
from mmmkit import inference


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
