"""Plan versus actual: what the model predicted for the weeks that then happened.

``plan_vs_actual(model, actual_df, plan=None, *, prob=0.9, seed=0, outside_run=3) -> PlanCheck``

Given the fitted model a plan was made with and the weeks that followed its fitted period
(the spend actually used, the controls and the actual KPI), the check

* draws the model's predictive distribution of the KPI for the spend actually used
  (:meth:`mmmkit.MMM.predict` with observation noise; the fitted weeks' spend carries over),
  week by week and geo by geo, and says whether each actual fell inside the equal-tailed
  ``prob`` band;
* compares the totals over the period: predicted total with its interval against the actual
  total;
* reports the coverage (share of weeks inside the band) against the nominal ``prob``;
* flags **drift** when the actuals fall outside the band in ``outside_run`` or more
  consecutive weeks (in one geo, or in the total over geos), or when so few weeks fall
  inside that it would be improbable if the model held: the binomial probability of that
  many weeks outside, weeks treated as independent, below :data:`DRIFT_ALPHA`;
* with a plan (a :class:`~mmmkit.optimize.BudgetPlan` or a
  :class:`~mmmkit.plan_files.SavedPlan`): how far the plan was followed (planned spend per
  channel and week against the spend actually used), and the lift the plan promised next to
  what the model now predicts for the spend actually used (see :func:`plan_vs_actual`).

Units: the KPI in the model's ``kpi_label`` (totals summed over weeks and geos), spend in
currency.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.cells import check_finite, parse_geo, parse_numeric
from mmmkit.columns import check_columns
from mmmkit.dates import parse_dates
from mmmkit.design import NATIONAL
from mmmkit.errors import DataError
from mmmkit.model import MMM
from mmmkit.optimize import BudgetPlan
from mmmkit.plan_files import SavedPlan
from mmmkit.provenance import fingerprint
from mmmkit.response import ScenarioWarning, check_on_grid, lift_arrays, stats_frame
from mmmkit.rows import Rows, count_note, day_text, first_true
from mmmkit.stats import DEFAULT_PROB, check_prob, interval
from mmmkit.validation import frame_to_arrays, validate_frame

__all__ = ["DRIFT_ALPHA", "PlanCheck", "binomial_tail", "plan_vs_actual", "run_chance"]

# Coverage counts as improbably low when this many weeks or more outside the band would
# happen with probability below DRIFT_ALPHA if the model held.
DRIFT_ALPHA = 0.01
TOTAL = "total"


# =============================================================================================
# The result
# =============================================================================================
@dataclass(frozen=True, eq=False)
class PlanCheck:
    """The result of :func:`plan_vs_actual`.

    Attributes
    ----------
    weekly : DataFrame, one row per week (and geo, for a panel): ``date``, ``geo`` (panels),
        ``actual`` (KPI), the predictive ``mean``, ``median``, ``lower``, ``upper`` (the
        ``prob`` band, KPI units), ``inside`` (bool), ``side`` (``"above"``, ``"below"`` or
        ``""``) and ``percentile`` (share of predictive draws below the actual, 0..1).
    weekly_total : the same per week for the total over the geos (a national model: the
        series itself).
    totals : DataFrame indexed by geo (panels) plus ``"total"``: ``actual``, ``mean``,
        ``median``, ``lower``, ``upper`` of the KPI summed over the period, ``inside``,
        ``percentile``, ``difference`` (actual minus predicted mean, KPI units) and
        ``difference_pct`` (of the predicted mean).
    channels : DataFrame indexed by channel plus ``"total"``: ``actual`` (spend over the
        period, currency), ``actual_per_week``, ``actual_share`` (of the total); with a plan
        also ``planned`` (the plan's spend over its own weeks, in the geos both cover),
        ``planned_per_week``, ``planned_share``, ``actual_vs_planned`` (actual per week over
        planned per week: 1 is as planned) and ``share_change`` (actual minus planned share).
        ``attrs``: ``units``, ``actual_weeks``, ``planned_weeks``, ``mix_deviation`` (half the
        summed absolute share changes: the share of spend placed differently from the plan).
    lift : with a plan, DataFrame indexed by ``promised``, ``plan_in_actual_weeks``,
        ``actual_spend``, ``actual_minus_plan``: ``mean``, ``median``, ``lower``, ``upper``
        (KPI units, ``prob`` interval), ``prob_positive`` and ``what`` (in words); else
        ``None``.
    drift : whether the actuals left the band repeatedly (see :func:`plan_vs_actual`).
    reasons : plain sentences saying why ``drift`` is what it is (the weeks, the coverage).
    notes : other things to know (a plan made with other data, geos the plan does not cover,
        weeks between the fitted period and the actuals).
    coverage : share of (geo-)weeks inside the band; prob : the nominal share.
    n_points, n_outside : (geo-)weeks checked and outside the band.
    coverage_p_value : probability of ``n_outside`` or more weeks outside if the model held
        (binomial, weeks independent).
    runs : DataFrame of runs of consecutive weeks outside the band: ``series`` (geo or
        ``"total"``), ``first``, ``last``, ``weeks``, ``side``, ``chance`` (probability of a
        run that long in as many weeks if the model held).
    draws : the predictive draws ``(chain, draw, date[, geo])``, KPI units.
    units, spend_units : the KPI's and the spend's unit names.
    fitted_end : the last fitted week; outside_run : the run length that flags drift.
    dates : (property) the actual weeks checked.
    """

    weekly: pd.DataFrame
    weekly_total: pd.DataFrame = field(repr=False)
    totals: pd.DataFrame
    channels: pd.DataFrame
    lift: pd.DataFrame | None
    drift: bool
    reasons: list[str]
    notes: list[str]
    coverage: float
    prob: float
    n_points: int
    n_outside: int
    coverage_p_value: float
    runs: pd.DataFrame = field(repr=False)
    draws: xr.DataArray = field(repr=False)
    units: str = ""
    spend_units: str = "currency"
    fitted_end: pd.Timestamp | None = None
    outside_run: int = 3

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The actual weeks checked."""
        return pd.DatetimeIndex(self.weekly_total["date"])

    def text(self) -> str:
        """A plain-words summary, one topic a line: the period, the totals with their
        interval, the coverage, the drift verdict and why, the plan (if any) and notes."""
        pct = f"{100 * self.prob:g}%"
        dates = self.dates
        total = self.totals.loc[TOTAL]
        geos = [g for g in self.totals.index if g != TOTAL]
        where = f" over {len(geos)} geos" if len(geos) > 1 else ""
        lines = [
            f"Plan vs actual: {len(dates)} week(s), {dates[0].date()} to {dates[-1].date()}"
            f"{where}, after the fitted period (which ends {self.fitted_end.date()}).",
            f"Actual {self.units} over the period: {_num(total['actual'])}; the model predicted "
            f"{_num(total['mean'])} for the spend actually used ({pct} predictive interval "
            f"{_num(total['lower'])} to {_num(total['upper'])}): the actual total is "
            f"{_where(total)} ({_signed_pct(total['difference_pct'])} against the predicted "
            "mean).",
            f"{'Geo-weeks' if 'geo' in self.weekly else 'Weeks'} inside the {pct} predictive band: "
            f"{self.n_points - self.n_outside} of "
            f"{self.n_points} ({self.coverage:.0%}; nominal {pct}).",
            ("Drift: yes. " if self.drift else "Drift: not flagged. ") + " ".join(self.reasons),
        ]
        if self.lift is not None:
            lines += [_spend_sentence(self.channels, self.spend_units),
                      _lift_sentence(self.lift, self.units, pct)]
        lines += self.notes
        lines.append(
            f"The band is the model's {pct} predictive interval for each week (posterior "
            "uncertainty and week-to-week noise): actuals outside it say the model no longer "
            "describes the weeks, not why.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        state = "DRIFT" if self.drift else "no drift"
        return (f"PlanCheck({len(self.dates)} weeks, coverage {self.coverage:.0%} of "
                f"{self.n_points} vs nominal {self.prob:.0%}, {state})")


# =============================================================================================
# The check
# =============================================================================================
def plan_vs_actual(model: MMM, actual_df: pd.DataFrame,
                   plan: BudgetPlan | SavedPlan | None = None, *, prob: float = DEFAULT_PROB,
                   seed: int | None = 0, outside_run: int = 3) -> PlanCheck:
    """What the model predicted for the spend actually used, against the actual KPI.

    Parameters
    ----------
    model : the fitted :class:`~mmmkit.MMM` the plan was made with (or loaded from its file).
    actual_df : the weeks that happened after the fitted period, one row per week (per geo
        for a panel): the model's date column, geo column (panels), every channel's spend
        (currency), every control and the actual target. Geos may be a subset of the
        fitted ones. Not modified.
    plan : the plan made for these weeks, a :class:`~mmmkit.optimize.BudgetPlan` or a
        :class:`~mmmkit.plan_files.SavedPlan` (a saved budget plan), or ``None``.
    prob : the level of the predictive band and of every interval, in (0, 1).
    seed : seeds the predictive noise.
    outside_run : how many consecutive weeks outside the band flag drift (>= 1).

    Returns
    -------
    PlanCheck

    Notes
    -----
    Drift is flagged when (a) in some geo, or in the total over geos, ``outside_run`` or more
    consecutive weeks fall outside the band, or (b) the number of (geo-)weeks outside the
    band is improbably high: its binomial upper tail, with each week outside with
    probability ``1 - prob`` independently, is below :data:`DRIFT_ALPHA` (0.01). Neighbouring
    weeks and geos share shocks, so both probabilities are approximate; ``reasons`` state
    them, and for a run the chance of one that long in as many weeks.

    With a plan, its spend is compared per week: the plan's spend per channel over its own
    weeks divided by their number, against the spend actually used per actual week, in the
    geos both cover. Lifts (KPI units, each with its interval, carryover after the period
    included) are all against the plan's historical split: ``promised`` is the plan's own
    lift over its weeks as saved; ``plan_in_actual_weeks``, ``actual_spend`` and
    ``actual_minus_plan`` lay the plan's and the historical weekly rate per geo and channel
    on the actual weeks' timing (each channel's actual weekly pattern, flat where it spent
    nothing) and compare the spend actually used with them.

    Raises
    ------
    DataError
        ``actual_df`` misses the target or a channel or control column, fails the weekly
        table checks, has weeks inside the fitted period or off its weekly grid, geos the
        model was not fitted on, or a target that is not a finite number — all before
        anything is computed.
    ValueError
        ``prob`` or ``outside_run`` out of range; a plan of other channels, of no geo in
        ``actual_df``, or a saved lift (which holds no spend plan).
    TypeError
        ``model`` is not an MMM, ``plan`` neither a BudgetPlan nor a SavedPlan.
    """
    if not isinstance(model, MMM):
        raise TypeError(f"model must be the fitted mmmkit.MMM the plan was made with, got "
                        f"{type(model).__name__}.")
    data = model.fitted_data()
    check_prob(prob)
    if isinstance(outside_run, bool) or int(outside_run) != outside_run or outside_run < 1:
        raise ValueError(f"outside_run is a number of consecutive weeks, a whole number >= 1, "
                         f"got {outside_run!r}.")
    _check_plan(model, plan)
    actual = _read_actuals(model, actual_df)
    if plan is not None:
        _shared_geos(plan, actual["geos"])
    draws = model.predict(actual_df, include_noise=True, seed=seed)
    geos, dates = actual["geos"], actual["dates"]
    full = draws if "geo" in draws.dims else draws.expand_dims(geo=[NATIONAL], axis=-1)
    full = full.sel(geo=geos).transpose("chain", "draw", "geo", "date")
    flat = full.values.reshape(-1, len(geos), len(dates))  # (S, G, T)
    target = actual["target"]  # (G, T)
    weekly, outside, side = _weekly(flat, target, dates, geos, prob, model.geo is not None)
    weekly_total, out_total, side_total = _weekly(
        flat.sum(axis=1, keepdims=True), target.sum(axis=0, keepdims=True), dates, [TOTAL],
        prob, False)
    runs = _all_runs(outside, side, geos, out_total[0], side_total[0], dates, prob)
    n_points, n_outside = int(outside.size), int(outside.sum())
    p_value = binomial_tail(n_outside, n_points, 1 - prob)
    n_series = len(geos) + (len(geos) > 1)  # each geo, and their total
    drift, reasons = _verdict(runs, (n_points, n_outside, p_value, n_series), prob,
                              outside_run, model)
    notes = _gap_notes(data.dates[-1], dates)
    channels, lift = _spend_table(actual["spend"], len(dates), list(model.channels)), None
    if plan is not None:
        channels, lift, plan_notes = _plan_part(model, plan, actual, prob)
        notes += plan_notes
    return PlanCheck(
        weekly=weekly, weekly_total=weekly_total.drop(columns=["geo"], errors="ignore"),
        totals=_totals(flat, target, geos, prob, model.geo is not None), channels=channels,
        lift=lift, drift=drift, reasons=reasons, notes=notes,
        coverage=1.0 - n_outside / n_points, prob=prob, n_points=n_points,
        n_outside=n_outside, coverage_p_value=p_value, runs=runs, draws=draws,
        units=model.kpi_label, spend_units=model.currency or "currency",
        fitted_end=data.dates[-1], outside_run=int(outside_run))


def _check_plan(model: MMM, plan) -> None:
    if plan is None:
        return
    if not isinstance(plan, BudgetPlan | SavedPlan):
        raise TypeError(f"plan must be a BudgetPlan (optimize_budget) or a SavedPlan "
                        f"(plan_files.load_plan), got {type(plan).__name__}.")
    if isinstance(plan, SavedPlan) and plan.kind == "lift":
        raise ValueError("plan is a saved scenario lift, which holds no spend plan to compare "
                         "with; pass a saved BudgetPlan (or plan=None).")
    channels = list(plan.lift.channels)
    if channels != list(model.channels):
        raise ValueError(f"the plan is for channels {channels}, the model has "
                         f"{list(model.channels)}: pass the model the plan was made with.")


# =============================================================================================
# Reading the actual weeks
# =============================================================================================
def _read_actuals(model: MMM, df: pd.DataFrame) -> dict:
    """``dates``, ``geos``, ``spend`` ``(G, T, C)`` and ``target`` ``(G, T)`` of ``df``,
    checked (every :class:`DataError` names the column or row and says what to change)."""
    data = model.fitted_data()
    last = data.dates[-1]
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"actual_df must be a pandas DataFrame of the actual weeks, got "
                        f"{type(df).__name__}.")
    if model.target not in df.columns:
        raise DataError(
            f"actual_df has no column {model.target!r}, the actual KPI (the model's target); "
            f"add the weeks' actual {model.kpi_label} as column {model.target!r}.")
    try:
        check_columns(df, date=model.date, geo=model.geo, target=model.target,
                      channels=list(model.channels), controls=list(model.controls))
        clean = validate_frame(df, date=model.date, target=None, channels=model.channels,
                               geo=model.geo, controls=model.controls, min_weeks=1,
                               require_spend=False, dayfirst=model.dayfirst,
                               date_format=model.date_format)
    except DataError as err:
        raise DataError(f"actual_df: {err}") from None
    arrays = frame_to_arrays(clean, date=model.date, target=None, channels=model.channels,
                             geo=model.geo, controls=model.controls)
    dates, geos = pd.DatetimeIndex(arrays["dates"]), list(arrays["geos"])
    unknown = [g for g in geos if g not in data.geos]
    if unknown:
        raise DataError(f"actual_df column {model.geo!r} has geo {unknown[0]!r}, which the "
                        f"model was not fitted on (fitted geos: {data.geos[:10]}); pass only "
                        "fitted geos.")
    rows = Rows(df.index)
    rows.dates = parse_dates(df[model.date], name=model.date, rows=rows,
                             dayfirst=model.dayfirst, date_format=model.date_format)
    if model.geo is not None:
        rows.geos = parse_geo(df, geo=model.geo, date=model.date, rows=rows)
    inside = rows.dates <= np.datetime64(last)
    if inside.any():
        pos = first_true(inside)
        raise DataError(
            f"actual_df column {model.date!r} has week {day_text(rows.dates[pos])} at "
            f"{rows.at(pos)}{count_note(inside)}, inside the fitted period "
            f"({data.dates[0].date()} to {last.date()}): pass only weeks after "
            f"{last.date()}.")
    check_on_grid(data.dates[0], dates, f"actual_df column {model.date!r}")
    y = parse_numeric(df[model.target], name=model.target, rows=rows)
    try:
        check_finite({model.target: y}, [], rows)
    except DataError as err:
        raise DataError(f"actual_df: {err}") from None
    target = np.empty((len(geos), len(dates)))
    position = {g: i for i, g in enumerate(geos)}
    g_idx = [position[str(g)] for g in rows.geos] if rows.geos is not None else 0
    target[g_idx, dates.get_indexer(pd.DatetimeIndex(rows.dates))] = y
    return {"dates": dates, "geos": geos, "spend": arrays["spend"], "target": target}


def _gap_notes(last: pd.Timestamp, dates: pd.DatetimeIndex) -> list[str]:
    gap = (dates[0] - last).days // 7 - 1
    if gap <= 0:
        return []
    return [f"{gap} week(s) between the fitted period ({last.date()}) and the first actual "
            f"week ({dates[0].date()}) are in neither; their spend counts as zero, so carryover "
            "into the actual weeks is understated. Include them in actual_df."]


# =============================================================================================
# Weeks, totals, runs
# =============================================================================================
def _weekly(flat: np.ndarray, target: np.ndarray, dates: pd.DatetimeIndex, geos: list[str],
            prob: float, panel: bool):
    """The weekly table of draws ``flat`` ``(S, G, T)`` against ``target`` ``(G, T)``, and
    the ``(G, T)`` outside flags and sides (+1 above, -1 below, 0 inside)."""
    lower, upper = interval(flat, prob)
    side = np.where(target > upper, 1, np.where(target < lower, -1, 0))
    G, T = target.shape
    frame = {"date": np.tile(np.asarray(dates), G)}
    if panel:
        frame["geo"] = np.repeat(np.asarray(geos, dtype=object), T)
    frame.update(
        actual=target.reshape(-1), mean=flat.mean(axis=0).reshape(-1),
        median=np.median(flat, axis=0).reshape(-1), lower=lower.reshape(-1),
        upper=upper.reshape(-1), inside=(side == 0).reshape(-1),
        side=np.array(["below", "", "above"], dtype=object)[side.reshape(-1) + 1],
        percentile=(flat < target[None]).mean(axis=0).reshape(-1))
    out = pd.DataFrame(frame)
    out["side"] = out["side"].astype(str)
    out.attrs.update(prob=prob)
    return out, side != 0, side


def _totals(flat: np.ndarray, target: np.ndarray, geos: list[str], prob: float,
            panel: bool) -> pd.DataFrame:
    """Per geo (panels) and in total: the KPI summed over the period, predicted vs actual."""
    per_geo = flat.sum(axis=2)  # (S, G)
    draws = np.concatenate([per_geo, per_geo.sum(axis=1, keepdims=True)], axis=1)
    actual = np.append(target.sum(axis=1), target.sum())
    names = [*geos, TOTAL]
    if not panel:
        draws, actual, names = draws[:, -1:], actual[-1:], [TOTAL]
    frame = stats_frame(draws, names, prob=prob)
    frame.index.name = "geo"
    frame.insert(0, "actual", actual)
    frame["inside"] = (actual >= frame["lower"].to_numpy()) & (
        actual <= frame["upper"].to_numpy())
    frame["percentile"] = (draws < actual[None]).mean(axis=0)
    frame["difference"] = actual - frame["mean"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["difference_pct"] = 100.0 * frame["difference"] / frame["mean"]
    frame.attrs.update(prob=prob)
    return frame


def run_chance(n_weeks: int, run: int, p_outside: float) -> float:
    """Probability of at least one run of ``run`` or more consecutive weeks outside the band
    in ``n_weeks`` weeks, each outside with probability ``p_outside`` independently."""
    if run > n_weeks:
        return 0.0
    state = np.zeros(run)  # probability of a current run of k weeks outside, no hit yet
    state[0] = 1.0
    hit = 0.0
    for _ in range(n_weeks):
        hit += state[-1] * p_outside
        state = np.concatenate([[state.sum() * (1 - p_outside)], state[:-1] * p_outside])
    return float(min(hit, 1.0))


def binomial_tail(k: int, n: int, p: float) -> float:
    """``P(X >= k)`` for ``X ~ Binomial(n, p)``."""
    if k <= 0:
        return 1.0
    from scipy.stats import binom

    return float(binom.sf(k - 1, n, p))


def _series_runs(outside: np.ndarray, side: np.ndarray, dates: pd.DatetimeIndex, name: str,
                 prob: float) -> list[dict]:
    """The maximal runs of consecutive weeks outside the band of one series ``(T,)``."""
    out, t, T = [], 0, len(outside)
    while t < T:
        if not outside[t]:
            t += 1
            continue
        end = t
        while end + 1 < T and outside[end + 1]:
            end += 1
        sides = set(side[t:end + 1].tolist())
        out.append({"series": name, "first": dates[t], "last": dates[end],
                    "weeks": end - t + 1,
                    "side": {1: "above", -1: "below"}[sides.pop()] if len(sides) == 1
                    else "outside", "chance": run_chance(T, end - t + 1, 1 - prob)})
        t = end + 1
    return out


def _all_runs(outside, side, geos, out_total, side_total, dates, prob) -> pd.DataFrame:
    runs = []
    for g, name in enumerate(geos):
        runs += _series_runs(outside[g], side[g], dates, name, prob)
    if len(geos) > 1:
        runs += _series_runs(out_total, side_total, dates, TOTAL, prob)
    columns = ["series", "first", "last", "weeks", "side", "chance"]
    return pd.DataFrame(runs, columns=columns)


def _verdict(runs: pd.DataFrame, counts: tuple[int, int, float, int], prob: float,
             outside_run: int, model: MMM) -> tuple[bool, list[str]]:
    """``drift`` and the sentences that say why; ``counts``: (geo-)weeks checked, outside
    the band, the binomial probability of that many outside, and the series checked."""
    n_points, n_outside, p_value, n_series = counts
    pct = f"{100 * prob:g}%"
    unit = "weeks" if model.geo is None else "geo-weeks"
    long = runs[runs["weeks"] >= outside_run]
    reasons = []
    for _, r in long.iterrows():
        where = "" if r["series"] == NATIONAL else (
            " in the total over geos" if r["series"] == TOTAL else f" in geo {r['series']}")
        side = {"above": "above", "below": "below"}.get(r["side"], "outside")
        reasons.append(
            f"Actual {model.kpi_label}{where} fell {side} the {pct} predictive band in "
            f"{r['weeks']} consecutive weeks, {r['first'].date()} to {r['last'].date()} "
            f"(if the model held, a run of {r['weeks']} or more in these weeks would happen "
            f"with probability {_prob(r['chance'])}{_any_of(r['chance'], n_series)}).")
    low = p_value < DRIFT_ALPHA
    expected = (1 - prob) * n_points
    coverage = (
        f"{n_points - n_outside} of {n_points} {unit} ({1 - n_outside / n_points:.0%}) "
        f"fell inside the {pct} band; if the model held, {n_outside} or more outside "
        f"(about {expected:.1f} expected) would happen with probability {_prob(p_value)} "
        "(binomial, weeks treated as independent)")
    if low:
        reasons.append(f"Coverage is improbably low: {coverage}.")
    if not reasons:
        reasons.append(f"No run of {outside_run} or more consecutive weeks outside the band; "
                       f"{coverage}, so the actuals are consistent with the model's "
                       "predictions at this level.")
    return bool(len(long) or low), reasons


# =============================================================================================
# The plan
# =============================================================================================
def _spend_table(spend: np.ndarray, n_weeks: int, channels: list[str]) -> pd.DataFrame:
    """Per channel and in total: the spend actually used (currency)."""
    actual = spend.sum(axis=(0, 1))
    actual = np.append(actual, actual.sum())
    frame = pd.DataFrame({"actual": actual, "actual_per_week": actual / n_weeks},
                         index=pd.Index([*channels, TOTAL], name="channel"))
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["actual_share"] = actual / actual[-1]
    frame.attrs.update(units="currency", actual_weeks=n_weeks)
    return frame


def _plan_part(model: MMM, plan, actual: dict, prob: float):
    """The channels table with the plan, the lift table and notes."""
    data = model.fitted_data()
    channels = list(model.channels)
    plan_geos, shared = _shared_geos(plan, actual["geos"])
    notes = _plan_notes(model, plan, actual["geos"], plan_geos, shared)
    n_p, n_a = len(plan.lift.plan_dates), len(actual["dates"])
    a_idx = [actual["geos"].index(g) for g in shared]
    spend = actual["spend"][a_idx]  # (G', T, C)
    planned_gc = plan.allocation_by_geo.loc[shared, channels].to_numpy(dtype=float)
    delta = pd.DataFrame(plan.lift.spend_delta, index=list(plan.lift.geos), columns=channels)
    historical_gc = planned_gc - delta.reindex(shared).to_numpy(dtype=float)
    table = _spend_table(spend, n_a, channels)
    planned = np.append(planned_gc.sum(axis=0), planned_gc.sum())
    table["planned"] = planned
    table["planned_per_week"] = planned / n_p
    with np.errstate(divide="ignore", invalid="ignore"):
        table["planned_share"] = planned / planned[-1]
        table["actual_vs_planned"] = np.where(planned > 0, table["actual_per_week"]
                                              / table["planned_per_week"], np.nan)
    table["share_change"] = table["actual_share"] - table["planned_share"]
    table.attrs.update(planned_weeks=n_p, geos=shared, mix_deviation=float(
        0.5 * np.abs(table["share_change"].to_numpy()[:-1]).sum()))
    geo_idx = [data.geos.index(g) for g in shared]
    lift = _lift_table(model, plan, spend, (planned_gc / n_p, historical_gc / n_p),
                       actual["dates"], (geo_idx, shared), prob)
    return table, lift, notes


def _shared_geos(plan, geos: list[str]) -> tuple[list[str], list[str]]:
    """The plan's geos and those of ``geos`` it covers (``ValueError`` if none)."""
    plan_geos = [str(g) for g in plan.allocation_by_geo.index]
    shared = [g for g in geos if g in plan_geos]
    if not shared:
        raise ValueError(f"the plan covers geos {plan_geos[:10]}, actual_df {geos[:10]}: none "
                         "in common, so there is nothing to compare.")
    return plan_geos, shared


def _plan_notes(model: MMM, plan, actual_geos, plan_geos, shared) -> list[str]:
    notes = []
    left = [g for g in actual_geos if g not in shared]
    if left:
        notes.append(f"The plan does not cover {len(left)} geo(s) of actual_df ("
                     f"{', '.join(left[:5])}); the spend and lift comparison uses the "
                     f"{len(shared)} geo(s) both cover.")
    missing = [g for g in plan_geos if g not in actual_geos]
    if missing:
        notes.append(f"actual_df has no rows for {len(missing)} geo(s) of the plan ("
                     f"{', '.join(missing[:5])}); they are left out of the comparison.")
    saved = plan.fingerprint if isinstance(plan, SavedPlan) else None
    if isinstance(plan, SavedPlan) and saved is None:
        notes.append("The plan's file does not record the data its model was fitted on (saved "
                     "without model=), so this check cannot confirm it is the same model.")
    if saved is not None:
        own = fingerprint(model.fitted_data())
        if saved != own:
            notes.append(
                f"The plan was made with a model fitted on other data (fingerprint "
                f"{saved[:12]}) than this model (fingerprint {own[:12]}): its promised lift "
                "and this check's predictions come from different fits.")
    return notes


def _lift_table(model: MMM, plan, spend: np.ndarray, rates: tuple[np.ndarray, np.ndarray],
                dates: pd.DatetimeIndex, geos: tuple[list[int], list[str]],
                prob: float) -> pd.DataFrame:
    """Promised lift vs the model's lifts for the actual weeks (KPI units, see
    :func:`plan_vs_actual`). ``spend`` ``(G', T, C)`` actual, ``rates`` the planned and the
    historical spend per week ``(G', C)``, ``geos`` the fitted positions and names of the
    ``G'`` geos compared."""
    n_a = len(dates)
    plan_rate, hist_rate = rates
    geo_idx, shared = geos
    totals = spend.sum(axis=1, keepdims=True)  # (G', 1, C)
    with np.errstate(divide="ignore", invalid="ignore"):
        pattern = np.where(totals > 0, spend / totals, 1.0 / n_a)
    planned = plan_rate[:, None, :] * n_a * pattern
    historical = hist_rate[:, None, :] * n_a * pattern
    with warnings.catch_warnings():  # a gap before the weeks is already in the notes
        warnings.simplefilter("ignore", ScenarioWarning)
        actual_lift = lift_arrays(model, spend, historical, dates, geo_idx).total.values
        plan_lift = lift_arrays(model, planned, historical, dates, geo_idx).total.values
    pos = [list(plan.lift.geos).index(g) for g in shared]
    promised = plan.lift.geo_draws[:, :, pos, :].sum(axis=(2, 3)).reshape(-1)
    rows = {
        "promised": (promised, f"the plan's lift over the historical split in its own "
                     f"{len(plan.lift.plan_dates)} weeks and their carryover, as promised "
                     "(in the geos compared)"),
        "plan_in_actual_weeks": (plan_lift.reshape(-1), "the plan's split over the historical "
                                 "one, at the actual weeks' timing"),
        "actual_spend": (actual_lift.reshape(-1), "the spend actually used over the "
                         "historical split, as the model predicts it"),
        "actual_minus_plan": ((actual_lift - plan_lift).reshape(-1), "the spend actually "
                              "used over the plan's split: what departing from it changed"),
    }
    frames = []
    for name, (draws, what) in rows.items():
        frame = stats_frame(draws[:, None], [name], prob=prob, positive=True)
        frame["what"] = what
        frames.append(frame)
    out = pd.concat(frames)
    out.index.name = "lift"
    out.attrs.update(units=model.kpi_label, prob=prob)
    return out


# =============================================================================================
# Words
# =============================================================================================
def _num(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if abs(x) < 5e-4:  # rounding, not a quantity
        return "0"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _any_of(chance: float, n_series: int) -> str:
    if n_series <= 1:
        return ""
    bound = min(1.0, n_series * chance)
    bound_text = "still below 0.1%" if bound < 0.001 else f"at most {_prob(bound)}"
    return (f" in one series; {n_series} were checked (each geo and their total), so in any "
            f"of them {bound_text}")


def _signed_pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:+.1f}%"


def _prob(p: float) -> str:
    if p < 0.001:
        return "below 0.1%"
    return f"{p:.1%}" if p < 0.1 else f"{p:.0%}"


def _where(row: pd.Series) -> str:
    if row["actual"] > row["upper"]:
        return "above the interval"
    if row["actual"] < row["lower"]:
        return "below the interval"
    return "inside the interval"


def _spend_sentence(channels: pd.DataFrame, currency: str) -> str:
    total = channels.loc[TOTAL]
    per = "; ".join(f"{ch} {_ratio(r['actual_vs_planned'])}"
                    for ch, r in channels.drop(index=TOTAL).iterrows())
    return (f"Spend per week: {_num(total['actual_per_week'])} {currency} actually vs "
            f"{_num(total['planned_per_week'])} planned ({_ratio(total['actual_vs_planned'])}"
            f" of plan; by channel: {per}); the channel mix placed "
            f"{channels.attrs['mix_deviation']:.0%} of the spend differently from the plan.")


def _ratio(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"


def _lift_sentence(lift: pd.DataFrame, units: str, pct: str) -> str:
    def one(name: str) -> str:
        r = lift.loc[name]
        return f"{_num(r['mean'])} ({_num(r['lower'])} to {_num(r['upper'])})"

    return (f"Lift over the historical split, {units} with {pct} intervals: promised by the "
            f"plan {one('promised')}; the plan laid on the actual weeks "
            f"{one('plan_in_actual_weeks')}; the spend actually used "
            f"{one('actual_spend')}; actual minus plan {one('actual_minus_plan')}.")
