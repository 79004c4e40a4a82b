"""The numerical problem behind :func:`mmmkit.optimize.optimize_budget`.

Maximise a risk functional (mean, Harrell-Davis quantile, mean minus a multiple of the sd) of
the per-draw lift over shares of a budget, within box bounds, by SLSQP with exact gradients:
each channel's response is precomputed once per draw (:class:`mmmkit.response.ChannelBlocks`),
so an evaluation is one pass of the saturation curve. Starts explore on a subsample of draws;
the best start is polished on all of them and checked for first-order optimality.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy.special import betainc

from mmmkit.response import (
    THREAD_MIN_ELEMENTS,
    ChannelBlock,
    ChannelBlocks,
    parallel_map,
)

# Multi-start exploration runs on at most this many draws; the best start is then polished on
# all draws. Starts only need to find the right basin, and this keeps a 1000-draw optimisation
# at a handful of full evaluations.
EXPLORE_DRAWS = 128


class SolverResult(NamedTuple):
    """What :meth:`BudgetProblem.solve` found."""

    y: np.ndarray  # decision vector: shares of the free budget per variable
    value: float  # objective in target (profit) units
    converged: bool
    message: str
    amounts: np.ndarray  # currency per variable


class BudgetProblem:
    """Maximise a risk functional of the per-draw lift over budget shares.

    Variables are shares ``y`` of the free budget ``B``: one per channel, or one per
    geo-channel cell with spend (``per_geo``). A variable's multiplier of its historical
    pattern is ``m = y * B / historical``. Per draw ``s`` the lift is
    ``sum_blocks sum_geos (term(m) - term(1))``; its gradient in ``y`` is exact.

    Parameters
    ----------
    blocks : the free channels' precomputed responses over the planning period.
    free : the free channels, in the order of ``lo`` and ``hi``.
    lo, hi : bounds on each free channel's total, currency.
    budget : the free budget ``B``, currency.
    per_geo : one variable per geo-channel cell instead of one per channel.
    objective, risk, margin : see :func:`mmmkit.optimize.optimize_budget`.
    block_list, ref : the blocks and their terms at multiplier 1 (for :meth:`subset`).
    """

    def __init__(self, blocks: ChannelBlocks, free: list[str], lo: np.ndarray,
                 hi: np.ndarray, budget: float, *, per_geo: bool, objective: str,
                 risk: float | None, margin: float | None,
                 block_list: list[ChannelBlock] | None = None,
                 ref: list[np.ndarray] | None = None):
        self.blocks = blocks
        self.free = free
        self.budget = budget
        self.per_geo = per_geo
        self.objective, self.risk, self.margin = objective, risk, margin
        self.lo_c, self.hi_c = lo, hi  # per free channel, currency
        self.block_list = block_list if block_list is not None else [
            blocks.blocks[ch] for ch in free]
        self._set_variables()
        self.S = self.block_list[0].coef.shape[0]
        if ref is None:  # the blocks' terms at the historical spend (multiplier 1)
            ref = [b.response(np.ones(b.n_geos))[0].sum(axis=1) for b in self.block_list]
        self.ref = ref
        scale = float(np.mean(sum(ref)))
        self.scale = (scale if scale > 0 else 1.0) * (margin or 1.0)
        self.channel_constraints = per_geo and bool(
            np.any(lo > 0) or np.any(hi < budget * (1 - 1e-12)))
        self.threads = sum(np.prod(b.shape) for b in self.block_list) >= THREAD_MIN_ELEMENTS

    def _set_variables(self) -> None:
        """The decision variables: ``cells`` ``(channel, geo position or None)``, their
        historical spend ``hist``, share bounds ``lo``/``hi`` and each block's ``var_of``."""
        cells, hist, var_lo, var_hi = [], [], [], []
        self.var_of: list[np.ndarray] = []  # variables of each block
        budget = self.budget
        for k, block in enumerate(self.block_list):
            if self.per_geo:
                idx = np.arange(len(cells), len(cells) + block.n_geos)
                for g, total in zip(block.geo_pos, block.total, strict=True):
                    cells.append((block.channel, int(g)))
                    hist.append(total)
                    var_lo.append(0.0)
                    var_hi.append(min(self.hi_c[k], budget))
            else:
                idx = np.array([len(cells)])
                cells.append((block.channel, None))
                hist.append(block.total.sum())
                var_lo.append(self.lo_c[k])
                var_hi.append(min(self.hi_c[k], budget))
            self.var_of.append(idx)
        self.cells = cells
        self.hist = np.asarray(hist, dtype=float)
        self.lo = np.asarray(var_lo) / budget
        self.hi = np.asarray(var_hi) / budget
        self.n = len(cells)

    def subset(self, idx: np.ndarray, objective: str | None = None) -> BudgetProblem:
        """The same problem on the draws ``idx`` (optionally with another objective)."""
        return BudgetProblem(
            self.blocks, self.free, self.lo_c, self.hi_c, self.budget, per_geo=self.per_geo,
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
            m = np.full(block.n_geos, m_var[idx[0]]) if not self.per_geo else m_var[idx]
            return block.response(m)

        parts = parallel_map(one, range(len(self.block_list)), threads=self.threads)
        total = np.zeros(self.S)
        jac = np.zeros((self.S, self.n))
        for k, (value, dm) in enumerate(parts):
            idx = self.var_of[k]
            total += value.sum(axis=1) - self.ref[k]
            if self.per_geo:
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
        value, weights = risk_functional(values, self.objective, self.risk)
        return value, weights @ jac

    # -- feasible points -----------------------------------------------------------------------
    def project(self, v: np.ndarray) -> np.ndarray:
        """A feasible point near ``v``: ``clip(v + t, lo, hi)`` summing to 1 (bisection on
        ``t``; with ``margin`` only when the clipped point would overspend), with channel
        constraints (per_geo) met by fitting channel totals first and splitting them by
        ``v``."""
        if self.per_geo and self.channel_constraints:
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
            return clip_to_sum(v, lo, hi, 1.0)
        return x

    def starts(self, n_starts: int, rng: np.random.Generator) -> list[np.ndarray]:
        """The historical split first (scaled to the budget; with ``margin``, the historical
        amounts), then random feasible splits."""
        if self.margin is None:
            out = [self.project(self.hist / self.hist.sum())]
        else:
            out = [self.project(self.hist / self.budget)]
        for _ in range(n_starts - 1):
            share = rng.dirichlet(np.ones(self.n))
            if self.margin is not None:  # spend part of the cap
                share = share * rng.uniform(0.2, 1.0)
            out.append(self.project(share))
        return out

    # -- solving -------------------------------------------------------------------------------
    def _constraints(self) -> list[dict]:
        """SLSQP's constraints: the budget (spent in full, or at most with ``margin``), and
        with per-geo variables the channel totals' bounds."""
        if self.margin is None:
            cons = [{"type": "eq", "fun": lambda y: np.array([y.sum() - 1.0]),
                     "jac": lambda y: np.ones((1, y.size))}]
        else:  # spend at most the budget
            cons = [{"type": "ineq", "fun": lambda y: np.array([1.0 - y.sum()]),
                     "jac": lambda y: -np.ones((1, y.size))}]
        if self.per_geo and self.channel_constraints:
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
        return cons

    def minimize(self, y0: np.ndarray, maxiter: int = 300):
        """SLSQP from ``y0``: ``(feasible y, solver message, solver success)``."""
        from scipy.optimize import minimize

        def fun(y):
            value, grad = self.evaluate(y)
            return -value / self.scale, -grad / self.scale

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = minimize(fun, y0, jac=True, method="SLSQP",
                           bounds=list(zip(self.lo, self.hi, strict=True)),
                           constraints=self._constraints(),
                           options={"maxiter": maxiter, "ftol": 1e-10})
        y = self.project(np.clip(res.x, self.lo, self.hi)) if np.all(
            np.isfinite(res.x)) else y0
        return y, str(res.message), bool(res.success)

    def kkt(self, y: np.ndarray, tol: float = 1e-3) -> bool:
        """First-order optimality of ``y`` for the box + budget problem (maximisation)."""
        if self.per_geo and self.channel_constraints:
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
        if self.per_geo and self.channel_constraints:
            return False
        g = self.evaluate(y)[1] / self.scale
        gain, _ = self.best_transfer(y)
        return bool(gain <= tol * max(1.0, float(np.max(np.abs(g)))))

    def solve(self, n_starts: int, rng: np.random.Generator) -> SolverResult:
        """Multi-start SLSQP (:meth:`explore`), then, unless the solver's own test is all
        there is (per-geo channel constraints), the optimality check with kink escapes
        (:meth:`escape_kinks`)."""
        y, message, success = self.explore(n_starts, rng)
        value = self.evaluate(y)[0]
        if not np.isfinite(value):  # NaN compares false everywhere: no test would catch it
            return SolverResult(
                y=y, value=value, converged=False, amounts=y * self.budget,
                message="the lift is not a finite number on some posterior draws, so no split "
                        "can be compared with another (a transform's value overflowed); the "
                        "plan is the start, not an optimum")
        if self.per_geo and self.channel_constraints:
            converged = success
        else:
            y, message, success, converged = self.escape_kinks(y, message, success)
        if not converged and success:
            message = f"{message}; optimality conditions not met"
        value = self.evaluate(y)[0]
        return SolverResult(y=y, value=value, converged=converged, message=message,
                            amounts=y * self.budget)

    def explore(self, n_starts: int, rng: np.random.Generator):
        """The best of ``n_starts`` SLSQP runs on a subsample of at most
        :data:`EXPLORE_DRAWS` draws, polished on all draws: ``(y, message, success)``."""
        explore = self
        if self.S > EXPLORE_DRAWS:
            explore = self.subset(np.sort(rng.choice(self.S, EXPLORE_DRAWS, replace=False)))
        tried = []
        for y0 in explore.starts(n_starts, rng):
            y, message, success = explore.minimize(y0)
            tried.append((explore.evaluate(y)[0], y, message, success))
        _, y, message, success = max(tried, key=lambda t: t[0])
        if explore is not self:
            polished, message, success = self.minimize(y)
            if self.evaluate(polished)[0] >= self.evaluate(y)[0]:
                y = polished
        return y, message, success

    def escape_kinks(self, y: np.ndarray, message: str, success: bool, rounds: int = 5):
        """Where SLSQP stalled on a kink (:meth:`best_transfer`), step along the improving
        move and polish again, up to ``rounds`` times: ``(y, message, success, converged)``."""
        converged = self.optimal(y)
        for _ in range(rounds):
            if converged:
                break
            gain, d = self.best_transfer(y)
            if d is None or not gain > 0:
                break
            moved = None
            for t in (1e-2, 1e-3, 1e-4, 1e-5):
                trial = self.project(y + t * d)
                if self.evaluate(trial)[0] > self.evaluate(y)[0]:
                    moved = trial
                    break
            if moved is None:
                break
            polished, message, success = self.minimize(moved)
            y = polished if self.evaluate(polished)[0] >= self.evaluate(moved)[0] else moved
            converged = self.optimal(y)
        return y, message, success, converged

    def per_draw(self, y_opt: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Optimal allocation per free channel ``(n, C_free)`` for ``n`` single draws."""
        n = min(int(n), self.S)
        if n <= 0:
            return np.zeros((0, len(self.free)))
        idx = np.sort(rng.choice(self.S, n, replace=False))
        out = np.zeros((n, len(self.free)))
        for i, s in enumerate(idx):
            single = self.subset(np.array([s]), objective="mean")
            y, _, _ = single.minimize(y_opt)
            amounts = y * self.budget
            for k, var in enumerate(self.var_of):
                out[i, k] = amounts[var].sum()
        return out


class PooledProblem(BudgetProblem):
    """One budget problem over the pooled draws of several models of the same data.

    For a mixture of candidate specifications (:class:`mmmkit.ModelAverage`): each part is a
    :class:`BudgetProblem` of one candidate on the draws it contributes, and the pooled
    per-draw lift is the parts' lifts side by side, so the objective (a mean, a quantile, a
    mean minus sds) is taken over the mixture's draws. The decision variables are the
    parts' (same channels, period, historical spend and bounds, checked). Every solver
    method of :class:`BudgetProblem` works unchanged on it.
    """

    def __init__(self, parts: list[BudgetProblem]):
        if not parts:
            raise ValueError("PooledProblem needs at least one part.")
        first = parts[0]
        for part in parts[1:]:
            if part.cells != first.cells or not np.allclose(part.hist, first.hist) \
                    or part.budget != first.budget:
                raise ValueError("the parts of a pooled budget problem must share the "
                                 "decision variables (channels, period, spend, budget).")
        self.parts = parts
        for name in ("blocks", "free", "budget", "per_geo", "objective", "risk", "margin",
                     "lo_c", "hi_c", "block_list", "var_of", "cells", "hist", "lo", "hi", "n",
                     "channel_constraints", "threads"):
            setattr(self, name, getattr(first, name))
        self.S = sum(part.S for part in parts)
        self.ref = [np.concatenate([part.ref[k] for part in parts])
                    for k in range(len(first.ref))]
        scale = float(np.mean(sum(self.ref)))
        self.scale = (scale if scale > 0 else 1.0) * (self.margin or 1.0)

    def subset(self, idx: np.ndarray, objective: str | None = None) -> PooledProblem:
        """The pooled problem on the pooled draws ``idx``."""
        idx = np.asarray(idx)
        bounds = np.cumsum([0] + [part.S for part in self.parts])
        parts = []
        for part, lo, hi in zip(self.parts, bounds[:-1], bounds[1:], strict=True):
            local = idx[(idx >= lo) & (idx < hi)] - lo
            if local.size:
                parts.append(part.subset(local, objective))
        return PooledProblem(parts)

    def lift(self, y: np.ndarray):
        """Per-draw lift ``(S,)`` over the pooled draws and its Jacobian ``(S, n)``."""
        values, jacs = zip(*(part.lift(y) for part in self.parts), strict=True)
        return np.concatenate(values), np.concatenate(jacs, axis=0)


def risk_functional(values: np.ndarray, objective: str, risk: float | None):
    """The objective over draws and its weights ``d objective / d values`` ``(S,)``.

    ``"mean"``; ``"mean_minus_std"``: mean minus ``risk`` population sds; ``"quantile"``: the
    Harrell-Davis ``risk`` quantile, a Beta-weighted average of the sorted draws.
    """
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


def clip_to_sum(v: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float) -> np.ndarray:
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
