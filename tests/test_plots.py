"""mmmkit.plots: every plot returns a labelled Figure with one series per channel/geo.

The fitted models are the session fixtures of conftest.py (fitted once per test session and
shared with test_model.py). Per-channel transforms (channel groups) are covered by a model
whose "posterior" is prior draws: the plots only read draws, and that needs no MCMC.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure

import mmmkit as mk
from mmmkit import plots

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def no_open_figures():
    """Plots build bare Figures: none may be left registered with pyplot (memory leaks)."""
    plt.close("all")
    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert leaked == [], "a plot function left a pyplot figure open"


@pytest.fixture(params=["national", "panel"])
def model(request):
    return request.getfixturevalue(f"{request.param}_fit")


@pytest.fixture(scope="module")
def grouped_model():
    """Three channels with three different adstock/saturation pairs; draws from the prior."""
    import pymc as pm

    sim = mk.simulate.simulate(n_geos=1, n_weeks=52, n_channels=3, seed=2)
    model = mk.MMM(
        **sim.model_kwargs(),
        adstock={"tv": mk.WeibullAdstock(max_lag=6), "search": mk.GeometricAdstock(max_lag=4),
                 "social": mk.DelayedAdstock(max_lag=5)},
        saturation={"tv": mk.HillSaturation(), "search": mk.LogisticSaturation(),
                    "social": mk.LogisticSaturation()},
    )
    data = model.prepare(sim.data)
    with model.build_model(data), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prior = pm.sample_prior_predictive(draws=40, random_seed=1).prior
    # 2 chains x 20 draws, as a fit would store them
    halves = [prior.isel(chain=0, draw=slice(i * 20, (i + 1) * 20)).assign_coords(
        draw=np.arange(20)) for i in range(2)]
    posterior = xr.concat(halves, dim="chain").assign_coords(chain=[0, 1])
    return model.from_posterior(sim.data, posterior, seed=0)


def _legend_texts(fig: Figure) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legends += list(fig.legends)
    return [t.get_text() for leg in legends for t in leg.get_texts()]


def _visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def _n_elements(model, names) -> int:
    """Scalar parameters in ``names`` (one panel each in prior/rank plots)."""
    post = model.idata.posterior
    per_sample = post.sizes["chain"] * post.sizes["draw"]
    return sum(post[n].size // per_sample for n in names)


# -- fit -------------------------------------------------------------------------------------
def test_fit_total(model):
    fig = plots.fit(model)
    assert isinstance(fig, Figure)
    (ax,) = _visible_axes(fig)
    assert model.target in ax.get_ylabel() and "week" in ax.get_ylabel()
    assert ax.get_xlabel() == "week"
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # actual, mean; one band
    assert "90% predictive interval" in _legend_texts(fig)
    # the mean line is the posterior-predictive mean of the total over geos
    pp = model.idata.posterior_predictive[model.target].sum("geo").mean(("chain", "draw"))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), pp.values)
    actual = model.idata.observed_data[model.target].sum("geo").values
    np.testing.assert_allclose(ax.lines[1].get_ydata(), actual)


def test_fit_per_geo(panel_fit):
    geos = panel_fit.data_.geos
    fig = plots.fit(panel_fit, by_geo=True, prob=0.8)
    assert len(_visible_axes(fig)) == len(geos)
    assert "80% predictive interval" in _legend_texts(fig)
    assert len(_visible_axes(plots.fit(panel_fit, geos=geos[:2]))) == 2
    (ax,) = _visible_axes(plots.fit(panel_fit, geos=geos[1]))
    assert geos[1] in ax.get_title()
    assert len(_visible_axes(plots.fit(panel_fit, by_geo=True, max_geos=2))) == 2
    with pytest.raises(ValueError, match="Unknown geo"):
        plots.fit(panel_fit, geos="atlantis")


def test_fit_national_rejects_geo(national_fit):
    with pytest.raises(ValueError, match="national"):
        plots.fit(national_fit, geos="north")
    assert len(_visible_axes(plots.fit(national_fit, by_geo=True))) == 1


def test_fit_title_scores_are_the_stats_ones(national_fit):
    """R² and MAPE in the title are mmmkit.stats' (the one home of fit scores)."""
    from mmmkit import stats

    (ax,) = _visible_axes(plots.fit(national_fit))
    pp = national_fit.idata.posterior_predictive[national_fit.target].sum("geo")
    mean = pp.mean(("chain", "draw")).values
    actual = national_fit.idata.observed_data[national_fit.target].sum("geo").values
    inside = stats.coverage(pp.stack(s=("chain", "draw")).transpose("s", ...).values, actual)
    assert (f"R² {stats.r2(mean, actual):.2f}, MAPE {stats.mape(mean, actual):.1%}, "
            f"{inside:.0%} of weeks") in ax.get_title()


# -- one meaning per argument --------------------------------------------------------------
def test_geo_is_a_deprecated_name_of_geos(panel_fit):
    geo = panel_fit.data_.geos[1]
    new = plots.contributions(panel_fit, geos=geo)
    with pytest.warns(DeprecationWarning, match="geos="):
        old = plots.contributions(panel_fit, geo=geo)
    for a, b in zip(new.axes[0].collections, old.axes[0].collections, strict=True):
        for pa, pb in zip(a.get_paths(), b.get_paths(), strict=True):
            np.testing.assert_array_equal(pa.vertices, pb.vertices)
    for fn in (plots.fit, plots.waterfall, plots.response_curves, plots.actual_spend,
               plots.response_curve_draws):
        with pytest.warns(DeprecationWarning, match="deprecated"):
            fn(panel_fit, geo=geo)
    with pytest.raises(TypeError, match="both"):
        plots.waterfall(panel_fit, geos=geo, geo=geo)
    np.testing.assert_allclose(plots.actual_spend(panel_fit, geos=[geo]),
                               plots.actual_spend(panel_fit, geo))


@pytest.mark.parametrize("fn", [plots.fit, plots.contributions, plots.waterfall, plots.roas,
                                plots.response_curves, plots.adstock])
def test_prob_is_keyword_only(national_fit, fn):
    with pytest.raises(TypeError):
        fn(national_fit, 0.8)
    assert isinstance(fn(national_fit, prob=0.8), Figure)


def test_prob_by_position_says_it_is_keyword_only(national_fit):
    with pytest.raises(TypeError, match="keyword-only"):
        plots.contributions(national_fit, 0.8)


def test_one_string_is_one_channel(national_fit):
    ch = national_fit.channels[0]
    assert len(_visible_axes(plots.adstock(national_fit, channels=ch))) == 1
    assert len(_visible_axes(plots.adstock(national_fit, ch))) == 1
    assert len(_visible_axes(plots.response_curves(national_fit, channels=ch))) == 1
    curves = plots.response_curve_draws(national_fit, ch, multipliers=[1.0])
    assert list(curves["channel"].values) == [ch]
    assert len(_visible_axes(plots.prior_posterior(national_fit, var_names="sigma"))) == 1
    with pytest.raises(ValueError, match="Unknown channel"):
        plots.adstock(national_fit, channels="radio")


# -- contributions and waterfall -------------------------------------------------------------
def test_contributions(model):
    fig = plots.contributions(model, prob=0.95)
    (ax,) = fig.axes
    assert model.target in ax.get_ylabel()
    # one stacked layer for the baseline and one per channel, plus the interval band
    assert len(ax.collections) == 1 + len(model.channels) + 1
    texts = _legend_texts(fig)
    assert texts[: 1 + len(model.channels)] == ["baseline", *model.channels]
    assert any("95% credible interval" in t for t in texts)
    assert f"actual {model.target}" in texts


def test_waterfall(model):
    fig = plots.waterfall(model)
    (ax,) = fig.axes
    n_components = model.baseline().sizes["component"]
    assert len(ax.patches) == n_components + len(model.channels) + 1  # + the total bar
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[n_components:] == [*model.channels, "expected total"]
    assert model.target in ax.get_ylabel()
    assert any("90% credible interval" in t for t in _legend_texts(fig))
    # the total bar is the expected total: baseline plus contributions
    expected = float(model.baseline().sum().values + model.contributions().sum().values) / (
        model.idata.posterior.sizes["chain"] * model.idata.posterior.sizes["draw"])
    assert ax.patches[-1].get_height() == pytest.approx(expected, rel=1e-9)


# -- ROAS ------------------------------------------------------------------------------------
def test_roas(model):
    fig = plots.roas(model, marginal=True, currency="EUR")
    axes = fig.axes
    assert len(axes) == 2
    for ax, marginal in zip(axes, (False, True), strict=True):
        assert f"{model.target} per EUR" in ax.get_xlabel()
        assert len(ax.containers) == len(model.channels)  # one dot + error bar per channel
        table = model.roas(marginal=marginal)
        means = [c.lines[0].get_xdata()[0] for c in ax.containers]
        np.testing.assert_allclose(means, table.loc[model.channels, "mean"])
        assert any(list(line.get_xdata()) == [1, 1] for line in ax.lines)  # reference at 1
    assert "mean, 90% credible interval" in _legend_texts(fig)
    assert [t.get_text() for t in axes[0].get_yticklabels()] == model.channels[::-1]


def test_roas_without_marginal(national_fit):
    fig = plots.roas(national_fit, marginal=False, prob=0.5)
    assert len(fig.axes) == 1
    # the default agrees with MMM.roas: marginal=False
    assert len(plots.roas(national_fit).axes) == 1
    assert "currency unit" in fig.axes[0].get_xlabel()
    assert "mean, 50% credible interval" in _legend_texts(fig)


# -- response curves -------------------------------------------------------------------------
def test_response_curves(model):
    fig = plots.response_curves(model, currency="USD")
    axes = _visible_axes(fig)
    assert len(axes) == len(model.channels)
    for ax, ch in zip(axes, model.channels, strict=True):
        assert ax.get_title() == ch
        assert "USD" in ax.get_xlabel() and model.target in ax.get_ylabel()
        assert len(ax.collections) == 1  # one band
    assert "90% credible interval" in _legend_texts(fig)


def test_response_curve_draws_match_roas(model):
    curves = plots.response_curve_draws(model, multipliers=[0.0, 0.5, 1.0, 2.0])
    assert curves.dims == ("chain", "draw", "multiplier", "channel")
    spend = plots.actual_spend(model)
    np.testing.assert_allclose(curves.sel(multiplier=0.0), 0.0, atol=1e-9)
    # at the actual spend the response over the period and its carryover is ROAS x spend
    roas = model.roas_draws().sel(channel=model.channels)
    np.testing.assert_allclose(curves.sel(multiplier=1.0).values,
                               (roas * xr.DataArray(spend, dims="channel")).values, rtol=1e-9)
    np.testing.assert_allclose(curves["spend"].sel(multiplier=2.0).values, 2 * spend.values)
    mean = curves.mean(("chain", "draw"))
    assert (mean.diff("multiplier") > 0).all()  # more spend, more response


def test_response_curve_draws_are_the_scenarios_curves(model):
    """One implementation: the plotted draws are mmmkit.scenarios.response_curves' lift."""
    from mmmkit import scenarios

    mult = [0.0, 0.7, 1.3]
    ours = plots.response_curve_draws(model, multipliers=mult)
    theirs = scenarios.response_curves(model, multipliers=mult)
    np.testing.assert_array_equal(
        ours.values, theirs.lift.transpose("chain", "draw", "multiplier", "channel").values)
    np.testing.assert_array_equal(ours["spend"].values,
                                  theirs.spend.transpose("multiplier", "channel").values)


def test_response_curves_subset_and_bad_input(national_fit):
    fig = plots.response_curves(national_fit, channels=["search"], multipliers=[0, 1.5])
    assert len(_visible_axes(fig)) == 1
    with pytest.raises(ValueError, match="Unknown channel"):
        plots.response_curves(national_fit, channels=["radio"])
    with pytest.raises(ValueError, match="multipliers"):
        plots.response_curve_draws(national_fit, multipliers=[-1.0])


# -- adstock, priors, diagnostics --------------------------------------------------------------
def test_adstock(model):
    fig = plots.adstock(model)
    axes = _visible_axes(fig)
    assert len(axes) == len(model.channels)
    for ax in axes:
        assert "weeks" in ax.get_xlabel() and "share" in ax.get_ylabel()
        assert len(ax.collections) == 1 and len(ax.lines) == 1
    weights = plots.adstock_weights(model)
    np.testing.assert_allclose(weights.sum("lag"), 1.0)
    assert "90% credible interval" in _legend_texts(fig)


def test_prior_posterior(model):
    fig = plots.prior_posterior(model)
    axes = _visible_axes(fig)
    assert len(axes) == _n_elements(model, plots.key_parameters(model))
    assert {"prior", "posterior"} <= set(_legend_texts(fig))
    assert all(ax.get_ylabel().startswith("density") and ax.get_xlabel() for ax in axes)
    sigma_ax = next(ax for ax in axes if ax.get_title() == "sigma")
    assert model.target in sigma_ax.get_xlabel()
    fig = plots.prior_posterior(model, var_names=["sigma"])
    assert len(_visible_axes(fig)) == 1
    with pytest.raises(ValueError, match="No prior and posterior"):
        plots.prior_posterior(model, var_names=["not_a_parameter"])


@pytest.mark.parametrize("kind", ["rank", "trace"])
def test_diagnostics(national_fit, kind):
    fig = plots.diagnostics(national_fit, kind=kind)
    assert isinstance(fig, Figure)
    assert "divergences" in fig._suptitle.get_text()
    axes = _visible_axes(fig)
    if kind == "rank":
        assert len(axes) == _n_elements(national_fit, plots.key_parameters(national_fit))
        assert all("rank" in ax.get_xlabel() for ax in axes)
    else:
        assert len(axes) == 2 * len(plots.key_parameters(national_fit))
    with pytest.raises(ValueError, match="kind"):
        plots.diagnostics(national_fit, kind="pairs")


def test_diagnostics_panel(panel_fit):
    fig = plots.diagnostics(panel_fit, var_names=["channel_effect_sigma", "sigma"])
    assert len(_visible_axes(fig)) == len(panel_fit.channels) + 1


# -- budget plan -----------------------------------------------------------------------------
class _Lift:
    def __init__(self, draws: xr.DataArray):
        self.draws = draws

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        flat = self.draws.stack(s=("chain", "draw")).transpose("s", ...).values
        lo, hi = np.quantile(flat, [(1 - prob) / 2, 1 - (1 - prob) / 2], axis=0)
        return pd.DataFrame({"mean": flat.mean(0), "lower": lo, "upper": hi},
                            index=pd.Index(self.draws["channel"].values, name="channel"))


class _Plan:
    def __init__(self, allocation: pd.Series, lift=None):
        self.allocation = allocation
        if lift is not None:
            self.lift = lift


def test_budget_plan(model):
    actual = plots.actual_spend(model)
    allocation = pd.Series(actual.sum() / len(actual), index=model.channels[::-1])
    fig = plots.budget_plan(model, _Plan(allocation), currency="EUR")
    (ax,) = fig.axes
    assert len(ax.patches) == 2 * len(model.channels)  # actual and planned per channel
    assert "EUR" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == model.channels
    assert _legend_texts(fig) == ["actual spend", "planned spend"]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[: len(actual)], actual.values)
    np.testing.assert_allclose(heights[len(actual):], allocation.loc[model.channels].values)


def test_budget_plan_with_lift_and_bad_channel(national_fit):
    draws = xr.DataArray(np.full((2, 50, 3), 1000.0), dims=("chain", "draw", "channel"),
                         coords={"channel": national_fit.channels})
    plan = _Plan(pd.Series({"tv": 1.0, "search": 2.0}), lift=_Lift(draws))
    fig = plots.budget_plan(national_fit, plan)
    title = fig.axes[0].get_title()
    assert "+3,000" in title and "90% credible interval" in title  # total of the draws
    assert "currency units" in fig.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="not a model channel"):
        plots.budget_plan(national_fit, _Plan(pd.Series({"radio": 1.0})))


# -- per-channel transforms ------------------------------------------------------------------
def test_channel_groups(grouped_model):
    """Different adstock and saturation per channel: group variables are read correctly."""
    m = grouped_model
    weights = plots.adstock_weights(m)
    np.testing.assert_allclose(weights.sum("lag"), 1.0)
    # channels with shorter kernels have zero weight past their own max_lag
    assert float(abs(weights.sel(channel="search", lag=slice(4, None))).max()) == 0.0
    assert len(_visible_axes(plots.adstock(m))) == 3
    names = plots.key_parameters(m)
    assert "adstock_group0_lam" in names and "saturation_group1_lam" in names
    fig = plots.prior_posterior(m)
    assert len(_visible_axes(fig)) == _n_elements(m, names)
    titles = [ax.get_title() for ax in _visible_axes(fig)]
    assert "adstock_group0_lam [tv]" in titles and "saturation_group2_lam [social]" in titles
    assert len(_visible_axes(plots.diagnostics(m))) == _n_elements(m, names)
    for fn in (plots.fit, plots.contributions, plots.waterfall, plots.roas,
               plots.response_curves):
        assert isinstance(fn(m), Figure)


def test_every_public_function_is_importable_from_plots():
    from mmmkit import parameter_plots, planning_plots

    for module in (parameter_plots, planning_plots):
        for name in module.__all__:
            assert getattr(plots, name) is getattr(module, name)
            assert name in plots.__all__
    for name in ("fit", "contributions", "waterfall", "roas", "actual_spend",
                 "plan_allocation", "plan_reference"):
        assert callable(getattr(plots, name))


def test_unfitted_model_raises(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    with pytest.raises(mk.NotFittedError):
        plots.fit(model)
    with pytest.raises(mk.NotFittedError):
        plots.adstock(model)
