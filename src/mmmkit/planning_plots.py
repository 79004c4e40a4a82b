"""Planning charts: response curves and a budget plan against the actual split.

Imported by :mod:`mmmkit.plots`, which re-exports every public name here: use
``mmmkit.plots.response_curves`` etc. The curves are :func:`mmmkit.scenarios.response_curves`
(the one implementation, shared with the scenarios and the optimiser); these functions only
select, label and draw them. The conventions of :mod:`mmmkit.plots` apply.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mmmkit.figures import (
    ACTUAL_COLOR,
    BASELINE_COLOR,
    NEGATIVE_COLOR,
    PREDICTED_COLOR,
    ImageFigure,
    channel_colors,
    compact_ticks,
    grid,
)
from mmmkit.formatting import (
    band,
    compact,
    currency_label,
    flat,
    interval_label,
    is_revenue,
    kpi_label,
    kpi_quantity,
    level,
)
from mmmkit.reading import (
    lift_total,
    plan_allocation,
    plan_reference,
    renamed_geos,
    select_channels,
    select_geos,
)
from mmmkit.scenarios import response_curves as scenario_response_curves
from mmmkit.stats import check_prob

__all__ = ["DEFAULT_MULTIPLIERS", "budget_plan", "plan_vs_actual", "response_curve_draws",
           "response_curves"]

DEFAULT_MULTIPLIERS = np.round(np.linspace(0.0, 2.0, 21), 6)


# ---------------------------------------------------------------------------------------------
# Response curves
# ---------------------------------------------------------------------------------------------
def response_curve_draws(
    model,
    channels: str | Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    *,
    geos: str | Sequence[str] | None = None,
    geo: str | Sequence[str] | None = None,
) -> xr.DataArray:
    """Incremental target when each channel's historical spend pattern is scaled.

    For multiplier ``m`` every week's (and geo's) spend of the channel is ``m`` times the
    actual; the response is the expected target over the fitted weeks plus the ``max_lag - 1``
    weeks of carryover after them, minus the same with the channel's spend at zero. At
    ``m = 1`` the response divided by the spend is the channel's ROAS. The numbers are
    :func:`mmmkit.scenarios.response_curves`'s ``lift``, relabelled.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    channels : channels to trace (default all; a string is one channel).
    multipliers : spend multipliers (``>= 0``; default 0, 0.1, ..., 2).
    geos : ``None`` for the total over geos, or a geo label / list of labels to sum.
    geo : deprecated name of ``geos``.

    Returns
    -------
    DataArray ``(chain, draw, multiplier, channel)`` in KPI units (``model.kpi_label``,
    ``attrs["units"]``; totals over the selected geos), with coordinate ``spend``
    ``(multiplier, channel)``: the scaled total spend in currency units.
    """
    geos = renamed_geos(geos, geo, "response_curve_draws")
    model.fitted_data()
    mult = _multipliers(multipliers)
    return _lift_draws(model, _scenario_curves(model, channels, mult, geos), mult)


def _multipliers(multipliers: Sequence[float] | None) -> np.ndarray:
    """The multipliers as an array (default 0, 0.1, ..., 2), checked."""
    mult = np.asarray(DEFAULT_MULTIPLIERS if multipliers is None else multipliers, dtype=float)
    if mult.ndim != 1 or mult.size == 0 or (mult < 0).any() or not np.isfinite(mult).all():
        raise ValueError("multipliers must be a non-empty list of finite numbers >= 0.")
    return mult


def _scenario_curves(model, channels, mult: np.ndarray, geos):
    """:func:`mmmkit.scenarios.response_curves` of the selected channels and geos."""
    selected = select_geos(model, geos)
    names = select_channels(model, channels)
    all_geos = len(selected) == len(model.fitted_data().geos)
    return scenario_response_curves(model, names, mult, geos=None if all_geos else selected)


def _lift_draws(model, result, mult: np.ndarray) -> xr.DataArray:
    """The curves' ``lift`` as :func:`response_curve_draws` returns it."""
    lift = result.lift.transpose("chain", "draw", "multiplier", "channel")
    spend = result.spend.transpose("multiplier", "channel")
    return xr.DataArray(
        lift.values, dims=lift.dims,
        coords={"chain": lift["chain"].values, "draw": lift["draw"].values,
                "multiplier": mult, "channel": list(lift["channel"].values),
                "spend": (("multiplier", "channel"), spend.values)},
        name="incremental_" + model.target,
        attrs={"units": kpi_label(model), "spend_units": model.currency or "currency"},
    )


def response_curves(
    model,
    channels: str | Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    *,
    prob: float = 0.9,
    currency: str | None = None,
    geos: str | Sequence[str] | None = None,
    geo: str | Sequence[str] | None = None,
) -> Figure:
    """Response curves: incremental target against total spend, one panel per channel.

    Each channel keeps its historical weekly (and geo) pattern, scaled by ``multipliers``
    (default 0, 0.1, ..., 2 times the actual spend), as in :func:`response_curve_draws`.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    channels : channels to draw (default all; a string is one channel).
    multipliers : spend multipliers (``>= 0``); 1 (the actual spend) is always added.
    prob : level of the band and of the break-even interval.
    currency : spend unit for the labels (default ``model.currency``, else "currency units").
    geos : ``None`` for the total over geos, or a geo label / list of labels.
    geo : deprecated name of ``geos``.

    Returns
    -------
    Figure with one axes per channel: x is the total spend over the fitted period (currency,
    ticks in k / M), y the incremental target over the period and its carryover (KPI units);
    the mean curve, its ``prob`` band and the actual spend (marker and dotted line). When the
    KPI is revenue (``model.kpi_is_revenue``), a dashed red line and cross mark break-even:
    the spend at which the posterior median marginal ROAS along the curve falls through 1,
    beyond which an extra unit of spend returns less than it costs; the shading is the
    ``prob`` interval of the draws' own break-even spends
    (:meth:`mmmkit.scenarios.ResponseCurves.saturation_point`), and the legend gives both.
    For other KPIs nothing is marked: 1 KPI unit per currency unit is no threshold.
    """
    geos = renamed_geos(geos, geo, "response_curves")
    model.fitted_data()
    check_prob(prob)
    mult = np.unique(np.append(_multipliers(multipliers), 1.0))  # actual spend on the curve
    result = _scenario_curves(model, channels, mult, geos)
    curves = _lift_draws(model, result, mult)
    breakeven = _break_even(result, prob) if is_revenue(model) else None
    cur = currency_label(model, currency)
    colors = channel_colors(model)
    names = list(curves["channel"].values)
    fig, axes = grid(len(names), 3, 4.3, 3.6)
    one = int(np.argmin(np.abs(mult - 1.0)))
    for ax, ch in zip(axes, names, strict=True):
        draws = flat(curves.sel(channel=ch))  # (S, M)
        x = curves["spend"].sel(channel=ch).values
        mean, lower, upper = band(draws, prob)
        ax.fill_between(x, lower, upper, color=colors[ch], alpha=0.22, lw=0,
                        label=interval_label(prob))
        ax.plot(x, mean, color=colors[ch], lw=2, label="mean response")
        if x[one] > 0:
            ax.axvline(x[one], color="#555555", ls=":", lw=1)
            ax.plot(x[one], mean[one], "o", color=ACTUAL_COLOR, ms=6,
                    label=f"actual spend: {compact(x[one])}")
            if breakeven is not None:
                _mark_break_even(ax, breakeven.loc[ch], x, mean, prob)
        else:
            ax.text(0.5, 0.5, "no spend in the period", transform=ax.transAxes, ha="center")
        ax.set_title(ch, fontsize=10)
        ax.set_xlabel(f"spend over the period ({cur})")
        ax.set_ylabel(f"incremental {kpi_quantity(model)}")
        compact_ticks(ax, "x")
        compact_ticks(ax, "y")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=7)
    title = (f"Response curves: extra {kpi_quantity(model)} over the period and its carryover, "
             f"vs no spend, at {mult.min():g}–{mult.max():g}× each channel's actual spend")
    if breakeven is not None:
        title += (f"\ndashed red: break-even, the spend beyond which an extra {cur} returns "
                  f"less than it costs (median marginal ROAS below 1)")
    fig.suptitle(title, fontsize=10.5)
    return fig


def _break_even(result, prob: float) -> pd.DataFrame:
    """Per channel: ``point``, the spend where the posterior median marginal ROAS along the
    curve last falls through 1 (``0``: below 1 at every spend on the grid; ``inf``: still
    above 1 at its end), and the ``prob`` interval ``lower, upper`` of the draws' own
    crossings (``saturation_point``; ``inf``: beyond the grid)."""
    per_draw = result.saturation_point(1.0, prob=prob)
    mroas = result.marginal_roas.transpose("chain", "draw", "channel", "multiplier")
    spend = result.spend.transpose("channel", "multiplier").values
    points = []
    for c, median in enumerate(np.nanmedian(flat(mroas), axis=0)):  # (C, M)
        above = np.flatnonzero(median >= 1.0)
        if above.size == 0:
            points.append(0.0)
        elif above[-1] == median.size - 1:
            points.append(np.inf)
        else:
            i = above[-1]
            y0, y1 = median[i], median[i + 1]
            frac = (y0 - 1.0) / (y0 - y1) if np.isfinite(y0) else 1.0
            points.append(spend[c, i] + frac * (spend[c, i + 1] - spend[c, i]))
    return pd.DataFrame({"point": points, "lower": per_draw["lower"].values,
                         "upper": per_draw["upper"].values},
                        index=pd.Index(per_draw.index, name="channel"))


def _mark_break_even(ax, row: pd.Series, x: np.ndarray, mean: np.ndarray, prob: float) -> None:
    """The break-even line, cross and interval on one response-curve panel (or, when the
    median curve does not cross 1 on the grid, a note saying which side it stays on)."""
    point, lower, upper = float(row["point"]), float(row["lower"]), float(row["upper"])
    if point == 0.0 or not np.isfinite(point):
        note = ("marginal ROAS below 1 (break-even) at every spend shown" if point == 0.0
                else f"marginal ROAS above 1 (break-even) up to {compact(x.max())}")
        ax.text(0.97, 0.04, note, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7, color=NEGATIVE_COLOR)
        return
    high = f"beyond {compact(x.max())}" if not np.isfinite(upper) else compact(upper)
    ax.axvspan(lower, min(upper, x.max()), color=NEGATIVE_COLOR, alpha=0.08, lw=0)
    ax.axvline(point, color=NEGATIVE_COLOR, ls="--", lw=1.2,
               label=f"break-even (marginal ROAS 1): {compact(point)}\n"
                     f"{level(prob)} interval {compact(lower)} to {high}")
    ax.plot(point, float(np.interp(point, x, mean)), "X", color=NEGATIVE_COLOR, ms=7)


# ---------------------------------------------------------------------------------------------
# Budget plan
# ---------------------------------------------------------------------------------------------
def budget_plan(model, plan, currency: str | None = None, *, prob: float = 0.9) -> Figure:
    """A budget plan's allocation against the actual split of spend, per channel.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    plan : a :class:`mmmkit.scenarios.BudgetPlan` (what ``optimize_budget`` returns): its
        ``.allocation`` (channel -> spend over the planning period, currency units) is drawn
        against ``.historical`` (the actual spend over that period) and ``.lift`` gives the
        expected change in the target. A ``pandas.Series`` channel -> spend works too (it is
        compared with the fitted period's spend).
    currency : spend unit for the labels (default ``model.currency``, else "currency units").
    prob : interval level of the lift quoted in the title (when the plan has one).

    Returns
    -------
    Figure with one axes: two bars per channel (actual, planned) in currency units over the
    period (ticks and labels in k / M), each labelled with its share of its total; the title
    gives the expected change in the KPI (``model.kpi_label``) with its interval.
    """
    model.fitted_data()
    actual = plan_reference(model, plan)
    planned = plan_allocation(model, plan)
    cur = currency_label(model, currency)
    x = np.arange(len(model.channels))
    fig = ImageFigure(figsize=(max(6.5, 1.4 * len(x) + 2.5), 4.3), layout="constrained")
    ax = fig.subplots()
    width = 0.38
    for offset, values, label, style in (
        (-width / 2, actual, "actual spend", {"color": BASELINE_COLOR}),
        (width / 2, planned, "planned spend", {"color": PREDICTED_COLOR}),
    ):
        bars = ax.bar(x + offset, values.values, width=width, label=label, edgecolor="white",
                      **style)
        total = float(values.sum())
        ax.bar_label(bars, labels=[f"{compact(v)}\n{v / total:.0%}" if total else compact(v)
                                   for v in values.values], fontsize=7, padding=2)
    ax.set_xticks(x, model.channels)
    ax.set_xlabel("channel")
    ax.set_ylabel(f"spend over the period ({cur})")
    compact_ticks(ax, "y")
    ax.margins(y=0.18)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    title = (f"Budget plan vs actual split\nactual total {actual.sum():,.0f}, "
             f"plan total {planned.sum():,.0f} ({cur})")
    lift = lift_total(plan, prob)
    if lift is not None:
        mean, lower, upper = lift
        title += (f"\nexpected change in {kpi_quantity(model)}: {mean:+,.0f} "
                  f"({interval_label(prob)} {lower:+,.0f} to {upper:+,.0f})")
    ax.set_title(title, fontsize=10)
    return fig


def plan_vs_actual(check) -> Figure:
    """The weeks after the fitted period: the actual KPI against the model's predictive band
    for the spend actually used (a :class:`mmmkit.actuals.PlanCheck`).

    Parameters
    ----------
    check : what ``mmmkit.actuals.plan_vs_actual(model, actual_df, ...)`` returns.

    Returns
    -------
    Figure with one axes: the predictive mean (line) and its ``check.prob`` band per week,
    summed over the geos (KPI units, ``check.units``), the actual KPI as dots, filled where
    inside the band and open where outside; the title says the coverage against nominal and
    whether drift was flagged.
    """
    weekly = check.weekly_total
    dates = pd.DatetimeIndex(weekly["date"])
    fig = ImageFigure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(dates, weekly["lower"], weekly["upper"], color=PREDICTED_COLOR, alpha=0.2,
                    label=f"{level(check.prob)} predictive band")
    ax.plot(dates, weekly["mean"], color=PREDICTED_COLOR, lw=1.5,
            label="predicted for the spend used")
    inside = weekly["inside"].to_numpy(dtype=bool)
    ax.scatter(dates[inside], weekly["actual"][inside], color=ACTUAL_COLOR, s=18, zorder=3,
               label="actual, inside the band")
    if (~inside).any():
        ax.scatter(dates[~inside], weekly["actual"][~inside], facecolors="white",
                   edgecolors=NEGATIVE_COLOR, s=30, zorder=3, label="actual, outside the band")
    ax.set_ylabel(f"{check.units} per week")
    ax.set_xlabel("week")
    compact_ticks(ax, "y")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    verdict = "drift flagged" if check.drift else "no drift flagged"
    ax.set_title(f"Actuals against the model's prediction: {check.coverage:.0%} of weeks "
                 f"inside the {level(check.prob)} band; {verdict}", fontsize=10)
    fig.autofmt_xdate()
    return fig
