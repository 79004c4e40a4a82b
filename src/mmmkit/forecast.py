"""Forecasting weeks after (or within) the fitted period: the spend timeline and its draws.

:meth:`mmmkit.MMM.predict` validates the caller's frame; this module lays out the spend the
media block needs for those weeks (the fitted weeks just before them carry over) and evaluates
the expected target, with or without observation noise, draw by draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmmkit.design import ModelData
from mmmkit.posterior import PosteriorEngine, subset_geos


def forecast_spend(data: ModelData, new_spend: np.ndarray, new_dates: pd.DatetimeIndex,
                   geo_idx: list[int], history: int) -> tuple[np.ndarray, list]:
    """Raw spend ``(G', history + T', C)`` (user channel order) for forecasting ``new_dates``.

    The ``history`` weeks before the first new week come from the fitted data where it has
    them (their spend carries over into the new weeks); ``new_spend`` ``(G', T', C)`` fills
    the new weeks. Returns the spend and the dates after the fitted period that neither
    covers (they count as zero spend; the caller warns).
    """
    start = new_dates[0] - pd.Timedelta(weeks=history)
    timeline = pd.date_range(start, new_dates[-1], freq="7D")
    spend = np.zeros((len(geo_idx), len(timeline), new_spend.shape[2]))
    fitted_pos = {d: i for i, d in enumerate(data.dates)}
    new_pos = {d: i for i, d in enumerate(new_dates)}
    gap = []
    for t, d in enumerate(timeline):
        if d in new_pos:
            spend[:, t] = new_spend[:, new_pos[d]]
        elif d in fitted_pos:
            spend[:, t] = data.spend[geo_idx, fitted_pos[d]]
        elif d > data.dates[-1]:
            gap.append(d)
    return spend, gap


def forecast_draws(engine: PosteriorEngine, spend: np.ndarray, new_dates: pd.DatetimeIndex,
                   controls: np.ndarray, geo_idx: list[int], history: int, *,
                   include_noise: bool, seed: int | None) -> np.ndarray:
    """Draws ``(S, G', T')`` of the target (``include_noise``) or of its expectation, in
    target units, for spend ``(G', history + T', C)`` in *internal* channel order."""
    sub = subset_geos(engine, geo_idx)
    rng = np.random.default_rng(seed)
    out = np.empty((engine.n_samples, len(geo_idx), len(new_dates)))
    for sl in engine.chunks(spend.size):
        mean = sub.expected_target(spend, new_dates, controls, sl, history=history)
        out[sl] = mean + (sub.observation_noise(mean.shape, sl, rng) if include_noise else 0)
    return out
