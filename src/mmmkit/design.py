"""From a validated frame to the arrays, scales and features the model is built on.

This is the input-data layer: it knows nothing of PyMC. :class:`ModelData` holds raw arrays in
a fixed layout — spend ``(G, T, C)``, target ``(G, T)``, controls ``(G, T, K)`` — together with
the scales of :mod:`mmmkit.scaling` and the feature builders (trend, Fourier seasonality) that
must give the same columns for the fitted weeks and for any later week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmmkit.scaling import spend_scale, target_scale
from mmmkit.validation import NATIONAL

__all__ = ["NATIONAL", "ModelData", "Scales", "fourier_features", "fourier_labels",
           "interleave_fourier"]


@dataclass(frozen=True)
class Scales:
    """The scales a fit divides its data by (:mod:`mmmkit.scaling`), held fixed on a refresh.

    A refit on an extended history would otherwise rescale: a new mean spend per active week
    moves every saturation parameter's meaning, a new mean KPI every effect's. Passing the
    previous fit's scales (``model.fitted_data().scales()``) to ``MMM.fit(..., scales=)``
    keeps each parameter in the same units, so the two posteriors can be compared number by
    number.

    Attributes
    ----------
    geos, channels, controls : the labels the arrays are laid out by.
    spend_scale : ``(G, C)`` currency per active week; target_scale : ``(G,)`` KPI units;
    control_mean, control_sd : ``(K,)`` the controls' own units.
    period : ``(first, last)`` week of the fit the scales come from (text, for the record).
    """

    geos: tuple[str, ...]
    channels: tuple[str, ...]
    controls: tuple[str, ...]
    spend_scale: np.ndarray
    target_scale: np.ndarray
    control_mean: np.ndarray
    control_sd: np.ndarray
    period: tuple[str, str] = ("", "")

    def check(self, geos: Sequence[str], channels: Sequence[str],
              controls: Sequence[str]) -> None:
        """Raise ``ValueError`` unless these scales are laid out for ``geos, channels,
        controls`` with positive, finite values."""
        for name, have, want in (("geos", self.geos, geos), ("channels", self.channels, channels),
                                 ("controls", self.controls, controls)):
            if list(have) != list(want):
                raise ValueError(
                    f"scales are for {name} {list(have)[:10]}, the data have {list(want)[:10]}: "
                    f"fixed scales need the same {name} in the same order (refit without "
                    "scales= to derive new ones).")
        g, c, k = len(geos), len(channels), len(controls)
        shapes = {"spend_scale": (g, c), "target_scale": (g,), "control_mean": (k,),
                  "control_sd": (k,)}
        for name, shape in shapes.items():
            value = np.asarray(getattr(self, name), dtype=float)
            if value.shape != shape or not np.isfinite(value).all():
                raise ValueError(f"scales.{name} must be {shape} finite numbers, got shape "
                                 f"{value.shape}.")
        for name in ("spend_scale", "target_scale", "control_sd"):
            if (np.asarray(getattr(self, name)) <= 0).any():
                raise ValueError(f"scales.{name} must be > 0 everywhere.")


@dataclass
class ModelData:
    """Arrays of the fitted period, in raw units, plus the scales derived from them.

    Attributes
    ----------
    dates : DatetimeIndex ``(T,)``, weekly.
    geos : list of ``G`` geo labels (``["all"]`` for a national series).
    channels, controls : names, ``C`` and ``K`` of them.
    spend : ``(G, T, C)`` currency units.
    target : ``(G, T)`` KPI units.
    control_values : ``(G, T, K)`` the controls' own units.
    spend_scale : ``(G, C)``, target_scale : ``(G,)``, control_mean, control_sd : ``(K,)``.
    scales : optional :class:`Scales` to use instead of those derived from these arrays (a
        refresh keeps the previous fit's); its labels must match.
    """

    dates: pd.DatetimeIndex
    geos: list[str]
    channels: list[str]
    controls: list[str]
    spend: np.ndarray
    target: np.ndarray
    control_values: np.ndarray
    scales: Scales | None = field(default=None, repr=False)
    spend_scale: np.ndarray = field(init=False)
    target_scale: np.ndarray = field(init=False)
    control_mean: np.ndarray = field(init=False)
    control_sd: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.spend_scale = spend_scale(self.spend)
        self.target_scale = target_scale(self.target)
        # boolean indexing keeps the K axis even for a model without controls (K = 0, where
        # reshape(-1, 0) is ambiguous); weeks without a KPI are out of the scales too
        k = self.control_values.shape[-1]
        flat = self.control_values[self.observed]  # (observed cells, K): no reshape
        self.control_mean = flat.mean(axis=0) if flat.size else np.zeros(k)
        sd = flat.std(axis=0) if flat.size else np.zeros(k)
        self.control_sd = np.where(sd > 0, sd, 1.0)
        if self.scales is not None:
            self.scales.check(self.geos, self.channels, self.controls)
            self.spend_scale = np.asarray(self.scales.spend_scale, dtype=float).copy()
            self.target_scale = np.asarray(self.scales.target_scale, dtype=float).copy()
            self.control_mean = np.asarray(self.scales.control_mean, dtype=float).copy()
            self.control_sd = np.asarray(self.scales.control_sd, dtype=float).copy()

    def scales_used(self) -> Scales:
        """These data's scales (held fixed when passed to a later fit)."""
        period = (f"{self.dates[0]:%Y-%m-%d}", f"{self.dates[-1]:%Y-%m-%d}")
        if self.scales is not None:
            period = self.scales.period
        return Scales(geos=tuple(self.geos), channels=tuple(self.channels),
                      controls=tuple(self.controls), spend_scale=self.spend_scale.copy(),
                      target_scale=self.target_scale.copy(),
                      control_mean=self.control_mean.copy(), control_sd=self.control_sd.copy(),
                      period=period)

    @property
    def scales_fixed(self) -> bool:
        """Whether the scales came from an earlier fit rather than from these arrays."""
        return self.scales is not None

    @property
    def observed(self) -> np.ndarray:
        """``(G, T)`` bool: the geo-weeks whose KPI is known (NaN in ``target`` marks the
        others: weeks before a geo joined, after it left, or closed). Only these enter the
        likelihood; the model still predicts the rest."""
        return np.isfinite(self.target)

    @property
    def fully_observed(self) -> bool:
        return bool(self.observed.all())

    @property
    def n_geos(self) -> int:
        return len(self.geos)

    @property
    def n_weeks(self) -> int:
        return len(self.dates)

    def scaled_spend(self, spend: np.ndarray | None = None) -> np.ndarray:
        """Spend ``(G, T', C)`` divided by the fitted ``spend_scale`` (the model's input)."""
        spend = self.spend if spend is None else spend
        return spend / self.spend_scale[:, None, :]

    def scaled_target(self) -> np.ndarray:
        """Target ``(G, T)`` over its geo's scale; NaN where not observed."""
        return self.target / self.target_scale[:, None]

    def scaled_controls(self, values: np.ndarray | None = None) -> np.ndarray:
        """Controls ``(G, T', K)`` centred and divided by their fitted standard deviation."""
        values = self.control_values if values is None else values
        return (values - self.control_mean) / self.control_sd

    def trend(self, dates: Sequence | None = None) -> np.ndarray:
        """Time in units of the fitted period, centred: -0.5 at the first fitted week, +0.5 at
        the last, continuing linearly for later weeks. ``(T',)``."""
        dates = self.dates if dates is None else pd.DatetimeIndex(dates)
        weeks = (dates - self.dates[0]).days / 7.0
        span = max(self.n_weeks - 1, 1)
        return np.asarray(weeks, dtype=float) / span - 0.5

    def week_index(self, dates: Sequence) -> np.ndarray:
        """Whole weeks since the first fitted week for each date (may be negative)."""
        days = (pd.DatetimeIndex(dates) - self.dates[0]).days
        return np.asarray(days // 7, dtype=int)



def fourier_features(dates: Sequence, order: int) -> np.ndarray:
    """Yearly Fourier terms ``[sin(2πk·f), cos(2πk·f)] for k = 1..order``, ``(T, 2·order)``.

    ``f`` is days since 1970-01-01 divided by 365.25: continuous (no jump at New Year), so
    the same calendar week gets the same features in every year and in any forecast.
    """
    dates = pd.DatetimeIndex(dates)
    if order <= 0:
        return np.zeros((len(dates), 0))
    days = (dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    frac = np.asarray(days, dtype=float) / 365.25
    k = np.arange(1, order + 1, dtype=float)
    angle = 2.0 * np.pi * frac[:, None] * k[None, :]
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def interleave_fourier(features: np.ndarray) -> np.ndarray:
    """:func:`fourier_features`'s columns reordered ``[sin_1, cos_1, sin_2, cos_2, ...]``."""
    order = features.shape[1] // 2
    perm = np.ravel(np.column_stack([np.arange(order), order + np.arange(order)]))
    return features[:, perm]


def fourier_labels(order: int) -> list[str]:
    return [f"sin_{k}" for k in range(1, order + 1)] + [f"cos_{k}" for k in range(1, order + 1)]
