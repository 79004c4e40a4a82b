"""Budget optimisation: the split of a budget that maximises the (risk-adjusted) lift.

``optimize_budget(model, budget=None, bounds=None, fixed=None, *, ...) -> BudgetPlan``
    The split of a budget across channels (or channel x geo cells, ``per_geo=True``) that
    maximises the expected incremental target, a risk-adjusted version of it, or profit.
``relative(lower, upper) -> Relative``
    Bounds given as relative changes of historical spend.

Each channel keeps its historical weekly and geo pattern, scaled to its new total, so a plan
is a multiplier per channel (or cell). The lift of a plan is computed by the same engine as
every scenario (:mod:`mmmkit.response`); the numerical problem is
:class:`mmmkit.budget_problem.BudgetProblem`. Everything here is also importable from
:mod:`mmmkit.scenarios`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit._threads import with_one_blas_thread
from mmmkit.budget_problem import BudgetProblem, SolverResult
from mmmkit.errors import warn_user
from mmmkit.model import MMM
from mmmkit.response import (
    ChannelBlocks,
    LiftResult,
    ScenarioWarning,
    check_channel,
    keyword_only,
    lift_arrays,
    plan_frame,
    stats_frame,
    window,
)
from mmmkit.stats import DEFAULT_PROB

__all__ = ["DEFAULT_SPEND_RANGE", "OBJECTIVES", "BudgetPlan", "BudgetQuestion", "Relative",
           "SolvedBudget", "budget_plan", "budget_problem", "budget_question",
           "optimize_budget", "plan_spend", "plan_summary", "relative", "solve_budget"]

OBJECTIVES = ("mean", "quantile", "mean_minus_std")
# Default risk parameter per objective: the 5% quantile (the lower end of a 90% interval) and
# one posterior standard deviation.
_DEFAULT_RISK = {"mean": None, "quantile": 0.05, "mean_minus_std": 1.0}
# The optimiser's default range for each channel's total, as multiples of its historical share
# of the budget: a plan then stays near the spend levels the model learned from, where its
# curves are data rather than extrapolated shape (weakly identified channels otherwise draw
# the whole budget on a prior's say-so). Wider moves need explicit bounds.
DEFAULT_SPEND_RANGE = (0.5, 1.5)


# =============================================================================================
# Results and bounds
# =============================================================================================
@dataclass(eq=False)
class BudgetPlan:
    """The budget split recommended by :func:`optimize_budget`.

    Attributes
    ----------
    allocation : Series channel -> spend over the planning period (currency), summing to the
        budget (to less with ``margin``, when spending the rest would lose money).
    historical : Series channel -> actual spend over the same period (currency).
    allocation_by_geo : DataFrame geo x channel (currency) of the recommended spend.
    lift : :class:`~mmmkit.response.LiftResult` of the recommended plan against the actual
        spend, computed by the lift kernel of :func:`mmmkit.scenarios.incremental_lift`,
        independently of the optimiser's own objective.
    uncertainty : DataFrame channel x ``mean, median, lower, upper``: the spread of the
        optimal allocation when each of a subsample of posterior draws is optimised on its
        own (currency). Wide intervals mean the data do not pin down the split. Columns
        ``at_lower_bound`` / ``at_upper_bound`` give the share of those optima at the
        channel's bound, and ``reading`` says in words when a bound, not the data, makes the
        interval narrow.
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
    def model(self):
        """The fitted :class:`~mmmkit.MMM` the plan was made with (what a saved plan records
        as its provenance: ``mmmkit.plan_files.save_plan``)."""
        return self._frame_info.get("model")

    @property
    def binding(self) -> list[str]:
        """Optimised channels sitting at a bound."""
        if self.bounds is None:
            return []
        return [str(ch) for ch in self.bounds.index[self.bounds["binding"] != ""]]

    def summary(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Per channel: ``historical``, ``allocation``, ``change`` (currency),
        ``change_pct``, and the lift's ``lift_mean, lift_lower, lift_upper``."""
        return plan_summary(self.historical, self.allocation, self.lift, self.converged, prob)

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
        :func:`mmmkit.scenarios.incremental_lift` or reused as a reference."""
        info = self._frame_info
        return plan_frame(info["model"], self._plan, info["dates"], info["geos"])

    def __repr__(self) -> str:
        alloc = ", ".join(f"{k}: {v:,.0f}" for k, v in self.allocation.items())
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        return f"BudgetPlan({self.objective}, {state}; {alloc})"


def plan_summary(historical: pd.Series, allocation: pd.Series, lift: LiftResult,
                 converged: bool, prob: float = DEFAULT_PROB) -> pd.DataFrame:
    """A plan's table (:meth:`BudgetPlan.summary`, and a saved plan's): per channel and in
    total ``historical``, ``allocation``, ``change`` (currency), ``change_pct``, and the
    lift's ``lift_mean, lift_lower, lift_upper`` (KPI units, ``prob`` interval)."""
    summary = lift.summary(prob)
    frame = pd.DataFrame({"historical": historical, "allocation": allocation})
    frame.loc["total"] = frame.sum()
    frame["change"] = frame["allocation"] - frame["historical"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change_pct"] = 100.0 * frame["change"] / frame["historical"]
    frame["lift_mean"] = summary["mean"]
    frame["lift_lower"] = summary["lower"]
    frame["lift_upper"] = summary["upper"]
    frame.index.name = "channel"
    frame.attrs.update(prob=prob, units=lift.units, converged=converged)
    return frame


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


def _default_bounds(free: list[str], channels: list[str], hist: np.ndarray, free_budget: float,
                    margin: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Each free channel between :data:`DEFAULT_SPEND_RANGE` times its historical share of the
    free budget (lower bound 0 with ``margin``, where spending less is the point)."""
    h = np.array([hist[channels.index(ch)] for ch in free], dtype=float)
    share = h / h.sum() * free_budget if h.sum() > 0 else np.zeros_like(h)
    low, high = DEFAULT_SPEND_RANGE
    lo = np.zeros_like(share) if margin is not None else low * share
    return lo, high * share


def _bound_spec(model: MMM, bounds, free: list[str], fixed: Mapping[str, float]) -> dict:
    """``{free channel: its bound}`` from the caller's ``bounds`` (a mapping, or one bound
    for every free channel)."""
    if bounds is None:
        return {}
    if not isinstance(bounds, Mapping):
        return dict.fromkeys(free, bounds)
    spec = dict(bounds)
    for ch in spec:
        check_channel(model, ch)
        if ch in fixed:
            raise ValueError(
                f"{ch!r} has bounds but is fixed (or spends nothing in the period, so it "
                "stays at zero); give it one or the other.")
    return spec


def _one_bound(ch: str, b, h: float) -> tuple[float, float]:
    """Lower and upper total (currency) of ``ch`` from its bound ``b`` (a :class:`Relative`
    of its historical spend ``h``, or ``(lo, hi)`` in currency)."""
    if isinstance(b, Relative):
        # A Relative built directly (not through relative()) skips relative()'s checks;
        # NaN would pass every comparison below and make an all-zero "converged" plan.
        if not (np.isfinite(b.lower) and b.lower >= -1 and b.upper >= b.lower):
            raise ValueError(
                f"bounds[{ch!r}] = {b!r}: relative bounds need -1 <= lower <= upper, "
                "lower finite (upper may be inf); build them with scenarios.relative().")
        return h * (1 + b.lower), h * (1 + b.upper)
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
    return low, high


def _parse_bounds(model: MMM, bounds, free: list[str], fixed: Mapping[str, float],
                  hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper totals (currency) of each free channel."""
    channels = list(model.channels)
    lo = np.zeros(len(free))
    hi = np.full(len(free), np.inf)
    for ch, b in _bound_spec(model, bounds, free, fixed).items():
        k = free.index(ch)
        lo[k], hi[k] = _one_bound(ch, b, hist[channels.index(ch)])
    bad = np.flatnonzero(lo > hi)
    if bad.size:
        ch = free[bad[0]]
        raise ValueError(f"bounds for {ch!r}: lower {lo[bad[0]]:,.2f} > upper "
                         f"{hi[bad[0]]:,.2f}.")
    return lo, hi


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
# The optimiser
# =============================================================================================
@keyword_only("start", "end", "objective", "margin", "risk", "n_starts", "seed", "by_geo")
@with_one_blas_thread
def optimize_budget(
    model: MMM,
    budget: float | None = None,
    bounds: Mapping[str, tuple | Relative] | Relative | tuple | None = None,
    fixed: Mapping[str, float | None] | Sequence[str] | None = None,
    *,
    start=None,
    end=None,
    objective: str = "mean",
    margin: float | None = None,
    risk: float | None = None,
    n_starts: int = 4,
    seed: int | None = 0,
    per_geo: bool = False,
    geos: str | Sequence[str] | None = None,
    n_uncertainty: int = 40,
    by_geo: bool | None = None,
) -> BudgetPlan:
    """The split of a budget across channels that maximises the (risk-adjusted) lift.

    Each channel keeps its historical weekly and geo pattern over the planning period, scaled
    to its new total; with ``per_geo=True`` each geo-channel cell is scaled on its own (its
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
    per_geo : one decision per geo: optimise every geo-channel cell (bounds still apply to
        channel totals).
    geos : geos in the planning period (default all); other geos keep their spend.
    n_uncertainty : posterior draws optimised one by one for :attr:`BudgetPlan.uncertainty`
        (``0`` skips it).
    by_geo : deprecated name of ``per_geo`` (``by_geo`` elsewhere, e.g. in
        :meth:`MMM.roas`, means "broken down by geo").

    Everything after ``fixed`` is keyword-only; passing ``start`` ... ``by_geo`` by position
    still works, with a ``DeprecationWarning``.

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
    DeprecationWarning
        ``by_geo=`` given (use ``per_geo=``), or keyword-only arguments passed by position.

    Notes
    -----
    Adstock is linear, so a channel's adstocked spend at multiplier ``m`` is ``m`` times its
    adstocked historical pattern: it is computed once per draw, and each objective evaluation
    is one pass of the saturation curve over ``(draws, geo-weeks)`` with closed-form
    derivatives (exact gradients, vectorised over draws). SLSQP runs from ``n_starts``
    starting splits on a subsample of at most 128 draws; the best is then polished on all
    draws, and optimality is checked from the KKT conditions on all draws.
    """
    question = budget_question(
        model, budget, bounds, fixed, start=start, end=end, objective=objective, margin=margin,
        risk=risk, n_starts=n_starts, geos=geos, n_uncertainty=n_uncertainty,
        per_geo=_per_geo(per_geo, by_geo))
    rng = np.random.default_rng(seed)
    solved = solve_budget(budget_problem(model, question), question, rng)
    plan = plan_spend(model, question, solved)
    lift = lift_arrays(model, plan, question.actual, model.fitted_data().dates[question.weeks],
                       question.geo_idx,
                       description=f"optimised budget ({objective}) vs actual spend")
    return budget_plan(model, question, solved, plan, lift)


# -- the phases of optimize_budget, in order (public: a ModelAverage composes them) ---------
class BudgetQuestion(NamedTuple):
    """A validated optimisation question: the planning window, the historical spend in it,
    the fixed and free channels, the budget and the bounds (see :func:`optimize_budget`)."""

    weeks: np.ndarray  # fitted-week positions of the planning period
    geo_idx: list[int]  # fitted-geo positions in it
    actual: np.ndarray  # (G', T', C) historical spend, currency, user channel order
    hist: np.ndarray  # (C,) its channel totals
    fixed_amount: dict[str, float]
    free: list[str]
    budget: float
    free_budget: float
    lo: np.ndarray  # (free,) lower totals, currency
    hi: np.ndarray
    per_geo: bool
    objective: str
    risk: float | None
    margin: float | None
    n_starts: int
    n_uncertainty: int


def budget_question(model: MMM, budget: float | None = None, bounds=None, fixed=None, *,
                    start=None, end=None, objective: str = "mean", margin: float | None = None,
                    risk: float | None = None, n_starts: int = 4, geos=None,
                    n_uncertainty: int = 40, per_geo: bool = False) -> BudgetQuestion:
    """Validate an :func:`optimize_budget` question on ``model``'s fitted data (every error
    before any computation); the arguments are :func:`optimize_budget`'s."""
    data = model.fitted_data()
    risk = _check_objective(objective, risk, margin, n_starts)
    weeks, geo_idx = window(model, start, end, geos)
    actual = data.spend[np.ix_(geo_idx, weeks)]  # (G', T', C) user order
    hist = actual.sum(axis=1).sum(axis=0)  # (C,)
    fixed_amount = _fixed_amounts(model, fixed, hist)
    free = [ch for ch in model.channels if ch not in fixed_amount]
    budget = float(hist.sum()) if budget is None else float(budget)
    free_budget = _free_budget(budget, fixed_amount)
    lo, hi = _channel_bounds(model, bounds, free, fixed_amount, hist, free_budget, margin)
    return BudgetQuestion(weeks, geo_idx, actual, hist, fixed_amount, free, budget,
                          free_budget, lo, hi, bool(per_geo), objective, risk, margin,
                          int(n_starts), int(n_uncertainty))


def budget_problem(model: MMM, question: BudgetQuestion) -> BudgetProblem | None:
    """The numerical problem of ``question`` on ``model``'s draws (``None``: nothing to
    optimise, no free channel or no free budget)."""
    q = question
    if not (q.free and q.free_budget > 0):
        return None
    blocks = ChannelBlocks.build(model, q.free, q.weeks, q.geo_idx, optimizer=True)
    return BudgetProblem(blocks, q.free, q.lo, q.hi, q.free_budget, per_geo=q.per_geo,
                         objective=q.objective, risk=q.risk, margin=q.margin)


def _per_geo(per_geo: bool, by_geo: bool | None) -> bool:
    """``per_geo``, or the deprecated ``by_geo`` with a warning that names the new name."""
    if by_geo is None:
        return bool(per_geo)
    warn_user("optimize_budget(by_geo=...) is deprecated: use per_geo=... (one decision per "
              "geo); by_geo means 'broken down by geo' elsewhere, e.g. in MMM.roas.",
              DeprecationWarning)
    return bool(per_geo or by_geo)


def _check_objective(objective: str, risk: float | None, margin: float | None,
                     n_starts: int) -> float | None:
    """Validate the objective's options; returns ``risk`` (its default if ``None``)."""
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
    return risk


def _fixed_amounts(model: MMM, fixed, hist: np.ndarray) -> dict[str, float]:
    """``{channel: total}`` of the channels kept out of the optimisation: the caller's
    ``fixed`` (``None`` = historical) and every channel without spend in the period (0)."""
    channels = list(model.channels)
    fixed_amount: dict[str, float] = {}
    if fixed is not None:
        items = fixed.items() if isinstance(fixed, Mapping) else ((ch, None) for ch in fixed)
        for ch, amount in items:
            check_channel(model, ch)
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
    return fixed_amount


def _free_budget(budget: float, fixed_amount: Mapping[str, float]) -> float:
    """The budget left for the optimised channels (``budget`` checked)."""
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a finite amount >= 0, got {budget}.")
    fixed_total = sum(fixed_amount.values())
    free_budget = budget - fixed_total
    if free_budget < -1e-9 * max(budget, 1.0):
        raise ValueError(f"budget {budget:,.2f} is below the fixed channels' total "
                         f"{fixed_total:,.2f}.")
    return max(free_budget, 0.0)


def _channel_bounds(model: MMM, bounds, free: list[str], fixed_amount: Mapping[str, float],
                    hist: np.ndarray, free_budget: float,
                    margin: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper totals (currency) of the free channels, checked against the budget."""
    if bounds is None:
        lo, hi = _default_bounds(free, list(model.channels), hist, free_budget, margin)
    else:
        lo, hi = _parse_bounds(model, bounds, free, fixed_amount, hist)
    if lo.sum() > free_budget * (1 + 1e-12) + 1e-9:
        raise ValueError(
            f"Infeasible: the lower bounds sum to {lo.sum():,.2f}, more than the budget left "
            f"for the optimised channels ({free_budget:,.2f}).")
    if margin is None and hi.sum() < free_budget * (1 - 1e-12) - 1e-9:
        raise ValueError(
            f"Infeasible: the upper bounds sum to {hi.sum():,.2f}, less than the budget left "
            f"for the optimised channels ({free_budget:,.2f}); raise them or the budget.")
    return lo, hi


class SolvedBudget(NamedTuple):
    """The solver's answer to a :class:`BudgetQuestion`."""

    problem: BudgetProblem | None  # None: nothing to optimise
    result: SolverResult
    draws_alloc: np.ndarray  # (n_uncertainty, free channels) currency


def solve_budget(problem: BudgetProblem | None, question: BudgetQuestion,
                 rng: np.random.Generator) -> SolvedBudget:
    """Solve ``problem`` (warning if not converged) and optimise ``n_uncertainty`` single
    draws for the spread of the split."""
    if problem is None:
        result = SolverResult(y=np.zeros(0), value=0.0, converged=True,
                              message="nothing to optimise", amounts=np.zeros(0))
        return SolvedBudget(None, result, np.zeros((0, len(question.free))))
    result = problem.solve(n_starts=question.n_starts, rng=rng)
    if not result.converged:
        warn_user(
            f"optimize_budget did not converge ({result.message}); the plan is the best "
            "feasible split found, not a verified optimum. Try more n_starts, looser "
            "bounds or objective='mean'.", ScenarioWarning)
    return SolvedBudget(problem, result, problem.per_draw(result.y, question.n_uncertainty, rng))


def plan_spend(model: MMM, question: BudgetQuestion, solved: SolvedBudget) -> np.ndarray:
    """The plan ``(G', T', C)`` currency: each cell's historical weekly pattern scaled."""
    q = question
    return q.actual * _plan_factors(model, q.actual, q.fixed_amount, q.free, solved)[:, None, :]


def _bound_readings(table: pd.DataFrame, draws_alloc: np.ndarray, lo: np.ndarray,
                    hi: np.ndarray, free_budget: float) -> pd.DataFrame:
    """``table`` with the share of per-draw optima that sit at each channel's lower and upper
    bound, and a ``reading`` in words: a channel held at a bound by most draws gets a narrow
    interval from the bound, not from the data, and must not read as certainty."""
    out = table.copy()
    n = draws_alloc.shape[0]
    cap = np.minimum(hi, free_budget)
    tol = 1e-4 * max(free_budget, 1.0)
    if n:
        at_lo = (np.abs(draws_alloc - lo[None, :]) <= tol).mean(axis=0)
        at_hi = (np.abs(draws_alloc - cap[None, :]) <= tol).mean(axis=0)
    else:
        at_lo = at_hi = np.full(len(lo), np.nan)
    out["at_lower_bound"] = at_lo
    out["at_upper_bound"] = at_hi
    words = []
    for a, b in zip(at_lo, at_hi, strict=True):
        side, share = ("lower", a) if (a >= b) else ("upper", b)
        if not n or not share >= 0.5:
            words.append("")
        else:
            words.append(f"held at its {side} bound in {share:.0%} of draws: the range shows "
                         "the bound, not how sure the data are; widen the bound to see more")
    out["reading"] = words
    return out


def _plan_factors(model: MMM, actual: np.ndarray, fixed_amount: Mapping[str, float],
                  free: list[str], solved: SolvedBudget) -> np.ndarray:
    """``(G', C)`` multiplier of each geo-channel cell's historical spend in the plan."""
    channels = list(model.channels)
    hist_gc = actual.sum(axis=1)  # (G', C)
    hist = hist_gc.sum(axis=0)
    factor_gc = np.ones_like(hist_gc)
    for ch, amount in fixed_amount.items():
        c = channels.index(ch)
        factor_gc[:, c] = amount / hist[c] if hist[c] > 0 else 0.0
    if solved.problem is None:  # a zero free budget: every optimised channel goes to zero
        for ch in free:
            factor_gc[:, channels.index(ch)] = 0.0
        return factor_gc
    for (ch, g), amount in zip(solved.problem.cells, solved.result.amounts, strict=True):
        c = channels.index(ch)
        if g is None:
            factor_gc[:, c] = amount / hist[c]
        else:
            factor_gc[g, c] = amount / hist_gc[g, c]
    return factor_gc


def budget_plan(model: MMM, question: BudgetQuestion, solved: SolvedBudget, plan: np.ndarray,
                lift: LiftResult) -> BudgetPlan:
    """The :class:`BudgetPlan` of the plan ``(G', T', C)``, its ``lift`` and the solver's
    answers (``model`` gives the dates, geos and channels)."""
    q = question
    hist, free, lo, hi, weeks, geo_idx = q.hist, q.free, q.lo, q.hi, q.weeks, q.geo_idx
    objective, risk, margin, budget = q.objective, q.risk, q.margin, q.budget
    data = model.fitted_data()
    channels = list(model.channels)
    geos_sel = [data.geos[g] for g in geo_idx]
    geo_frame = pd.DataFrame(plan.sum(axis=1), index=pd.Index(geos_sel, name="geo"),
                                columns=pd.Index(channels, name="channel"))
    allocation = geo_frame.sum(axis=0).rename("allocation")
    historical = pd.Series(hist, index=pd.Index(channels, name="channel"), name="historical")
    draws_alloc = solved.draws_alloc
    alloc_da = xr.DataArray(draws_alloc, dims=("sample", "channel"),
                            coords={"sample": np.arange(draws_alloc.shape[0]), "channel": free},
                            name="optimal_allocation", attrs={"units": "currency"})
    if draws_alloc.shape[0]:
        uncertainty = stats_frame(draws_alloc, free, prob=DEFAULT_PROB)
    else:
        uncertainty = pd.DataFrame(columns=["mean", "median", "lower", "upper"],
                                   index=pd.Index(free, name="channel"), dtype=float)
    uncertainty = _bound_readings(uncertainty, draws_alloc, lo, hi, q.free_budget)
    uncertainty.attrs.update(units="currency", prob=DEFAULT_PROB,
                             n_draws=int(draws_alloc.shape[0]))
    result = solved.result
    return BudgetPlan(
        allocation=allocation, historical=historical, allocation_by_geo=geo_frame,
        lift=lift, uncertainty=uncertainty, allocation_draws=alloc_da,
        converged=bool(result.converged), message=result.message, objective=objective,
        risk=risk, margin=margin, objective_value=float(result.value), budget=budget,
        _plan=plan, _frame_info={"model": model, "dates": data.dates[weeks], "geos": geos_sel},
        bounds=_bounds_frame(free, lo, hi, allocation),
    )
