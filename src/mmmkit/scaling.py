"""The scale conventions that make priors independent of currency and KPI units.

Documented once here because the model, the simulator and the scenario engine must agree:

* **Spend** of channel ``c`` in geo ``g`` is divided by ``spend_scale[g, c]``, the mean spend
  over that geo's weeks with non-zero spend of that channel. A scaled value of 1 is "a typical
  active week", so saturation parameters (half-saturation, steepness) mean the same thing for a
  small and a large geo and for any currency. A geo that never spends on a channel takes the
  channel's mean over all active geo-weeks (its scaled spend is zero anyway).
* **Target** of geo ``g`` is divided by ``target_scale[g]``, the mean absolute target of that
  geo. Effects are then shares of a geo's average KPI, which pools well across geos of
  different sizes.
"""

from __future__ import annotations

import numpy as np


def spend_scale(spend: np.ndarray) -> np.ndarray:
    """Per-(geo, channel) mean of non-zero weekly spend.

    Parameters
    ----------
    spend : array ``(G, T, C)``, currency units, ``>= 0``.

    Returns
    -------
    array ``(G, C)``, currency units per week, strictly positive.
    """
    spend = np.asarray(spend, dtype=float)
    active = spend > 0
    count = active.sum(axis=1)
    total = np.where(active, spend, 0.0).sum(axis=1)
    overall = total.sum(axis=0) / np.maximum(count.sum(axis=0), 1)  # (C,)
    overall = np.where(overall > 0, overall, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_geo = total / count
    return np.where(count > 0, per_geo, overall[None, :])


def target_scale(target: np.ndarray) -> np.ndarray:
    """Per-geo mean absolute target, ``(G, T)`` in KPI units -> ``(G,)``; 1 where all zero.

    Weeks without an observed KPI (NaN: a geo that joined late, a store closed) are left
    out of the mean, as they are out of the likelihood.
    """
    values = np.abs(np.asarray(target, dtype=float))
    seen = np.isfinite(values)
    scale = np.where(seen, values, 0.0).sum(axis=1) / np.maximum(seen.sum(axis=1), 1)
    return np.where(scale > 0, scale, 1.0)
