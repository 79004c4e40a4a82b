"""Answers averaged over candidate specifications, so that not knowing the form shows.

A single fit conditions on one carryover and one curve family; its intervals say nothing
about how the answer would change under another plausible form, and that uncertainty is often
the larger one. :class:`ModelAverage` takes several fitted candidates of the same data, weighs
them by Bayesian stacking of their leave-one-out predictive densities (Yao, Vehtari, Simpson
and Gelman 2018, "Using Stacking to Average Bayesian Predictive Distributions"; ArviZ's
``compare``), and answers from the mixture of their posteriors: each quantity's draws are
pooled across candidates in proportion to the weights. Where the candidates agree the mixture
is as narrow as each; where they disagree its interval spans them.

Any quantity a fitted model gives as draws works: ROAS, marginal ROAS, contributions, and the
lift of any scenario (``lambda m: scenarios.move(m, ...).total``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.budget_problem import PooledProblem
from mmmkit.evaluation import compare
from mmmkit.model import MMM
from mmmkit.optimize import (
    BudgetPlan,
    budget_plan,
    budget_problem,
    budget_question,
    plan_spend,
    solve_budget,
)
from mmmkit.response import LiftResult, lift_arrays
from mmmkit.stats import check_prob, summarize


class ModelAverage:
    """Several fitted specifications of the same data, answering as one mixture.

    Parameters
    ----------
    models : ``{name: fitted MMM}``, all fitted to the same target (checked), at least two.
    weights : ``"stacking"`` (default: stacking of PSIS-LOO predictive densities), or a
        mapping ``{name: weight}`` (non-negative, normalised here) to impose them.
    seed : seeds which draws of each candidate enter the mixture.

    Attributes
    ----------
    weights_ : Series name -> weight (sums to 1).
    comparison_ : the :func:`mmmkit.evaluation.compare` table the weights came from (``None``
        for given weights).
    """

    def __init__(self, models: Mapping[str, MMM], weights: str | Mapping[str, float] = "stacking",
                 seed: int = 0) -> None:
        if len(models) < 2:
            raise ValueError("ModelAverage needs at least two fitted models, as {name: model}.")
        for name, m in models.items():
            if not isinstance(m, MMM) or m.idata is None:
                raise ValueError(f"Model {name!r} is not a fitted mmmkit.MMM: fit it first.")
        self.models = dict(models)
        self.seed = seed
        if isinstance(weights, str):
            if weights != "stacking":
                raise ValueError(f"weights must be 'stacking' or a mapping, got {weights!r}.")
            table = compare(self.models)
            self.comparison_ = table
            w = table["weight"].reindex(list(self.models)).astype(float)
        else:
            unknown = sorted(set(weights) - set(self.models))
            if unknown:
                raise ValueError(f"weights name {unknown}, which are not among the models "
                                 f"{list(self.models)}.")
            w = pd.Series({n: float(weights.get(n, 0.0)) for n in self.models})
            if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
                raise ValueError(f"weights must be finite, >= 0 and not all 0, got {dict(w)}.")
            self.comparison_ = None
        self.weights_ = (w / w.sum()).rename("weight")
        self.weights_.index.name = "model"

    # -- the mixture -----------------------------------------------------------------------
    def counts(self) -> pd.Series:
        """Draws each candidate contributes: ``N * weight`` rounded (largest remainders), with
        ``N`` the smallest candidate's number of draws, so no draw is used twice."""
        n = min(m.idata.posterior.sizes["chain"] * m.idata.posterior.sizes["draw"]
                for m in self.models.values())
        raw = self.weights_.to_numpy() * n
        k = np.floor(raw).astype(int)
        k[np.argsort(-(raw - k), kind="stable")[: n - k.sum()]] += 1
        return pd.Series(k, index=self.weights_.index, name="draws")

    def draws(self, quantity: Callable[[MMM], xr.DataArray]) -> xr.DataArray:
        """The mixture's draws of ``quantity(model)`` (a DataArray with ``chain`` and
        ``draw`` dims and the same other dims for every candidate) as ``(chain=1, draw)``,
        with a ``model`` coordinate on ``draw`` saying where each draw came from."""
        return self._mix({name: quantity(self.models[name]) for name in self.picks()})

    def _each(self, quantity: Callable[[MMM], xr.DataArray]) -> dict[str, xr.DataArray]:
        """``quantity`` of every candidate, each computed once (the mixture and the
        per-candidate columns both read it)."""
        return {name: quantity(m) for name, m in self.models.items()}

    def picks(self) -> dict[str, np.ndarray]:
        """Which draws of each candidate enter the mixture: ``{name: flat draw indices}``
        (chain-major), :meth:`counts` of them, chosen without replacement with ``seed``. Every
        answer of the mixture uses these same draws."""
        rng = np.random.default_rng(self.seed)
        out = {}
        for name, count in self.counts().items():
            if count == 0:
                continue
            post = self.models[name].idata.posterior
            n = post.sizes["chain"] * post.sizes["draw"]
            out[name] = np.sort(rng.choice(n, size=int(count), replace=False))
        return out

    def _mix(self, values: Mapping[str, xr.DataArray]) -> xr.DataArray:
        parts, origin = [], []
        for name, pick in self.picks().items():
            flat = values[name].stack(sample=("chain", "draw")).transpose("sample", ...)
            parts.append(flat.isel(sample=pick).drop_vars(["sample", "chain", "draw"],
                                                          errors="ignore").values)
            origin += [name] * len(pick)
            template = flat
        values = np.concatenate(parts, axis=0)[None]
        other = [d for d in template.dims if d != "sample"]
        coords = {d: template[d].values for d in other if d in template.coords}
        out = xr.DataArray(values, dims=("chain", "draw", *other),
                           coords={"chain": [0], "draw": np.arange(values.shape[1]), **coords},
                           name=template.name, attrs=dict(template.attrs))
        return out.assign_coords(model=("draw", np.array(origin)))

    # -- readers ---------------------------------------------------------------------------
    def roas_draws(self, marginal: bool = False) -> xr.DataArray:
        """Mixture draws of (marginal) ROAS ``(chain, draw, channel)``; see
        :meth:`mmmkit.MMM.roas_draws`. Every candidate must have the same channels."""
        self._check_same_channels()
        return self.draws(lambda m: m.roas_draws(marginal=marginal))

    def _check_same_channels(self) -> None:
        if len({tuple(m.channels) for m in self.models.values()}) > 1:
            raise ValueError("ROAS can be averaged only over models with the same channels.")

    def roas(self, *, prob: float = 0.9, marginal: bool = False) -> pd.DataFrame:
        """ROAS per channel from the mixture: ``mean, median, lower, upper`` (as
        :meth:`mmmkit.MMM.roas`), plus each candidate's mean in a column of its own."""
        check_prob(prob)
        self._check_same_channels()
        each = self._each(lambda m: m.roas_draws(marginal=marginal))
        da = self._mix(each)
        table = pd.DataFrame(summarize(da.values[0], prob),
                             index=pd.Index(list(da["channel"].values), name="channel"))
        for name, own in each.items():
            table[f"mean ({name})"] = own.mean(("chain", "draw")).to_series()
        table.attrs.update(units=da.attrs.get("units", ""), prob=prob,
                           weights=self.weights_.to_dict())
        return table

    def summary(self, quantity: Callable[[MMM], xr.DataArray], *, prob: float = 0.9
                ) -> pd.DataFrame:
        """``mean, median, lower, upper`` of any quantity under the mixture and, per row, each
        candidate's own mean: e.g. ``avg.summary(lambda m: scenarios.move(m, 1e5, "tv",
        "social").total)``."""
        check_prob(prob)
        each = self._each(quantity)
        mixed = self._mix(each)
        flat = mixed.values.reshape(mixed.sizes["draw"], -1)
        if flat.shape[1] != 1:
            raise ValueError("summary takes a scalar quantity per draw (e.g. a lift's total); "
                             "use draws() for arrays.")
        rows = {"mixture": summarize(flat[:, 0], prob)}
        for name, own in each.items():
            rows[name] = summarize(np.asarray(own.values).ravel(), prob)
        table = pd.DataFrame.from_dict(rows, orient="index").astype(float)
        table["weight"] = [1.0, *self.weights_.to_numpy()]
        table.index.name = "model"
        table.attrs.update(prob=prob, units=mixed.attrs.get("units", ""))
        return table

    # -- budgets ---------------------------------------------------------------------------
    def optimize_budget(self, budget: float | None = None, bounds=None, fixed=None, *,
                        seed: int | None = 0, **options) -> BudgetPlan:
        """The split of a budget that maximises the lift under the mixture.

        The objective (``"mean"``, ``"quantile"``, ``"mean_minus_std"``, or profit with
        ``margin``) is taken over the mixture's draws (:meth:`picks`): each candidate's lift
        on its own draws, pooled. So the plan is the best split when the form is uncertain,
        not any one candidate's, and its lift, uncertainty and bounds come from the mixture.
        Arguments are :func:`mmmkit.optimize.optimize_budget`'s; every candidate must have
        the same channels and data. The returned plan's weekly frame (``weekly_plan``,
        ``to_frame``) is read from the candidate with the largest weight.
        """
        self._check_same_channels()
        reference = self.models[str(self.weights_.idxmax())]
        question = budget_question(reference, budget, bounds, fixed, **options)
        picks = self.picks()
        parts = []
        for name, pick in picks.items():
            problem = budget_problem(self.models[name], question)
            parts.append(None if problem is None else problem.subset(pick))
        pooled = None if any(p is None for p in parts) else PooledProblem(parts)
        solved = solve_budget(pooled, question, np.random.default_rng(seed))
        plan = plan_spend(reference, question, solved)
        dates = reference.fitted_data().dates[question.weeks]
        lifts = {name: lift_arrays(self.models[name], plan, question.actual, dates,
                                   question.geo_idx,
                                   description=f"optimised budget ({question.objective}) "
                                               "vs actual spend, model average")
                 for name in picks}
        return budget_plan(reference, question, solved, plan, _pooled_lift(lifts, picks))

    def __repr__(self) -> str:
        w = ", ".join(f"{k}: {v:.2f}" for k, v in self.weights_.items())
        return f"ModelAverage({w})"


def _pooled_lift(lifts: Mapping[str, LiftResult], picks: Mapping[str, np.ndarray]
                 ) -> LiftResult:
    """One :class:`LiftResult` of the mixture: each candidate's draws ``picks[name]``,
    side by side as one chain."""
    first = next(iter(lifts.values()))

    def pooled(field: str) -> np.ndarray:
        parts = []
        for name, pick in picks.items():
            values = getattr(lifts[name], field)
            parts.append(values.reshape(-1, *values.shape[2:])[pick])
        return np.concatenate(parts, axis=0)[None]

    geo_draws = pooled("geo_draws")
    return dataclasses.replace(first, geo_draws=geo_draws, week_draws=pooled("week_draws"),
                               chain=np.array([0]), draw=np.arange(geo_draws.shape[1]))
