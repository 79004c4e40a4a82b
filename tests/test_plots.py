"""mmmkit.plots: every plot returns a labelled Figure with one series per channel/geo.

The fitted models are the session fixtures of conftest.py (fitted once per test session and
shared with test_model.py). Per-channel transforms (channel groups) are covered by a model
whose "posterior" is prior draws: the plots only read draws, and that needs no MCMC.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

import mmmkit as mk
from mmmkit import plots
from plot_fixtures import legend_texts, n_elements, visible_axes

pytestmark = pytest.mark.usefixtures("no_open_figures")


# -- fit -------------------------------------------------------------------------------------
def test_fit_total(model):
    fig = plots.fit(model)
    assert isinstance(fig, Figure)
    (ax,) = visible_axes(fig)
    assert model.target in ax.get_ylabel() and "week" in ax.get_ylabel()
    assert ax.get_xlabel() == "week"
    assert len(ax.lines) == 2 and len(ax.collections) == 1  # actual, mean; one band
    assert "90% predictive interval" in legend_texts(fig)
    # the mean line is the posterior-predictive mean of the total over geos
    pp = model.idata.posterior_predictive[model.target].sum("geo").mean(("chain", "draw"))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), pp.values)
    actual = model.idata.observed_data[model.target].sum("geo").values
    np.testing.assert_allclose(ax.lines[1].get_ydata(), actual)


def test_fit_per_geo(panel_fit):
    geos = panel_fit.data_.geos
    fig = plots.fit(panel_fit, by_geo=True, prob=0.8)
    assert len(visible_axes(fig)) == len(geos)
    assert "80% predictive interval" in legend_texts(fig)
    assert len(visible_axes(plots.fit(panel_fit, geos=geos[:2]))) == 2
    (ax,) = visible_axes(plots.fit(panel_fit, geos=geos[1]))
    assert geos[1] in ax.get_title()
    assert len(visible_axes(plots.fit(panel_fit, by_geo=True, max_geos=2))) == 2
    with pytest.raises(ValueError, match="Unknown geo"):
        plots.fit(panel_fit, geos="atlantis")


def test_fit_axes_read(panel_fit, conversions_fit):
    """Per-geo panels get concise date ticks; the y unit is the model's KPI unit, the
    legend still names the target column."""
    from matplotlib.dates import ConciseDateFormatter

    for ax in visible_axes(plots.fit(panel_fit, by_geo=True)):
        assert isinstance(ax.xaxis.get_major_formatter(), ConciseDateFormatter)
    (ax,) = visible_axes(plots.fit(conversions_fit))
    assert ax.get_ylabel() == "conversions per week"
    assert f"actual {conversions_fit.target}" in legend_texts(ax.figure)


def test_fit_national_rejects_geo(national_fit):
    with pytest.raises(ValueError, match="national"):
        plots.fit(national_fit, geos="north")
    assert len(visible_axes(plots.fit(national_fit, by_geo=True))) == 1


def test_fit_title_scores_are_the_stats_ones(national_fit):
    """R² and MAPE in the title are mmmkit.stats' (the one home of fit scores)."""
    from mmmkit import stats

    (ax,) = visible_axes(plots.fit(national_fit))
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
    assert len(visible_axes(plots.adstock(national_fit, channels=ch))) == 1
    assert len(visible_axes(plots.adstock(national_fit, ch))) == 1
    assert len(visible_axes(plots.response_curves(national_fit, channels=ch))) == 1
    curves = plots.response_curve_draws(national_fit, ch, multipliers=[1.0])
    assert list(curves["channel"].values) == [ch]
    assert len(visible_axes(plots.prior_posterior(national_fit, var_names="sigma"))) == 1
    with pytest.raises(ValueError, match="Unknown channel"):
        plots.adstock(national_fit, channels="radio")


# -- contributions and waterfall -------------------------------------------------------------
def test_contributions(model):
    fig = plots.contributions(model, prob=0.95)
    (ax,) = fig.axes
    assert model.target in ax.get_ylabel()
    # one stacked layer for the baseline and one per channel, plus the interval band
    assert len(ax.collections) == 1 + len(model.channels) + 1
    texts = legend_texts(fig)
    assert texts[: 1 + len(model.channels)] == ["baseline", *model.channels]
    assert any("95% credible interval" in t for t in texts)
    assert f"actual {model.target}" in texts


def test_contributions_media_only(model):
    """Only the channels, stacked from zero: no baseline layer, no actual line; the band is
    that of all media together."""
    fig = plots.contributions(model, media_only=True)
    (ax,) = fig.axes
    assert len(ax.collections) == len(model.channels) + 1 and not ax.lines
    texts = legend_texts(fig)
    assert texts[: len(model.channels)] == model.channels and "baseline" not in texts
    assert "all media, 90% credible interval" in texts
    # the top of the stack is the mean total media contribution, week by week
    media = model.contributions()
    media = media.sum("geo") if "geo" in media.dims else media
    top = ax.collections[len(model.channels) - 1].get_paths()[0].vertices[:, 1].max()
    assert top == pytest.approx(float(media.sum("channel").mean(("chain", "draw")).max()))


def test_waterfall(model):
    fig = plots.waterfall(model, reference="mean")
    (ax,) = fig.axes
    n_components = model.baseline().sizes["component"]
    assert len(ax.patches) == n_components + len(model.channels) + 1  # + the total bar
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[n_components:] == [*model.channels, "expected total"]
    assert model.target in ax.get_ylabel()
    assert any("90% credible interval" in t for t in legend_texts(fig))
    # the total bar is the expected total: baseline plus contributions
    expected = float(model.baseline().sum().values + model.contributions().sum().values) / (
        model.idata.posterior.sizes["chain"] * model.idata.posterior.sizes["draw"])
    assert ax.patches[-1].get_height() == pytest.approx(expected, rel=1e-9)


def test_waterfall_reference(national_fit):
    """The default measures controls and the trend from their floor, says so, and keeps the
    total; each baseline step is baseline(reference)'s component total."""
    model = national_fit
    totals = {}
    for reference in ("min", "mean"):
        fig = plots.waterfall(model) if reference == "min" else plots.waterfall(
            model, reference=reference)
        (ax,) = fig.axes
        base = model.baseline(reference)
        assert base.attrs["reference"].split(",")[0] in ax.get_title()
        steps = base.sum("date").mean(("chain", "draw"))
        heights = [p.get_height() for p in ax.patches[: base.sizes["component"]]]
        np.testing.assert_allclose(heights, np.abs(steps.values), rtol=1e-9,
                                   atol=1e-9 * max(heights))
        totals[reference] = ax.patches[-1].get_height()
    assert totals["min"] == pytest.approx(totals["mean"], rel=1e-9)
    assert model.baseline("min").attrs["reference"] != model.baseline("mean").attrs["reference"]


def test_waterfall_labels_sit_above_the_error_bars(model):
    from matplotlib.container import ErrorbarContainer

    (ax,) = plots.waterfall(model).axes
    labels = [t for t in ax.texts if t.xyann == (0, 4)]
    whiskers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(labels) == len(whiskers) == model.baseline().sizes["component"] + len(
        model.channels) + 1
    for label, bars in zip(labels, whiskers, strict=True):
        (segment,) = bars.lines[2][0].get_segments()
        assert label.xy[0] == pytest.approx(segment[0, 0])
        assert label.xy[1] >= segment[:, 1].max() - 1e-6 * abs(segment[:, 1].max())


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
        # sales per EUR is not revenue: no break-even line at 1, and the title says why
        assert not any(list(line.get_xdata()) == [1, 1] for line in ax.lines)
        assert "1 is no break-even" in ax.get_title()
        # each value label sits beside its bar's upper end and carries the interval
        for text, ch in zip(ax.texts, model.channels, strict=True):
            row = table.loc[ch]
            assert text.xy[0] == row["upper"] and text.get_ha() == "left"
            assert text.get_text() == (f"{row['mean']:,.2f} ({row['lower']:,.2f} to "
                                       f"{row['upper']:,.2f})")
    assert "mean, 90% credible interval" in legend_texts(fig)
    assert [t.get_text() for t in axes[0].get_yticklabels()] == model.channels[::-1]


def test_roas_break_even_only_for_revenue(revenue_fit, conversions_fit):
    fig = plots.roas(revenue_fit, marginal=True)
    for ax in fig.axes:
        assert "EUR per EUR" in ax.get_xlabel()  # the model's currency, no currency= needed
        assert any(list(line.get_xdata()) == [1, 1] for line in ax.lines)
        assert "break-even" not in ax.get_title()
    assert "break-even: 1 (spend returned 1:1)" in legend_texts(fig)
    fig = plots.roas(conversions_fit)
    (ax,) = fig.axes
    assert "conversions per EUR" in ax.get_xlabel()
    assert not any(list(line.get_xdata()) == [1, 1] for line in ax.lines)
    assert not any("break-even:" in t for t in legend_texts(fig))
    assert "the KPI, conversions, is not revenue in EUR: 1 is no break-even" in ax.get_title()


def test_roas_without_marginal(national_fit):
    fig = plots.roas(national_fit, marginal=False, prob=0.5)
    assert len(fig.axes) == 1
    # the default agrees with MMM.roas: marginal=False
    assert len(plots.roas(national_fit).axes) == 1
    assert "currency unit" in fig.axes[0].get_xlabel()
    assert "mean, 50% credible interval" in legend_texts(fig)


# -- response curves -------------------------------------------------------------------------


# -- per-channel transforms ------------------------------------------------------------------
def test_channel_groups(grouped_model):
    """Different adstock and saturation per channel: group variables are read correctly."""
    m = grouped_model
    weights = plots.adstock_weights(m)
    np.testing.assert_allclose(weights.sum("lag"), 1.0)
    # channels with shorter kernels have zero weight past their own max_lag
    assert float(abs(weights.sel(channel="search", lag=slice(4, None))).max()) == 0.0
    assert len(visible_axes(plots.adstock(m))) == 3
    names = plots.key_parameters(m)
    assert "adstock_group0_lam" in names and "saturation_group1_lam" in names
    fig = plots.prior_posterior(m)
    assert len(visible_axes(fig)) == n_elements(m, names)
    titles = [ax.get_title() for ax in visible_axes(fig)]
    assert "adstock_group0_lam [tv]" in titles and "saturation_group2_lam [social]" in titles
    assert len(visible_axes(plots.diagnostics(m))) == n_elements(m, names)
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
