"""What-if questions answered from posterior draws: lift, reallocations, plans, budgets.

Every answer is the model's expected target under one spend plan minus under another,
computed draw by draw, so each comes with its posterior interval (the engine, shared with the
budget optimiser, is :mod:`mmmkit.response`; the media term is written out there). The
baseline does not depend on spend, so a lift is a difference of media terms only. Two rules
make lifts honest:

* **Carryover after the plan counts.** A change in week ``t`` moves the target in weeks
  ``t .. t + max_lag - 1``; every lift sums those weeks too. Weeks after the changed ones keep
  their own spend (the later fitted weeks, then zero spend after the fitted period).
* **Carry-in before the plan counts.** Saturation is non-linear, so the spend still working
  from the ``max_lag - 1`` weeks before a plan changes what the plan's own spend adds. Those
  weeks are taken from the fitted data; weeks that neither the fitted data nor the plan cover
  count as zero spend (:class:`ScenarioWarning` says so).

Public API
----------
``incremental_lift(model, spend, reference=None, *, start=None, end=None) -> LiftResult``
    Any alternative plan (a DataFrame like the fitted channel columns), against the actual
    spend or a reference plan (required for weeks after the fitted period).
``shift(model, changes, *, start=None, end=None, geos=None) -> LiftResult``
    Relative changes per channel over a window and a subset of geos.
``move(model, amount, from_channel, to_channels, weights=None, *, ...) -> LiftResult``
    Move an amount of currency from one channel to others, keeping each channel's pattern.
``plan_from_history(model, start, weeks, scale=1.0) -> DataFrame``
    A forward plan made of the same weeks of the previous year, re-dated.
``response_curves(model, channels=None, multipliers=..., *, ...) -> ResponseCurves``
    Incremental target against total spend as each channel's pattern is scaled.
``optimize_budget(model, budget, bounds=None, fixed=None, *, ...) -> BudgetPlan``
    The split of a budget across channels (or channels x geos) that maximises the expected
    incremental target, a risk-adjusted version of it, or profit (:mod:`mmmkit.optimize`,
    re-exported here).
``relative(lower, upper)``
    Bounds of :func:`optimize_budget` given as relative changes of historical spend.

Units: lifts are in the target's units (e.g. ``sales``) summed over the counted weeks and
geos; spend is in currency summed over the plan's weeks and geos; (marginal) ROAS is target
units per currency unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit._threads import with_one_blas_thread
from mmmkit.errors import DataError, warn_user
from mmmkit.model import MMM
from mmmkit.optimize import DEFAULT_SPEND_RANGE as DEFAULT_SPEND_RANGE
from mmmkit.optimize import OBJECTIVES as OBJECTIVES
from mmmkit.optimize import BudgetPlan, Relative, optimize_budget, relative
from mmmkit.response import (
    ChannelBlocks,
    LiftResult,
    ScenarioWarning,
    channel_map,
    check_channel,
    check_on_grid,
    keyword_only,
    lift_arrays,
    plan_frame,
    read_plan,
    span,
    stats_frame,
    window,
)
from mmmkit.response import extrapolation_table as extrapolation_table
from mmmkit.stats import DEFAULT_PROB, check_prob, quantile, tails

# The optimiser's names (mmmkit.optimize) and extrapolation_table are re-exported: a user's
# ``scenarios.optimize_budget`` etc. work as before.
__all__ = [
    "BudgetPlan",
    "LiftResult",
    "Relative",
    "ResponseCurves",
    "ScenarioWarning",
    "incremental_lift",
    "move",
    "optimize_budget",
    "plan_from_history",
    "relative",
    "response_curves",
    "shift",
]


# =============================================================================================
# Results
# =============================================================================================
@dataclass(eq=False)
class ResponseCurves:
    """Incremental target against spend, per channel, on posterior draws.

    Attributes
    ----------
    dataset : xarray.Dataset with

        - ``lift`` ``(chain, draw, channel, multiplier)``: expected target with the channel's
          actual weekly (and geo) pattern scaled by ``multiplier`` minus with the channel at
          zero over the period, carryover after it included, target units;
        - ``marginal_roas`` ``(chain, draw, channel, multiplier)``: derivative of ``lift``
          with respect to the channel's total spend (target units per currency unit), exact
          (closed-form saturation derivatives); ``inf`` at zero spend for a Hill curve with
          slope < 1;
        - ``roas`` ``(chain, draw, channel, multiplier)``: ``lift / spend`` (``NaN`` at 0);
        - ``spend`` ``(channel, multiplier)``: total spend at each multiplier, currency;
        - ``observed_multiplier`` ``(channel,)``: the largest multiplier whose every week
          stays within the highest weekly spend of the fitted data (per geo), and
          ``within_data`` ``(channel, multiplier)``: whether a point is inside it. Past it
          the curve is the fitted shape extrapolated beyond anything the data show.

    current : the same variables at multiplier 1 (the actual spend), without the multiplier
        dimension.
    """

    dataset: xr.Dataset
    current: xr.Dataset

    @property
    def lift(self) -> xr.DataArray:
        return self.dataset["lift"]

    @property
    def marginal_roas(self) -> xr.DataArray:
        return self.dataset["marginal_roas"]

    @property
    def spend(self) -> xr.DataArray:
        return self.dataset["spend"]

    def summary(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Long table indexed by ``(channel, multiplier)``: ``spend``, and ``mean, lower,
        upper`` of ``lift`` and of ``marginal_roas``."""
        lo, hi = tails(prob)
        rows = {}
        for name in ("lift", "marginal_roas"):
            da = self.dataset[name].transpose("chain", "draw", "channel", "multiplier")
            flat = da.values.reshape(-1, *da.shape[2:])
            dims = ("channel", "multiplier")
            rows[f"{name}_mean"] = (dims, flat.mean(axis=0))
            rows[f"{name}_lower"] = (dims, quantile(flat, lo))
            rows[f"{name}_upper"] = (dims, quantile(flat, hi))
        table = xr.Dataset({"spend": self.dataset["spend"], **rows}).to_dataframe()
        table.attrs.update(prob=prob, units=self.dataset.attrs.get("units", ""))
        return table

    @keyword_only("prob")
    def saturation_point(self, threshold: float = 1.0, *,
                         prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Where each channel saturates: the total spend beyond which marginal ROAS stays
        below ``threshold`` (target units per currency unit; ``1`` = break-even for revenue).

        Per draw, the last grid point at which marginal ROAS is at or above ``threshold`` is
        found and the crossing is interpolated linearly to the next grid point. ``0`` means
        marginal ROAS is below the threshold at every spend on the grid (an S-shaped curve
        whose peak is below it); ``inf`` means it is still above it at the largest multiplier.

        Returns
        -------
        DataFrame indexed by channel: ``current_spend`` (currency), ``mean, median, lower,
        upper`` of the saturation spend (currency; quantiles may be ``inf``, "beyond the
        grid"; ``mean`` is ``NaN`` when any draw is, since no average exists then),
        ``share_beyond_grid`` (share of draws still above the threshold at the largest
        multiplier: widen ``multipliers`` to place them), ``grid_max_spend`` (currency) and
        ``prob_saturated``, the posterior probability that the actual spend is beyond it
        (marginal ROAS at the actual spend below ``threshold``).
        """
        check_prob(prob)
        ordered = self.dataset.sortby("multiplier")  # the grid may be given in any order
        mroas = ordered["marginal_roas"].transpose("chain", "draw", "channel",
                                                   "multiplier").values
        spend = ordered["spend"].transpose("channel", "multiplier").values
        flat = mroas.reshape(-1, *mroas.shape[2:])  # (S, C, M)
        above = flat >= threshold
        n_grid = flat.shape[-1]
        # index of the last grid point at or above the threshold (-1: none)
        last = np.where(above.any(-1), n_grid - 1 - np.argmax(above[..., ::-1], axis=-1), -1)
        lower = np.clip(last, 0, max(n_grid - 2, 0))[..., None]
        upper = np.minimum(lower + 1, n_grid - 1)
        y0 = np.take_along_axis(flat, lower, -1)[..., 0]
        y1 = np.take_along_axis(flat, upper, -1)[..., 0]
        grid = np.broadcast_to(spend, flat.shape)
        s0 = np.take_along_axis(grid, lower, -1)[..., 0]
        s1 = np.take_along_axis(grid, upper, -1)[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            # linear crossing between the grid points; an infinite marginal ROAS (a Hill
            # curve with slope < 1 at zero spend) gives the next point
            frac = np.where(np.isfinite(y0), (y0 - threshold) / (y0 - y1), 1.0)
        point = s0 + np.nan_to_num(frac) * (s1 - s0)
        point = np.where(last < 0, 0.0, np.where(last == n_grid - 1, np.inf, point))
        channels = self.dataset["channel"].values
        frame = stats_frame(point, channels, prob=prob)
        beyond = np.isinf(point).mean(axis=0)
        # an average over draws some of which are "beyond the grid" does not exist: inf was
        # printed for every channel and read as "never saturates"
        frame.loc[beyond > 0, "mean"] = np.nan
        frame["share_beyond_grid"] = beyond
        frame["grid_max_spend"] = spend.max(axis=-1)
        now = self.current["marginal_roas"].values.reshape(-1, len(channels))
        frame.insert(0, "current_spend", self.current["spend"].values)
        frame["prob_saturated"] = (now < threshold).mean(axis=0)
        frame.attrs.update(threshold=threshold, prob=prob, units="currency")
        return frame

    def __repr__(self) -> str:
        return (f"ResponseCurves(channels={list(self.dataset['channel'].values)}, "
                f"multipliers={self.dataset.sizes['multiplier']})")


# =============================================================================================
# Lift of explicit plans
# =============================================================================================
def incremental_lift(
    model: MMM,
    spend: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    *,
    start=None,
    end=None,
) -> LiftResult:
    """Incremental target of a spend plan over a reference plan, draw by draw.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    spend : the alternative plan: one row per week (per geo for a panel) with the model's
        date column, its geo column (panels) and every channel column, in currency. Weeks
        must be consecutive and on the fitted weekly grid; geos may be a subset of the fitted
        geos (the others keep their spend). Weeks may lie after the fitted period (a forward
        plan); the fitted weeks before it carry over into it.
    reference : the plan to compare with, covering (at least) the plan's weeks and geos; its
        other rows are ignored. Default: the actual (fitted) spend of those weeks, which
        exists only for fitted weeks, so a plan with later weeks needs one (e.g.
        :func:`plan_from_history`, last year's weeks re-dated).
    start, end : keep only the plan's weeks in ``[start, end]`` (inclusive).

    Returns
    -------
    LiftResult
        Expected target under ``spend`` minus under ``reference``, summed over the plan's
        weeks and the ``max_lag - 1`` weeks after them, per channel, geo and week.

    Raises
    ------
    DataError
        A plan frame that fails validation, uses geos the model was not fitted on, weeks off
        the fitted grid or before the fitted period, or a reference covering other weeks.
    ValueError
        Weeks after the fitted period without a ``reference``.

    Warns
    -----
    ScenarioWarning
        When weeks between the fitted period and the plan (within the carry-in window) are
        covered by neither; they count as zero spend.
    """
    data = model.fitted_data()
    dates, geos, alt = read_plan(model, spend, "spend")
    keep = np.ones(len(dates), dtype=bool)
    if start is not None:
        keep &= dates >= pd.Timestamp(start)
    if end is not None:
        keep &= dates <= pd.Timestamp(end)
    if not keep.any():
        raise ValueError(f"The plan has no week between {start} and {end} "
                         f"(it covers {dates[0].date()} to {dates[-1].date()}).")
    dates, alt = dates[keep], alt[:, keep]
    geo_idx = [data.geos.index(g) for g in geos]
    if reference is None:
        if dates[-1] > data.dates[-1]:
            raise ValueError(
                f"The plan runs past the fitted period (to {dates[-1].date()}, fitted weeks "
                f"end {data.dates[-1].date()}): there is no actual spend to compare with. Pass "
                "reference=..., e.g. scenarios.plan_from_history(model, start, weeks).")
        pos = data.week_index(dates)
        ref = data.spend[np.ix_(geo_idx, pos)]
        what = "plan vs actual spend"
    else:
        ref_dates, ref_geos, ref = read_plan(model, reference, "reference")
        keep_ref = ref_dates.isin(dates)
        ref_dates, ref = ref_dates[keep_ref], ref[:, keep_ref]
        if set(geos) <= set(ref_geos):
            ref = ref[[ref_geos.index(g) for g in geos]]
            ref_geos = list(geos)
        if not ref_dates.equals(dates) or ref_geos != geos:
            raise DataError(
                f"reference must cover the same weeks and geos as the plan: plan "
                f"{dates[0].date()}..{dates[-1].date()} x {len(geos)} geo(s), reference "
                f"{span(ref_dates)} x {len(ref_geos)} geo(s).")
        what = "plan vs reference plan"
    return lift_arrays(model, alt, ref, dates, geo_idx, description=what)


@keyword_only("start", "end", "geos")
def shift(
    model: MMM,
    changes: Mapping[str, float],
    *,
    start=None,
    end=None,
    geos: str | Sequence[str] | None = None,
) -> LiftResult:
    """Lift of relative spend changes per channel over a window of fitted weeks.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    changes : ``{channel: relative change}``, e.g. ``{"search": -0.10, "social": +0.10}``
        scales search spend by 0.9 and social by 1.1 in every week and geo of the window.
        ``-1`` switches a channel off.
    start, end : first and last week of the window (inclusive; default the fitted period).
    geos : geo label(s) the changes apply to (default all).

    Returns
    -------
    LiftResult against the actual spend, carryover after the window included.
    """
    data = model.fitted_data()
    factors = channel_map(model, changes, "changes")
    for ch, change in factors.items():
        if not np.isfinite(change) or change < -1:
            raise ValueError(f"changes[{ch!r}] = {change}: a relative change must be >= -1 "
                             "(-1 switches the channel off).")
    weeks, geo_idx = window(model, start, end, geos)
    actual = data.spend[np.ix_(geo_idx, weeks)]
    plan = actual.copy()
    for ch, change in factors.items():
        plan[..., model.channels.index(ch)] *= 1.0 + change
    what = "shift " + ", ".join(f"{ch} {v:+.1%}" for ch, v in factors.items())
    delta = (plan - actual).sum(axis=(0, 1))
    total = float(delta.sum())
    if len(factors) > 1 and abs(total) > 1e-9 * max(float(actual.sum()), 1.0):
        # relative changes of different channels are different amounts: +10% / -10% is not a
        # reallocation unless the two spend the same
        parts = ", ".join(f"{ch} {delta[model.channels.index(ch)]:+,.0f}" for ch in factors)
        warn_user(
            f"shift changes the total budget by {total:+,.0f} ({parts}): its lift mixes the "
            "reallocation with a budget change. For a budget-neutral move use "
            "scenarios.move(model, amount, from_channel, to_channels).", ScenarioWarning)
        what += f" (total spend {total:+,.0f})"
    return lift_arrays(model, plan, actual, data.dates[weeks], geo_idx, description=what)


def move(
    model: MMM,
    amount: float,
    from_channel: str,
    to_channels: str | Sequence[str],
    weights: Mapping[str, float] | Sequence[float] | None = None,
    *,
    start=None,
    end=None,
    geos: str | Sequence[str] | None = None,
) -> LiftResult:
    """Lift of moving ``amount`` of currency from one channel to others.

    Each channel keeps its weekly and geo pattern within the window: ``from_channel``'s spend
    is scaled down by ``amount / its spend`` and each receiving channel's up by its share of
    ``amount`` over its own spend.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    amount : currency to move, summed over the window's weeks and geos (``>= 0``, at most
        ``from_channel``'s spend there).
    from_channel : the channel that gives.
    to_channels : the channel(s) that receive.
    weights : shares of ``amount`` per receiving channel (mapping or sequence in the order
        of ``to_channels``; normalised to sum to 1). Default: equal shares.
    start, end, geos : the window, as in :func:`shift`.

    Returns
    -------
    LiftResult against the actual spend (total incremental spend 0).
    """
    data = model.fitted_data()
    if isinstance(to_channels, str):
        to_channels = [to_channels]
    to_channels = list(to_channels)
    for ch in [from_channel, *to_channels]:
        check_channel(model, ch)
    if not to_channels or from_channel in to_channels or len(set(to_channels)) < len(
            to_channels):
        raise ValueError("to_channels must name one or more other channels, each once.")
    if weights is None:
        share = np.full(len(to_channels), 1.0 / len(to_channels))
    else:
        if isinstance(weights, Mapping):
            unknown = set(weights) - set(to_channels)
            if unknown:
                raise ValueError(f"weights name channels not in to_channels: {sorted(unknown)}.")
            share = np.array([float(weights.get(ch, 0.0)) for ch in to_channels])
        else:
            share = np.asarray(weights, dtype=float)
            if share.shape != (len(to_channels),):
                raise ValueError(f"weights must have one entry per receiving channel "
                                 f"({len(to_channels)}), got {share.shape}.")
        if not np.all(np.isfinite(share)) or (share < 0).any() or share.sum() <= 0:
            raise ValueError(f"weights must be >= 0 with a positive sum, got {share}.")
        share = share / share.sum()
    if not np.isfinite(amount) or amount < 0:
        raise ValueError(f"amount must be a finite amount of currency >= 0, got {amount}.")
    weeks, geo_idx = window(model, start, end, geos)
    actual = data.spend[np.ix_(geo_idx, weeks)]
    totals = actual.sum(axis=(0, 1))
    plan = actual.copy()
    c_from = model.channels.index(from_channel)
    if amount > totals[c_from] * (1 + 1e-12):
        raise ValueError(f"Cannot move {amount:,.2f} from {from_channel!r}: it spends only "
                         f"{totals[c_from]:,.2f} in the window.")
    if amount > 0:
        plan[..., c_from] *= max(1.0 - amount / totals[c_from], 0.0)
    for ch, w in zip(to_channels, share, strict=True):
        c = model.channels.index(ch)
        if amount * w > 0 and totals[c] <= 0:
            raise ValueError(
                f"{ch!r} spends nothing in the window, so it has no pattern to scale up; give "
                "it an explicit weekly plan with scenarios.incremental_lift instead.")
        if amount * w > 0:
            plan[..., c] *= 1.0 + amount * w / totals[c]
    what = f"move {amount:,.0f} from {from_channel} to {', '.join(to_channels)}"
    return lift_arrays(model, plan, actual, data.dates[weeks], geo_idx, description=what)


def plan_from_history(
    model: MMM,
    start,
    weeks: int,
    scale: float | Mapping[str, float] = 1.0,
    *,
    lag_weeks: int = 52,
) -> pd.DataFrame:
    """A forward plan that repeats the same weeks of the previous year, re-dated.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    start : the plan's first week (on the fitted weekly grid, usually after the fitted end).
    weeks : number of weeks in the plan.
    scale : multiplier for all channels, or ``{channel: multiplier}`` (others 1).
    lag_weeks : how far back the source weeks are (52 = same week of the previous year,
        same weekday).

    Returns
    -------
    DataFrame with the model's date column, its geo column (panels) and one column per
    channel (currency): spend of week ``d`` is the fitted spend of week
    ``d - lag_weeks`` times ``scale``, for every fitted geo.

    Raises
    ------
    ValueError
        If a source week is outside the fitted period.
    """
    data = model.fitted_data()
    if int(weeks) != weeks or weeks < 1:
        raise ValueError(f"weeks must be a whole number >= 1, got {weeks!r}.")
    start = pd.Timestamp(start).normalize()
    check_on_grid(data.dates[0], pd.DatetimeIndex([start]), "start")
    dates = pd.date_range(start, periods=int(weeks), freq="7D")
    source = data.week_index(dates) - int(lag_weeks)
    if source.min() < 0 or source.max() >= data.n_weeks:
        first = dates[0] - pd.Timedelta(weeks=int(lag_weeks))
        last = dates[-1] - pd.Timedelta(weeks=int(lag_weeks))
        raise ValueError(
            f"plan_from_history needs the weeks {first.date()} to {last.date()} "
            f"({lag_weeks} weeks earlier), but the fitted weeks are {data.dates[0].date()} to "
            f"{data.dates[-1].date()}.")
    if isinstance(scale, Mapping):
        factors = np.array([float(channel_map(model, scale, "scale").get(ch, 1.0))
                            for ch in model.channels])
    else:
        factors = np.full(len(model.channels), float(scale))
    if not np.all(np.isfinite(factors)) or (factors < 0).any():
        raise ValueError(f"scale must be >= 0, got {scale!r}.")
    spend = data.spend[:, source, :] * factors
    return plan_frame(model, spend, dates, list(data.geos))


# =============================================================================================
# Response curves
# =============================================================================================
@with_one_blas_thread
def response_curves(
    model: MMM,
    channels: Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    *,
    start=None,
    end=None,
    geos: str | Sequence[str] | None = None,
) -> ResponseCurves:
    """Incremental target against total spend as each channel's actual pattern is scaled.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    channels : channels to trace (default all).
    multipliers : factors (``>= 0``) applied to the channel's actual spend in every week and
        geo of the period; ``1`` is the actual spend. Default ``np.linspace(0, 2, 21)``.
    start, end, geos : the period (default the fitted weeks and geos). Spend outside it stays
        as it was and its carryover is part of the baseline of the curve.

    Returns
    -------
    ResponseCurves
        ``lift`` (vs. the channel at zero in the period, carryover after it included) and
        exact ``marginal_roas`` along the curve, per draw; ``spend`` in currency. At
        multiplier 1 over the fitted period, ``lift / spend`` is the channel's ROAS
        (:meth:`MMM.roas_draws`).
    """
    model.fitted_data()
    channels = list(model.channels) if channels is None else [channels] if isinstance(
        channels, str) else list(channels)
    for ch in channels:
        check_channel(model, ch)
    if multipliers is None:
        multipliers = np.linspace(0.0, 2.0, 21)
    mult = np.asarray(multipliers, dtype=float).ravel()
    if mult.size == 0 or not np.all(np.isfinite(mult)) or (mult < 0).any():
        raise ValueError("multipliers must be finite numbers >= 0.")
    weeks, geo_idx = window(model, start, end, geos)
    blocks = ChannelBlocks.build(model, channels, weeks, geo_idx)
    draws = _curve_draws(blocks, channels, mult)
    limit = _observed_multiplier(model, channels, weeks, geo_idx)
    return _curves_result(model, blocks.engine, channels, mult, draws, limit)


class _CurveDraws(NamedTuple):
    lift: np.ndarray  # (S, C, M) target units
    slope: np.ndarray  # (S, C, M) marginal ROAS
    current_lift: np.ndarray  # (S, C) at multiplier 1
    current_slope: np.ndarray
    spent: np.ndarray  # (C,) currency over the period


def _curve_draws(blocks: ChannelBlocks, channels: list[str], mult: np.ndarray) -> _CurveDraws:
    """Per draw, each channel's lift over zero spend in the period and its exact derivative
    in the channel's total spend, at every multiplier and at 1."""
    S, M = blocks.n_samples, mult.size
    lift = np.zeros((S, len(channels), M))
    slope = np.zeros((S, len(channels), M))
    current_lift = np.zeros((S, len(channels)))
    current_slope = np.zeros((S, len(channels)))
    spent = np.zeros(len(channels))
    for k, ch in enumerate(channels):
        block = blocks.blocks.get(ch)
        if block is None:  # the channel does not spend in the period: a flat curve at 0
            continue
        spent[k] = block.total.sum()
        base, _ = block.response(np.zeros(block.n_geos), exact=True)
        base = base.sum(axis=1)
        for i, m in enumerate(mult):
            value, dm = block.response(np.full(block.n_geos, m), exact=True)
            lift[:, k, i] = value.sum(axis=1) - base
            slope[:, k, i] = dm.sum(axis=1) / spent[k]
        value, dm = block.response(np.ones(block.n_geos), exact=True)
        current_lift[:, k] = value.sum(axis=1) - base
        current_slope[:, k] = dm.sum(axis=1) / spent[k]
    return _CurveDraws(lift, slope, current_lift, current_slope, spent)


def _curves_result(model: MMM, engine, channels: list[str], mult: np.ndarray,
                   draws: _CurveDraws, limit: np.ndarray) -> ResponseCurves:
    """The labelled :class:`ResponseCurves` of the draws."""
    lift, slope, current_lift, current_slope, spent = draws
    spend = spent[:, None] * mult[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(spend > 0, lift / spend, np.nan)
        current_roas = np.where(spent > 0, current_lift / spent, np.nan)
    dims = ("chain", "draw", "channel", "multiplier")
    coords = {"chain": engine.chain_coord, "draw": engine.draw_coord, "channel": channels,
              "multiplier": mult}
    per_spend = f"{model.kpi_label} per {model.spend_label}"
    dataset = xr.Dataset(
        {
            "lift": (dims, engine.reshape(lift), {"units": model.kpi_label}),
            "marginal_roas": (dims, engine.reshape(slope), {"units": per_spend}),
            "roas": (dims, engine.reshape(roas), {"units": per_spend}),
            "spend": (("channel", "multiplier"), spend, {"units": "currency"}),
            "observed_multiplier": (("channel",), limit, {"units": "multiplier"}),
            "within_data": (("channel", "multiplier"), mult[None, :] <= limit[:, None] * (
                1 + 1e-12)),
        },
        coords=coords,
        attrs={"units": model.kpi_label, "spend_units": model.currency or "currency",
               "description": "lift vs the channel at zero spend over the period, "
                              "carryover after it included"},
    )
    current = xr.Dataset(
        {
            "lift": (dims[:3], engine.reshape(current_lift), {"units": model.kpi_label}),
            "marginal_roas": (dims[:3], engine.reshape(current_slope), {"units": per_spend}),
            "roas": (dims[:3], engine.reshape(current_roas), {"units": per_spend}),
            "spend": (("channel",), spent, {"units": "currency"}),
        },
        coords={k: v for k, v in coords.items() if k != "multiplier"},
    )
    return ResponseCurves(dataset=dataset, current=current)


def _observed_multiplier(model: MMM, channels: list[str], weeks: np.ndarray,
                         geo_idx: list[int]) -> np.ndarray:
    """Per channel, the largest multiplier of the period's pattern whose every week stays
    within the highest weekly spend the fitted data show in that geo ``(C,)``: beyond it a
    response curve is the fitted shape extrapolated, not data."""
    data = model.fitted_data()
    cols = [list(model.channels).index(ch) for ch in channels]
    seen = data.spend[np.ix_(geo_idx, np.arange(data.n_weeks), cols)].max(axis=1)  # (G, C)
    peak = data.spend[np.ix_(geo_idx, weeks, cols)].max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(peak > 0, seen / peak, np.inf)
    return ratio.min(axis=0)
