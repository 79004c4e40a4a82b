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

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.evaluation import compare
from mmmkit.model import MMM
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
        counts = self.counts()
        return self._mix({name: quantity(self.models[name])
                          for name, count in counts.items() if count > 0}, counts)

    def _each(self, quantity: Callable[[MMM], xr.DataArray]) -> dict[str, xr.DataArray]:
        """``quantity`` of every candidate, each computed once (the mixture and the
        per-candidate columns both read it)."""
        return {name: quantity(m) for name, m in self.models.items()}

    def _mix(self, values: Mapping[str, xr.DataArray], counts: pd.Series) -> xr.DataArray:
        rng = np.random.default_rng(self.seed)
        parts, origin = [], []
        for name, count in counts.items():
            if count == 0:
                continue
            flat = values[name].stack(sample=("chain", "draw")).transpose("sample", ...)
            pick = np.sort(rng.choice(flat.sizes["sample"], size=int(count), replace=False))
            parts.append(flat.isel(sample=pick).drop_vars(["sample", "chain", "draw"],
                                                          errors="ignore").values)
            origin += [name] * int(count)
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
        da = self._mix(each, self.counts())
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
        mixed = self._mix(each, self.counts())
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

    def __repr__(self) -> str:
        w = ", ".join(f"{k}: {v:.2f}" for k, v in self.weights_.items())
        return f"ModelAverage({w})"

