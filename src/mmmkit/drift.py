"""A drifting base level: the baseline's slow moves that a straight trend cannot follow.

Real baselines bend and break: a competitor enters, distribution widens, a price war ends.
A linear trend cannot follow them, and what the baseline cannot follow the media terms are
asked to explain. :class:`Drift` adds a smooth, time-varying level to the baseline::

    drift[g, t] = sum_k basis[t, k] * knot[g, k]          (share of the geo's mean target)
    knot[g, :] = path + geo_path[g]                        (partial pooling across geos)
    path[0] = 0,       path[k] - path[k-1] ~ Normal(0, drift_sigma * sqrt(gap_k))
    geo_path[g, 0] = 0,
    geo_path[g, k] - geo_path[g, k-1] ~ Normal(0, drift_geo_sigma * sqrt(gap_k))

``gap_k`` is the time between knots ``k - 1`` and ``k`` in years, so ``drift_sigma`` is the
typical change of the base level over one year, as a share of the mean target, whatever the
knot spacing (a random walk's variance grows with time).

``basis`` interpolates linearly between knots, and is then made orthogonal, over the fitted
weeks, to what the intercept and the linear trend already describe: each column minus its
least-squares fit on a constant (and on time, when the model has a trend). So the drift sums
to zero over the fitted period (the intercept keeps its meaning, the mean level) and has no
straight-line part of its own (the trend keeps its meaning, the period's overall slope).
Without this, the trend and the path's straight-line part could trade one for the other
along a ridge the data cannot resolve, and the sampler diverged there (272 divergences in
4000 draws on the zoo's trend-break set, against none with the projection). Outside the
fitted weeks the drift holds its value at the nearest end: later weeks keep the last level,
and only the linear trend, when on, continues.

**Why knots every 26 weeks by default (the rule, relative to the series).** Knots are spread
evenly over the fitted weeks, ``ceil((T - 1) / knot_weeks) + 1`` of them (at least 2),
``knot_weeks = 26`` unless given. Between two knots the level moves in a straight line, so a
path on half-year knots cannot draw a yearly cycle (it would need knots at least every 26
weeks, and at exactly that spacing only a zig-zag) nor a media flight of a few weeks: the
yearly season stays with the Fourier terms and short-run moves with the media, and the drift
takes only what is slower than both, such as a kink or a break in the trend, followed within
about half a year. Shorter spacing (``Drift(knot_weeks=13)``) follows faster moves and leaves
the media less to explain; use it when geos (a panel) pin the media down.

The smoothness prior ``drift_sigma ~ HalfNormal(0.1)`` (median 6.7% of the mean target per
year) and, on panels, ``drift_geo_sigma ~ HalfNormal(0.05)`` for each geo's own deviation,
are model priors (``priors={"drift_sigma": ...}``) like any other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mmmkit.media import shared_data
from mmmkit.priors import Prior

#: weeks per year, for the random walk's time unit
WEEKS_PER_YEAR = 365.25 / 7.0

PRIORS: dict[str, Prior] = {
    # typical change of the base level over a year, share of the mean target
    "drift_sigma": Prior("HalfNormal", sigma=0.1),
    # the same for a geo's own deviation from the shared path (panels only)
    "drift_geo_sigma": Prior("HalfNormal", sigma=0.05),
}


@dataclass(frozen=True)
class Drift:
    """A smooth time-varying base level per geo, partially pooled (see :mod:`mmmkit.drift`).

    Parameters
    ----------
    knot_weeks : weeks between knots (``>= 4``): the drift's shortest move. Default 26.

    Pass as ``MMM(..., drift=mk.Drift())`` (or ``drift=True``).
    """

    knot_weeks: int = 26

    def __post_init__(self) -> None:
        weeks = self.knot_weeks
        if not isinstance(weeks, int | np.integer) or isinstance(weeks, bool) or weeks < 4:
            raise ValueError(
                f"Drift(knot_weeks=...) is the number of weeks between knots, a whole number "
                f">= 4 (26, half a year, is the default), got {weeks!r}.")

    def n_knots(self, n_weeks: int) -> int:
        """How many knots a fit on ``n_weeks`` weeks has (the documented rule, at least 2)."""
        return max(2, math.ceil((n_weeks - 1) / self.knot_weeks) + 1)

    def knot_positions(self, n_weeks: int) -> np.ndarray:
        """Knots' positions in weeks since the first fitted week, ``(K,)``, evenly spread."""
        return np.linspace(0.0, float(n_weeks - 1), self.n_knots(n_weeks))

    def knot_dates(self, fitted_dates: pd.DatetimeIndex) -> list[str]:
        """The knots' nearest dates, as labels of the ``knot`` coordinate."""
        positions = np.round(self.knot_positions(len(fitted_dates))).astype(int)
        return [str(fitted_dates[p].date()) for p in positions]

    def step_years(self, n_weeks: int) -> np.ndarray:
        """Time between consecutive knots, in years, ``(K - 1,)``."""
        return np.diff(self.knot_positions(n_weeks)) / WEEKS_PER_YEAR

    def basis(self, fitted_dates: pd.DatetimeIndex, dates=None, *,
              trend: bool) -> np.ndarray:
        """The drift's basis ``(T', K)`` at ``dates`` (default the fitted weeks).

        Row ``t`` holds the linear-interpolation weights of week ``t`` on the knots, minus
        their least-squares fit over the fitted weeks on a constant and (``trend=True``, the
        model's trend option) on time; weeks outside the fitted ones take the row of the
        nearest end.
        """
        fitted_dates = pd.DatetimeIndex(fitted_dates)
        dates = fitted_dates if dates is None else pd.DatetimeIndex(dates)
        n_weeks = len(fitted_dates)
        knots = self.knot_positions(n_weeks)

        def rows(weeks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Raw interpolation weights and the regressors (1[, time]) at ``weeks``."""
            eye = np.eye(len(knots))
            raw = np.stack([np.interp(weeks, knots, eye[k]) for k in range(len(knots))],
                           axis=1)
            regressors = [np.ones_like(weeks)] + ([weeks / max(n_weeks - 1, 1)] if trend else [])
            return raw, np.stack(regressors, axis=1)

        raw_fit, x_fit = rows(np.arange(n_weeks, dtype=float))
        coef = np.linalg.lstsq(x_fit, raw_fit, rcond=None)[0]  # (1 or 2, K)
        weeks = np.asarray((dates - fitted_dates[0]).days, dtype=float) / 7.0
        raw, x = rows(np.clip(weeks, 0.0, float(n_weeks - 1)))
        return raw - x @ coef

    def to_config(self) -> dict:
        return {"knot_weeks": int(self.knot_weeks)}

    @classmethod
    def from_config(cls, config: dict | None) -> Drift | None:
        return None if config is None else cls(**config)


def resolve_drift(drift) -> Drift | None:
    """``MMM(drift=...)``: ``False``/``None`` (off), ``True`` (the default :class:`Drift`) or
    a :class:`Drift`."""
    if drift is None or drift is False:
        return None
    if drift is True:
        return Drift()
    if isinstance(drift, Drift):
        return drift
    raise ValueError(f"drift must be True, False or a mmmkit.Drift (e.g. Drift(knot_weeks=26)), "
                     f"got {drift!r}.")


def drift_priors(drift: Drift | None) -> dict[str, Prior]:
    """The drift's default priors (none when the model has no drift)."""
    return dict(PRIORS) if drift is not None else {}


def build_drift(drift: Drift, data, priors, *, trend: bool):
    """The drift term ``(G, T)`` of the PyMC model for ``data`` (a
    :class:`~mmmkit.design.ModelData`; call inside the model context).

    Non-centred random walks: the steps are standard normal draws scaled by
    ``sigma * sqrt(gap)``, which samples well when the data say little.
    """
    import pymc as pm
    import pytensor.tensor as pt

    basis = shared_data("drift_basis", drift.basis(data.dates, trend=trend),
                        dims=("date", "knot"), weeks_axis=0)
    # data: the knots' spacing in years depends on the fitted weeks (a reused compile)
    gap_sd = pt.sqrt(shared_data("drift_step_years", drift.step_years(data.n_weeks),
                                 dims="knot_step"))
    sigma = priors["drift_sigma"].create("drift_sigma")
    z = pm.Normal("drift_z", 0.0, 1.0, dims="knot_step")
    path = pt.concatenate([pt.zeros(1), pt.cumsum(sigma * gap_sd * z)])  # (K,)
    if data.n_geos > 1:
        geo_sigma = priors["drift_geo_sigma"].create("drift_geo_sigma")
        z_geo = pm.Normal("drift_geo_z", 0.0, 1.0, dims=("geo", "knot_step"))
        steps = geo_sigma * gap_sd[None, :] * z_geo
        geo_path = pt.concatenate([pt.zeros((data.n_geos, 1)), pt.cumsum(steps, axis=1)],
                                  axis=1)
        knots = path[None, :] + geo_path
    else:
        knots = path[None, :]
    knots = pm.Deterministic("drift", knots, dims=("geo", "knot"))
    return pt.dot(knots, basis.T)


def drift_term(drift: Drift, fitted_dates, dates, knots: np.ndarray, *,
               trend: bool) -> np.ndarray:
    """The drift ``(s, G, T')`` (share of the mean target) at ``dates`` from posterior
    draws of ``knots`` ``(s, G, K)``: the graph's term, in numpy."""
    return np.einsum("sgk,tk->sgt", knots, drift.basis(fitted_dates, dates, trend=trend))
