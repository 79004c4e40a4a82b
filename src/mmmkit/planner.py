"""The scenario planner: one offline HTML page on which planners set each channel's spend.

:func:`write_planner` writes a single ``.html`` file (no server, no network, no external
script or font; :mod:`mmmkit.planner_page` holds its template) with one control per channel
(a slider and number boxes in currency and in % of the actual spend of the planning period),
the total budget, and live results: the change in the target against the actual spend with
its credible interval and the chance of an increase, per channel and in total; the marginal
ROAS at the planned spend; a warning where a plan goes beyond the weekly spend the data
contain; the optimiser's split (:func:`mmmkit.scenarios.optimize_budget`) for a few budgets;
and a reset to the actual spend.

How the page computes
---------------------
A channel's media term depends on its own spend only, so the lift of a plan that scales each
channel's weekly (and geo) pattern over the period by ``m_c`` is, draw by draw,
``sum_c L_c(m_c) - L_c(1)``, where ``L_c`` is the channel's response curve
(:func:`mmmkit.scenarios.response_curves`: the lift over the channel at zero in the period,
carry-in before it and carryover after it included). That is exactly
:func:`mmmkit.scenarios.shift` with ``changes = m - 1`` on the same draws. The page holds
``L_c`` and its exact derivative on a grid of multipliers (:data:`DEFAULT_MULTIPLIERS`) for
a subsample of the posterior draws, and interpolates between grid points:

* from the first positive grid point ``g_1`` up, a cubic Hermite polynomial in ``log m``
  through the values and exact slopes (the saturation curves are near-logistic in
  ``log m``, which this grid spaces evenly);
* on ``[0, g_1]``, ``L(m) = d_0 m + R (m / g_1)**p``, with ``d_0`` the exact slope at 0
  (taken as 0 where it is infinite, a Hill curve with slope below 1) and ``R``, ``p``
  matching the value and slope at ``g_1``: the shape of a Hill curve near 0, with or
  without spend carried in from before the period. Where that has no positive solution (a
  concave curve at 0, e.g. logistic), a cubic Hermite polynomial in ``m`` through the
  values and slopes at 0 and ``g_1``.

The page's marginal ROAS is the interpolant's derivative divided by the channel's actual
spend. Grid points (0, the actual spend and every multiplier of the grid) are exact. Between
them, with the default grid (ratio 1.2 between points from 2% to 300% of the actual spend),
a channel's interpolated lift is within ``1e-3`` of its lift at the actual spend on every
draw (measured: ``1e-4`` or less); below 2% of the actual spend, within ``5e-3``.
:class:`PlannerData` does the page's arithmetic in numpy, and ``tests/test_planner.py``
measures it against :func:`~mmmkit.scenarios.shift`. The page stores the curves as 16-bit
integers scaled per channel and draw (relative rounding ``1.5e-5``), which keeps a
10-channel page with 500 draws under 1 MB.

Units: spend in currency summed over the period's weeks and geos; lifts in the target's
units (``model.kpi_label``) summed over the counted weeks and geos.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mmmkit.formatting import (
    column_label,
    currency_label,
    flat,
    geo_label,
    interval_label,
    is_revenue,
    kpi_label,
    kpi_quantity,
    level,
    money,
    one_kpi,
    per_currency,
    roas_unit,
)
from mmmkit.planner_page import encode_curves, render_page
from mmmkit.report_text import GLOSSARY, GLOSSARY_NOT_REVENUE, GLOSSARY_REVENUE
from mmmkit.response import stats_frame, window
from mmmkit.scenarios import BudgetPlan, optimize_budget, response_curves
from mmmkit.stats import DEFAULT_PROB, check_prob

__all__ = ["BUDGET_STEPS", "DEFAULT_DRAWS", "DEFAULT_MULTIPLIERS", "DEFAULT_WEEKS",
           "PlannerData", "curve_at", "planner_data", "write_planner"]

#: posterior draws the page carries (evenly spaced over chains and draws)
DEFAULT_DRAWS = 500
#: weeks of the default planning period: the last quarter of the fitted data
DEFAULT_WEEKS = 13
#: default budgets of the optimiser's splits, as multiples of the period's actual total
BUDGET_STEPS = (0.8, 0.9, 1.0, 1.1, 1.2)
#: multipliers of the actual spend the curves are stored at: 0, then a geometric grid (ratio
#: about 1.2) from 2% to 300% with 1 (the actual spend) on it
DEFAULT_MULTIPLIERS = np.unique(np.round(np.r_[0.0, np.geomspace(0.02, 1.0, 22),
                                               np.geomspace(1.0, 3.0, 7)], 12))
# glossary entries of the report that the page uses (mmmkit.report_text.GLOSSARY's terms)
_GLOSSARY_TERMS = ("Marginal ROAS", "Credible interval", "Response curve",
                   "Adstock (carryover)", "Saturation (diminishing returns)")


# =============================================================================================
# The page's arithmetic
# =============================================================================================
def _hermite(t: float, h: float, y0, y1, d0, d1):
    """Cubic Hermite interpolant on one interval (``t`` in ``[0, 1]``, width ``h``, slopes
    per unit of the interval's variable) and its derivative in that variable."""
    value = ((2 * t**3 - 3 * t**2 + 1) * y0 + (t**3 - 2 * t**2 + t) * h * d0
             + (-2 * t**3 + 3 * t**2) * y1 + (t**3 - t**2) * h * d1)
    slope = ((6 * t**2 - 6 * t) * y0 + (3 * t**2 - 4 * t + 1) * h * d0
             + (-6 * t**2 + 6 * t) * y1 + (3 * t**2 - 2 * t) * h * d1) / h
    return value, slope


def curve_at(multipliers: np.ndarray, lift: np.ndarray, slope: np.ndarray,
             m: float) -> tuple[np.ndarray, np.ndarray]:
    """A response curve between its grid points, as the planner page interpolates it.

    Parameters
    ----------
    multipliers : ``(M,)`` increasing grid, ``multipliers[0] == 0``, at least two positive.
    lift : ``(S, M)`` the curve on the grid (target units; 0 at multiplier 0).
    slope : ``(S, M)`` its derivative in the multiplier (target units per multiple of the
        actual spend; may be ``inf`` at 0).
    m : the multiplier, clipped to ``[0, multipliers[-1]]``.

    Returns
    -------
    ``(value, derivative)``, each ``(S,)``: the curve and its derivative in ``m`` (see the
    module docstring for the interpolant).
    """
    g = np.asarray(multipliers, dtype=float)
    m = float(np.clip(m, 0.0, g[-1]))
    if m == 0.0:
        return np.zeros(lift.shape[0]), slope[:, 0].astype(float)
    if m < g[1]:
        y1, d1, d0 = lift[:, 1], slope[:, 1], slope[:, 0]
        finite = np.isfinite(d0)
        linear = np.where(finite, d0, 0.0)  # the slope at 0, where finite
        rest, drest = y1 - linear * g[1], d1 - linear
        with np.errstate(all="ignore"):
            p = g[1] * drest / rest  # the power law's exponent
            ok = np.isfinite(p) & (p > 0) & (rest > 0)
            r = (m / g[1]) ** np.where(ok, p, 1.0)
            herm, dherm = _hermite(m / g[1], g[1], 0.0, y1, d0, d1)
        value = np.where(ok, linear * m + rest * r, np.where(finite, herm, y1 * m / g[1]))
        dvalue = np.where(ok, linear + p * rest * r / m, np.where(finite, dherm, y1 / g[1]))
        return value, dvalue
    k = int(np.clip(np.searchsorted(g, m, side="right") - 1, 1, len(g) - 2))
    h = np.log(g[k + 1] / g[k])
    value, du = _hermite(np.log(m / g[k]) / h, h, lift[:, k], lift[:, k + 1],
                         slope[:, k] * g[k], slope[:, k + 1] * g[k + 1])
    return value, du / m


@dataclass(eq=False)
class PlannerData:
    """Everything the planner page holds, and its arithmetic in numpy.

    Attributes
    ----------
    channels : channel names, the model's order.
    multipliers : ``(M,)`` the grid, multiples of each channel's actual spend in the period
        (``0`` first, ``1`` on it).
    spend : Series channel -> actual spend over the period (currency, all its geos): the
        reference plan, and the unit of the multipliers.
    lift : ``(S, C, M)`` each channel's response curve on the grid, per posterior draw:
        lift over the channel at zero in the period, carryover after it included (target
        units).
    slope : ``(S, C, M)`` its exact derivative in the multiplier (target units per multiple
        of the actual spend; ``inf`` at 0 for a Hill curve with slope below 1).
    observed_multiplier : Series channel -> the largest multiplier whose every week stays
        within the highest weekly spend of the fitted data (``inf``: no spend to scale).
    draw_index : ``(S,)`` positions of the page's draws among the model's draws, flattened
        in ``(chain, draw)`` order (as ``LiftResult.total.values.ravel()``).
    n_model_draws : the model's number of posterior draws.
    dates : the period's weeks; ``geos`` : its geos.
    plans : the optimiser's :class:`~mmmkit.scenarios.BudgetPlan` for each budget, in
        increasing budget order.
    units : the target's unit (``model.kpi_label``).
    """

    channels: list[str]
    multipliers: np.ndarray
    spend: pd.Series
    lift: np.ndarray = field(repr=False)
    slope: np.ndarray = field(repr=False)
    observed_multiplier: pd.Series
    draw_index: np.ndarray = field(repr=False)
    n_model_draws: int
    dates: pd.DatetimeIndex = field(repr=False)
    geos: list[str]
    plans: list[BudgetPlan] = field(default_factory=list, repr=False)
    units: str = "target"

    def at(self, spend: Mapping[str, float] | pd.Series | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
        """Each channel's curve at a plan, as the page computes it.

        Parameters
        ----------
        spend : channel -> planned spend over the period (currency); channels left out keep
            their actual spend.

        Returns
        -------
        ``(lift, marginal_roas)``, each ``(S, C)``: the curve's value at the plan (target
        units, over the channel at zero) and its derivative in the channel's spend (target
        units per currency unit).
        """
        m = self.multiplier(spend)
        S, C, _ = self.lift.shape
        value, dm = np.zeros((S, C)), np.zeros((S, C))
        for c in range(C):
            value[:, c], dm[:, c] = curve_at(self.multipliers, self.lift[:, c],
                                             self.slope[:, c], m[c])
        with np.errstate(divide="ignore", invalid="ignore"):
            mroas = np.where(self.spend.to_numpy() > 0, dm / self.spend.to_numpy(), np.nan)
        return value, mroas

    def multiplier(self, spend: Mapping[str, float] | pd.Series | None = None) -> np.ndarray:
        """``(C,)`` the plan's spend as multiples of the actual spend, checked: finite,
        ``>= 0``, at most the grid's top, zero for channels that spent nothing."""
        plan = self.spend.copy()
        for ch, value in dict(spend if spend is not None else {}).items():
            if ch not in plan.index:
                raise ValueError(f"{ch!r} is not a channel of the model ({self.channels}).")
            plan[ch] = float(value)
        actual = self.spend.to_numpy()
        amounts = plan.to_numpy(dtype=float)
        if not np.all(np.isfinite(amounts)) or (amounts < 0).any():
            raise ValueError(f"planned spend must be finite amounts >= 0, got {dict(plan)}.")
        idle = (actual <= 0) & (amounts > 0)
        if idle.any():
            raise ValueError(f"{self.channels[int(np.argmax(idle))]!r} spent nothing in the "
                             "period, so it has no pattern to scale.")
        m = np.divide(amounts, actual, out=np.zeros_like(amounts), where=actual > 0)
        top = self.multipliers[-1]
        if (m > top * (1 + 1e-9)).any():
            raise ValueError(f"the page's curves reach {top:g}x the actual spend; a plan "
                             f"asks {m.max():.3g}x (pass larger multipliers=).")
        return m

    def summary(self, spend: Mapping[str, float] | pd.Series | None = None,
                prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """The page's results for a plan: change in the target against the actual spend.

        Returns
        -------
        DataFrame indexed by channel plus ``"total"``, columns as
        :meth:`mmmkit.scenarios.LiftResult.summary` (``mean, median, lower, upper`` in
        target units, ``prob_positive``, ``NaN`` where the spend did not change, and
        ``spend_change`` in currency) plus ``spend`` (the plan, currency) and
        ``mroas_mean, mroas_lower, mroas_upper``, the marginal ROAS at the plan (target
        units per currency unit; ``NaN`` in the total row).
        """
        check_prob(prob)
        m = self.multiplier(spend)
        value, mroas = self.at(dict(zip(self.channels, m * self.spend.to_numpy(),
                                        strict=True)))
        k1 = int(np.flatnonzero(self.multipliers == 1.0)[0])
        delta = value - self.lift[:, :, k1]
        frame = stats_frame(np.column_stack([delta, delta.sum(axis=1)]),
                            [*self.channels, "total"], prob=prob, positive=True)
        planned = m * self.spend.to_numpy()
        change = planned - self.spend.to_numpy()
        frame.loc[[ch for ch, d in zip(self.channels, change, strict=True) if d == 0],
                  "prob_positive"] = np.nan
        frame["spend_change"] = np.append(change, change.sum())
        frame["spend"] = np.append(planned, planned.sum())
        roas = stats_frame(mroas, self.channels, prob=prob)
        for key in ("mean", "lower", "upper"):
            frame[f"mroas_{key}"] = np.append(roas[key].to_numpy(), np.nan)
        frame.attrs.update(units=self.units, prob=prob, spend_units="currency",
                           beyond=[ch for ch, mc in zip(self.channels, m, strict=True)
                                   if mc > self.observed_multiplier[ch] * (1 + 1e-9)])
        return frame


# =============================================================================================
# Building the data
# =============================================================================================
def _period(model, start, end) -> tuple:
    """``(start, end)`` of the planning period: the caller's, else the last
    :data:`DEFAULT_WEEKS` fitted weeks (ending at ``end`` when only that is given)."""
    dates = model.fitted_data().dates
    if start is None:
        last = dates[-1] if end is None else pd.Timestamp(end)
        before = dates[dates <= last]
        start = before[max(len(before) - DEFAULT_WEEKS, 0)] if len(before) else last
    return start, end


def _grid(multipliers: Sequence[float] | None) -> np.ndarray:
    """The caller's multipliers, sorted, with 0 and 1 added: the grid the page holds."""
    if multipliers is None:
        return DEFAULT_MULTIPLIERS.copy()
    grid = np.asarray(multipliers, dtype=float).ravel()
    if not np.all(np.isfinite(grid)) or (grid < 0).any():
        raise ValueError("multipliers must be finite numbers >= 0.")
    grid = np.unique(np.r_[0.0, 1.0, grid])
    if grid.size < 3:
        raise ValueError("multipliers need a positive grid point other than 1.")
    return grid


def _draw_index(n_total: int, draws: int | None) -> np.ndarray:
    """``draws`` positions spread evenly over ``n_total`` flattened draws (all: ``None``)."""
    if draws is None or draws >= n_total:
        return np.arange(n_total)
    if int(draws) != draws or draws < 2:
        raise ValueError(f"draws must be a whole number >= 2 (or None for all), got {draws!r}.")
    return np.unique(np.round(np.linspace(0, n_total - 1, int(draws))).astype(int))


def planner_data(
    model,
    *,
    start=None,
    end=None,
    geos: str | Sequence[str] | None = None,
    draws: int | None = DEFAULT_DRAWS,
    multipliers: Sequence[float] | None = None,
    budgets: Sequence[float] | None = None,
    bounds=None,
) -> PlannerData:
    """The numbers a planner page holds: response curves per draw and the optimiser's splits.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    start, end : the planning period, fitted weeks (inclusive), as in
        :func:`mmmkit.scenarios.shift`. Default: the last :data:`DEFAULT_WEEKS` (13) fitted
        weeks. Its actual spend is the reference plan and each channel's pattern is scaled.
    geos : geos in the period (default all); the plan scales every one of them.
    draws : posterior draws the page carries, evenly spaced over chains and draws (``None``:
        all). With 500, 25 draws lie beyond each end of a 90% interval.
    multipliers : grid of multiples of the actual spend the curves are stored at (0 and 1
        are added; the largest is the controls' maximum). Default
        :data:`DEFAULT_MULTIPLIERS`, 0 to 3.
    budgets : total budgets (currency over the period) for the optimiser's split. Default:
        the actual total times :data:`BUDGET_STEPS`; ``()`` for none.
    bounds : the optimiser's ``bounds`` (:func:`mmmkit.scenarios.optimize_budget`; default
        its :data:`~mmmkit.scenarios.DEFAULT_SPEND_RANGE`).

    Returns
    -------
    PlannerData
    """
    grid = _grid(multipliers)
    start, end = _period(model, start, end)
    weeks, geo_idx = window(model, start, end, geos)
    data = model.fitted_data()
    period = dict(start=data.dates[weeks[0]], end=data.dates[weeks[-1]],
                  geos=[data.geos[g] for g in geo_idx])
    curves = response_curves(model, multipliers=grid, **period)
    spend = pd.Series(curves.current["spend"].values, index=pd.Index(model.channels,
                                                                      name="channel"))
    lift = flat(curves.lift.transpose("chain", "draw", "channel", "multiplier"))
    mroas = flat(curves.marginal_roas.transpose("chain", "draw", "channel", "multiplier"))
    idx = _draw_index(lift.shape[0], draws)
    with np.errstate(invalid="ignore"):  # inf * 0 for a channel without spend
        slope = np.where(spend.to_numpy()[None, :, None] > 0,
                         mroas[idx] * spend.to_numpy()[None, :, None], 0.0)
    if budgets is None:
        budgets = [round(float(spend.sum()) * s, 2) for s in BUDGET_STEPS]
    plans = [optimize_budget(model, float(b), bounds, **period, n_uncertainty=0)
             for b in sorted(budgets)] if spend.sum() > 0 else []
    observed = curves.dataset["observed_multiplier"].to_series()
    return PlannerData(
        channels=list(model.channels), multipliers=grid, spend=spend, lift=lift[idx],
        slope=slope, observed_multiplier=observed.rename_axis("channel"), draw_index=idx,
        n_model_draws=lift.shape[0], dates=data.dates[weeks], geos=period["geos"],
        plans=plans, units=kpi_label(model))


# =============================================================================================
# The page
# =============================================================================================
def write_planner(
    model,
    path,
    *,
    start=None,
    end=None,
    geos: str | Sequence[str] | None = None,
    draws: int | None = DEFAULT_DRAWS,
    budgets: Sequence[float] | None = None,
    bounds=None,
    multipliers: Sequence[float] | None = None,
    prob: float = DEFAULT_PROB,
    currency: str | None = None,
    title: str | None = None,
) -> Path:
    """Write the offline scenario planner of a fitted model: one self-contained HTML file.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    path : where to write the ``.html`` file (parent folders are created).
    start, end, geos, draws, multipliers, budgets, bounds : the period, draws, grid and the
        optimiser's splits, as in :func:`planner_data`.
    prob : the credible level of the intervals on the page (0.9: 90%).
    currency : spend unit in labels (default ``model.currency``; without either the page
        says "currency units").
    title : the page's title (default "Scenario planner: <target>").

    Returns
    -------
    Path of the written file. It loads nothing (a Content-Security-Policy of
    ``default-src 'none'`` with hashes of its one script and one style sheet) and computes
    every result in the browser from the curves it holds (see the module docstring).
    """
    check_prob(prob)
    model.fitted_data()
    planner = planner_data(model, start=start, end=end, geos=geos, draws=draws,
                           multipliers=multipliers, budgets=budgets, bounds=bounds)
    currency = currency or getattr(model, "currency", None)
    title = title or f"Scenario planner: {model.target}"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(_payload(model, planner, prob, currency, title)),
                    encoding="utf-8")
    return path


def _finite(x: float) -> float | None:
    """A number for JSON: ``None`` for ``inf`` and ``NaN``."""
    x = float(x)
    return x if np.isfinite(x) else None


def _payload(model, planner: PlannerData, prob: float, currency: str | None,
             title: str) -> dict:
    """Everything the page shows, as JSON-ready data: numbers, curves and words."""
    grid = planner.multipliers
    channels = []
    for c, ch in enumerate(planner.channels):
        spent = float(planner.spend[ch])
        channels.append({
            "name": ch, "spend": spent, "active": spent > 0,
            "observed": _finite(planner.observed_multiplier[ch]),
            **encode_curves(planner.lift[:, c, 1:], planner.slope[:, c, 1:] * grid[1:],
                            planner.slope[:, c, 0]),
        })
    return {
        "title": title, "prob": prob, "level": level(prob),
        "draws": int(planner.lift.shape[0]), "modelDraws": planner.n_model_draws,
        "multipliers": [float(g) for g in grid[1:]],
        "channels": channels,
        "plans": [_plan_entry(p, planner, currency) for p in planner.plans],
        "currency": currency or "", "words": _words(model, planner, prob, currency),
        "glossary": _glossary(model, currency),
    }


def _plan_entry(plan: BudgetPlan, planner: PlannerData, currency: str | None) -> dict:
    """One optimiser split for the page: its budget, allocation and the limits it had."""
    return {"budget": float(plan.budget), "converged": bool(plan.converged),
            "allocation": [float(plan.allocation.get(ch, 0.0)) for ch in planner.channels],
            "limits": _limits_sentence(plan, currency)}


def _limits_sentence(plan: BudgetPlan, currency: str | None) -> str:
    """The limits each channel was held to, and which of them the split presses against."""
    bounds = plan.bounds
    if bounds is None or bounds.empty:
        return ""

    def upper(x: float) -> str:
        return money(x, currency) if np.isfinite(x) else "no limit"

    limits = "; ".join(f"{ch} {money(r['lower'], currency)} to {upper(r['upper'])}"
                       for ch, r in bounds.iterrows())
    held = [f"{ch} ({r['binding']})" for ch, r in bounds.iterrows() if r["binding"]]
    return (f"Each channel keeps its weekly pattern within limits: {limits}."
            + (f" At a limit: {', '.join(held)}: the model would move these further; the "
               "limits keep the split near the spend it learned from." if held else ""))


def _words(model, planner: PlannerData, prob: float, currency: str | None) -> dict:
    """The page's labels and sentences in the model's units."""
    dates = planner.dates
    period = f"{dates[0]:%d %b %Y} – {dates[-1]:%d %b %Y}"
    where = geo_label(model, planner.geos)
    quantity = kpi_quantity(model)
    step = planner.multipliers[2] / planner.multipliers[1]
    from mmmkit import __version__

    return {
        "kpi": kpi_label(model), "change": f"Change in {quantity}",
        "spendUnit": currency_label(model, currency), "roasUnit": roas_unit(model, currency),
        "chance": column_label("prob_positive", prob=prob), "level": level(prob),
        "interval": interval_label(prob), "revenue": is_revenue(model),
        "breakEven": (f"Marginal ROAS below 1 (break-even): the next "
                      f"{per_currency(model, currency)} of spend returns less than it costs."),
        "subtitle": (f"{model.target} · {len(planner.channels)} channels · {where} · "
                     f"planning period {period} ({len(dates)} weeks)"),
        "reference": (f"the actual spend of {period} ({where}, "
                      f"{money(float(planner.spend.sum()), currency)} in total)"),
        "how": ("Each channel keeps its weekly pattern, scaled to the planned total; type "
                "an amount or a percentage, or move the slider (arrow keys: 1% steps)."),
        "caption": (f"Change in {quantity} against the actual spend: mean in bold, its "
                    f"{interval_label(prob)} below; the chance of an increase is the share "
                    "of posterior draws in which the change is above zero."),
        "counted": (f"Changes in {quantity} count the period's weeks and the "
                    f"{model.media.max_lag - 1} week(s) of carryover after them, as ROAS does, "
                    "with the spend before the period carried in."),
        "draws": (f"Intervals and chances come from {len(planner.draw_index):,} of the "
                  f"model's {planner.n_model_draws:,} posterior draws; every number is "
                  "computed draw by draw, as mmmkit.scenarios.shift computes it."),
        "grid": (f"The page holds each draw's response curve at {len(planner.multipliers)} "
                 f"spend levels (0 to {planner.multipliers[-1]:.0%} of the actual spend, "
                 f"{step - 1:.0%} apart) and interpolates between them; the actual spend, "
                 "zero and those levels are exact."),
        "beyond": ("A channel is beyond the data when its highest planned week is above the "
                   "highest week the data contain: its change there is the fitted curve's "
                   "shape extrapolated, an assumption rather than a measurement."),
        "stamp": (f"Generated {_dt.datetime.now():%Y-%m-%d %H:%M} by mmmkit {__version__}. "
                  "This file works offline: it loads nothing and sends nothing."),
    }


def _glossary(model, currency: str | None) -> list[list[str]]:
    """The report's glossary entries the page needs, in the model's units."""
    words = {"t": kpi_label(model), "c": per_currency(model, currency), "one": one_kpi(model)}
    extra = GLOSSARY_REVENUE if is_revenue(model) else GLOSSARY_NOT_REVENUE
    entries = [e for e in GLOSSARY if e[0] in _GLOSSARY_TERMS] + extra
    return [[term.format(**words), text.format(**words)] for term, text in entries]

