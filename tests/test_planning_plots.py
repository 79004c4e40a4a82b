"""Planning charts (:mod:`mmmkit.planning_plots`, shown as ``mk.plots.<name>``): response
curves from the scenarios' own curves, and a budget plan against the actual split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmkit import plots, scenarios
from mmmkit.figures import NEGATIVE_COLOR
from plot_fixtures import FakeLift, FakePlan, legend_texts, visible_axes

pytestmark = pytest.mark.usefixtures("no_open_figures")


def test_response_curves(model):
    fig = plots.response_curves(model, currency="USD")
    axes = visible_axes(fig)
    assert len(axes) == len(model.channels)
    for ax, ch in zip(axes, model.channels, strict=True):
        assert ax.get_title() == ch
        assert "USD" in ax.get_xlabel() and model.target in ax.get_ylabel()
        assert len(ax.collections) == 1  # one band
    assert "90% credible interval" in legend_texts(fig)
    # sales are not revenue in USD: no break-even marked anywhere
    assert not any("break-even" in t for t in legend_texts(fig))
    assert "break-even" not in fig._suptitle.get_text()
    for ax in axes:
        assert not [line for line in ax.lines if line.get_color() == NEGATIVE_COLOR]
        assert not any("break-even" in t.get_text() for t in ax.texts)
    # spends in the millions read 1.2M, 350k
    assert axes[0].xaxis.get_major_formatter()(1_250_000, 0) == "1.25M"
    assert axes[0].xaxis.get_major_formatter()(350_000, 0) == "350k"


def _median_crossing(model, ch, mult):
    """Where the posterior median marginal ROAS along the curve last falls through 1,
    interpolated linearly between grid points (None: it does not on the grid)."""
    curves = scenarios.response_curves(model, [ch], mult)
    mroas = curves.marginal_roas.sel(channel=ch).stack(s=("chain", "draw")).transpose("s", ...)
    median = np.median(mroas.values, axis=0)
    spend = curves.spend.sel(channel=ch).values
    above = np.flatnonzero(median >= 1)
    if above.size == 0 or above[-1] == median.size - 1:
        return None
    i = above[-1]
    return spend[i] + (median[i] - 1) / (median[i] - median[i + 1]) * (spend[i + 1] - spend[i])


def test_response_curves_mark_break_even_for_revenue(revenue_fit):
    """kpi_unit == currency: each panel marks where the median marginal ROAS crosses 1 (or
    says on which side of 1 it stays), with the interval of the draws' own crossings."""
    model = revenue_fit
    mult = np.round(np.linspace(0.0, 2.0, 21), 6)
    fig = plots.response_curves(model, multipliers=mult)
    assert "break-even" in fig._suptitle.get_text()
    points = plots.response_curve_draws(model, multipliers=mult)
    per_draw = scenarios.response_curves(model, multipliers=mult).saturation_point(1.0, prob=0.9)
    marked = 0
    for ax, ch in zip(visible_axes(fig), model.channels, strict=True):
        expected = _median_crossing(model, ch, mult)
        lines = [line for line in ax.lines if line.get_color() == NEGATIVE_COLOR
                 and line.get_linestyle() == "--"]
        if expected is None:
            assert not lines
            assert any("marginal ROAS" in t.get_text() and "break-even" in t.get_text()
                       for t in ax.texts)
            continue
        marked += 1
        (line,) = lines
        assert line.get_xdata()[0] == pytest.approx(expected, rel=1e-9)
        assert line.get_label().startswith("break-even (marginal ROAS 1): ")
        assert "90% interval" in line.get_label()
        assert expected <= float(points["spend"].sel(channel=ch).max())
        (span,) = ax.patches
        x0 = span.get_x()
        assert x0 == pytest.approx(per_draw.loc[ch, "lower"])
    assert marked >= 1  # this fit's search and social curves cross 1 inside the grid


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
    assert len(visible_axes(fig)) == 1
    with pytest.raises(ValueError, match="Unknown channel"):
        plots.response_curves(national_fit, channels=["radio"])
    with pytest.raises(ValueError, match="multipliers"):
        plots.response_curve_draws(national_fit, multipliers=[-1.0])



def test_budget_plan(model):
    actual = plots.actual_spend(model)
    allocation = pd.Series(actual.sum() / len(actual), index=model.channels[::-1])
    fig = plots.budget_plan(model, FakePlan(allocation), currency="EUR")
    (ax,) = fig.axes
    assert len(ax.patches) == 2 * len(model.channels)  # actual and planned per channel
    assert "EUR" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == model.channels
    assert legend_texts(fig) == ["actual spend", "planned spend"]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[: len(actual)], actual.values)
    np.testing.assert_allclose(heights[len(actual):], allocation.loc[model.channels].values)



def test_budget_plan_with_lift_and_bad_channel(national_fit):
    draws = xr.DataArray(np.full((2, 50, 3), 1000.0), dims=("chain", "draw", "channel"),
                         coords={"channel": national_fit.channels})
    plan = FakePlan(pd.Series({"tv": 1.0, "search": 2.0}), lift=FakeLift(draws))
    fig = plots.budget_plan(national_fit, plan)
    title = fig.axes[0].get_title()
    assert "+3,000" in title and "90% credible interval" in title  # total of the draws
    assert "currency units" in fig.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="not a model channel"):
        plots.budget_plan(national_fit, FakePlan(pd.Series({"radio": 1.0})))


def test_plan_vs_actual_draws_the_band_and_marks_weeks_outside_it():
    from types import SimpleNamespace

    dates = pd.date_range("2024-01-01", periods=6, freq="7D")
    weekly = pd.DataFrame({"date": dates, "actual": [10.0, 11, 30, 9, 12, 2],
                           "mean": [10.0] * 6, "lower": [8.0] * 6, "upper": [13.0] * 6})
    weekly["inside"] = weekly["actual"].between(weekly["lower"], weekly["upper"])
    check = SimpleNamespace(weekly_total=weekly, prob=0.9, units="sales", coverage=4 / 6,
                            drift=False)
    fig = plots.plan_vs_actual(check)
    (ax,) = visible_axes(fig)
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(8.0) and band[:, 1].max() == pytest.approx(13.0)
    inside, outside = ax.collections[1], ax.collections[2]
    assert len(inside.get_offsets()) == 4 and len(outside.get_offsets()) == 2
    np.testing.assert_allclose(np.sort(np.asarray(outside.get_offsets())[:, 1]), [2.0, 30.0])
    assert "67% of weeks inside the 90% band; no drift flagged" in ax.get_title()
    assert ax.get_ylabel() == "sales per week"
    assert "actual, outside the band" in legend_texts(fig)
