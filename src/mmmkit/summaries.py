"""Summaries of posterior quantities too large to hold as draws.

:meth:`MMM.contributions` returns every draw of every channel's weekly contribution, an array
of ``chains x draws x weeks x geos x channels`` float64 numbers: 7.5 GB for 150 geos x 156
weeks x 10 channels x 4000 draws (``docs/scaling.md``), before the copies that selecting and
stacking make. Most uses need only its summary (mean, median and interval per cell), and that
is exact over blocks of geos, since a cell's quantiles need all of its draws but no other
cell's. :func:`contribution_summary` evaluates the model (its posterior engine,
:meth:`MMM.posterior_engine`) a block of geos at a time, each block in chunks of draws, and
keeps only the four numbers per cell: memory stays near :data:`BLOCK_ELEMENTS` numbers
whatever the panel's size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmmkit.model import MMM
from mmmkit.posterior import subset_geos
from mmmkit.stats import check_prob, quantile, tails

__all__ = ["BLOCK_ELEMENTS", "STATS", "contribution_summary"]

# Numbers of one block of draws x geos x weeks x channels held at once: 256 MB of float64.
BLOCK_ELEMENTS = 32_000_000
STATS = ("mean", "median", "lower", "upper")


def contribution_summary(model: MMM, prob: float = 0.9, *, by_week: bool = True,
                         block_elements: int = BLOCK_ELEMENTS) -> pd.DataFrame:
    """Each channel's contribution summarised over the posterior draws, without holding them.

    Equals summarising :meth:`MMM.contributions` over ``(chain, draw)`` with
    :func:`mmmkit.stats.summarize` (the same mean, median and equal-tailed interval), but
    holds at most about ``block_elements`` draws' numbers at a time instead of all of them.

    Parameters
    ----------
    model : a fitted MMM.
    prob : the interval's probability (0.9: the 5% and 95% quantiles).
    by_week : ``True``: one row per week (and geo) and channel; ``False``: the contribution
        summed over the fitted weeks, per draw, then summarised: one row per (geo and)
        channel.
    block_elements : the most numbers (draws x geos x weeks x channels) evaluated at once;
        peak memory is about three times this in float64 (the block, the quantiles' sorted
        copy, the engine's chunk).

    Returns
    -------
    DataFrame with columns ``mean, median, lower, upper`` in target units (per week with
    ``by_week``, else over the period), indexed by ``(date[, geo], channel)`` (``(geo,
    channel)`` or ``channel`` with ``by_week=False``; no geo level for a national model).
    ``attrs``: ``units``, ``prob``.

    Raises
    ------
    mmmkit.NotFittedError : the model is not fitted.
    ValueError : ``prob`` not in (0, 1), ``block_elements`` < 1.
    """
    check_prob(prob)
    if isinstance(block_elements, bool) or not isinstance(block_elements, int | np.integer) \
            or block_elements < 1:
        raise ValueError(f"block_elements must be a whole number >= 1, got {block_elements!r}.")
    data = model.fitted_data()
    engine = model.posterior_engine()
    spend = model.media.reorder(data.spend)  # (G, T, C), internal channel order
    G, T, C = spend.shape
    per_geo = engine.n_samples * T * C
    step = max(1, int(block_elements) // per_geo)
    # channels back in the model's order (the engine works in its media block's order)
    order = [model.media.order.index(ch) for ch in model.channels]
    parts: dict[str, list[np.ndarray]] = {s: [] for s in STATS}
    for start in range(0, G, step):
        geos = list(range(start, min(start + step, G)))
        sub = subset_geos(engine, geos)
        block = np.empty((engine.n_samples, len(geos), T, C))
        for sl in sub.chunks(len(geos) * T * C):
            block[sl] = sub.media_contribution(spend[geos], sl)
        block = block[..., order]
        for name, values in _summary(block if by_week else block.sum(axis=2), prob).items():
            parts[name].append(values)
    values = {name: np.concatenate(parts[name], axis=0) for name in STATS}  # (G[, T], C)
    return _frame(model, data, values, by_week, prob)


def _summary(draws: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """:func:`mmmkit.stats.summarize` of ``draws`` ``(S, ...)``, the same numbers, faster:
    the three quantiles from one partition of a copy with the draws contiguous (partitioning
    along the first axis of a large block is several times slower)."""
    lo, hi = tails(prob)
    along_last = np.ascontiguousarray(np.moveaxis(draws, 0, -1))
    lower, median, upper = quantile(along_last, [lo, 0.5, hi], axis=-1)
    return {"mean": draws.mean(axis=0), "median": median, "lower": lower, "upper": upper}


def _frame(model: MMM, data, values: dict[str, np.ndarray], by_week: bool,
           prob: float) -> pd.DataFrame:
    """The summary arrays ``(G, T, C)`` or ``(G, C)`` as the documented table."""
    national = model.geo is None
    if by_week:  # rows in contributions()' order: date, then geo, then channel
        arrays = {k: v.transpose(1, 0, 2) for k, v in values.items()}  # (T, G, C)
        levels = [data.dates, data.geos, model.channels]
        names = ["date", "geo", "channel"]
        drop = 1
    else:
        arrays = values  # (G, C)
        levels = [data.geos, model.channels]
        names = ["geo", "channel"]
        drop = 0
    index = pd.MultiIndex.from_product(levels, names=names)
    frame = pd.DataFrame({k: v.ravel() for k, v in arrays.items()}, index=index)
    if national:
        frame.index = frame.index.droplevel(drop)
    per = " per week" if by_week else " over the fitted weeks"
    frame.attrs.update(units=f"{model.kpi_label}{per}", prob=prob)
    return frame
