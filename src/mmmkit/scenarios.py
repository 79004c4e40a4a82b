"""What-if questions answered from posterior draws: lift, reallocations, plans, budgets.

Every answer is the model's expected target under one spend plan minus under another,
computed draw by draw, so each comes with its posterior interval. The media term of channel
``c`` in geo ``g`` and week ``t`` is (see :mod:`mmmkit.graph`)::

    contribution[g, t, c] = channel_effect[g, c] * target_scale[g]
                            * saturation_c(adstock_c(spend[., c] / spend_scale[g, c])[t])
                            / saturation_c(1)

The baseline does not depend on spend, so a lift is a difference of media terms only. Two
rules make lifts honest:

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
``shift(model, changes, start=None, end=None, geos=None) -> LiftResult``
    Relative changes per channel over a window and a subset of geos.
``move(model, amount, from_channel, to_channels, weights=None, ...) -> LiftResult``
    Move an amount of currency from one channel to others, keeping each channel's pattern.
``plan_from_history(model, start, weeks, scale=1.0) -> DataFrame``
    A forward plan made of the same weeks of the previous year, re-dated.
``response_curves(model, channels=None, multipliers=...) -> ResponseCurves``
    Incremental target against total spend as each channel's pattern is scaled.
``optimize_budget(model, budget, bounds=None, fixed=None, ...) -> BudgetPlan``
    The split of a budget across channels (or channels x geos) that maximises the expected
    incremental target, a risk-adjusted version of it, or profit.
``relative(lower, upper)``
    Bounds of :func:`optimize_budget` given as relative changes of historical spend.

Units: lifts are in the target's units (e.g. ``sales``) summed over the counted weeks and
geos; spend is in currency summed over the plan's weeks and geos; (marginal) ROAS is target
units per currency unit.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import betainc

from mmmkit._threads import with_one_blas_thread
from mmmkit.adstock import lag_stack
from mmmkit.errors import DataError, warn_user
from mmmkit.model import MMM, FitWarning
from mmmkit.saturation import (
    HillSaturation,
    Saturation,
)
from mmmkit.stats import check_prob
from mmmkit.validation import frame_to_arrays, validate_frame

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

OBJECTIVES = ("mean", "quantile", "mean_minus_std")
# Default risk parameter per objective: the 5% quantile (the lower end of a 90% interval) and
# one posterior standard deviation.
_DEFAULT_RISK = {"mean": None, "quantile": 0.05, "mean_minus_std": 1.0}
# Multi-start exploration runs on at most this many draws; the best start is then polished on
# all draws. Starts only need to find the right basin, and this keeps a 1000-draw optimisation
# at a handful of full evaluations.
_EXPLORE_DRAWS = 128
# The optimiser's default range for each channel's total, as multiples of its historical share
# of the budget: a plan then stays near the spend levels the model learned from, where its
# curves are data rather than extrapolated shape (weakly identified channels otherwise draw
# the whole budget on a prior's say-so). Wider moves need explicit bounds.
DEFAULT_SPEND_RANGE = (0.5, 1.5)
# Below this many (draw x entry) numbers a channel block is evaluated in the calling thread;
# above it the channels are spread over threads (numpy releases the GIL in ufuncs).
_THREAD_MIN_ELEMENTS = 2_000_000
# Elements of one (draws x entries) block processed at a time: a few MB, so that the passes
# of one evaluation (add, sigmoid, sums) reuse the cache instead of streaming from memory.
_CHUNK_ELEMENTS = 250_000
# A multiplier is floored here inside the optimiser: a Hill curve with slope < 1 has an
# infinite derivative at zero spend, which gradient-based solvers cannot use.
_M_FLOOR = 1e-12


class ScenarioWarning(FitWarning):
    """A scenario made an assumption (zero spend in uncovered weeks) or its solver failed."""


# =============================================================================================
# Results
# =============================================================================================
@dataclass(eq=False)
class LiftResult:
    """Posterior draws of the incremental target of one spend plan over another.

    Attributes
    ----------
    units : the target's name (lifts are in its units, summed over counted weeks and geos).
    channels : channel names, in the model's order.
    geos : geos the plans cover (``["all"]`` for a national model).
    dates : the counted weeks: the plan's weeks plus the ``max_lag - 1`` weeks of carryover
        after them.
    plan_dates : the plan's own weeks.
    description : what was compared, in words.

    The draws are available as :attr:`draws` ``(chain, draw, channel)``, :attr:`total`
    ``(chain, draw)``, :attr:`by_geo` ``(chain, draw, geo, channel)`` and :attr:`by_week`
    ``(chain, draw, date, channel)``, all in target units; :meth:`summary` tabulates them.
    """

    geo_draws: np.ndarray = field(repr=False)  # (chain, draw, geo, channel)
    week_draws: np.ndarray = field(repr=False)  # (chain, draw, date, channel)
    chain: np.ndarray = field(repr=False)
    draw: np.ndarray = field(repr=False)
    channels: list[str]
    geos: list[str]
    dates: pd.DatetimeIndex = field(repr=False)
    plan_dates: pd.DatetimeIndex = field(repr=False)
    spend_delta: np.ndarray = field(repr=False)  # (geo, channel) currency, plan - reference
    units: str = "target"
    description: str = ""
    extrapolation: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def extrapolates(self) -> list[str]:
        """Channels the plan takes beyond the weekly spend seen in the fitted data (in some
        geo): their lift rests on the curve's shape past the data, an assumption."""
        if self.extrapolation is None:
            return []
        return [str(ch) for ch in self.extrapolation.index[self.extrapolation["beyond"]]]

    # -- labelled draws ------------------------------------------------------------------------
    def _coords(self) -> dict[str, Any]:
        return {"chain": self.chain, "draw": self.draw, "channel": self.channels}

    @property
    def draws(self) -> xr.DataArray:
        """Incremental target per channel, ``(chain, draw, channel)``, target units."""
        return xr.DataArray(
            self.geo_draws.sum(axis=2), dims=("chain", "draw", "channel"),
            coords=self._coords(), name="lift", attrs={"units": self.units},
        )

    @property
    def total(self) -> xr.DataArray:
        """Incremental target over all channels, ``(chain, draw)``, target units."""
        return xr.DataArray(
            self.geo_draws.sum(axis=(2, 3)), dims=("chain", "draw"),
            coords={"chain": self.chain, "draw": self.draw}, name="lift",
            attrs={"units": self.units},
        )

    @property
    def by_geo(self) -> xr.DataArray:
        """Incremental target per geo and channel, ``(chain, draw, geo, channel)``."""
        return xr.DataArray(
            self.geo_draws, dims=("chain", "draw", "geo", "channel"),
            coords={**self._coords(), "geo": self.geos}, name="lift",
            attrs={"units": self.units},
        )

    @property
    def by_week(self) -> xr.DataArray:
        """Incremental target in each counted week, ``(chain, draw, date, channel)``.

        The weeks are the plan's plus the carryover weeks after it; the sum over ``date``
        is :attr:`draws`.
        """
        return xr.DataArray(
            self.week_draws, dims=("chain", "draw", "date", "channel"),
            coords={**self._coords(), "date": self.dates}, name="lift",
            attrs={"units": f"{self.units} per week"},
        )

    # -- spend and ROAS ------------------------------------------------------------------------
    @property
    def incremental_spend(self) -> pd.Series:
        """Plan minus reference spend per channel (and ``"total"``), currency units."""
        per_channel = self.spend_delta.sum(axis=0)
        return pd.Series(np.append(per_channel, per_channel.sum()),
                         index=pd.Index([*self.channels, "total"], name="channel"),
                         name="incremental_spend")

    @property
    def incremental_roas_draws(self) -> xr.DataArray:
        """Lift divided by incremental spend, ``(chain, draw, channel)`` incl. ``"total"``.

        Target units per currency unit; ``NaN`` where the spend change is zero (a pure
        reallocation has no total incremental ROAS, only a lift).
        """
        lift = self.geo_draws.sum(axis=2)
        lift = np.concatenate([lift, lift.sum(axis=-1, keepdims=True)], axis=-1)
        spend = self.incremental_spend.to_numpy()
        # a change below a millionth of a currency unit per week is rounding, not spend
        tiny = 1e-6 * max(len(self.plan_dates), 1)
        safe = np.where(np.abs(spend) > tiny, spend, np.nan)
        return xr.DataArray(
            lift / safe, dims=("chain", "draw", "channel"),
            coords={"chain": self.chain, "draw": self.draw,
                    "channel": [*self.channels, "total"]},
            name="incremental_roas", attrs={"units": f"{self.units} per unit of spend"},
        )

    def incremental_roas(self, prob: float = 0.9) -> pd.DataFrame:
        """Incremental ROAS per channel and in total with a ``prob`` interval.

        Returns
        -------
        DataFrame indexed by channel (plus ``"total"``), columns ``mean, median, lower,
        upper, incremental_spend``; rows are ``NaN`` where the spend does not change.
        """
        check_prob(prob)
        da = self.incremental_roas_draws
        flat = da.values.reshape(-1, da.sizes["channel"])
        frame = _stats_frame(flat, prob, da["channel"].values, positive=False)
        frame["incremental_spend"] = self.incremental_spend.to_numpy()
        frame.attrs.update(units=da.attrs["units"], prob=prob)
        return frame

    # -- tables --------------------------------------------------------------------------------
    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Lift per channel and in total with a ``prob`` credible interval.

        Returns
        -------
        DataFrame indexed by channel plus a ``"total"`` row, columns ``mean, median, lower,
        upper`` (target units), ``prob_positive`` (posterior probability of a lift > 0;
        ``NaN`` for channels whose spend did not change, listed in ``attrs["unchanged"]``)
        and ``spend_change`` (plan minus reference spend, currency: the ``"total"`` row says
        whether the budget changed).
        """
        check_prob(prob)
        lift = self.geo_draws.sum(axis=2).reshape(-1, len(self.channels))
        flat = np.concatenate([lift, lift.sum(axis=1, keepdims=True)], axis=1)
        frame = _stats_frame(flat, prob, [*self.channels, "total"], positive=True)
        spend = self.incremental_spend
        frame["spend_change"] = spend.to_numpy()
        # a channel whose spend did not change has no lift to be sure of: not "0% chance"
        unchanged = [ch for ch in self.channels if not np.any(
            self.spend_delta[:, self.channels.index(ch)])]
        frame.loc[unchanged, "prob_positive"] = np.nan
        frame.attrs.update(units=self.units, prob=prob, description=self.description,
                           extrapolates=self.extrapolates, unchanged=unchanged,
                           spend_units="currency")
        return frame

    def __repr__(self) -> str:
        total = self.geo_draws.sum(axis=(2, 3))
        return (f"LiftResult({self.description or 'plan vs reference'}: total {self.units} "
                f"mean {total.mean():,.6g}, 90% [{np.quantile(total, 0.05):,.6g}, "
                f"{np.quantile(total, 0.95):,.6g}], channels={self.channels})")


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

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Long table indexed by ``(channel, multiplier)``: ``spend``, and ``mean, lower,
        upper`` of ``lift`` and of ``marginal_roas``."""
        check_prob(prob)
        lo, hi = (1 - prob) / 2, 1 - (1 - prob) / 2
        rows = {}
        for name in ("lift", "marginal_roas"):
            da = self.dataset[name].transpose("chain", "draw", "channel", "multiplier")
            flat = da.values.reshape(-1, *da.shape[2:])
            dims = ("channel", "multiplier")
            rows[f"{name}_mean"] = (dims, flat.mean(axis=0))
            rows[f"{name}_lower"] = (dims, _quantile(flat, lo))
            rows[f"{name}_upper"] = (dims, _quantile(flat, hi))
        table = xr.Dataset({"spend": self.dataset["spend"], **rows}).to_dataframe()
        table.attrs.update(prob=prob, units=self.dataset.attrs.get("units", ""))
        return table

    def saturation_point(self, threshold: float = 1.0, prob: float = 0.9) -> pd.DataFrame:
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
        frame = _stats_frame(point, prob, channels, positive=False)
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


@dataclass(eq=False)
class BudgetPlan:
    """The budget split recommended by :func:`optimize_budget`.

    Attributes
    ----------
    allocation : Series channel -> spend over the planning period (currency), summing to the
        budget (to less with ``margin``, when spending the rest would lose money).
    historical : Series channel -> actual spend over the same period (currency).
    allocation_by_geo : DataFrame geo x channel (currency) of the recommended spend.
    lift : :class:`LiftResult` of the recommended plan against the actual spend, computed by
        the lift kernel of :func:`incremental_lift`, independently of the optimiser's own
        objective.
    uncertainty : DataFrame channel x ``mean, median, lower, upper``: the spread of the
        optimal allocation when each of a subsample of posterior draws is optimised on its
        own (currency). Wide intervals mean the data do not pin down the split.
    allocation_draws : DataArray ``(sample, channel)`` of those per-draw optimal allocations.
    converged : whether the solver reached a point satisfying the optimality (KKT)
        conditions; if not, :class:`ScenarioWarning` was raised and ``message`` says why.
    message : the solver's message.
    objective, risk, margin : the objective optimised (see :func:`optimize_budget`).
    objective_value : its value at the recommendation, in target units (profit units with
        ``margin``), relative to the actual spend.
    budget : the total budget (currency), fixed channels included.
    bounds : DataFrame indexed by optimised channel: ``lower``, ``upper`` (currency totals
        the optimiser was held to), ``allocation`` and ``binding`` (``"lower"``, ``"upper"``
        or ``""``): a plan pressed against a bound says the data would move it further.
    extrapolation : the lift's :attr:`LiftResult.extrapolation`: how far the plan's weekly
        spend goes beyond the fitted weeks' in each channel.
    """

    allocation: pd.Series
    historical: pd.Series
    allocation_by_geo: pd.DataFrame
    lift: LiftResult
    uncertainty: pd.DataFrame
    allocation_draws: xr.DataArray = field(repr=False)
    converged: bool
    message: str
    objective: str
    risk: float | None
    margin: float | None
    objective_value: float
    budget: float
    _plan: np.ndarray = field(repr=False)  # (geo, week, channel) currency, user order
    _frame_info: dict = field(repr=False, default_factory=dict)
    bounds: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def extrapolation(self) -> pd.DataFrame | None:
        return self.lift.extrapolation

    @property
    def binding(self) -> list[str]:
        """Optimised channels sitting at a bound."""
        if self.bounds is None:
            return []
        return [str(ch) for ch in self.bounds.index[self.bounds["binding"] != ""]]

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Per channel: ``historical``, ``allocation``, ``change`` (currency),
        ``change_pct``, and the lift's ``lift_mean, lift_lower, lift_upper``."""
        lift = self.lift.summary(prob)
        frame = pd.DataFrame({"historical": self.historical, "allocation": self.allocation})
        frame.loc["total"] = frame.sum()
        frame["change"] = frame["allocation"] - frame["historical"]
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["change_pct"] = 100.0 * frame["change"] / frame["historical"]
        frame["lift_mean"] = lift["mean"]
        frame["lift_lower"] = lift["lower"]
        frame["lift_upper"] = lift["upper"]
        frame.index.name = "channel"
        frame.attrs.update(prob=prob, units=self.lift.units, converged=self.converged)
        return frame

    @property
    def weekly_plan(self) -> xr.DataArray:
        """The recommended spend ``(date, geo, channel)``, currency, over the planning
        period: each channel's (geo-channel's) historical weeks scaled to its new total."""
        info = self._frame_info
        return xr.DataArray(
            self._plan.transpose(1, 0, 2), dims=("date", "geo", "channel"),
            coords={"date": info["dates"], "geo": info["geos"],
                    "channel": list(self.allocation.index)},
            name="spend", attrs={"units": "currency"})

    def to_frame(self) -> pd.DataFrame:
        """The recommended weekly plan as a DataFrame like the fitted channel columns
        (``date[, geo]`` + one column per channel, currency): it can be passed to
        :func:`incremental_lift` or reused as a reference."""
        info = self._frame_info
        return _plan_frame(info["model"], self._plan, info["dates"], info["geos"])

    def __repr__(self) -> str:
        alloc = ", ".join(f"{k}: {v:,.0f}" for k, v in self.allocation.items())
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        return f"BudgetPlan({self.objective}, {state}; {alloc})"


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
    dates, geos, alt = _read_plan(model, spend, "spend")
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
        ref_dates, ref_geos, ref = _read_plan(model, reference, "reference")
        keep_ref = ref_dates.isin(dates)
        ref_dates, ref = ref_dates[keep_ref], ref[:, keep_ref]
        if set(geos) <= set(ref_geos):
            ref = ref[[ref_geos.index(g) for g in geos]]
            ref_geos = list(geos)
        if not ref_dates.equals(dates) or ref_geos != geos:
            raise DataError(
                f"reference must cover the same weeks and geos as the plan: plan "
                f"{dates[0].date()}..{dates[-1].date()} x {len(geos)} geo(s), reference "
                f"{_span(ref_dates)} x {len(ref_geos)} geo(s).")
        what = "plan vs reference plan"
    return _lift_arrays(model, alt, ref, dates, geo_idx, description=what)


def shift(
    model: MMM,
    changes: Mapping[str, float],
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
    factors = _channel_map(model, changes, "changes")
    for ch, change in factors.items():
        if not np.isfinite(change) or change < -1:
            raise ValueError(f"changes[{ch!r}] = {change}: a relative change must be >= -1 "
                             "(-1 switches the channel off).")
    weeks, geo_idx = _window(model, start, end, geos)
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
    return _lift_arrays(model, plan, actual, data.dates[weeks], geo_idx, description=what)


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
        _check_channel(model, ch)
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
    weeks, geo_idx = _window(model, start, end, geos)
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
    return _lift_arrays(model, plan, actual, data.dates[weeks], geo_idx, description=what)


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
    _check_on_grid(data.dates[0], pd.DatetimeIndex([start]), "start")
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
        factors = np.array([float(_channel_map(model, scale, "scale").get(ch, 1.0))
                            for ch in model.channels])
    else:
        factors = np.full(len(model.channels), float(scale))
    if not np.all(np.isfinite(factors)) or (factors < 0).any():
        raise ValueError(f"scale must be >= 0, got {scale!r}.")
    spend = data.spend[:, source, :] * factors
    return _plan_frame(model, spend, dates, list(data.geos))


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
        _check_channel(model, ch)
    if multipliers is None:
        multipliers = np.linspace(0.0, 2.0, 21)
    mult = np.asarray(multipliers, dtype=float).ravel()
    if mult.size == 0 or not np.all(np.isfinite(mult)) or (mult < 0).any():
        raise ValueError("multipliers must be finite numbers >= 0.")
    weeks, geo_idx = _window(model, start, end, geos)
    problem = _Blocks.build(model, channels, weeks, geo_idx)
    engine = problem.engine
    S, M = problem.n_samples, mult.size
    lift = np.zeros((S, len(channels), M))
    slope = np.zeros((S, len(channels), M))
    current_lift = np.zeros((S, len(channels)))
    current_slope = np.zeros((S, len(channels)))
    spent = np.zeros(len(channels))
    for k, ch in enumerate(channels):
        block = problem.blocks.get(ch)
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
    spend = spent[:, None] * mult[None, :]
    limit = _observed_multiplier(model, channels, weeks, geo_idx)
    with np.errstate(divide="ignore", invalid="ignore"):
        roas = np.where(spend > 0, lift / spend, np.nan)
        current_roas = np.where(spent > 0, current_lift / spent, np.nan)
    dims = ("chain", "draw", "channel", "multiplier")
    coords = {"chain": engine.chain_coord, "draw": engine.draw_coord, "channel": channels,
              "multiplier": mult}
    per_spend = f"{model.target} per unit of spend"
    dataset = xr.Dataset(
        {
            "lift": (dims, engine.reshape(lift), {"units": model.target}),
            "marginal_roas": (dims, engine.reshape(slope), {"units": per_spend}),
            "roas": (dims, engine.reshape(roas), {"units": per_spend}),
            "spend": (("channel", "multiplier"), spend, {"units": "currency"}),
            "observed_multiplier": (("channel",), limit, {"units": "multiplier"}),
            "within_data": (("channel", "multiplier"), mult[None, :] <= limit[:, None] * (
                1 + 1e-12)),
        },
        coords=coords,
        attrs={"units": model.target, "spend_units": "currency",
               "description": "lift vs the channel at zero spend over the period, "
                              "carryover after it included"},
    )
    current = xr.Dataset(
        {
            "lift": (dims[:3], engine.reshape(current_lift), {"units": model.target}),
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


# =============================================================================================
# Budget optimisation
# =============================================================================================
class Relative(NamedTuple):
    """Bounds as relative changes of a channel's historical spend over the planning period:
    ``Relative(-0.2, 0.3)`` allows 80% to 130% of it. Build with :func:`relative`."""

    lower: float
    upper: float


def relative(lower: float, upper: float) -> Relative:
    """Bounds for :func:`optimize_budget` relative to historical spend.

    ``relative(-0.2, 0.3)`` lets a channel's spend range from 20% below to 30% above what it
    spent over the planning period. ``lower >= -1``; ``upper`` may be ``np.inf``.
    """
    lower, upper = float(lower), float(upper)
    if not lower >= -1 or not upper >= lower:
        raise ValueError(f"relative bounds need -1 <= lower <= upper, got ({lower}, {upper}).")
    return Relative(lower, upper)


@with_one_blas_thread
def optimize_budget(
    model: MMM,
    budget: float | None = None,
    bounds: Mapping[str, tuple | Relative] | Relative | tuple | None = None,
    fixed: Mapping[str, float | None] | Sequence[str] | None = None,
    start=None,
    end=None,
    objective: str = "mean",
    margin: float | None = None,
    risk: float | None = None,
    n_starts: int = 4,
    seed: int | None = 0,
    by_geo: bool = False,
    *,
    geos: str | Sequence[str] | None = None,
    n_uncertainty: int = 40,
) -> BudgetPlan:
    """The split of a budget across channels that maximises the (risk-adjusted) lift.

    Each channel keeps its historical weekly and geo pattern over the planning period, scaled
    to its new total; with ``by_geo=True`` each geo-channel cell is scaled on its own (its
    weekly pattern kept). The question answered by default is "how should the same weeks'
    budget have been split".

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    budget : total spend over the planning period, currency, fixed channels included.
        Default: the historical total of the period.
    bounds : per-channel limits on the channel's total over the period: ``{channel: (lo,
        hi)}`` in currency (``None`` for no limit on that side), or ``{channel:
        relative(-0.2, 0.3)}`` relative to the channel's historical spend; a single tuple or
        ``relative(...)`` applies to every optimised channel; channels a mapping leaves out
        are unbounded. Default: each optimised channel between 0.5x and 1.5x its historical
        share of the budget (:data:`DEFAULT_SPEND_RANGE`; from 0 with ``margin``), so that the
        plan stays near the spend the model learned from. ``(0, None)`` removes all limits.
    fixed : channels kept out of the optimisation: a list (kept at historical spend) or
        ``{channel: amount}`` (``None`` = historical), scaled from the historical pattern.
        Channels with no spend in the period are always kept at zero.
    start, end : the planning period, fitted weeks (inclusive); default all of them.
    objective : what is maximised over the posterior draws of the lift ``L`` (target units,
        vs. actual spend, carryover after the period included):

        - ``"mean"``: ``E[L]``;
        - ``"quantile"``: the ``risk`` quantile of ``L`` (default 0.05), Harrell-Davis
          smoothed (a Beta-weighted average of the sorted draws), so that it is smooth enough
          for a gradient solver: a cautious plan that is good even if the model is optimistic;
        - ``"mean_minus_std"``: ``E[L] - risk * sd(L)`` (default ``risk=1``).
    margin : profit per target unit. If given, ``L`` is replaced by the incremental profit
        ``margin * lift - incremental spend`` and ``budget`` becomes a cap: the optimiser
        spends less when the marginal profit of the last unit is negative.
    risk : the parameter of ``"quantile"`` (a probability) or ``"mean_minus_std"`` (a
        multiple of the sd).
    n_starts : solver starts: the historical split, then random feasible splits.
    seed : makes the random starts and draw subsamples reproducible.
    by_geo : optimise every geo-channel cell (bounds still apply to channel totals).
    geos : geos in the planning period (default all); other geos keep their spend.
    n_uncertainty : posterior draws optimised one by one for :attr:`BudgetPlan.uncertainty`
        (``0`` skips it).

    Returns
    -------
    BudgetPlan

    Raises
    ------
    ValueError
        Unknown channels, ``lo > hi``, negative amounts, a budget below the fixed channels'
        total or below the sum of lower bounds, or (without ``margin``) above the sum of
        upper bounds; an unknown objective or a bad ``risk``.

    Warns
    -----
    ScenarioWarning
        If the solver does not reach a point satisfying the optimality conditions; the plan
        is the best feasible point found and ``converged`` is ``False``.

    Notes
    -----
    Adstock is linear, so a channel's adstocked spend at multiplier ``m`` is ``m`` times its
    adstocked historical pattern: it is computed once per draw, and each objective evaluation
    is one pass of the saturation curve over ``(draws, geo-weeks)`` with closed-form
    derivatives (exact gradients, vectorised over draws). SLSQP runs from ``n_starts``
    starting splits on a subsample of at most 128 draws; the best is then polished on all
    draws, and optimality is checked from the KKT conditions on all draws.
    """
    data = model.fitted_data()
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
    risk = _DEFAULT_RISK[objective] if risk is None else float(risk)
    if objective == "quantile" and not 0 < risk < 1:
        raise ValueError(f"risk is the quantile for objective='quantile', in (0, 1), got {risk}.")
    if objective == "mean_minus_std" and not risk >= 0:
        raise ValueError(f"risk is the number of sds for 'mean_minus_std', >= 0, got {risk}.")
    if margin is not None and not (np.isfinite(margin) and margin > 0):
        raise ValueError(f"margin is profit per target unit, > 0, got {margin}.")
    if int(n_starts) != n_starts or n_starts < 1:
        raise ValueError(f"n_starts must be a whole number >= 1, got {n_starts}.")
    weeks, geo_idx = _window(model, start, end, geos)
    actual = data.spend[np.ix_(geo_idx, weeks)]  # (G', T', C) user order
    hist_gc = actual.sum(axis=1)  # (G', C)
    hist = hist_gc.sum(axis=0)  # (C,)
    channels = list(model.channels)

    # -- fixed channels and the free budget --------------------------------------------------
    fixed_amount: dict[str, float] = {}
    if fixed is not None:
        items = fixed.items() if isinstance(fixed, Mapping) else ((ch, None) for ch in fixed)
        for ch, amount in items:
            _check_channel(model, ch)
            value = hist[channels.index(ch)] if amount is None else float(amount)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"fixed[{ch!r}] must be an amount >= 0, got {amount}.")
            if value > 0 and hist[channels.index(ch)] <= 0:
                raise ValueError(f"{ch!r} has no spend in the planning period, so there is no "
                                 "pattern to scale to a fixed amount.")
            fixed_amount[ch] = value
    for ch in channels:
        if hist[channels.index(ch)] <= 0 and ch not in fixed_amount:
            fixed_amount[ch] = 0.0  # nothing to scale: stays at zero
    free = [ch for ch in channels if ch not in fixed_amount]
    budget = float(hist.sum()) if budget is None else float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a finite amount >= 0, got {budget}.")
    fixed_total = sum(fixed_amount.values())
    free_budget = budget - fixed_total
    if free_budget < -1e-9 * max(budget, 1.0):
        raise ValueError(f"budget {budget:,.2f} is below the fixed channels' total "
                         f"{fixed_total:,.2f}.")
    free_budget = max(free_budget, 0.0)
    if bounds is None:
        lo, hi = _default_bounds(free, channels, hist, free_budget, margin)
    else:
        lo, hi = _parse_bounds(model, bounds, free, fixed_amount, hist, free_budget)
    if lo.sum() > free_budget * (1 + 1e-12) + 1e-9:
        raise ValueError(
            f"Infeasible: the lower bounds sum to {lo.sum():,.2f}, more than the budget left "
            f"for the optimised channels ({free_budget:,.2f}).")
    if margin is None and hi.sum() < free_budget * (1 - 1e-12) - 1e-9:
        raise ValueError(
            f"Infeasible: the upper bounds sum to {hi.sum():,.2f}, less than the budget left "
            f"for the optimised channels ({free_budget:,.2f}); raise them or the budget.")

    rng = np.random.default_rng(seed)
    plan_scale = {ch: (fixed_amount[ch] / hist[channels.index(ch)] if hist[
        channels.index(ch)] > 0 else 0.0) for ch in fixed_amount}
    if free and free_budget > 0:
        blocks = _Blocks.build(model, free, weeks, geo_idx, optimizer=True)
        problem = _Problem(blocks, free, lo, hi, free_budget, by_geo=by_geo,
                           objective=objective, risk=risk, margin=margin)
        result = problem.solve(n_starts=int(n_starts), rng=rng)
        if not result.converged:
            warn_user(
                f"optimize_budget did not converge ({result.message}); the plan is the best "
                "feasible split found, not a verified optimum. Try more n_starts, looser "
                "bounds or objective='mean'.", ScenarioWarning)
        cell_amount = result.amounts  # per variable, currency
        draws_alloc = problem.per_draw(result.y, n_uncertainty, rng)
    else:
        problem = None
        result = _Result(y=np.zeros(0), value=0.0, converged=True,
                         message="nothing to optimise", amounts=np.zeros(0))
        cell_amount = np.zeros(0)
        draws_alloc = np.zeros((0, len(free)))

    # -- the recommended plan: historical patterns scaled --------------------------------------
    factor_gc = np.ones_like(hist_gc)  # (G', C) multiplier of each cell's historical spend
    for ch, f in plan_scale.items():
        factor_gc[:, channels.index(ch)] = f
    if problem is not None:
        for (ch, g), amount in zip(problem.cells, cell_amount, strict=True):
            c = channels.index(ch)
            if g is None:
                factor_gc[:, c] = amount / hist[c]
            else:
                factor_gc[g, c] = amount / hist_gc[g, c]
    else:
        for ch in free:  # a zero free budget: every optimised channel goes to zero
            factor_gc[:, channels.index(ch)] = 0.0
    plan = actual * factor_gc[:, None, :]
    lift = _lift_arrays(model, plan, actual, data.dates[weeks], geo_idx,
                        description=f"optimised budget ({objective}) vs actual spend")

    geos_sel = [data.geos[g] for g in geo_idx]
    by_geo_frame = pd.DataFrame(plan.sum(axis=1), index=pd.Index(geos_sel, name="geo"),
                                columns=pd.Index(channels, name="channel"))
    allocation = by_geo_frame.sum(axis=0).rename("allocation")
    historical = pd.Series(hist, index=pd.Index(channels, name="channel"), name="historical")
    sample = np.arange(draws_alloc.shape[0])
    alloc_da = xr.DataArray(draws_alloc, dims=("sample", "channel"),
                            coords={"sample": sample, "channel": free},
                            name="optimal_allocation", attrs={"units": "currency"})
    if draws_alloc.shape[0]:
        uncertainty = _stats_frame(draws_alloc, 0.9, free, positive=False)
    else:
        uncertainty = pd.DataFrame(columns=["mean", "median", "lower", "upper"],
                                   index=pd.Index(free, name="channel"), dtype=float)
    uncertainty.attrs.update(units="currency", prob=0.9, n_draws=int(draws_alloc.shape[0]))
    return BudgetPlan(
        allocation=allocation, historical=historical, allocation_by_geo=by_geo_frame,
        lift=lift, uncertainty=uncertainty, allocation_draws=alloc_da,
        converged=bool(result.converged), message=result.message, objective=objective,
        risk=risk, margin=margin, objective_value=float(result.value), budget=budget,
        _plan=plan, _frame_info={"model": model, "dates": data.dates[weeks], "geos": geos_sel},
        bounds=_bounds_frame(free, lo, hi, allocation),
    )


def _bounds_frame(free: list[str], lo: np.ndarray, hi: np.ndarray,
                  allocation: pd.Series) -> pd.DataFrame:
    """The optimised channels' bounds and which of them bind (within 0.01% of the range)."""
    alloc = allocation.reindex(free).to_numpy(dtype=float)
    span = np.where(np.isfinite(hi), hi - lo, np.maximum(alloc, 1.0))
    tol = 1e-4 * np.maximum(span, 1e-9)
    binding = np.where(alloc <= lo + tol, "lower", np.where(alloc >= hi - tol, "upper", ""))
    frame = pd.DataFrame({"lower": lo, "upper": hi, "allocation": alloc, "binding": binding},
                         index=pd.Index(free, name="channel"))
    frame.attrs["units"] = "currency"
    return frame


# =============================================================================================
# Internals: the lift engine
# =============================================================================================
@with_one_blas_thread
def _lift_arrays(model: MMM, alt: np.ndarray, ref: np.ndarray, dates: pd.DatetimeIndex,
                 geo_idx: list[int], *, description: str = "") -> LiftResult:
    """Lift of plan ``alt`` over ``ref`` (both ``(G', T_p, C)`` currency, user channel order)
    over the consecutive weeks ``dates`` in the fitted geos ``geo_idx``.

    Both plans are embedded in the same timeline: the ``max_lag - 1`` weeks before the plan
    (carry-in: fitted spend where there is some, else zero), the plan, and the
    ``max_lag - 1`` weeks after it (the later fitted weeks' own spend, else zero). Weeks
    before the plan are identical in both and are not counted.
    """
    data = model.data_
    media = model.media
    H = media.max_lag - 1
    T_p = len(dates)
    timeline = pd.date_range(dates[0] - pd.Timedelta(weeks=H), periods=T_p + 2 * H, freq="7D")
    pos = data.week_index(timeline)
    fitted = (pos >= 0) & (pos < data.n_weeks)
    base = np.zeros((len(geo_idx), len(timeline), len(model.channels)))
    base[:, fitted] = data.spend[np.ix_(geo_idx, pos[fitted])]
    gap = timeline[:H][pos[:H] >= data.n_weeks]
    if len(gap):
        warn_user(
            f"{len(gap)} week(s) before the plan (from {gap[0].date()}) are after the fitted "
            "period and not in the plan; they count as zero spend in both plans. Start the "
            "plan right after the fitted period to carry their spend in.", ScenarioWarning)
    alt_t, ref_t = base.copy(), base.copy()
    alt_t[:, H:H + T_p] = alt
    ref_t[:, H:H + T_p] = ref
    engine = model.posterior_engine()
    S = engine.n_samples
    C = len(model.channels)
    geo_draws = np.zeros((S, len(geo_idx), C))
    week_draws = np.zeros((S, T_p + H, C))
    # A channel's term depends on its own spend only: unchanged channels add exactly zero.
    changed = [c for c in range(C) if not np.array_equal(alt[..., c], ref[..., c])]
    scale = data.spend_scale[geo_idx]  # (G', C)

    def one(c: int) -> None:
        ch = model.channels[c]
        par = _channel_params(model, engine.params, ch, geo_idx)
        lag = par.adstock_lags
        # counted weeks start at the plan; earlier ones are equal in both plans
        lags = [lag_stack(x[:, :, c:c + 1] / scale[:, None, c:c + 1], lag)[..., 0][:, :, H:]
                for x in (alt_t, ref_t)]
        G, T = lags[0].shape[1:]
        flat = [v.reshape(lag, G * T) for v in lags]
        for r0, r1 in _row_chunks(S, G * T):
            a_alt, a_ref = (par.weights[r0:r1] @ v for v in flat)
            sat = {k: v[r0:r1] for k, v in par.sat_params.items()}
            diff = _curve(par.saturation, a_alt, sat) - _curve(par.saturation, a_ref, sat)
            diff = diff.reshape(r1 - r0, G, T) * par.coef[r0:r1, :, None]
            geo_draws[r0:r1, :, c] = diff.sum(axis=2)
            week_draws[r0:r1, :, c] = diff.sum(axis=1)

    _run(one, changed, threads=S * alt_t.shape[0] * alt_t.shape[1] >= _THREAD_MIN_ELEMENTS)
    return LiftResult(
        geo_draws=engine.reshape(geo_draws), week_draws=engine.reshape(week_draws),
        chain=engine.chain_coord, draw=engine.draw_coord, channels=list(model.channels),
        geos=[data.geos[g] for g in geo_idx], dates=timeline[H:], plan_dates=dates,
        spend_delta=(alt - ref).sum(axis=1), units=model.target, description=description,
        extrapolation=extrapolation_table(data.spend[geo_idx], alt, list(model.channels)),
    )


def extrapolation_table(observed: np.ndarray, plan: np.ndarray,
                        channels: list[str]) -> pd.DataFrame:
    """How far a plan's weekly spend goes beyond what the fitted data show, per channel.

    Parameters
    ----------
    observed : ``(G, T, C)`` fitted spend of the plan's geos, currency.
    plan : ``(G, T_p, C)`` the plan's weekly spend, currency.
    channels : the ``C`` names.

    Returns
    -------
    DataFrame indexed by channel: ``observed_max_week`` and ``plan_max_week`` (currency, in
    the geo where the ratio is largest), ``ratio`` (plan's highest week over the highest
    fitted week of the same geo; ``inf`` for spend where the geo never spent), ``weeks_beyond``
    (geo-weeks above the fitted maximum) and ``beyond`` (any such week).
    """
    seen = observed.max(axis=1)  # (G, C)
    top = plan.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seen > 0, top / seen, np.where(top > 0, np.inf, 0.0))
    worst = ratio.argmax(axis=0)  # (C,) geo with the largest ratio
    cols = np.arange(len(channels))
    tol = 1e-9  # the fitted weeks themselves, scaled by 1, are not beyond
    beyond_weeks = (plan > seen[:, None, :] * (1 + tol) + tol).sum(axis=(0, 1))
    frame = pd.DataFrame({
        "observed_max_week": seen[worst, cols], "plan_max_week": top[worst, cols],
        "ratio": ratio[worst, cols], "weeks_beyond": beyond_weeks.astype(int),
        "beyond": beyond_weeks > 0,
    }, index=pd.Index(channels, name="channel"))
    frame.attrs["units"] = "currency per week"
    return frame


class _ChannelParams(NamedTuple):
    """One channel's posterior draws of its media parameters, ready for numpy."""

    adstock_lags: int
    weights: np.ndarray  # (S, L) adstock kernel
    saturation: Saturation
    sat_params: dict[str, np.ndarray]  # (S, 1) each
    coef: np.ndarray  # (S, G') target units per unit of the curve, per geo


def _channel_params(model: MMM, params: Mapping[str, np.ndarray], ch: str,
                    geo_idx: Sequence[int]) -> _ChannelParams:
    """Adstock weights, saturation parameters and the per-geo scale of ``ch``'s term:
    ``channel_effect * target_scale / saturation(1)`` (see the module docstring)."""
    media = model.media
    group = next(g for g in media.groups if ch in g.channels)
    ad, sat = group.channel_params(params, ch)  # each (S,)
    w = group.adstock.weights(**ad)  # (S, L)
    at_one = np.asarray(group.saturation.apply(1.0, **sat), dtype=float)  # (S,)
    effect = params["channel_effect"][:, list(geo_idx), media.order.index(ch)]  # (S, G')
    coef = effect * model.data_.target_scale[list(geo_idx)][None, :] / at_one[:, None]
    return _ChannelParams(group.adstock.max_lag, np.asarray(w, dtype=float), group.saturation,
                          {p: v[:, None] for p, v in sat.items()}, coef)


def _row_chunks(n_rows: int, row_size: int):
    """``(start, stop)`` row ranges whose blocks hold about ``_CHUNK_ELEMENTS`` numbers: small
    enough to stay in cache across the several passes an evaluation makes over them."""
    step = max(1, _CHUNK_ELEMENTS // max(row_size, 1))
    for r0 in range(0, n_rows, step):
        yield r0, min(r0 + step, n_rows)


def _run(fn, items, *, threads: bool) -> list:
    """``[fn(i) for i in items]``, on threads when worth it (numpy releases the GIL)."""
    items = list(items)
    n = min(len(items), os.cpu_count() or 1)
    if threads and n > 1:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(fn, items))
    return [fn(i) for i in items]


def _read_plan(model: MMM, frame: pd.DataFrame, what: str):
    """Validate a plan frame: ``(dates, geos, spend (G', T, C) user order)``."""
    data = model.data_
    clean = validate_frame(frame, date=model.date, target=None, channels=model.channels,
                           geo=model.geo, controls=(), min_weeks=1, require_spend=False)
    arrays = frame_to_arrays(clean, date=model.date, target=None, channels=model.channels,
                             geo=model.geo)
    dates = pd.DatetimeIndex(arrays["dates"])
    geos = list(arrays["geos"])
    unknown = [g for g in geos if g not in data.geos]
    if unknown:
        raise DataError(f"{what}: column {model.geo!r} has geo {unknown[0]!r}, which the model "
                        f"was not fitted on (fitted geos: {data.geos[:10]}).")
    _check_on_grid(data.dates[0], dates, f"{what}: column {model.date!r}")
    if dates[0] < data.dates[0]:
        raise DataError(f"{what}: column {model.date!r} starts {dates[0].date()}, before the "
                        f"fitted period ({data.dates[0].date()}); plans cover fitted or later "
                        "weeks.")
    return dates, geos, arrays["spend"]


def _check_on_grid(first: pd.Timestamp, dates: pd.DatetimeIndex, what: str) -> None:
    off = (dates - first).days % 7 != 0
    if off.any():
        raise DataError(f"{what} has week {dates[off][0].date()}, which is not on the fitted "
                        f"weekly grid (weeks fall on {first.day_name()}s, e.g. {first.date()}).")


def _plan_frame(model: MMM, spend: np.ndarray, dates: pd.DatetimeIndex,
                geos: list[str]) -> pd.DataFrame:
    """``(G, T, C)`` spend as a tidy frame with the model's column names."""
    G, T, _ = spend.shape
    out: dict[str, Any] = {model.date: np.tile(np.asarray(dates), G)}
    if model.geo is not None:
        out[model.geo] = np.repeat(np.asarray(geos, dtype=object), T)
    for c, ch in enumerate(model.channels):
        out[ch] = spend[:, :, c].reshape(-1)
    return pd.DataFrame(out)


def _window(model: MMM, start, end, geos) -> tuple[np.ndarray, list[int]]:
    """Fitted week indices in ``[start, end]`` and geo indices of ``geos``."""
    data = model.fitted_data()
    lo = data.dates[0] if start is None else pd.Timestamp(start)
    hi = data.dates[-1] if end is None else pd.Timestamp(end)
    if lo > hi:
        raise ValueError(f"start ({lo.date()}) is after end ({hi.date()}).")
    weeks = np.flatnonzero((data.dates >= lo) & (data.dates <= hi))
    if weeks.size == 0:
        raise ValueError(f"No fitted week between {lo.date()} and {hi.date()} (fitted weeks "
                         f"{data.dates[0].date()} to {data.dates[-1].date()}).")
    if geos is None:
        return weeks, list(range(data.n_geos))
    geos = [geos] if isinstance(geos, str) else list(geos)
    unknown = [g for g in geos if g not in data.geos]
    if unknown or not geos:
        raise ValueError(f"Unknown geo(s) {unknown}; the model was fitted on {data.geos[:10]}.")
    return weeks, sorted({data.geos.index(g) for g in geos})


def _check_channel(model: MMM, ch: str) -> None:
    if ch not in model.channels:
        raise ValueError(f"{ch!r} is not a channel of the model ({model.channels}).")


def _channel_map(model: MMM, mapping: Mapping[str, float], what: str) -> dict[str, float]:
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a mapping {{channel: value}}, got "
                        f"{type(mapping).__name__}.")
    for ch in mapping:
        _check_channel(model, ch)
    return {ch: float(v) for ch, v in mapping.items()}


def _span(dates: pd.DatetimeIndex) -> str:
    return f"{dates[0].date()}..{dates[-1].date()}" if len(dates) else "no weeks"


def _quantile(values: np.ndarray, q: float, axis: int = 0) -> np.ndarray:
    """``np.quantile`` that treats ``+inf`` draws (e.g. a marginal ROAS at zero spend) as the
    largest values: an interpolation that involves one is ``inf``, not ``inf - inf = NaN``."""
    big = np.finfo(float).max
    out = np.quantile(np.where(np.isposinf(values), big, values), q, axis=axis)
    return np.where(out >= 1e300, np.inf, out)


def _stats_frame(flat: np.ndarray, prob: float, index, *, positive: bool) -> pd.DataFrame:
    """``mean, median, lower, upper`` (and ``prob_positive``) over the first axis; columns
    that are all ``NaN`` stay ``NaN``."""
    check_prob(prob)
    cols = flat.shape[1]
    out = {k: np.full(cols, np.nan) for k in ("mean", "median", "lower", "upper")}
    ok = ~np.isnan(flat).any(axis=0)
    if ok.any():
        x = flat[:, ok]
        out["mean"][ok] = x.mean(axis=0)
        out["median"][ok] = _quantile(x, 0.5)
        out["lower"][ok] = _quantile(x, (1 - prob) / 2)
        out["upper"][ok] = _quantile(x, 1 - (1 - prob) / 2)
    if positive:
        out["prob_positive"] = (flat > 0).mean(axis=0)
    return pd.DataFrame(out, index=pd.Index(list(index), name="channel"))


# =============================================================================================
# Internals: precomputed channel responses (optimiser and response curves)
# =============================================================================================
def _curve(sat: Saturation, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """The channel's own curve at ``x`` (numpy)."""
    return np.asarray(sat.apply(x, **params))


def _curve_and_slope(sat: Saturation, x: np.ndarray, params: dict[str, np.ndarray]):
    """The saturation curve and its derivative in ``x``, elementwise (the transform's own)."""
    return _curve(sat, x, params), sat.slope(x, **params)


@dataclass(eq=False)
class _Block:
    """One channel's adstocked, scaled spend pattern on every draw, in compact form.

    Only geo-weeks where the pattern's adstock is non-zero are kept (elsewhere the channel's
    term does not depend on its multiplier), flattened geo by geo into ``N`` entries.
    ``a_in`` ``(S, N)`` is the adstock of the pattern being scaled, ``a_out`` ``(S, N)`` of
    the channel's spend that stays as it is (outside the period), ``coef`` ``(S, G_c)``
    converts the curve to target units per geo. ``total`` ``(G_c,)`` is the pattern's spend.
    """

    channel: str
    saturation: Saturation
    params: dict[str, np.ndarray]  # (S, 1) each
    coef: np.ndarray
    geo_pos: np.ndarray  # (G_c,) positions of the block's geos among the period's geos
    starts: np.ndarray  # (G_c,) first entry of each geo
    entry_geo: np.ndarray  # (N,)
    a_in: np.ndarray | None  # dropped once ``_e0`` is built for the optimiser (memory)
    a_out: np.ndarray | None
    total: np.ndarray
    _e0: np.ndarray | None = None

    @property
    def n_geos(self) -> int:
        return len(self.geo_pos)

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, N)``: draws and entries."""
        return (self.a_in if self.a_in is not None else self._e0).shape

    def fast(self) -> bool:
        """Whether the optimiser's log-free Hill path applies (no fixed carry-in)."""
        return self.a_out is None and type(self.saturation) is HillSaturation

    def prepare_fast(self) -> None:
        """Build ``e0`` for the fast path and drop ``a_in`` (halves the memory)."""
        if self.fast() and self._e0 is None:
            with np.errstate(divide="ignore", over="ignore"):
                self._e0 = (self.params["half_saturation"] / self.a_in) ** self.params["slope"]
            self.a_in = None

    def subset(self, idx: np.ndarray) -> _Block:
        """The block restricted to the draws ``idx``."""
        return _Block(
            channel=self.channel, saturation=self.saturation,
            params={k: v[idx] for k, v in self.params.items()}, coef=self.coef[idx],
            geo_pos=self.geo_pos, starts=self.starts, entry_geo=self.entry_geo,
            a_in=None if self.a_in is None else self.a_in[idx],
            a_out=None if self.a_out is None else self.a_out[idx],
            total=self.total, _e0=None if self._e0 is None else self._e0[idx],
        )

    def response(self, m: np.ndarray, *, exact: bool = False):
        """Channel term ``(S, G_c)`` (target units) with each geo's pattern times ``m[g]``,
        and its derivative in ``m[g]`` ``(S, G_c)``.

        ``exact=False`` (optimiser) floors ``m`` at a tiny positive value and, for a Hill
        curve with no fixed carry-in, uses ``hill(m a) = 1 / (1 + e0 * m**-slope)`` with
        ``e0 = (K / a)**slope`` precomputed: an evaluation is then a multiply, a reciprocal
        and two sums per entry (``m * d hill / d m = slope * (f - f**2)``), no
        transcendental function. Draws are processed in chunks that stay in cache.
        """
        m = np.asarray(m, dtype=float)
        uniform = bool(np.all(m == m[0]))
        if not exact:
            m = np.maximum(m, _M_FLOOR)
        S, N = self.shape
        value = np.empty((S, self.n_geos))
        dm = np.empty((S, self.n_geos))
        if not exact and self.fast():
            slope = self.params["slope"]  # (S, 1)
            self.prepare_fast()
            # m**-slope per draw (uniform) or per draw and entry
            power = np.exp(-slope * np.log(m[0])) if uniform else np.exp(
                -slope * np.log(m)[None, :])[:, self.entry_geo]
            buf = np.empty((min(S, max(1, _CHUNK_ELEMENTS // max(N, 1))), N))
            with np.errstate(over="ignore", invalid="ignore"):
                for r0, r1 in _row_chunks(S, N):
                    b = buf[:r1 - r0]
                    np.multiply(self._e0[r0:r1], power[r0:r1], out=b)
                    b += 1.0
                    np.reciprocal(b, out=b)
                    value[r0:r1] = np.add.reduceat(b, self.starts, axis=1)
                    np.square(b, out=b)
                    dm[r0:r1] = value[r0:r1] - np.add.reduceat(b, self.starts, axis=1)
            dm *= slope / m[None, :]
            return value * self.coef, dm * self.coef
        if self.a_in is None:
            raise RuntimeError("exact responses need the block's adstock (built for curves).")
        m_entry = m[0] if uniform else m[self.entry_geo][None, :]
        for r0, r1 in _row_chunks(S, N):
            a_in = self.a_in[r0:r1]
            x = a_in * m_entry
            if self.a_out is not None:
                x += self.a_out[r0:r1]
            params = {k: v[r0:r1] for k, v in self.params.items()}
            f, df = _curve_and_slope(self.saturation, x, params)
            value[r0:r1] = np.add.reduceat(f, self.starts, axis=1)
            dm[r0:r1] = np.add.reduceat(df * a_in, self.starts, axis=1)
        return value * self.coef, dm * self.coef


@dataclass(eq=False)
class _Blocks:
    """The channel blocks of a set of channels over a period, plus the posterior engine."""

    blocks: dict[str, _Block]
    engine: Any
    n_samples: int
    geo_idx: list[int]

    @classmethod
    def build(cls, model: MMM, channels: list[str], weeks: np.ndarray,
              geo_idx: list[int], *, optimizer: bool = False) -> _Blocks:
        """Adstock each channel's pattern over the period once per draw (``optimizer``:
        in the form the optimiser's fast path uses, see :meth:`_Block.prepare_fast`).

        The timeline runs from ``max_lag - 1`` weeks before the period to ``max_lag - 1``
        weeks after it; entries are counted from the period's first week (earlier weeks do
        not depend on the period's spend).
        """
        data = model.data_
        engine = model.posterior_engine()
        H = model.media.max_lag - 1
        t0, t1 = int(weeks[0]), int(weeks[-1])
        w0 = max(t0 - H, 0)
        n_tl = t1 + H + 1 - w0
        spend = np.zeros((len(geo_idx), n_tl, len(model.channels)))
        avail = min(data.n_weeks, t1 + H + 1) - w0
        spend[:, :avail] = data.spend[np.ix_(geo_idx, np.arange(w0, w0 + avail))]
        in_period = np.zeros(n_tl, dtype=bool)
        in_period[t0 - w0:t1 - w0 + 1] = True
        scale = data.spend_scale[geo_idx]  # (G', C) user order
        first = t0 - w0  # first counted timeline week

        def one(ch: str) -> _Block | None:
            c = model.channels.index(ch)
            par = _channel_params(model, engine.params, ch, geo_idx)
            x = spend[:, :, c] / scale[:, c][:, None]  # (G', n_tl) scaled
            x_in = np.where(in_period[None, :], x, 0.0)
            lags_in = lag_stack(x_in[:, :, None], par.adstock_lags)[..., 0][:, :, first:]
            lags_out = lag_stack((x - x_in)[:, :, None], par.adstock_lags)[..., 0][:, :, first:]
            mask = (lags_in > 0).any(axis=0)  # (G', T_c): the pattern reaches these weeks
            geos_with = np.flatnonzero(mask.any(axis=1))
            if geos_with.size == 0:
                return None
            mask = mask[geos_with]
            lags_in, lags_out = lags_in[:, geos_with][:, mask], lags_out[:, geos_with][:, mask]
            counts = mask.sum(axis=1)
            total = np.where(in_period[None, :], spend[:, :, c], 0.0).sum(axis=1)[geos_with]
            block = _Block(
                channel=ch, saturation=par.saturation, params=par.sat_params,
                coef=par.coef[:, geos_with], geo_pos=geos_with,
                starts=np.concatenate([[0], np.cumsum(counts)[:-1]]),
                entry_geo=np.repeat(np.arange(geos_with.size), counts),
                a_in=par.weights @ lags_in,
                a_out=par.weights @ lags_out if (lags_out > 0).any() else None,
                total=total,
            )
            if optimizer:
                block.prepare_fast()
            return block

        size = engine.n_samples * len(geo_idx) * n_tl
        built = _run(one, channels, threads=size >= _THREAD_MIN_ELEMENTS)
        blocks = {ch: b for ch, b in zip(channels, built, strict=True) if b is not None}
        return cls(blocks=blocks, engine=engine, n_samples=engine.n_samples,
                   geo_idx=list(geo_idx))


# =============================================================================================
# Internals: the optimisation problem
# =============================================================================================
class _Result(NamedTuple):
    y: np.ndarray  # decision vector: shares of the free budget per variable
    value: float  # objective in target (profit) units
    converged: bool
    message: str
    amounts: np.ndarray  # currency per variable


class _Problem:
    """Maximise a risk functional of the per-draw lift over budget shares.

    Variables are shares ``y`` of the free budget ``B``: one per channel, or one per
    geo-channel cell with spend (``by_geo``). A variable's multiplier of its historical
    pattern is ``m = y * B / historical``. Per draw ``s`` the lift is
    ``sum_blocks sum_geos (term(m) - term(1))``; its gradient in ``y`` is exact.
    """

    def __init__(self, blocks: _Blocks, free: list[str], lo: np.ndarray, hi: np.ndarray,
                 budget: float, *, by_geo: bool, objective: str, risk: float | None,
                 margin: float | None, block_list: list[_Block] | None = None,
                 ref: list[np.ndarray] | None = None):
        self.blocks = blocks
        self.free = free
        self.budget = budget
        self.by_geo = by_geo
        self.objective, self.risk, self.margin = objective, risk, margin
        self.lo_c, self.hi_c = lo, hi  # per free channel, currency
        self.block_list = block_list if block_list is not None else [
            blocks.blocks[ch] for ch in free]
        cells, hist, var_lo, var_hi = [], [], [], []
        self.var_of: list[np.ndarray] = []  # variables of each block
        for k, block in enumerate(self.block_list):
            if by_geo:
                idx = np.arange(len(cells), len(cells) + block.n_geos)
                for g, total in zip(block.geo_pos, block.total, strict=True):
                    cells.append((block.channel, int(g)))
                    hist.append(total)
                    var_lo.append(0.0)
                    var_hi.append(min(hi[k], budget))
            else:
                idx = np.array([len(cells)])
                cells.append((block.channel, None))
                hist.append(block.total.sum())
                var_lo.append(lo[k])
                var_hi.append(min(hi[k], budget))
            self.var_of.append(idx)
        self.cells = cells
        self.hist = np.asarray(hist, dtype=float)
        self.lo = np.asarray(var_lo) / budget
        self.hi = np.asarray(var_hi) / budget
        self.n = len(cells)
        self.S = self.block_list[0].coef.shape[0]
        if ref is None:  # the blocks' terms at the historical spend (multiplier 1)
            ref = [b.response(np.ones(b.n_geos))[0].sum(axis=1) for b in self.block_list]
        self.ref = ref
        scale = float(np.mean(sum(ref)))
        self.scale = (scale if scale > 0 else 1.0) * (margin or 1.0)
        self.channel_constraints = by_geo and bool(
            np.any(lo > 0) or np.any(hi < budget * (1 - 1e-12)))
        self.threads = sum(np.prod(b.shape) for b in self.block_list) >= _THREAD_MIN_ELEMENTS

    def subset(self, idx: np.ndarray, objective: str | None = None) -> _Problem:
        """The same problem on the draws ``idx`` (optionally with another objective)."""
        return _Problem(
            self.blocks, self.free, self.lo_c, self.hi_c, self.budget, by_geo=self.by_geo,
            objective=objective or self.objective, risk=self.risk, margin=self.margin,
            block_list=[b.subset(idx) for b in self.block_list],
            ref=[r[idx] for r in self.ref],
        )

    # -- objective -----------------------------------------------------------------------------
    def lift(self, y: np.ndarray):
        """Per-draw lift ``(S,)`` (target units) and its Jacobian in ``y`` ``(S, n)``."""
        amounts = y * self.budget
        m_var = amounts / self.hist

        def one(k: int):
            block, idx = self.block_list[k], self.var_of[k]
            m = np.full(block.n_geos, m_var[idx[0]]) if not self.by_geo else m_var[idx]
            return block.response(m)

        parts = _run(one, range(len(self.block_list)), threads=self.threads)
        total = np.zeros(self.S)
        jac = np.zeros((self.S, self.n))
        for k, (value, dm) in enumerate(parts):
            idx = self.var_of[k]
            total += value.sum(axis=1) - self.ref[k]
            if self.by_geo:
                jac[:, idx] = dm * (self.budget / self.hist[idx])[None, :]
            else:
                jac[:, idx[0]] = dm.sum(axis=1) * self.budget / self.hist[idx[0]]
        return total, jac

    def values(self, y: np.ndarray):
        """Per-draw objective values (lift, or incremental profit) and their Jacobian."""
        lift, jac = self.lift(y)
        if self.margin is None:
            return lift, jac
        extra = y.sum() * self.budget - self.hist.sum()  # incremental spend
        return self.margin * lift - extra, self.margin * jac - self.budget

    def evaluate(self, y: np.ndarray):
        """Objective (target or profit units) and its gradient in ``y``."""
        values, jac = self.values(y)
        value, weights = _risk_functional(values, self.objective, self.risk)
        return value, weights @ jac

    # -- solving -------------------------------------------------------------------------------
    def _project(self, v: np.ndarray) -> np.ndarray:
        """A feasible point near ``v``: ``clip(v + t, lo, hi)`` summing to 1 (bisection on
        ``t``; with ``margin`` only when the clipped point would overspend), with channel
        constraints (by_geo) met by fitting channel totals first and splitting them by ``v``."""
        if self.by_geo and self.channel_constraints:
            per = np.array([v[idx].sum() for idx in self.var_of])
            totals = self._fit_total(per, self.lo_c / self.budget,
                                     np.minimum(self.hi_c / self.budget, 1.0))
            out = np.empty_like(v)
            for idx, t in zip(self.var_of, totals, strict=True):
                w = np.maximum(v[idx], 0)
                w = w / w.sum() if w.sum() > 0 else self.hist[idx] / self.hist[idx].sum()
                out[idx] = t * w
            return out
        return self._fit_total(v, self.lo, self.hi)

    def _fit_total(self, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        x = np.clip(v, lo, hi)
        if self.margin is None or x.sum() > 1.0:
            return _clip_to_sum(v, lo, hi, 1.0)
        return x

    def starts(self, n_starts: int, rng: np.random.Generator) -> list[np.ndarray]:
        """The historical split first (scaled to the budget; with ``margin``, the historical
        amounts), then random feasible splits."""
        if self.margin is None:
            out = [self._project(self.hist / self.hist.sum())]
        else:
            out = [self._project(self.hist / self.budget)]
        for _ in range(n_starts - 1):
            share = rng.dirichlet(np.ones(self.n))
            if self.margin is not None:  # spend part of the cap
                share = share * rng.uniform(0.2, 1.0)
            out.append(self._project(share))
        return out

    def _minimize(self, y0: np.ndarray, maxiter: int = 300):
        from scipy.optimize import minimize

        def fun(y):
            value, grad = self.evaluate(y)
            return -value / self.scale, -grad / self.scale

        if self.margin is None:
            cons = [{"type": "eq", "fun": lambda y: np.array([y.sum() - 1.0]),
                     "jac": lambda y: np.ones((1, y.size))}]
        else:  # spend at most the budget
            cons = [{"type": "ineq", "fun": lambda y: np.array([1.0 - y.sum()]),
                     "jac": lambda y: -np.ones((1, y.size))}]
        if self.by_geo and self.channel_constraints:
            for k, idx in enumerate(self.var_of):
                row = np.zeros(self.n)
                row[idx] = 1.0
                lo_k, hi_k = self.lo_c[k] / self.budget, self.hi_c[k] / self.budget
                if lo_k > 0:
                    cons.append({"type": "ineq", "fun": lambda y, r=row, b=lo_k: [r @ y - b],
                                 "jac": lambda y, r=row: r[None, :]})
                if hi_k < 1:
                    cons.append({"type": "ineq", "fun": lambda y, r=row, b=hi_k: [b - r @ y],
                                 "jac": lambda y, r=row: -r[None, :]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = minimize(fun, y0, jac=True, method="SLSQP",
                           bounds=list(zip(self.lo, self.hi, strict=True)), constraints=cons,
                           options={"maxiter": maxiter, "ftol": 1e-10})
        y = self._project(np.clip(res.x, self.lo, self.hi)) if np.all(
            np.isfinite(res.x)) else y0
        return y, str(res.message), bool(res.success)

    def kkt(self, y: np.ndarray, tol: float = 1e-3) -> bool:
        """First-order optimality of ``y`` for the box + budget problem (maximisation)."""
        if self.by_geo and self.channel_constraints:
            return False  # not checked here; the caller trusts the solver's own test
        _, grad = self.evaluate(y)
        g = grad / self.scale
        tol = tol * max(1.0, float(np.max(np.abs(g))))
        span = self.hi - self.lo
        eps = 1e-7
        at_lo = (y <= self.lo + eps) & (span > eps)
        at_hi = (y >= self.hi - eps) & (span > eps)
        free = (span > eps) & ~at_lo & ~at_hi
        # lambda (the budget's shadow price) must satisfy g = lambda on free variables,
        # g <= lambda at lower bounds and g >= lambda at upper bounds
        low = max([g[at_lo].max(initial=-np.inf), g[free].max(initial=-np.inf)])
        high = min([g[at_hi].min(initial=np.inf), g[free].min(initial=np.inf)])
        if self.margin is not None:  # spend <= budget: lambda >= 0, and 0 if money is left
            if y.sum() < 1 - 1e-6:
                high = min(high, 0.0)
            low = max(low, 0.0)
        return bool(low <= high + tol)

    def best_transfer(self, y: np.ndarray, step: float = 1e-6, top: int = 6):
        """The most improving small feasible move from ``y``: its one-sided directional
        derivative (objective per unit share, divided by ``scale``) and direction.

        The gradient test (:meth:`kkt`) assumes a smooth objective. The Harrell-Davis quantile
        is a fixed weighting of the *sorted* draws, so it has a kink wherever two draws swap
        order, and a maximum often sits on such a kink: there the gradient is one side's and
        can fail the test although no move improves the objective. This test evaluates the
        moves themselves: budget transfers ``e_i - e_j`` (and, with ``margin``, spending more
        on ``i`` or less on ``j``) between the ``top`` variables the gradient favours most and
        least, so its cost stays fixed as the number of variables grows.
        """
        value, grad = self.evaluate(y)
        room_up = self.hi - y
        room_down = y - self.lo
        up = np.flatnonzero(room_up > step)
        down = np.flatnonzero(room_down > step)
        up = up[np.argsort(-grad[up], kind="stable")[:top]]
        down = down[np.argsort(grad[down], kind="stable")[:top]]
        moves = [(i, j) for i in up for j in down if i != j]
        if self.margin is not None:
            if y.sum() < 1 - step:
                moves += [(i, None) for i in up]
            moves += [(None, j) for j in down]
        best, best_d = -np.inf, None
        for i, j in moves:
            d = np.zeros(self.n)
            if i is not None:
                d[i] = 1.0
            if j is not None:
                d[j] = -1.0
            gain = (self.evaluate(y + step * d)[0] - value) / (step * self.scale)
            if gain > best:
                best, best_d = gain, d
        return best, best_d

    def optimal(self, y: np.ndarray, tol: float = 1e-3) -> bool:
        """First-order optimality: the KKT conditions, or, where the gradient is one side's
        of a kink, no small feasible move that improves the objective."""
        if self.kkt(y, tol):
            return True
        if self.by_geo and self.channel_constraints:
            return False
        g = self.evaluate(y)[1] / self.scale
        gain, _ = self.best_transfer(y)
        return bool(gain <= tol * max(1.0, float(np.max(np.abs(g)))))

    def solve(self, n_starts: int, rng: np.random.Generator) -> _Result:
        explore = self
        if self.S > _EXPLORE_DRAWS:
            explore = self.subset(np.sort(rng.choice(self.S, _EXPLORE_DRAWS, replace=False)))
        tried = []
        for y0 in explore.starts(n_starts, rng):
            y, message, success = explore._minimize(y0)
            tried.append((explore.evaluate(y)[0], y, message, success))
        _, y, message, success = max(tried, key=lambda t: t[0])
        if explore is not self:
            polished, message, success = self._minimize(y)
            if self.evaluate(polished)[0] >= self.evaluate(y)[0]:
                y = polished
        if self.by_geo and self.channel_constraints:
            converged = success
        else:
            converged = self.optimal(y)
            for _ in range(5):  # SLSQP stalled on a kink: step along the improving move
                if converged:
                    break
                gain, d = self.best_transfer(y)
                if d is None or not gain > 0:
                    break
                moved = None
                for t in (1e-2, 1e-3, 1e-4, 1e-5):
                    trial = self._project(y + t * d)
                    if self.evaluate(trial)[0] > self.evaluate(y)[0]:
                        moved = trial
                        break
                if moved is None:
                    break
                polished, message, success = self._minimize(moved)
                y = polished if self.evaluate(polished)[0] >= self.evaluate(moved)[0] else moved
                converged = self.optimal(y)
        if not converged and success:
            message = f"{message}; optimality conditions not met"
        value = self.evaluate(y)[0]
        return _Result(y=y, value=value, converged=converged, message=message,
                       amounts=y * self.budget)

    def per_draw(self, y_opt: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Optimal allocation per free channel ``(n, C_free)`` for ``n`` single draws."""
        n = min(int(n), self.S)
        if n <= 0:
            return np.zeros((0, len(self.free)))
        idx = np.sort(rng.choice(self.S, n, replace=False))
        out = np.zeros((n, len(self.free)))
        for i, s in enumerate(idx):
            single = self.subset(np.array([s]), objective="mean")
            y, _, _ = single._minimize(y_opt)
            amounts = y * self.budget
            for k, var in enumerate(self.var_of):
                out[i, k] = amounts[var].sum()
        return out


def _risk_functional(values: np.ndarray, objective: str, risk: float | None):
    """The objective over draws and its weights ``d objective / d values`` ``(S,)``."""
    S = values.shape[0]
    if objective == "mean":
        return float(values.mean()), np.full(S, 1.0 / S)
    if objective == "mean_minus_std":
        mean, sd = values.mean(), values.std()
        weights = np.full(S, 1.0 / S)
        if sd > 0:
            weights = weights - risk * (values - mean) / (S * sd)
        return float(mean - risk * sd), weights
    # Harrell-Davis quantile: Beta(q(S+1), (1-q)(S+1)) weights on the order statistics
    order = np.argsort(values, kind="stable")
    a, b = risk * (S + 1), (1 - risk) * (S + 1)
    cdf = betainc(a, b, np.arange(S + 1) / S)
    w_sorted = np.diff(cdf)
    weights = np.empty(S)
    weights[order] = w_sorted
    return float(weights @ values), weights


def _clip_to_sum(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float) -> np.ndarray:
    """``clip(v + t, lo, hi)`` with ``t`` chosen so that the sum is ``total`` (or as close as
    the bounds allow)."""
    v = np.asarray(v, dtype=float)
    hi = np.minimum(hi, total)  # lower bounds are >= 0, so no entry can exceed the total
    if np.clip(v, lo, hi).sum() == total:
        return np.clip(v, lo, hi)
    a = float(np.min(lo - v)) - 1.0
    b = float(np.max(hi - v)) + 1.0
    for _ in range(200):
        t = 0.5 * (a + b)
        if np.clip(v + t, lo, hi).sum() < total:
            a = t
        else:
            b = t
    return np.clip(v + 0.5 * (a + b), lo, hi)


def _default_bounds(free: list[str], channels: list[str], hist: np.ndarray, free_budget: float,
                    margin: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Each free channel between :data:`DEFAULT_SPEND_RANGE` times its historical share of the
    free budget (lower bound 0 with ``margin``, where spending less is the point)."""
    h = np.array([hist[channels.index(ch)] for ch in free], dtype=float)
    share = h / h.sum() * free_budget if h.sum() > 0 else np.zeros_like(h)
    low, high = DEFAULT_SPEND_RANGE
    lo = np.zeros_like(share) if margin is not None else low * share
    return lo, high * share


def _parse_bounds(model: MMM, bounds, free: list[str], fixed: Mapping[str, float],
                  hist: np.ndarray, free_budget: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper totals (currency) of each free channel."""
    channels = list(model.channels)
    lo = np.zeros(len(free))
    hi = np.full(len(free), np.inf)
    if bounds is None:
        spec: dict[str, Any] = {}
    elif isinstance(bounds, Mapping):
        spec = dict(bounds)
        for ch in spec:
            _check_channel(model, ch)
            if ch in fixed:
                raise ValueError(
                    f"{ch!r} has bounds but is fixed (or spends nothing in the period, so it "
                    "stays at zero); give it one or the other.")
    else:
        spec = dict.fromkeys(free, bounds)
    for ch, b in spec.items():
        k = free.index(ch)
        h = hist[channels.index(ch)]
        if isinstance(b, Relative):
            # A Relative built directly (not through relative()) skips relative()'s checks;
            # NaN would pass every comparison below and make an all-zero "converged" plan.
            if not (np.isfinite(b.lower) and b.lower >= -1 and b.upper >= b.lower):
                raise ValueError(
                    f"bounds[{ch!r}] = {b!r}: relative bounds need -1 <= lower <= upper, "
                    "lower finite (upper may be inf); build them with scenarios.relative().")
            lo[k], hi[k] = h * (1 + b.lower), h * (1 + b.upper)
            continue
        try:
            low, high = b
            low = 0.0 if low is None else float(low)
            high = np.inf if high is None else float(high)
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{ch!r}] must be (lo, hi) in currency or "
                             f"scenarios.relative(lo, hi), got {b!r}.") from None
        # NaN compares False with everything, so it would slip past the checks below; only
        # an upper bound may be infinite (no limit), which None also says.
        if not np.isfinite(low) or np.isnan(high) or high == -np.inf:
            raise ValueError(
                f"bounds[{ch!r}] = {b!r}: bounds must be numbers — a finite lower bound and a "
                "finite upper bound, or None (or inf) for no upper limit; NaN is not a bound.")
        if low < 0:
            raise ValueError(
                f"bounds[{ch!r}] = {b!r}: amounts must be >= 0. For changes relative to "
                f"historical spend use scenarios.relative({low}, {high}).")
        lo[k], hi[k] = low, high
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        ch = free[bad[0]]
        raise ValueError(f"bounds for {ch!r}: lower {lo[bad[0]]:,.2f} > upper "
                         f"{hi[bad[0]]:,.2f}.")
    return lo, hi
