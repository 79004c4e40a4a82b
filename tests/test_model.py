"""The MMM estimator: configuration, fitted state, reading methods, persistence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import mmmkit as mk
from conftest import FAST_FIT


# -- configuration (no sampling) -------------------------------------------------------------
def test_constructor_only_stores_configuration(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    assert model.idata is None and model.data_ is None
    with pytest.raises(mk.NotFittedError, match="fit"):
        model.roas()


def test_every_prior_is_visible_and_overridable(national_sim):
    model = mk.MMM(**national_sim.model_kwargs(),
                   priors={"sigma": mk.Prior("HalfNormal", sigma=0.1)})
    assert model.priors["sigma"] == mk.Prior("HalfNormal", sigma=0.1)
    for name in ("intercept", "media_share", "channel_effect_offset", "adstock_alpha",
                 "saturation_half_saturation", "saturation_slope"):
        assert name in model.priors
    with pytest.raises(ValueError, match="no parameter 'sigmaa'"):
        mk.MMM(**national_sim.model_kwargs(), priors={"sigmaa": mk.Prior("HalfNormal")})
    pm_model = model.build_model(model.prepare(national_sim.data))
    assert pm_model["sigma"].owner.inputs[-1].eval() == pytest.approx(0.1)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="likelihood"):
        mk.MMM("date", "y", ["a"], likelihood="poisson")
    with pytest.raises(ValueError, match="seasonality"):
        mk.MMM("date", "y", ["a"], seasonality=-1)
    with pytest.raises(ValueError, match="every channel"):
        mk.MMM("date", "y", ["a", "b"], adstock={"a": mk.GeometricAdstock()})


# -- fitted model ------------------------------------------------------------------------------
def test_fit_returns_self_and_keeps_the_callers_frame(national_sim):
    frame = national_sim.data.copy(deep=True)
    before = frame.copy(deep=True)
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        out = model.fit(frame, draws=20, tune=20, chains=1, seed=0, progress=False)
    assert out is model
    pd.testing.assert_frame_equal(frame, before)


def test_same_seed_gives_the_same_draws(national_sim, national_fit):
    again = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        again.fit(national_sim.data, **FAST_FIT)
    # values and coordinates equal bit for bit (only the creation timestamp differs)
    xr.testing.assert_equal(again.idata.posterior, national_fit.idata.posterior)
    xr.testing.assert_equal(again.idata.posterior_predictive,
                            national_fit.idata.posterior_predictive)


def test_idata_groups(national_fit):
    groups = set(national_fit.idata.groups())
    assert {"posterior", "posterior_predictive", "observed_data", "constant_data",
            "sample_stats"} <= groups
    pp = national_fit.idata.posterior_predictive["sales"]
    assert pp.dims == ("chain", "draw", "geo", "date")


def test_diagnostics(national_fit):
    diag = national_fit.diagnostics()
    assert list(diag.index[:4]) == ["divergences", "max_r_hat", "min_ess_bulk", "min_ess_tail"]
    assert diag["divergences"] >= 0 and diag["max_r_hat"] > 0.99 and diag["min_ess_bulk"] > 10


def test_contributions_shape_units_and_decomposition(national_fit, national_sim):
    contrib = national_fit.contributions()
    assert contrib.dims == ("chain", "draw", "date", "channel")
    assert list(contrib.channel.values) == national_sim.channels
    assert (contrib >= 0).all()
    base = national_fit.baseline()
    assert set(base.component.values) == {"intercept", "trend", "seasonality", "control_1"}
    # baseline + media = expected target; its mean over draws tracks the observed sales
    total = (contrib.sum("channel") + base.sum("component")).mean(("chain", "draw"))
    observed = national_sim.data["sales"].to_numpy()
    assert np.corrcoef(total.values, observed)[0, 1] > 0.9
    assert abs(total.values.mean() / observed.mean() - 1) < 0.02


def test_roas_counts_carryover_after_the_period(national_fit):
    draws = national_fit.roas_draws()
    contrib = national_fit.contributions().sum("date")
    spend = national_fit.data_.spend[0].sum(axis=0)
    ratio = contrib / xr.DataArray(spend, dims="channel", coords={"channel": contrib.channel})
    assert (draws >= ratio - 1e-12).all()
    table = national_fit.roas(prob=0.9)
    assert list(table.columns) == ["mean", "median", "lower", "upper"]
    assert (table["lower"] <= table["median"]).all() and (table["median"] <= table["upper"]).all()
    assert table.attrs["units"] == "sales per unit of spend"
    wide = national_fit.roas(prob=0.99)
    assert (wide["lower"] <= table["lower"]).all() and (wide["upper"] >= table["upper"]).all()


def test_marginal_roas(national_fit):
    marginal = national_fit.roas(marginal=True)
    assert np.isfinite(marginal.values).all() and (marginal["lower"] >= 0).all()
    # marginal ROAS is a finite difference of the same response the ROAS uses
    engine = national_fit.posterior_engine()
    data = national_fit.data_
    from mmmkit.posterior import with_tail

    spend = with_tail(national_fit.media.reorder(data.spend), national_fit.media.max_lag - 1)
    step = engine.channel_totals(spend * 1.02).sum(1) - engine.channel_totals(spend).sum(1)
    two_pct = step / (0.02 * national_fit.media.reorder(data.spend).sum(axis=(0, 1)))
    one_pct = national_fit.roas_draws(marginal=True).stack(s=("chain", "draw")).transpose()
    np.testing.assert_allclose(np.median(one_pct.values, 0), np.median(two_pct, 0), rtol=0.05)


def test_predict_on_fitted_weeks_equals_the_decomposition(national_fit, national_sim):
    tail = national_sim.data.iloc[-12:]
    pred = national_fit.predict(tail, include_noise=False)
    assert pred.dims == ("chain", "draw", "date")
    expected = (national_fit.contributions().sum("channel")
                + national_fit.baseline().sum("component")).isel(date=slice(-12, None))
    np.testing.assert_allclose(pred.values, expected.values, rtol=1e-9)
    noisy = national_fit.predict(tail, seed=1)
    assert float(noisy.std()) > float(pred.std())
    xr.testing.assert_equal(noisy, national_fit.predict(tail, seed=1))


def test_predict_future_weeks_carries_over_history(national_fit, national_sim):
    last = national_sim.data["date"].iloc[-1]
    future = pd.DataFrame({
        "date": pd.date_range(last + pd.Timedelta(weeks=1), periods=4, freq="7D"),
        "tv": 0.0, "search": 0.0, "social": 0.0, "control_1": 0.0,
    })
    pred = national_fit.predict(future, include_noise=False)
    base = national_fit.predict(future.assign(date=future["date"] + pd.Timedelta(weeks=20)),
                                include_noise=False)
    assert pred.sizes["date"] == 4
    # with zero new spend, the first future week still carries over the fitted spend
    carry = pred.isel(date=0) - base.isel(date=0)
    assert float(carry.mean()) != 0.0
    with pytest.warns(mk.FitWarning, match="zero spend"):
        national_fit.predict(future.assign(date=future["date"] + pd.Timedelta(weeks=3)))


# -- geo panel ---------------------------------------------------------------------------------
def test_panel_outputs_have_a_geo_dimension(panel_fit, panel_sim):
    contrib = panel_fit.contributions()
    assert contrib.dims == ("chain", "draw", "date", "geo", "channel")
    assert list(contrib.geo.values) == panel_sim.geos
    by_geo = panel_fit.roas(by_geo=True)
    assert by_geo.index.names == ["geo", "channel"] and len(by_geo) == 3 * 2
    assert "channel_effect_sigma" in panel_fit.idata.posterior


def test_panel_predict_subset_of_geos_and_unknown_geo(panel_fit, panel_sim):
    df = panel_sim.data
    one = df[df["geo"] == panel_sim.geos[1]].iloc[-6:]
    pred = panel_fit.predict(one, include_noise=False)
    full = panel_fit.predict(df[df["date"].isin(one["date"])], include_noise=False)
    np.testing.assert_allclose(pred.isel(geo=0).values,
                               full.sel(geo=panel_sim.geos[1]).values, rtol=1e-10)
    with pytest.raises(mk.DataError, match="not fitted on"):
        panel_fit.predict(one.assign(geo="atlantis"))


# -- warnings ----------------------------------------------------------------------------------


def test_a_short_fit_warns_in_plain_words(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    with pytest.warns(mk.FitWarning, match="effective draws") as record:
        model.fit(national_sim.data, draws=30, tune=30, chains=2, seed=0, progress=False)
    # the warning names the user's line, not a file inside mmmkit (also through holdout())
    assert {w.filename for w in record if issubclass(w.category, mk.FitWarning)} == {__file__}


# -- failed and interrupted fits change nothing ------------------------------------------------
TINY_FIT = dict(draws=20, tune=20, chains=2, seed=0, progress=False)


def _tiny_fit(sim):
    model = mk.MMM(**sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(sim.data, **TINY_FIT)
    return model


def _lift_test(sim, start: int = 40):
    window = sim.data.iloc[start:start + 4]
    return pd.DataFrame({
        "channel": ["search"], "start": [window["date"].iloc[0]],
        "end": [window["date"].iloc[-1]], "spend_change": [-0.5 * window["search"].sum()],
        "lift": [1000.0], "lift_se": [500.0],
    })


def _state(model) -> dict:
    fitted = model.idata is not None
    return {"idata": model.idata, "data_": model.data_, "fit_info_": dict(model.fit_info_),
            "provenance_": model.provenance_, "lift_tests": model.lift_tests,
            "config": model.config(),
            "roas": model.roas() if fitted else None}


def _assert_unchanged(model, before: dict) -> None:
    assert model.idata is before["idata"] and model.data_ is before["data_"]
    assert model.lift_tests is before["lift_tests"]
    assert model.fit_info_ == before["fit_info_"]
    assert model.provenance_ is before["provenance_"]  # the record of the fit that stands
    assert model.config() == before["config"]
    if before["roas"] is None:
        with pytest.raises(mk.NotFittedError):
            model.roas()
    else:
        pd.testing.assert_frame_equal(model.roas(), before["roas"])


def _interrupted_sampler(how: str, real):
    """``nutpie.sample`` interrupted by Ctrl-C, in each of the ways it surfaces."""
    def sample(compiled, **kwargs):
        if how == "raises":  # Ctrl-C outside nutpie's own handler
            raise KeyboardInterrupt
        if how == "aborted":  # what nutpie.sample itself does on Ctrl-C: abort, return the trace
            sampler = real(compiled, **{**kwargs, "draws": 50_000}, blocking=False)
            return sampler.abort()
        if how == "short":  # every chain stopped halfway: the draw axis ends there
            return real(compiled, **{**kwargs, "draws": kwargs["draws"] // 2})
        # "uneven": chain 1 stopped halfway, padded with NaN up to the longest chain
        idata = real(compiled, **kwargs)
        for group in (idata.posterior, idata.sample_stats):
            for var in group.data_vars.values():
                if var.dtype.kind == "f":
                    var[1, kwargs["draws"] // 2:] = np.nan
        return idata
    return sample


@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
@pytest.mark.parametrize("how", ["raises", "aborted", "short", "uneven"])
def test_an_interrupted_fit_raises_and_changes_nothing(national_sim, monkeypatch, how, fitted):
    import nutpie

    model = _tiny_fit(national_sim) if fitted else mk.MMM(**national_sim.model_kwargs())
    before = _state(model)
    monkeypatch.setattr(nutpie, "sample", _interrupted_sampler(how, nutpie.sample))
    with pytest.raises(KeyboardInterrupt):
        model.fit(national_sim.data, lift_tests=_lift_test(national_sim), **TINY_FIT)
    _assert_unchanged(model, before)


def test_a_calibration_variant_reuses_the_compile_and_samples_as_a_fresh_one(national_sim):
    """Another lift-test result and other weeks (the specification the interrupted fits
    above compiled): the same compiled sampler, with the variant's data and its own starting
    points, draws equal to a fresh compile's."""
    from mmmkit import inference

    tests = _lift_test(national_sim).assign(lift=2500.0, lift_se=800.0)
    df = national_sim.data.iloc[:130]
    kwargs = dict(draws=60, tune=60, chains=2, seed=3, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        first = mk.MMM(**national_sim.model_kwargs()).fit(
            national_sim.data, lift_tests=_lift_test(national_sim), **kwargs)
        cached = mk.MMM(**national_sim.model_kwargs()).fit(df, lift_tests=tests, **kwargs)
        saved = dict(inference.COMPILED)
        inference.COMPILED.clear()
        try:
            fresh = mk.MMM(**national_sim.model_kwargs()).fit(df, lift_tests=tests, **kwargs)
        finally:  # later tests of this spec keep the warm cache
            inference.COMPILED.update(saved)
    assert cached.fit_info_["compile_seconds"] < 0.2 * fresh.fit_info_["compile_seconds"]
    xr.testing.assert_equal(cached.idata.posterior, fresh.idata.posterior)
    pd.testing.assert_frame_equal(cached.roas(), fresh.roas())
    # the variant's numbers reached the reused sampler: the fits answer differently
    assert not first.idata.posterior["lift_test_model"].equals(
        cached.idata.posterior["lift_test_model"])


@pytest.mark.parametrize("bad", ["frame", "lift test"])
def test_a_rejected_fit_changes_nothing(national_sim, bad):
    """A fit that raises leaves the old posterior under its old specification, not under lift
    tests it was never calibrated with."""
    model = _tiny_fit(national_sim)
    before = _state(model)
    df, tests = national_sim.data, _lift_test(national_sim)
    if bad == "frame":
        df = df.assign(tv=-1.0)
    else:  # valid as a table, but outside the fitted weeks: rejected while building the model
        tests = tests.assign(start=df["date"].iloc[-1] + pd.Timedelta(weeks=10),
                             end=df["date"].iloc[-1] + pd.Timedelta(weeks=12))
    with pytest.raises(mk.DataError):
        model.fit(df, lift_tests=tests, **TINY_FIT)
    _assert_unchanged(model, before)
    unfitted = mk.MMM(**national_sim.model_kwargs())
    with pytest.raises(mk.DataError):
        unfitted.fit(df, lift_tests=tests, **TINY_FIT)
    assert unfitted.lift_tests is None and unfitted.idata is None


# -- inputs and configuration are checked before anything compiles (issue 12) -----------------
def _no_compile(monkeypatch):
    """Make any attempt to compile or sample fail the test."""
    import mmmkit.inference as inference_module
    import mmmkit.model as model_module

    def refuse(*args, **kwargs):
        raise AssertionError("compiled although the input was invalid")

    monkeypatch.setattr(inference_module, "compiled_nutpie", refuse)
    monkeypatch.setattr(model_module, "build_pymc_model", refuse)


def test_controls_as_a_bare_string():
    assert mk.MMM("date", "y", ["a"], controls="price").controls == ["price"]


@pytest.mark.parametrize("kwargs, match", [
    ({"draws": 0}, "draws must be a whole number >= 1"),
    ({"draws": 100.0}, "draws must be a whole number"),
    ({"tune": -5}, "tune must be"),
    ({"chains": 0}, "chains must be"),
    ({"chains": 2.5}, "chains must be"),
    ({"target_accept": 1.0}, "target_accept .* strictly between 0 and 1"),
    ({"target_accept": 0}, "target_accept"),
    ({"target_accept": float("nan")}, "target_accept"),
])
def test_bad_sampler_settings_fail_before_compiling(national_sim, monkeypatch, kwargs, match):
    _no_compile(monkeypatch)
    model = mk.MMM(**national_sim.model_kwargs())
    with pytest.raises(ValueError, match=match):
        model.fit(national_sim.data, **{**FAST_FIT, **kwargs})
    assert model.idata is None


@pytest.mark.parametrize("start", [0, 2], ids=["04/01 first", "18/01 first"])
def test_day_first_text_dates(national_sim, start, monkeypatch):
    df = national_sim.data.iloc[start:start + 60].reset_index(drop=True)
    expected = pd.DatetimeIndex(df["date"])
    df = df.assign(date=df["date"].dt.strftime("%d/%m/%Y"))
    before = df.copy()
    for kwargs in ({}, {"dayfirst": True}):
        model = mk.MMM(**national_sim.model_kwargs(), **kwargs)
        assert model.prepare(df).dates.equals(expected)
    pd.testing.assert_frame_equal(df, before)
    _no_compile(monkeypatch)
    with pytest.raises(mk.DataError, match="pass dayfirst=True"):
        mk.MMM(**national_sim.model_kwargs(), dayfirst=False).fit(df, **FAST_FIT)
    with pytest.raises(ValueError, match="not both"):
        mk.MMM(**national_sim.model_kwargs(), dayfirst=True, date_format="%d/%m/%Y")


def test_data_errors_name_what_an_mmm_user_can_change(national_sim, monkeypatch):
    _no_compile(monkeypatch)
    short = national_sim.data.iloc[:25]
    long_lag = mk.MMM(**national_sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=30))
    with pytest.raises(mk.DataError, match=r"covers only 25 distinct weeks.*at least 31 are "
                       r"needed: the adstock of 'tv' has max_lag=30.*shorter max_lag") as info:
        long_lag.fit(short, **FAST_FIT)
    assert "min_weeks" not in str(info.value)
    with pytest.raises(mk.DataError, match=r"at least 20 are needed.*longer history") as info:
        mk.MMM(**national_sim.model_kwargs()).fit(short.iloc[:10], **FAST_FIT)
    assert "min_weeks" not in str(info.value)
    with pytest.raises(mk.DataError, match=r"no spend at all.*drop it from the MMM's channels"
                       ) as info:
        mk.MMM(**national_sim.model_kwargs()).fit(national_sim.data.assign(tv=0.0), **FAST_FIT)
    assert "require_spend" not in str(info.value)
    with pytest.raises(mk.DataError, match=r"channel 'tv' holds True/False"):
        mk.MMM(**national_sim.model_kwargs()).fit(
            national_sim.data.assign(tv=national_sim.data["tv"] > 0), **FAST_FIT)
    with pytest.raises(mk.DataError, match=r"target 'sales' is constant"):
        mk.MMM(**national_sim.model_kwargs()).fit(national_sim.data.assign(sales=0.0), **FAST_FIT)


@pytest.mark.parametrize("bounds", [
    {"tv": (np.nan, None)}, {"tv": (0.0, np.nan)}, {"tv": (np.inf, None)},
    {"tv": (0.0, -np.inf)}, {"tv": mk.scenarios.Relative(np.nan, 0.2)},
    {"tv": mk.scenarios.Relative(-0.1, np.nan)}, {"tv": ("a", None)},
])
def test_optimize_budget_refuses_nan_bounds(national_fit, bounds):
    # A NaN bound used to pass every check and give an all-zero plan with converged=True.
    with pytest.raises(ValueError, match=r"bounds\['tv'\]"):
        mk.scenarios.optimize_budget(national_fit, bounds=bounds, n_uncertainty=0)
    with pytest.raises(ValueError, match="budget must be a finite amount"):
        mk.scenarios.optimize_budget(national_fit, budget=np.nan, n_uncertainty=0)


def test_clone_is_an_unfitted_copy_of_the_specification(national_fit):
    twin = national_fit.clone()
    assert twin.idata is None and twin.data_ is None
    assert twin.config() == national_fit.config()
    assert twin.adstock is not national_fit.adstock
    # same compiled sampler as the original (what makes back-test folds cheap)
    assert twin.compile_key(national_fit.data_) == national_fit.compile_key(national_fit.data_)


def test_clone_carries_calibration_in_the_specification(national_sim):
    """ROAS priors and lift tests are part of config(), so a clone (and a reload) has them."""
    tests = pd.DataFrame({"channel": ["tv"], "start": [national_sim.dates[30]],
                          "end": [national_sim.dates[33]], "spend_change": [-1000.0],
                          "lift": [-2000.0], "lift_se": [300.0]})
    model = mk.MMM(**national_sim.model_kwargs(),
                   roas_priors={"tv": mk.Prior("LogNormal", mu=0.5, sigma=0.3)})
    model.add_lift_tests(tests)
    twin = model.clone()
    assert twin.config() == model.config()
    assert twin.roas_priors == model.roas_priors
    pd.testing.assert_frame_equal(twin.lift_tests, model.lift_tests)


# -- units, cost per KPI and the baseline's reference -----------------------------------------
def test_units_name_the_kpi_and_the_currency(national_sim, national_fit):
    assert not national_fit.kpi_is_revenue
    assert national_fit.roas().attrs["units"] == "sales per unit of spend"  # the defaults
    conv = mk.MMM(**national_sim.model_kwargs(), kpi_unit="conversions", currency="EUR")
    conv.from_posterior(national_sim.data, national_fit.idata.posterior)
    assert not conv.kpi_is_revenue
    assert conv.roas().attrs["units"] == "conversions per EUR"
    assert conv.contributions().attrs["units"] == "conversions per week"
    rev = mk.MMM(**national_sim.model_kwargs(), kpi_unit="eur", currency="EUR")
    assert rev.kpi_is_revenue and rev.config()["kpi_unit"] == "eur"
    with pytest.raises(ValueError, match="currency must be a short text"):
        mk.MMM(**national_sim.model_kwargs(), currency=" ")


def test_cost_per_kpi_is_one_over_roas_on_every_draw(national_fit):
    cpa = national_fit.cpa()
    draws = 1.0 / national_fit.roas_draws().stack(s=("chain", "draw")).transpose("s", ...)
    np.testing.assert_allclose(cpa["mean"], draws.mean("s").values, rtol=1e-12)
    np.testing.assert_allclose(cpa["lower"], draws.quantile(0.05, "s").values, rtol=1e-12)
    # the interval's ends are the inverted ROAS ends (a monotone map; equal up to the
    # interpolation between neighbouring draws), but the mean is not 1 / mean ROAS
    roas = national_fit.roas()
    np.testing.assert_allclose(cpa["upper"], 1.0 / roas["lower"], rtol=1e-4)
    assert (cpa["mean"] >= 1.0 / roas["mean"] - 1e-12).all()  # Jensen: E[1/x] >= 1/E[x]
    assert cpa.attrs["units"] == "unit of spend per sales"
    marginal = 1.0 / national_fit.roas_draws(marginal=True).stack(s=("chain", "draw"))
    np.testing.assert_allclose(national_fit.cpa(marginal=True)["median"],
                               marginal.median("s").values, rtol=1e-12)


def test_baseline_references_move_only_the_intercept(national_fit):
    mean = national_fit.baseline()
    low = national_fit.baseline(reference="min")
    np.testing.assert_allclose(low.sum("component"), mean.sum("component"), rtol=1e-12)
    tiny = 1e-9 * float(abs(mean.sel(component="intercept")).max())
    # each driver is zero at its reference: the trend at the first week, seasonality at its
    # lowest week (so never below), a control at the week of its lowest value
    assert float(abs(low.sel(component="trend").isel(date=0)).max()) == 0.0
    season = low.sel(component="seasonality")
    assert float(abs(season.min("date")).max()) <= tiny and float(season.min()) >= -tiny
    control = national_fit.controls[0]
    x = national_fit.fitted_data().control_values[0, :, 0]
    at_floor = low.sel(component=control).isel(date=int(np.argmin(x)))
    assert float(abs(at_floor).max()) <= tiny
    given = national_fit.baseline(reference={control: float(x[5])})
    assert float(abs(given.sel(component=control).isel(date=5)).max()) <= tiny
    np.testing.assert_allclose(given.sel(component="trend"), mean.sel(component="trend"))
    assert "lowest value" in low.attrs["reference"]
    with pytest.raises(ValueError, match="not controls"):
        national_fit.baseline(reference={"weather": 1.0})


def test_a_value_per_kpi_turns_roas_into_revenue_terms():
    """Conversions worth 40 EUR each: revenue ROAS is 40x the conversions ROAS on every
    draw, in EUR per EUR (known-truth draws, no fit)."""
    from truth import model_from_truth

    sim = mk.simulate.simulate(n_geos=1, n_weeks=60, n_channels=2, seed=4)
    model = model_from_truth(sim, chains=1, draws=20, jitter=0.2)
    model.kpi_unit, model.currency = "conversions", "EUR"
    plain = model.roas()
    worth = model.roas(value_per_kpi=40.0)
    pd.testing.assert_frame_equal(worth, plain * 40.0, check_like=True, check_exact=False)
    assert plain.attrs["units"] == "conversions per EUR"
    assert worth.attrs["units"] == "EUR per EUR"
    assert worth.attrs["value_per_kpi"] == "40 EUR per conversions"
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="value_per_kpi"):
            model.roas(value_per_kpi=bad)
