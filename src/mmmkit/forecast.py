"""Forecasting weeks after (or within) the fitted period: the spend timeline and its draws.

:meth:`mmmkit.MMM.predict` validates the caller's frame; this module lays out the spend the
media block needs for those weeks (the fitted weeks just before them carry over) and evaluates
the expected target, with or without observation noise, draw by draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.design import ModelData
from mmmkit.errors import DataError, FitWarning, warn_user
from mmmkit.posterior import PosteriorEngine, subset_geos
from mmmkit.validation import frame_to_arrays, validate_frame


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


def predict_frame(model, df: pd.DataFrame, *, include_noise: bool = True,
                  seed: int | None = None) -> xr.DataArray:
    """:meth:`mmmkit.MMM.predict`: draws ``(chain, draw, date[, geo])`` of the target (target
    units) for the weeks and geos in ``df``, carryover from the fitted weeks included."""
    data = model.fitted_data()
    clean = validate_frame(
        df, date=model.date, target=None, channels=model.channels, geo=model.geo,
        controls=model.controls, min_weeks=1, require_spend=False, dayfirst=model.dayfirst,
        date_format=model.date_format,
    )
    arrays = frame_to_arrays(clean, date=model.date, target=None, channels=model.channels,
                             geo=model.geo, controls=model.controls)
    geos = list(arrays["geos"])
    unknown = [g for g in geos if g not in data.geos]
    if unknown:
        raise DataError(
            f"column {model.geo!r} has geo {unknown[0]!r}, which the model was not fitted on "
            f"(fitted geos: {data.geos[:10]}); predict only for fitted geos.")
    geo_idx = [data.geos.index(g) for g in geos]
    new_dates = arrays["dates"]
    history = model.media.max_lag - 1
    spend, gap = forecast_spend(data, arrays["spend"], new_dates, geo_idx, history)
    if gap:
        warn_user(f"{len(gap)} week(s) between the fitted period and the first predicted week "
                  f"(from {gap[0].date()}) have no spend given; they count as zero spend. "
                  "Include them in df for their carryover.", FitWarning)
    engine = model.posterior_engine()
    out = forecast_draws(engine, model.media.reorder(spend), new_dates, arrays["controls"],
                         geo_idx, history, include_noise=include_noise, seed=seed)
    da = xr.DataArray(
        engine.reshape(out), dims=("chain", "draw", "geo", "date"),
        coords={"chain": engine.chain_coord, "draw": engine.draw_coord, "geo": geos,
                "date": new_dates}, name=model.target, attrs={"units": model.kpi_label},
    )
    return model.squeeze_geo(da.transpose("chain", "draw", "date", "geo"))
