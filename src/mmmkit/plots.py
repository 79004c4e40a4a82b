"""Plots of a fitted :class:`~mmmkit.MMM`, for analysts and for :mod:`mmmkit.report`.

Every plotting function (:func:`fit`, :func:`contributions`, :func:`waterfall`,
:func:`roas`, :func:`response_curves`, :func:`adstock`, :func:`budget_plan`,
:func:`prior_posterior`, :func:`diagnostics`) takes a fitted model (plus options) and returns
a :class:`matplotlib.figure.Figure`; the helpers that compute what they draw return data
(:func:`response_curve_draws` and :func:`adstock_weights` a DataArray of draws,
:func:`actual_spend`, :func:`plan_allocation` and :func:`plan_reference` a Series,
:func:`key_parameters` a list of names). Figures are built on the object-oriented API
(``matplotlib.figure.Figure``), not on ``pyplot``: nothing is registered with a GUI backend,
so the functions work headless (Agg) and in loops without leaking open figures, and Jupyter
still displays a returned figure. Save one with ``fig.savefig("fit.png", dpi=150)``.

This module holds the fit and attribution charts; the planning charts (response curves,
budget plan) live in :mod:`mmmkit.planning_plots` and the parameter and sampler charts
(adstock, prior vs posterior, diagnostics) in :mod:`mmmkit.parameter_plots`, all re-exported
here.

Conventions
-----------
* Axes say their units, from the model: the KPI's (``model.kpi_label``: its ``kpi_unit``,
  else the target column's name, e.g. ``sales``) and the currency of spend (``currency="EUR"``,
  else ``model.currency``, else "currency units"). Spend axes in the millions read 1.2M, 350k.
* A ROAS of 1 is marked as break-even only when the KPI is revenue in the spend's currency
  (``model.kpi_is_revenue``); for other KPIs ROAS is KPI per currency unit, with no
  break-even at 1.
* Every band and error bar says its interval level in the legend (e.g. "90% credible
  interval"). Credible intervals are equal-tailed, from posterior draws
  (:func:`mmmkit.stats.interval`); fit scores are :mod:`mmmkit.stats`'s.
* Arguments mean the same everywhere: ``prob`` (the interval level) is keyword-only;
  ``geos`` selects geos by label (one label or a list; the old ``geo=`` still works, with a
  ``DeprecationWarning``); ``channels`` selects channels (a string is one channel);
  ``marginal`` defaults to ``False``, as in :meth:`mmmkit.MMM.roas`.
* For a geo panel, numbers are totals over geos unless ``geos`` selects some.
* A channel keeps its colour across all plots (its position in ``model.channels``).
* A figure returned by the last line of a notebook cell is shown as a PNG, with or without
  ``%matplotlib inline``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from mmmkit import stats
from mmmkit.figures import (
    ACTUAL_COLOR,
    BASELINE_COLOR,
    NEGATIVE_COLOR,
    PREDICTED_COLOR,
    ImageFigure,
    channel_colors,
    date_axis,
    grid,
    thousands,
)
from mmmkit.formatting import (
    band,
    flat,
    geo_label,
    interval_label,
    is_revenue,
    kpi_label,
    kpi_quantity,
    per_currency,
    period,
    roas_unit,
    signed,
)
from mmmkit.parameter_plots import (
    adstock,
    adstock_weights,
    diagnostics,
    key_parameters,
    prior_posterior,
)
from mmmkit.planning_plots import (
    DEFAULT_MULTIPLIERS,
    budget_plan,
    plan_vs_actual,
    response_curve_draws,
    response_curves,
)
from mmmkit.reading import (
    actual_spend,
    plan_allocation,
    plan_reference,
    read,
    renamed_geos,
    select_geos,
    sum_geos,
)
from mmmkit.stats import check_prob

__all__ = [
    "DEFAULT_MULTIPLIERS",
    "actual_spend",
    "adstock",
    "adstock_weights",
    "budget_plan",
    "contributions",
    "diagnostics",
    "fit",
    "key_parameters",
    "plan_allocation",
    "plan_reference",
    "plan_vs_actual",
    "prior_posterior",
    "response_curve_draws",
    "response_curves",
    "roas",
    "waterfall",
]


# ---------------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------------
def fit(
    model,
    geos: str | Sequence[str] | None = None,
    *,
    prob: float = 0.9,
    by_geo: bool = False,
    max_geos: int = 12,
    geo: str | Sequence[str] | None = None,
) -> Figure:
    """Actual target against the posterior predictive, week by week.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    geos : ``None`` (default): one panel, the total over all geos (the national series for a
        national model). A geo label: that geo. A list of labels: one panel per geo.
    prob : level of the predictive band (new observations: model uncertainty plus noise).
    by_geo : one panel per geo ("small multiples"), the ``max_geos`` largest geos by total
        target when there are more; ignored for national models.
    max_geos : the most panels drawn with ``by_geo=True``.
    geo : deprecated name of ``geos``.

    Returns
    -------
    Figure with one axes per panel: the actual target (line), the posterior-predictive mean
    (line) and its ``prob`` band, in KPI units (``model.kpi_label``) per week, on a concise
    date axis; each panel's title gives R², the mean absolute percentage error and the share
    of weeks inside the band.
    """
    geos = renamed_geos(geos, geo, "fit")
    data = model.fitted_data()
    check_prob(prob)
    observed = model.idata.observed_data[model.target]  # (geo, date); NaN: not observed
    # geo-weeks without a KPI (an uneven panel) are left out of the predicted totals too
    pp = model.idata.posterior_predictive[model.target].where(observed.notnull())
    if by_geo and model.geo is not None:
        totals = observed.sum("date").to_series().sort_values(ascending=False)
        panels = [[g] for g in list(totals.index)[:max_geos]]
        omitted = len(totals) - len(panels)
    elif geos is not None and not isinstance(geos, str):
        panels = [[g] for g in select_geos(model, geos)]
        omitted = 0
    else:
        panels = [select_geos(model, geos)]
        omitted = 0
    fig, axes = grid(len(panels), 1 if len(panels) <= 3 else 2, 10.0 if len(panels) <= 3
                     else 6.5, 3.4 if len(panels) == 1 else 2.8, sharex=True)
    dates = data.dates
    for ax, panel in zip(axes, panels, strict=True):
        draws = flat(pp.sel(geo=panel).sum("geo", min_count=1))  # (S, T)
        actual = observed.sel(geo=panel).sum("geo", min_count=1).values
        mean, lower, upper = band(draws, prob)
        ax.fill_between(dates, lower, upper, color=PREDICTED_COLOR, alpha=0.2, lw=0,
                        label=interval_label(prob, "predictive"))
        ax.plot(dates, mean, color=PREDICTED_COLOR, lw=1.6, label="predicted (posterior mean)")
        ax.plot(dates, actual, color=ACTUAL_COLOR, lw=1.2, marker="o", ms=2.2,
                label=f"actual {model.target}")
        ax.set_ylabel(f"{kpi_label(model)} per week")
        ax.set_title(f"{geo_label(model, panel)} — {_fit_stats(actual, mean, lower, upper)}",
                     fontsize=9.5)
        thousands(ax)
        date_axis(ax)
        ax.grid(alpha=0.3)
    for ax in axes[-min(2, len(axes)):]:
        ax.set_xlabel("week")
    axes[0].legend(loc="upper left", fontsize=8, framealpha=0.9)
    note = f" (largest {len(panels)} geos shown, {omitted} more not shown)" if omitted else ""
    fig.suptitle(f"Model fit: actual vs predicted {model.target}, {period(model)}{note}",
                 fontsize=11)
    return fig


def _fit_stats(actual, mean, lower, upper) -> str:
    """R², MAPE (:mod:`mmmkit.stats`) and band coverage in words, for a panel title."""
    seen = np.isfinite(actual)  # weeks without a KPI are not scored
    actual, mean, lower, upper = actual[seen], mean[seen], lower[seen], upper[seen]
    r2 = stats.r2(mean, actual)
    mape = stats.mape(mean, actual)
    inside = float(np.mean((actual >= lower) & (actual <= upper)))
    return f"R² {r2:.2f}, MAPE {mape:.1%}, {inside:.0%} of weeks inside the band"


# ---------------------------------------------------------------------------------------------
# Contributions
# ---------------------------------------------------------------------------------------------
def contributions(
    model,
    geos: str | Sequence[str] | None = None,
    *,
    prob: float = 0.9,
    media_only: bool = False,
    geo: str | Sequence[str] | None = None,
) -> Figure:
    """Weekly channel contributions stacked on the baseline, with the actual target.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    geos : ``None`` for the total over geos, or a geo label / list of labels to sum.
    prob : level of the band around the expected target (baseline plus media).
    media_only : only the channels' contributions, stacked from zero (no baseline and no
        actual target): channels that are slivers on top of a large baseline become
        readable. The band is then that of all media together.
    geo : deprecated name of ``geos``.

    Returns
    -------
    Figure with one axes on a concise date axis: stacked areas (posterior means, KPI units
    per week) of the baseline (intercept, trend, seasonality and controls together) and one
    layer per channel in ``model.channels`` order, the ``prob`` band of the expected target,
    and the actual target; with ``media_only``, the channel layers and the ``prob`` band of
    their sum.
    """
    geos = renamed_geos(geos, geo, "contributions")
    data = model.fitted_data()
    check_prob(prob)
    geos = select_geos(model, geos)
    contrib = sum_geos(read(model, "contributions"), geos)  # (chain, draw, date, channel)
    media = flat(contrib.sel(channel=model.channels))  # (S, T, C)
    colors = channel_colors(model)
    layers = [media[:, :, c].mean(axis=0) for c in range(len(model.channels))]
    labels, fills = list(model.channels), [colors[ch] for ch in model.channels]
    expected = media.sum(axis=-1)
    if not media_only:
        base_draws = flat(sum_geos(read(model, "baseline"), geos).sum("component"))  # (S, T)
        expected = expected + base_draws
        layers, labels = [base_draws.mean(axis=0), *layers], ["baseline", *labels]
        fills = [BASELINE_COLOR, *fills]
    _, lower, upper = band(expected, prob)
    fig = ImageFigure(figsize=(11, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.stackplot(data.dates, *layers, labels=labels, colors=fills, alpha=0.85, lw=0)
    what = "all media" if media_only else f"expected {model.target}"
    ax.fill_between(data.dates, lower, upper, facecolor="none", edgecolor=ACTUAL_COLOR,
                    hatch="////", lw=0.0, alpha=0.6, label=f"{what}, {interval_label(prob)}")
    if not media_only:
        actual = model.idata.observed_data[model.target].sel(geo=geos).sum(
            "geo", min_count=1).values
        ax.plot(data.dates, actual, color=ACTUAL_COLOR, lw=1.3, label=f"actual {model.target}")
    ax.set_ylabel(f"{kpi_label(model)} per week")
    ax.set_xlabel("week")
    title = ("Media's contribution each week, without the baseline" if media_only
             else f"Where {model.target} came from each week")
    ax.set_title(f"{title} ({geo_label(model, geos)}; layers are posterior means)",
                 fontsize=10.5)
    thousands(ax)
    date_axis(ax)
    ax.grid(alpha=0.3)
    ax.margins(x=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, borderaxespad=0)
    return fig


# ---------------------------------------------------------------------------------------------
# Waterfall
# ---------------------------------------------------------------------------------------------
_COMPONENT_LABELS = {"intercept": "base level", "trend": "trend", "seasonality": "seasonality",
                     "drift": "drifting level"}


def waterfall(
    model,
    geos: str | Sequence[str] | None = None,
    *,
    prob: float = 0.9,
    reference: str | Mapping[str, float] = "min",
    geo: str | Sequence[str] | None = None,
) -> Figure:
    """Total contribution of each baseline component and each channel over the fitted period.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    geos : ``None`` for the total over geos, or a geo label / list of labels to sum.
    prob : level of the error bars on each step and on the total.
    reference : what the baseline's drivers are measured against, as in
        :meth:`mmmkit.MMM.baseline`. ``"min"`` (default): each control from its lowest value,
        the trend from the first week, seasonality from its lowest week, so each step is what
        that driver added above its floor. ``"mean"``: the model's centring (controls, trend
        and seasonality sum to about zero and the base level holds almost all). A mapping
        ``{control: value}`` sets those controls' references. The base level takes up the
        difference, so the total is the same for every choice; the subtitle states it.
    geo : deprecated name of ``geos``.

    Returns
    -------
    Figure with one axes: one floating bar per baseline component (``model.baseline()``
    components: base level, trend, seasonality, controls), one per channel, and a final bar
    for the expected total, all in KPI units summed over the fitted weeks (posterior means,
    ``prob`` intervals as error bars; each value label sits above its bar's error bar); the
    actual total is a marker on the last bar. Steps that lower the total are red.
    """
    geos = renamed_geos(geos, geo, "waterfall")
    model.fitted_data()
    check_prob(prob)
    geos = select_geos(model, geos)
    items, described = _waterfall_steps(model, geos, reference)
    total = sum(draws for _, draws, _ in items)
    actual = float(model.idata.observed_data[model.target].sel(geo=geos).sum())

    fig = ImageFigure(figsize=(max(7.0, 1.0 * (len(items) + 1) + 2), 5.0), layout="constrained")
    ax = fig.subplots()
    running = 0.0
    tot_mean = float(total.mean())
    for i, (_label, draws, color) in enumerate(items):
        mean = float(draws.mean())
        lo, hi = stats.interval(draws, prob)
        end = running + mean
        ax.bar(i, abs(mean), bottom=min(running, end), width=0.7, edgecolor="white",
               color=color if mean >= 0 else NEGATIVE_COLOR)
        ax.errorbar(i, end, yerr=[[max(mean - lo, 0.0)], [max(hi - mean, 0.0)]],
                    color=ACTUAL_COLOR, capsize=3, lw=1,
                    label=f"{interval_label(prob)} of each step" if i == 0 else None)
        share = mean / tot_mean if tot_mean else 0.0
        # above the bar and its whisker: an error bar never runs through the label
        ax.annotate(f"{signed(mean)}\n({signed(100 * share)}%)",
                    (i, max(running, end, running + hi)), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
        if i < len(items) - 1:  # connector to the next step, as in accounting waterfalls
            ax.plot([i + 0.35, i + 0.65], [end, end], color="#777777", lw=0.8)
        running = end
    k = len(items)
    lo, hi = stats.interval(total, prob)
    ax.bar(k, tot_mean, color=PREDICTED_COLOR, width=0.7, edgecolor="white")
    ax.errorbar(k, tot_mean, yerr=[[max(tot_mean - lo, 0.0)], [max(hi - tot_mean, 0.0)]],
                color=ACTUAL_COLOR, capsize=3, lw=1)
    ax.plot(k, actual, marker="D", color="white", markeredgecolor=ACTUAL_COLOR, ms=7,
            ls="none", label=f"actual total {model.target}: {actual:,.0f}")
    ax.annotate(f"{tot_mean:,.0f}", (k, max(tot_mean, hi, actual)), xytext=(0, 4),
                textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(range(k + 1), [lbl for lbl, _, _ in items] + ["expected total"],
                  rotation=30, ha="right")
    ax.set_ylabel(f"total {kpi_quantity(model)} over the period")
    note = textwrap.fill(f"baseline drivers measured against: {described}; the base level "
                         "holds the rest", width=int(fig.get_figwidth() * 10))
    ax.set_title(f"Total {model.target} by source, {period(model)} ({geo_label(model, geos)};"
                 f" grey: baseline, colours: media)\n{note}", fontsize=10)
    thousands(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    ax.margins(y=0.14)
    return fig


def _waterfall_steps(model, geos: list[str], reference
                     ) -> tuple[list[tuple[str, np.ndarray, Any]], str]:
    """``(label, draws (S,) of the period total, colour)`` of the baseline components against
    ``reference``, then the channels; and the reference in words
    (``baseline(...).attrs["reference"]``)."""
    baseline = read(model, "baseline", reference)
    base = sum_geos(baseline, geos).sum("date")  # (chain, draw, component)
    contrib = sum_geos(read(model, "contributions"), geos).sum("date")  # (chain, draw, chan)
    items: list[tuple[str, np.ndarray, Any]] = []
    for comp in base["component"].values:
        label = _COMPONENT_LABELS.get(str(comp), str(comp))
        items.append((label, flat(base.sel(component=comp)), BASELINE_COLOR))
    colors = channel_colors(model)
    for ch in model.channels:
        items.append((ch, flat(contrib.sel(channel=ch)), colors[ch]))
    return items, str(baseline.attrs.get("reference", reference))


# ---------------------------------------------------------------------------------------------
# ROAS
# ---------------------------------------------------------------------------------------------
def roas(model, *, prob: float = 0.9, marginal: bool = False, currency: str | None = None
         ) -> Figure:
    """ROAS (and marginal ROAS) per channel: posterior mean with a credible interval.

    The numbers are :meth:`mmmkit.MMM.roas`'s (``marginal=False``: ROAS; ``True``: marginal
    ROAS too).

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    prob : level of the error bars.
    marginal : add a second panel with marginal ROAS (the next 1% of spend); default
        ``False``, as in :meth:`mmmkit.MMM.roas`.
    currency : spend unit for the labels, e.g. ``"EUR"`` (default ``model.currency``, else
        "currency unit").

    Returns
    -------
    Figure with one axes (two with ``marginal``): a dot (mean) and error bar (``prob``
    interval) per channel, in KPI units per currency unit of spend, labelled beside the
    bar's upper end with the mean and its interval. When the KPI is revenue
    (``model.kpi_is_revenue``) a dashed break-even line marks 1; for any other KPI there is
    no line (one conversion per EUR is no threshold) and the title says so.
    """
    model.fitted_data()
    check_prob(prob)
    revenue = is_revenue(model)
    kinds = [False, True] if marginal else [False]
    fig = ImageFigure(figsize=(5.8 * len(kinds) + 1, 0.55 * len(model.channels) + 2.6),
                      layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(kinds), sharey=True, squeeze=False)).ravel()
    colors = channel_colors(model)
    ypos = np.arange(len(model.channels))[::-1]  # first channel on top
    for ax, is_marginal in zip(axes, kinds, strict=True):
        table = read(model, "roas", prob, is_marginal).loc[model.channels]
        for y, ch in zip(ypos, model.channels, strict=True):
            row = table.loc[ch]
            ax.errorbar(row["mean"], y, xerr=[[row["mean"] - row["lower"]],
                                             [row["upper"] - row["mean"]]],
                        fmt="o", color=colors[ch], ms=7, capsize=4, lw=1.6,
                        label=(f"mean, {interval_label(prob)}" if ch == model.channels[0]
                               else None))
            if np.isfinite(row["upper"]):  # beside the bar, right of its upper end
                ax.annotate(f"{row['mean']:,.2f} ({row['lower']:,.2f} to {row['upper']:,.2f})",
                            (row["upper"], y), xytext=(6, 0), textcoords="offset points",
                            ha="left", va="center", fontsize=7.5)
        if revenue:
            ax.axvline(1.0, color="#555555", ls="--", lw=1,
                       label="break-even: 1 (spend returned 1:1)")
        ax.set_xlabel(f"{roas_unit(model, currency)} of spend")
        ax.set_title(_roas_title(model, is_marginal, currency), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        left = min(0.0, float(table["lower"].min()) * 1.1)
        right = max(float(table["upper"].max()), 1.05 if revenue else left + 1e-9)
        ax.set_xlim(left, right + 0.4 * (right - left))  # room for the labels on the right
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8)
    axes[0].set_yticks(np.arange(len(model.channels)), model.channels[::-1])
    axes[0].set_ylabel("channel")
    axes[0].set_ylim(-0.7, len(model.channels) - 0.3)
    return fig


def _roas_title(model, is_marginal: bool, currency: str | None) -> str:
    """A ROAS panel's title; for a KPI that is not revenue, why 1 is not marked."""
    title = ("Marginal ROAS: return on the next 1% of spend" if is_marginal
             else "ROAS: return on the period's spend")
    if is_revenue(model):
        return title
    return (f"{title}\n(the KPI, {kpi_label(model)}, is not revenue in "
            f"{per_currency(model, currency)}: 1 is no break-even)")
