"""What changed between two fits of a model: ROAS, the recommended split and the data.

:func:`compare_models` takes two fitted :class:`~mmmkit.MMM` of the same channels (typically
last quarter's model and this quarter's refit on the extended history) and returns a
:class:`ModelChanges`:

* :attr:`ModelChanges.channels`: per channel, ROAS and marginal ROAS before and after with
  credible intervals, the change with its interval and the probability that ROAS went up;
* :attr:`ModelChanges.split`: the split :func:`mmmkit.optimize.optimize_budget` recommends
  for the same budget and weeks under each model;
* :attr:`ModelChanges.data`: weeks and geos added or removed, and every value of the shared
  history (date, geo, column) that differs between the two fits' data;
* :meth:`ModelChanges.summary`: the same in a few plain-words sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmmkit.model import MMM, NotFittedError
from mmmkit.optimize import BudgetPlan, optimize_budget
from mmmkit.revisions import DataChanges, data_changes
from mmmkit.stats import check_prob, summarize

__all__ = [
    "MOVE_PROB",
    "PLAN_WEEKS",
    "DataChanges",
    "ModelChanges",
    "compare_models",
    "data_changes",
    "paired_draws",
    "prob_greater",
]

# ``moved`` is "up" when P(ROAS_new > ROAS_old) >= MOVE_PROB, "down" when it is
# <= 1 - MOVE_PROB, otherwise "unclear" (no clear move; not evidence that nothing changed)
MOVE_PROB = 0.9
# weeks of the planning period of the default budget (one quarter)
PLAN_WEEKS = 13
@dataclass
class ModelChanges:
    """The result of :func:`compare_models`.

    Attributes
    ----------
    channels : DataFrame indexed by channel. ``roas_old, roas_old_lower, roas_old_upper,
        roas_new, roas_new_lower, roas_new_upper``: each model's posterior mean ROAS and its
        ``prob`` interval (:meth:`MMM.roas`, KPI units per unit of spend, over that model's
        own fitted weeks); ``change, change_lower, change_upper``: ``ROAS_new - ROAS_old``
        over the paired draws; ``prob_increase``: P(ROAS_new > ROAS_old) (see
        :func:`prob_greater`); ``moved``: ``"up"`` when ``prob_increase >= MOVE_PROB``
        (0.9), ``"down"`` when ``<= 1 - MOVE_PROB``, else ``"unclear"`` (no clear move
        either way, not evidence that nothing changed); ``mroas_old, mroas_old_lower,
        mroas_old_upper, mroas_new, mroas_new_lower, mroas_new_upper, mroas_prob_increase``:
        the same for marginal ROAS. ``attrs``: ``units``, ``prob``.
    split : DataFrame indexed by channel: ``old, new`` (recommended spend over the planning
        period, currency), ``change`` (``new - old``), ``old_share, new_share`` (of the
        budget) and ``historical`` (the new fit's actual spend over the period). ``attrs``:
        ``budget``, ``start``, ``end``, ``weeks`` (the planning period, the new model's weeks),
        ``converged`` (both plans), ``binding_old``, ``binding_new`` (channels at a bound).
    data : :class:`DataChanges`.
    old_plan, new_plan : the two :class:`~mmmkit.optimize.BudgetPlan`.
    prob, seed : as passed.
    kpi_label, spend_label : the units' names (the new model's).
    """

    channels: pd.DataFrame
    split: pd.DataFrame
    data: DataChanges
    old_plan: BudgetPlan = field(repr=False)
    new_plan: BudgetPlan = field(repr=False)
    prob: float = 0.9
    seed: int | None = 0
    kpi_label: str = ""
    spend_label: str = ""

    def summary(self) -> str:
        """A few plain-words sentences: which ROAS moved and by how much (with intervals and
        the probability of an increase), how the recommended split changed, and what changed
        in the data. One sentence per line."""
        return "\n".join([*self._roas_sentences(), self._split_sentence(),
                          self._data_sentence()])

    def _roas_sentences(self) -> list[str]:
        units = f"{self.kpi_label} per {self.spend_label}"
        pct = f"{100 * self.prob:g}%"
        out = []
        for ch, r in self.channels.iterrows():
            p = r["prob_increase"]
            head = {"up": f"ROAS of {ch} moved up (probability {_prob(p)})",
                    "down": f"ROAS of {ch} moved down (probability {_prob(1 - p)})",
                    }.get(r["moved"], f"ROAS of {ch} shows no clear move "
                                      f"(probability of an increase {_prob(p)})")
            out.append(
                f"{head}: {_num(r['roas_old'])} to {_num(r['roas_new'])} {units} "
                f"({pct} intervals {_num(r['roas_old_lower'])} to {_num(r['roas_old_upper'])} "
                f"and {_num(r['roas_new_lower'])} to {_num(r['roas_new_upper'])}; change "
                f"{_signed(r['change'])}, {pct} interval {_signed(r['change_lower'])} to "
                f"{_signed(r['change_upper'])}); marginal ROAS {_num(r['mroas_old'])} to "
                f"{_num(r['mroas_new'])}.")
        return out

    def _split_sentence(self) -> str:
        a = self.split.attrs
        moves = ", ".join(f"{ch} {r['old']:,.0f} to {r['new']:,.0f} ({r['change']:+,.0f})"
                          for ch, r in self.split.iterrows())
        text = (f"For the same budget of {a['budget']:,.0f} {self.spend_label} over "
                f"{a['weeks']} weeks ({a['start']:%Y-%m-%d} to {a['end']:%Y-%m-%d}), the "
                f"recommended split went from old to new model: {moves}.")
        held = [f"{ch} ({side})" for side in ("old", "new") for ch in a[f"binding_{side}"]]
        if held:
            text += (" At a bound of the optimiser (its default range around historical "
                     f"spend; the model would move these further): {', '.join(held)}.")
        if not a["converged"]:
            text += " At least one optimisation did not converge; treat the split with care."
        return text

    def _data_sentence(self) -> str:
        d = self.data
        if d.unchanged:
            return "Both models were fitted on the same data."
        parts = [_weeks_words(d.weeks_added, "added"), _weeks_words(d.weeks_removed, "removed")]
        for what, names in (("geos added", d.geos_added), ("geos removed", d.geos_removed),
                            ("columns added", d.columns_added),
                            ("columns removed", d.columns_removed)):
            if names:
                parts.append(f"{what}: {', '.join(map(str, names))}")
        n = len(d.revised)
        if n:
            cols = d.revised["column"].value_counts().sort_index()
            where = ", ".join(f"{c} ({k})" for c, k in cols.items())
            parts.append(f"{n} value{'s' if n != 1 else ''} of the shared history revised "
                         f"({where})")
        else:
            parts.append("no value of the shared history revised")
        return "Data: " + "; ".join(p for p in parts if p) + "."


def compare_models(old: MMM, new: MMM, *, prob: float = 0.9, budget: float | None = None,
                   seed: int | None = 0) -> ModelChanges:
    """What changed from one fitted model to another of the same channels.

    Parameters
    ----------
    old, new : fitted :class:`~mmmkit.MMM` with the same channels (typically last quarter's
        model and the refit on the extended history; the specifications may differ otherwise).
    prob : probability of the credible intervals, in (0, 1).
    budget : total spend (currency) to split under both models. Default: the new fit's
        actual spend over the planning period.
    seed : seeds the shuffle that pairs the two posteriors' draws and the optimiser's starts.

    The planning period is the last :data:`PLAN_WEEKS` (13) weeks that both fits' data
    contain (fewer if they share fewer); each model plans over those weeks, keeping its own
    weekly and geo pattern of spend (:func:`mmmkit.optimize.optimize_budget` with
    ``n_uncertainty=0`` and default bounds). Without shared weeks, each model plans over its
    own last 13 weeks.

    The probability that ROAS moved treats the two posteriors as independent: each model's
    draws ``(chain, draw)`` are flattened, both sets are shuffled with ``seed`` and cut to
    the smaller count, and draw ``i`` of one is paired with draw ``i`` of the other;
    ``prob_increase`` is the share of pairs with ``ROAS_new > ROAS_old`` (ties count half).
    Each ROAS is over its own model's fitted weeks, so a move can come from new evidence or
    from a different spend level in those weeks (saturation), not only a changed effect.

    Returns
    -------
    ModelChanges

    Raises
    ------
    TypeError : ``old`` or ``new`` is not an :class:`~mmmkit.MMM`.
    ValueError : the channels differ, a model is not fitted, the KPI or spend units differ, or
        ``prob`` is not in (0, 1).
    """
    check_prob(prob)
    _check_pair(old, new)
    channels = _channel_table(old, new, prob, seed)
    old_plan, new_plan, split = _split(old, new, budget, seed)
    return ModelChanges(channels=channels, split=split,
                        data=data_changes(old.fitted_data(), new.fitted_data(),
                                          old_target=old.target, new_target=new.target),
                        old_plan=old_plan, new_plan=new_plan, prob=prob, seed=seed,
                        kpi_label=new.kpi_label, spend_label=new.spend_label)


def prob_greater(new_draws: np.ndarray, old_draws: np.ndarray,
                 seed: int | None = 0) -> np.ndarray:
    """P(new > old) from two independent posteriors' draws.

    Parameters
    ----------
    new_draws, old_draws : ``(S_new, ...)`` and ``(S_old, ...)`` draws; the trailing shapes
        must match (e.g. ``(S, C)`` per channel).
    seed : seeds the shuffle.

    Returns
    -------
    ``(...)`` probabilities: both draw sets are shuffled (a seeded permutation each) and cut
    to ``min(S_new, S_old)``, draw ``i`` paired with draw ``i``; the share of pairs with
    ``new > old``, ties counting half. :func:`paired_draws` gives the pairs.
    """
    a, b = paired_draws(new_draws, old_draws, seed)
    return (a > b).mean(axis=0) + 0.5 * (a == b).mean(axis=0)


def paired_draws(new_draws: np.ndarray, old_draws: np.ndarray,
                 seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The pairing of :func:`prob_greater`: ``(new, old)``, each ``(min(S_new, S_old),
    ...)``, rows shuffled with ``seed`` (one permutation per set, new's first)."""
    a, b = np.asarray(new_draws, dtype=float), np.asarray(old_draws, dtype=float)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"draws of different shapes: {a.shape[1:]} and {b.shape[1:]} after "
                         "the draw axis; pass draws of the same quantities.")
    rng = np.random.default_rng(seed)
    n = min(len(a), len(b))
    return a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]


# -- pieces -------------------------------------------------------------------------------------
def _check_pair(old: MMM, new: MMM) -> None:
    for name, model in (("old", old), ("new", new)):
        if not isinstance(model, MMM):
            raise TypeError(f"compare_models takes two fitted mmmkit.MMM; {name} is a "
                            f"{type(model).__name__}.")
    if set(old.channels) != set(new.channels):
        only_old = sorted(set(old.channels) - set(new.channels))
        only_new = sorted(set(new.channels) - set(old.channels))
        raise ValueError(
            "compare_models needs two models of the same channels: only in old "
            f"{only_old}, only in new {only_new}. Refit one of them with channels="
            f"{list(old.channels)!r} (or compare models of the same channels).")
    for name, model in (("old", old), ("new", new)):
        try:
            model.fitted_data()
        except NotFittedError:
            raise ValueError(f"The {name} model is not fitted: call {name}.fit(df) (or "
                             "MMM.load(path)) before compare_models.") from None
    for what, a, b in (("kpi_label", old.kpi_label, new.kpi_label),
                       ("spend_label", old.spend_label, new.spend_label)):
        if a != b:
            raise ValueError(f"The two models measure in different units ({what} {a!r} vs "
                             f"{b!r}); fit both with the same kpi_unit= and currency=.")


def _channel_table(old: MMM, new: MMM, prob: float, seed: int | None) -> pd.DataFrame:
    chans = list(old.channels)
    frame = pd.DataFrame(index=pd.Index(chans, name="channel"))
    for marginal, pre in ((False, "roas"), (True, "mroas")):
        for side, model in (("old", old), ("new", new)):
            r = model.roas(prob, marginal=marginal)
            frame[f"{pre}_{side}"] = r.loc[chans, "mean"]
            frame[f"{pre}_{side}_lower"] = r.loc[chans, "lower"]
            frame[f"{pre}_{side}_upper"] = r.loc[chans, "upper"]
        a, b = (_flat(m, marginal, chans) for m in (new, old))
        p = prob_greater(a, b, seed)
        if marginal:
            frame["mroas_prob_increase"] = p
            continue
        pa, pb = paired_draws(a, b, seed)
        diff = summarize(pa - pb, prob)
        frame["change"], frame["change_lower"] = diff["mean"], diff["lower"]
        frame["change_upper"], frame["prob_increase"] = diff["upper"], p
        frame["moved"] = np.where(p >= MOVE_PROB, "up",
                                  np.where(p <= 1 - MOVE_PROB, "down", "unclear"))
    order = [f"roas_{s}{e}" for s in ("old", "new") for e in ("", "_lower", "_upper")]
    order += ["change", "change_lower", "change_upper", "prob_increase", "moved"]
    order += [f"mroas_{s}{e}" for s in ("old", "new") for e in ("", "_lower", "_upper")]
    frame = frame[[*order, "mroas_prob_increase"]]
    frame.attrs.update(units=f"{new.kpi_label} per {new.spend_label}", prob=prob)
    return frame


def _flat(model: MMM, marginal: bool, chans: list[str]) -> np.ndarray:
    """``(S, C)`` (marginal) ROAS draws in ``chans`` order."""
    da = model.roas_draws(marginal=marginal).sel(channel=chans)
    return da.stack(sample=("chain", "draw")).transpose("sample", "channel").values


def _period(old: MMM, new: MMM) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The planning weeks of each model: the last PLAN_WEEKS shared weeks, else each
    model's own last PLAN_WEEKS."""
    od, nd = pd.DatetimeIndex(old.fitted_data().dates), pd.DatetimeIndex(new.fitted_data().dates)
    shared = nd[nd.isin(od)]
    if len(shared):
        return shared[-PLAN_WEEKS:], shared[-PLAN_WEEKS:]
    return od[-PLAN_WEEKS:], nd[-PLAN_WEEKS:]


def _split(old: MMM, new: MMM, budget: float | None, seed: int | None
           ) -> tuple[BudgetPlan, BudgetPlan, pd.DataFrame]:
    (o_weeks, n_weeks) = _period(old, new)
    data = new.fitted_data()
    t = pd.DatetimeIndex(data.dates).isin(n_weeks)
    spent = data.spend[:, t, :].sum(axis=(0, 1))  # (C,) currency, new model's channel order
    historical = pd.Series(spent, index=list(data.channels)).reindex(list(old.channels))
    if budget is None:
        budget = float(historical.sum())
    elif not (np.isfinite(budget) and budget > 0):
        raise ValueError(f"budget is a total spend in {new.spend_label}, a number > 0, got "
                         f"{budget!r}.")
    plans = [optimize_budget(m, budget, start=w[0], end=w[-1], seed=seed, n_uncertainty=0)
             for m, w in ((old, o_weeks), (new, n_weeks))]
    chans = list(old.channels)
    a, b = (p.allocation.reindex(chans) for p in plans)
    split = pd.DataFrame({"old": a, "new": b, "change": b - a, "old_share": a / budget,
                          "new_share": b / budget, "historical": historical})
    split.index.name = "channel"
    split.attrs.update(budget=float(budget), start=n_weeks[0], end=n_weeks[-1],
                       weeks=len(n_weeks), converged=all(p.converged for p in plans),
                       binding_old=plans[0].binding, binding_new=plans[1].binding,
                       units=new.spend_label)
    return plans[0], plans[1], split


def _num(x: float) -> str:
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _prob(p: float) -> str:
    """A probability in two decimals that never rounds to a certainty."""
    return "above 0.99" if p > 0.995 else "below 0.01" if p < 0.005 else f"{p:.2f}"


def _signed(x: float) -> str:
    return ("+" if x >= 0 else "-") + _num(abs(x))


def _weeks_words(weeks: pd.DatetimeIndex, verb: str) -> str:
    if not len(weeks):
        return f"no week {verb}"
    n = len(weeks)
    span = (f"{weeks[0]:%Y-%m-%d}" if n == 1
            else f"{weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d}")
    return f"{n} week{'s' if n != 1 else ''} {verb} ({span})"
