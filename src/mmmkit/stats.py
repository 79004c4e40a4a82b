"""Intervals and fit scores: the one home of the conventions every answer shares.

Every interval mmmkit reports is the equal-tailed ``prob`` interval of posterior draws on the
first axis (``prob=0.9``: the 5% and 95% quantiles), and every fit score (MAPE, R², CRPS,
coverage) is computed here, so a table, a plot and a report agree to the last digit.
Pure numpy functions of arrays; no mmmkit imports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the default credible level of every interval
DEFAULT_PROB = 0.9


def check_prob(prob: float) -> None:
    """Raise ``ValueError`` unless ``0 < prob < 1``."""
    if not 0 < prob < 1:
        raise ValueError(f"prob must be between 0 and 1 (e.g. 0.9 for a 90% interval), got {prob}.")


def tails(prob: float) -> tuple[float, float]:
    """The quantile levels ``((1 - prob) / 2, (1 + prob) / 2)`` of the equal-tailed interval."""
    check_prob(prob)
    return (1 - prob) / 2, 1 - (1 - prob) / 2


def quantile(values: np.ndarray, q, axis: int = 0) -> np.ndarray:
    """``np.quantile`` that treats ``+inf`` draws (e.g. a marginal ROAS at zero spend) as the
    largest values: an interpolation that involves one is ``inf``, not ``inf - inf = NaN``."""
    values = np.asarray(values, dtype=float)
    if not np.isposinf(values).any():
        return np.quantile(values, q, axis=axis)
    big = np.finfo(float).max
    out = np.quantile(np.where(np.isposinf(values), big, values), q, axis=axis)
    return np.where(out >= 1e300, np.inf, out)


def interval(draws: np.ndarray, prob: float = DEFAULT_PROB, axis: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """The equal-tailed ``prob`` interval ``(lower, upper)`` of ``draws`` along ``axis``."""
    lo, hi = tails(prob)
    return quantile(draws, lo, axis=axis), quantile(draws, hi, axis=axis)


def summarize(draws: np.ndarray, prob: float = DEFAULT_PROB) -> dict[str, np.ndarray]:
    """``mean``, ``median`` and the equal-tailed ``prob`` interval (``lower``, ``upper``)
    over the first axis."""
    lower, upper = interval(draws, prob)
    return {
        "mean": np.asarray(draws, dtype=float).mean(axis=0),
        "median": quantile(draws, 0.5),
        "lower": lower,
        "upper": upper,
    }


def crps(draws: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Continuous ranked probability score of a forecast given by draws, per point.

    Energy form on the draws' empirical distribution:
    ``CRPS = mean_i |x_i - y| - 1/2 mean_ij |x_i - x_j|``, computed in ``O(S log S)`` by
    sorting. It is exact for the ensemble; for a point mass (all draws equal) it is the
    absolute error. Lower is better; same units as the target.

    Parameters
    ----------
    draws : array ``(S, ...)``, draws of the forecast on the first axis.
    actual : array ``(...)``, the observed values.

    Returns
    -------
    array ``(...)``, target units.
    """
    x = np.sort(np.asarray(draws, dtype=float), axis=0)
    y = np.asarray(actual, dtype=float)
    n = x.shape[0]
    term1 = np.abs(x - y[None]).mean(axis=0)
    # sum_{i,j} |x_i - x_j| = 2 * sum_i (2i - n + 1) x_(i) over the sorted draws (0-based i)
    w = (2 * np.arange(n) - n + 1).reshape((n,) + (1,) * (x.ndim - 1))
    spread = 2.0 * (w * x).sum(axis=0) / n**2
    return term1 - 0.5 * spread


def mape(point: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute percentage error as a fraction (``0.05`` = 5%).

    Weeks with an actual value of exactly zero have no percentage error and are left out
    (``nan`` when all are zero).
    """
    point, actual = np.asarray(point, float).ravel(), np.asarray(actual, float).ravel()
    keep = actual != 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs(point[keep] - actual[keep]) / np.abs(actual[keep])))


def r2(point: np.ndarray, actual: np.ndarray, groups: np.ndarray | None = None) -> float:
    """Share of the variation of ``actual`` that the point forecast explains.

    ``1 - sum (y - yhat)^2 / sum (y - ybar)^2``. With ``groups`` (e.g. the geo of each point),
    ``ybar`` is each group's own mean: the differences in size between geos are not counted as
    "explained", only the week-to-week movement within each geo. Can be negative (worse than
    predicting the mean of the held-out weeks).
    """
    point, actual = np.asarray(point, float).ravel(), np.asarray(actual, float).ravel()
    if groups is None:
        centre = actual.mean()
    else:
        groups = np.asarray(groups).ravel()
        centre = pd.Series(actual).groupby(groups).transform("mean").to_numpy()
    total = np.sum((actual - centre) ** 2)
    if total == 0:
        return float("nan")
    return float(1.0 - np.sum((actual - point) ** 2) / total)


def coverage(draws: np.ndarray, actual: np.ndarray, prob: float = 0.9) -> float:
    """Share of ``actual`` inside the equal-tailed ``prob`` interval of ``draws`` ``(S, ...)``."""
    lo, hi = interval(np.asarray(draws, dtype=float), prob)
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= lo) & (actual <= hi)))
