"""Simulated media-mix data with a known truth, for checking that the model recovers it.

The data-generating process has exactly the structure of the model that is fitted to it, so a
correct fit must recover the parameters (up to what the data can identify):

* scaled spend ``x[g, t, c] = spend[g, t, c] / spend_scale(spend)[g, c]``
  (:func:`mmmkit.scaling.spend_scale`, computed once from the simulated spend);
* ``s = saturation_c(adstock_c(x))`` in ``[0, 1)``, adstock and saturation parameters shared by
  all geos for a channel, spend before the first week counted as zero;
* ``sales[g, t] = baseline[g, t] + sum_c effect[g, c] * s[g, t, c] + noise``, ``effect`` in
  sales units (a channel's weekly contribution at full saturation);
* ``baseline[g, t] = intercept[g] + trend[g] * t + level[g] * (fourier[t] @ seasonality
  + controls[g, t] @ control_coefs)``, ``t = 0 .. T - 1`` the week index;
* ``noise ~ Normal(0, noise * level[g])``.

Spend looks like real plans, because recovery is only possible when spend varies
independently: geos of different sizes (largest 10x the smallest), always-on channels with
AR(1) wobble and a 2-4 week pause about once a year, flighted channels with bursts of several
weeks and zero weeks between, a national plan shared by the geos plus geo-specific deviations
(skipped and local flights, allocation mix, weekly noise), and channel plans that are not
collinear with one another.

All randomness comes from ``numpy.random.default_rng(seed)``: the same arguments give identical
data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.adstock import ADSTOCK_KINDS, Adstock
from mmmkit.design import fourier_features, interleave_fourier
from mmmkit.saturation import SATURATION_KINDS, Saturation
from mmmkit.scaling import spend_scale

__all__ = ["CHANNEL_NAMES", "SCENARIOS", "SimulatedData", "scenario", "simulate"]

CHANNEL_NAMES: tuple[str, ...] = (
    "tv",
    "search",
    "social",
    "display",
    "radio",
    "print",
    "ooh",
    "email",
    "video",
    "affiliate",
)


SCENARIOS: dict[str, dict[str, int]] = {
    "national": {"n_geos": 1, "n_weeks": 156, "n_channels": 5},
    "geo": {"n_geos": 30, "n_weeks": 156, "n_channels": 6},
    "large": {"n_geos": 150, "n_weeks": 156, "n_channels": 10},
    "panel-small": {"n_geos": 20, "n_weeks": 104, "n_channels": 4},
    "national-small": {"n_geos": 1, "n_weeks": 156, "n_channels": 3},
}

# Mean weekly baseline sales of an average-sized geo (sales units). Arbitrary: the model is
# scale-free, a round number only makes tables readable.
_LEVEL = 100_000.0
# Ratio of the largest to the smallest geo's size.
_SIZE_RATIO = 10.0
# Range of true ROAS (sales per currency unit) the channels are spread over.
_ROAS_RANGE = (0.5, 5.0)
# Fourier order of the yearly seasonality and sd of its coefficients (share of level), the
# first harmonic dominating as in most retail series.
_FOURIER_ORDER = 2
_SEASON_SD = np.array([0.08, 0.08, 0.03, 0.03])
# Largest pairwise correlation accepted between two channels' national plans.
_MAX_PLAN_CORR = 0.4


class _Style(NamedTuple):
    """How a channel is typically bought.

    ``pattern``: ``"always_on"`` (AR(1) wobble, ``dark`` = chance of a zero week, ``burst`` =
    chance per week that a 2-3 week push starts) or ``"flighted"`` (bursts of ``on`` weeks
    separated by ``off`` weeks of zero spend). ``carry``: range of a 0..1 carryover score that
    each adstock kind maps onto its own parameters (TV long, search short).
    """

    pattern: str
    on: tuple[int, int] = (0, 0)
    off: tuple[int, int] = (0, 0)
    dark: float = 0.0
    burst: float = 0.0
    carry: tuple[float, float] = (0.0, 1.0)


_STYLES: dict[str, _Style] = {
    "tv": _Style("flighted", on=(4, 8), off=(3, 8), carry=(0.5, 1.0)),
    "search": _Style("always_on", carry=(0.0, 0.3)),
    "social": _Style("always_on", dark=0.03, burst=0.05, carry=(0.2, 0.6)),
    "display": _Style("always_on", dark=0.08, carry=(0.2, 0.6)),
    "radio": _Style("flighted", on=(3, 6), off=(4, 10), carry=(0.4, 0.9)),
    "print": _Style("flighted", on=(1, 3), off=(3, 8), carry=(0.3, 0.8)),
    "ooh": _Style("flighted", on=(4, 10), off=(6, 14), carry=(0.5, 1.0)),
    "email": _Style("always_on", dark=0.25, carry=(0.0, 0.3)),
    "video": _Style("flighted", on=(2, 6), off=(2, 6), carry=(0.3, 0.8)),
    "affiliate": _Style("always_on", dark=0.02, carry=(0.0, 0.3)),
}


# ---------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class SimulatedData:
    """A simulated data set and the truth that generated it.

    Attributes
    ----------
    data : pandas.DataFrame
        Tidy table, one row per week per geo, sorted by geo then date: ``date`` (Mondays),
        ``geo`` (panels only), ``sales`` (sales units), one spend column per channel
        (currency units, ``>= 0``), one column per control (standardised, unitless).
    channels, controls : list of str
        Spend and control column names.
    geo : str or None
        ``"geo"`` for a panel, ``None`` for a national series (no geo column).
    adstock, saturation : Adstock, Saturation
        The true transforms (their ``max_lag`` / kind; parameters are in ``params``).
    params : dict
        The true parameters, enough to regenerate the expected sales:

        - ``"adstock"``, ``"saturation"``: ``{name: array (C,)}``, the transforms' keyword
          arguments;
        - ``"effect"``: ``(G, C)`` sales units per week at full saturation,
          ``level[g] * share[c] * exp(pooling_sd * z[g, c])``;
        - ``"share"``: ``(C,)`` channel effect as a share of a geo's level, before geo
          deviations; ``"pooling_sd"``: the sd of ``log effect`` across geos;
        - ``"level"``: ``(G,)`` mean weekly baseline sales of each geo;
        - ``"intercept"``: ``(G,)`` baseline at week 0 before seasonality and controls;
          ``"trend"``: ``(G,)`` sales units per week (``baseline += trend * t``);
        - ``"seasonality"``: ``(2 * fourier_order,)`` coefficients on
          ``[sin(2 pi k d / 365.25), cos(2 pi k d / 365.25)]`` for ``k = 1..order``, ``d`` in
          days since 1970-01-01, as shares of the level; ``"fourier_order"``: 2;
        - ``"controls"``: ``(K,)`` sales change per unit (one sd) of each control, as a share
          of the level;
        - ``"noise_sd"``: ``(G,)`` sales units;
        - ``"spend_scale"``: ``(G, C)`` currency per week, ``spend_scale(spend)``;
        - ``"media_share"``: realised share of expected sales from media in the fitted weeks.
    spend : numpy.ndarray
        ``(G, T, C)`` raw spend, currency units.
    geos : list of str
        Geo labels, ``["all"]`` for a national series.
    dates : pandas.DatetimeIndex
        The ``T`` weeks.
    contributions : xarray.DataArray
        ``("date", "geo", "channel")``, sales units: each channel's expected additive term in
        the fitted weeks (noise-free).
    baseline : xarray.DataArray
        ``("date", "geo")``, sales units: expected baseline.
    roas : pandas.Series
        True counterfactual ROAS per channel (sales per currency unit): expected sales with
        the actual spend minus expected sales with the channel switched off for the whole
        period, carryover into the ``max_lag - 1`` weeks after the last one included, divided
        by the channel's total spend.
    date, target : str
        ``"date"`` and ``"sales"``.
    """

    data: pd.DataFrame
    channels: list[str]
    controls: list[str]
    geo: str | None
    adstock: Adstock
    saturation: Saturation
    params: dict[str, Any]
    spend: np.ndarray
    geos: list[str]
    dates: pd.DatetimeIndex
    contributions: xr.DataArray
    baseline: xr.DataArray
    roas: pd.Series
    date: str = "date"
    target: str = "sales"

    @property
    def max_lag(self) -> int:
        """Weeks of carryover of the true adstock (the tail is ``max_lag - 1`` weeks)."""
        return self.adstock.max_lag

    def model_kwargs(self) -> dict[str, Any]:
        """Column roles for ``mmmkit.MMM(**sim.model_kwargs())``."""
        return {
            "date": self.date,
            "target": self.target,
            "channels": list(self.channels),
            "geo": self.geo,
            "controls": list(self.controls),
        }

    def expected_media(self, spend: np.ndarray) -> np.ndarray:
        """Noise-free media contribution of any spend plan over the simulated weeks.

        Parameters
        ----------
        spend : array ``(G, T, C)``, currency units, ``>= 0``
            An alternative plan for the same geos, weeks and channels (``(T, C)`` is accepted
            for a national series). Spend is taken as zero after the last week.

        Returns
        -------
        numpy.ndarray ``(G, T + max_lag - 1, C)``, sales units per week
            Each channel's expected contribution, carryover tail weeks appended. Spend is
            scaled by ``params["spend_scale"]``, the scale of the *actual* spend: it is a fixed
            property of the fitted data, so an alternative plan is not rescaled by itself.
        """
        spend = self._check_spend(spend, "spend")
        tail = np.zeros((spend.shape[0], self.max_lag - 1, spend.shape[2]))
        x = np.concatenate([spend, tail], axis=1) / self.params["spend_scale"][:, None, :]
        return _media(x, self.adstock, self.saturation, self.params)

    def true_lift(self, spend_alt: np.ndarray, spend_ref: np.ndarray | None = None) -> pd.Series:
        """True expected incremental sales of ``spend_alt`` over ``spend_ref``.

        Parameters
        ----------
        spend_alt : array ``(G, T, C)``, currency units
            The alternative plan.
        spend_ref : array ``(G, T, C)``, optional
            The reference plan; default the actual spend.

        Returns
        -------
        pandas.Series
            Sales units summed over geos, the weeks and the carryover tail, indexed by channel
            plus ``"total"``.
        """
        ref = self.spend if spend_ref is None else spend_ref
        diff = self.expected_media(spend_alt) - self.expected_media(ref)
        by_channel = diff.sum(axis=(0, 1))
        return pd.Series(
            np.append(by_channel, by_channel.sum()),
            index=pd.Index([*self.channels, "total"], name="channel"),
            name="lift",
        )

    def _check_spend(self, spend: np.ndarray, name: str) -> np.ndarray:
        spend = np.asarray(spend, dtype=float)
        if spend.ndim == 2 and self.spend.shape[0] == 1:
            spend = spend[None]
        if spend.shape != self.spend.shape:
            raise ValueError(
                f"{name} must have shape (geos, weeks, channels) = {self.spend.shape}, "
                f"got {spend.shape}."
            )
        if not np.all(np.isfinite(spend)) or np.any(spend < 0):
            raise ValueError(f"{name} must be finite and >= 0.")
        return spend

    def __repr__(self) -> str:
        return (
            f"SimulatedData(geos={len(self.geos)}, weeks={len(self.dates)}, "
            f"channels={self.channels}, controls={self.controls}, adstock={self.adstock!r}, "
            f"saturation={self.saturation!r})"
        )


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------
def simulate(
    n_geos: int = 1,
    n_weeks: int = 156,
    n_channels: int = 3,
    *,
    n_controls: int = 1,
    adstock: str | Adstock = "geometric",
    saturation: str | Saturation = "hill",
    noise: float = 0.05,
    pooling_sd: float = 0.2,
    media_share: float = 0.3,
    start: str = "2021-01-04",
    seed: int = 0,
) -> SimulatedData:
    """Simulate weekly sales and media spend from the model's own structure.

    Parameters
    ----------
    n_geos : int
        Number of geos ``G``; 1 gives a national series with no geo column.
    n_weeks : int
        Number of weeks ``T`` (at least 8).
    n_channels : int
        Number of channels ``C``, 1..10, named ``tv, search, social, display, radio, print,
        ooh, email, video, affiliate`` in that order.
    n_controls : int
        Number of control variables (standardised AR(1) series), named ``control_1, ...``.
    adstock : {"geometric", "delayed", "weibull"} or Adstock
        The true carryover (``max_lag=8`` for a name; an instance keeps its own).
    saturation : {"hill", "logistic", "michaelis_menten"} or Saturation
        The true response curve.
    noise : float
        Noise sd as a share of each geo's level (``>= 0``).
    pooling_sd : float
        sd of ``log effect[g, c]`` around the channel's mean (``>= 0``).
    media_share : float
        Share of expected sales in the fitted weeks that comes from media (0..1, exclusive).
    start : str
        First week; moved forward to the next Monday if it is not one.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    SimulatedData

    Notes
    -----
    True parameters are drawn per channel: a carryover score from a channel-typical range
    (TV, radio, OOH long; search, email, affiliate short) mapped to geometric ``alpha`` in
    0.1..0.7, delayed ``alpha`` 0.3..0.8 and ``theta`` 0..3 weeks, Weibull ``lam`` 0.8..3.8
    weeks; Hill ``half_saturation`` 0.6..2.0 and ``slope`` 0.8..2.0, logistic ``lam`` 0.5..3,
    Michaelis-Menten ``half_saturation`` 0.5..2 (on spend scaled to a typical active week, so
    typical weeks sit in the curved part). Channel effect shares are Dirichlet(3) draws scaled
    so that media makes ``media_share`` of expected sales exactly; spend budgets are then set
    so that the true ROAS are spread log-uniformly over 0.5..5 (scaling a channel's spend by a
    constant leaves its scaled spend, hence its contribution, unchanged).
    """
    _check_args(n_geos, n_weeks, n_channels, n_controls, noise, pooling_sd, media_share)
    adstock = _resolve(adstock, ADSTOCK_KINDS, Adstock, "adstock")
    saturation = _resolve(saturation, SATURATION_KINDS, Saturation, "saturation")
    # Independent streams per component, so that for a given seed the spend plans and baseline
    # are the same whatever transform kinds are chosen (their parameters take different draws).
    rng_geo, rng_spend, rng_transform, rng_base, rng_effect, rng_noise = np.random.default_rng(
        seed
    ).spawn(6)
    G, T, C, K = n_geos, n_weeks, n_channels, n_controls
    channels = list(CHANNEL_NAMES[:C])
    controls = [f"control_{k + 1}" for k in range(K)]
    geos = [f"geo_{g:02d}" for g in range(G)] if G > 1 else ["all"]
    dates = pd.date_range(pd.Timestamp(start), periods=T, freq="W-MON")

    # -- geos: sizes 10x apart, log-normal in between ----------------------------------------
    size = _geo_sizes(rng_geo, G)
    level = _LEVEL * size

    # -- spend shapes (budgets are set at the end, from the target ROAS) -------------------
    styles = [_STYLES[c] for c in channels]
    shape = _spend_shapes(rng_spend, styles, size, T)  # (G, T, C)

    # -- true transforms --------------------------------------------------------------------
    carry = np.array([rng_transform.uniform(*s.carry) for s in styles])
    params: dict[str, Any] = {
        "adstock": _draw_adstock(rng_transform, adstock, carry),
        "saturation": _draw_saturation(rng_transform, saturation, C),
    }

    baseline, base = _baseline(rng_base, level, dates, K)  # (G, T)
    effect, share, media = _effects(rng_effect, shape, level, baseline, adstock, saturation,
                                    params, media_share, pooling_sd)
    spend = _budgets(rng_effect, media, shape)

    # -- observed sales -----------------------------------------------------------------
    noise_sd = noise * level
    mean_sales = baseline + media[:, :T, :].sum(axis=-1)
    sales = mean_sales + rng_noise.normal(size=(G, T)) * noise_sd[:, None]

    params.update(
        effect=effect, share=share, pooling_sd=float(pooling_sd), level=level,
        intercept=base["intercept"], trend=base["trend"], seasonality=base["season_coef"],
        fourier_order=_FOURIER_ORDER, controls=base["control_coef"], noise_sd=noise_sd,
        spend_scale=spend_scale(spend),
        media_share=float(media[:, :T, :].sum() / mean_sales.sum()),
    )
    data = _frame(dates, geos, channels, controls, sales, spend, base["control_values"])
    date_index, contributions, baseline_da, roas = _truth(dates, geos, channels, media, baseline,
                                                          spend)
    return SimulatedData(
        data=data, channels=channels, controls=controls, geo="geo" if G > 1 else None,
        adstock=adstock, saturation=saturation, params=params, spend=spend, geos=geos,
        dates=date_index, contributions=contributions, baseline=baseline_da, roas=roas,
    )



def _truth(dates, geos, channels, media, baseline, spend):
    """The true answers as labelled arrays: contributions ``(date, geo, channel)`` and
    baseline ``(date, geo)`` over the fitted weeks, and ROAS per channel with carryover."""
    T = len(dates)
    date_index = pd.DatetimeIndex(dates, name="date")
    contributions = xr.DataArray(
        media[:, :T, :].transpose(1, 0, 2),
        dims=("date", "geo", "channel"),
        coords={"date": date_index, "geo": geos, "channel": channels},
        name="contribution",
    )
    baseline_da = xr.DataArray(
        baseline.T, dims=("date", "geo"), coords={"date": date_index, "geo": geos},
        name="baseline",
    )
    roas = pd.Series(
        media.sum(axis=(0, 1)) / spend.sum(axis=(0, 1)),
        index=pd.Index(channels, name="channel"),
        name="roas",
    )
    return date_index, contributions, baseline_da, roas


def _baseline(rng: np.random.Generator, level: np.ndarray, dates: pd.DatetimeIndex, K: int):
    """The true baseline ``(G, T)``: level, a centred trend, yearly seasonality and controls;
    and its parts by name (draws in the order the simulator has always made them)."""
    G, T = len(level), len(dates)
    t = np.arange(T, dtype=float)
    growth = rng.normal(0.04, 0.04, G)  # share of level gained per year
    trend = level * growth / 52.0
    # The trend is centred on the period so that `level` stays the mean baseline.
    intercept = level - trend * (T - 1) / 2.0
    # the model's own features, interleaved [sin_1, cos_1, sin_2, ...] as the simulator has
    # always drawn its coefficients in that order (same data for the same seed)
    fourier = interleave_fourier(fourier_features(dates, _FOURIER_ORDER))  # (T, 2 * order)
    season_coef = rng.normal(0.0, _SEASON_SD)
    control_values = _controls(rng, G, T, K)  # (G, T, K)
    control_coef = rng.choice([-1.0, 1.0], K) * rng.uniform(0.02, 0.06, K)
    baseline = (
        intercept[:, None]
        + trend[:, None] * t[None, :]
        + level[:, None] * (fourier @ season_coef)[None, :]
        + level[:, None] * (control_values @ control_coef)
    )
    return baseline, {"intercept": intercept, "trend": trend, "season_coef": season_coef,
                      "control_values": control_values, "control_coef": control_coef}


def _effects(rng, shape, level, baseline, adstock, saturation, params, media_share, pooling_sd):
    """True effects ``(G, C)``, shares ``(C,)`` and media ``(G, T + L - 1, C)``: effect shares
    scaled so that media is exactly ``media_share`` of expected sales in the fitted weeks."""
    G, T, C = shape.shape
    scale = spend_scale(shape)
    tail = np.zeros((G, adstock.max_lag - 1, C))
    x = np.concatenate([shape, tail], axis=1) / scale[:, None, :]
    params["effect"] = np.ones((G, C))
    s = _media(x, adstock, saturation, params)  # (G, T + L - 1, C) with unit effects
    weights = rng.dirichlet(np.full(C, 3.0))
    z = rng.normal(size=(G, C))
    raw_effect = level[:, None] * weights[None, :] * np.exp(pooling_sd * z)
    fitted_media = (raw_effect[:, None, :] * s[:, :T, :]).sum()
    share = weights * media_share / (1.0 - media_share) * baseline.sum() / fitted_media
    effect = level[:, None] * share[None, :] * np.exp(pooling_sd * z)
    return effect, share, effect[:, None, :] * s


def _budgets(rng: np.random.Generator, media: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Spend ``(G, T, C)``: each channel's shape scaled to hit a drawn ROAS (log-uniform over
    the range, stratified so the channels cover the whole range, not a random clump)."""
    C = shape.shape[2]
    lo, hi = np.log(_ROAS_RANGE)
    strata = (rng.permutation(C) + rng.uniform(size=C)) / C
    roas_target = np.exp(lo + (hi - lo) * strata)
    budget = media.sum(axis=(0, 1)) / (roas_target * shape.sum(axis=(0, 1)))
    return shape * budget[None, None, :]


def _frame(dates, geos, channels, controls, sales, spend, control_values) -> pd.DataFrame:
    """The tidy weekly table a user would hand to :class:`mmmkit.MMM`."""
    G, T = sales.shape
    frame = {"date": np.tile(dates.values, G)}
    if G > 1:
        frame["geo"] = np.repeat(geos, T)
    frame["sales"] = sales.reshape(-1)
    for c, name in enumerate(channels):
        frame[name] = spend[:, :, c].reshape(-1)
    for k, name in enumerate(controls):
        frame[name] = control_values[:, :, k].reshape(-1)
    return pd.DataFrame(frame)


def scenario(name: str, seed: int = 0) -> SimulatedData:
    """A named preset of :func:`simulate` (geometric adstock, Hill saturation, defaults).

    ``"national"`` (1 geo x 156 weeks x 5 channels), ``"geo"`` (30 x 156 x 6), ``"large"``
    (150 x 156 x 10), ``"panel-small"`` (20 x 104 x 4), ``"national-small"`` (1 x 156 x 3).
    """
    if name not in SCENARIOS:
        raise ValueError(f"Unknown scenario {name!r}; choose one of {sorted(SCENARIOS)}.")
    return simulate(**SCENARIOS[name], seed=seed)


# ---------------------------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------------------------
def _check_args(G, T, C, K, noise, pooling_sd, media_share) -> None:
    if int(G) != G or G < 1:
        raise ValueError(f"n_geos must be a whole number >= 1, got {G!r}.")
    if int(T) != T or T < 8:
        raise ValueError(f"n_weeks must be a whole number >= 8, got {T!r}.")
    if int(C) != C or not 1 <= C <= len(CHANNEL_NAMES):
        raise ValueError(
            f"n_channels must be between 1 and {len(CHANNEL_NAMES)} (the named channels "
            f"{list(CHANNEL_NAMES)}), got {C!r}."
        )
    if int(K) != K or K < 0:
        raise ValueError(f"n_controls must be a whole number >= 0, got {K!r}.")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}.")
    if not pooling_sd >= 0:
        raise ValueError(f"pooling_sd must be >= 0, got {pooling_sd!r}.")
    if not 0 < media_share < 1:
        raise ValueError(f"media_share must be strictly between 0 and 1, got {media_share!r}.")


def _resolve(spec, kinds: dict[str, type], base: type, what: str):
    if isinstance(spec, base):
        if spec.kind not in kinds:
            raise ValueError(f"No simulation ranges for {what} kind {spec.kind!r}.")
        return spec
    if isinstance(spec, str) and spec in kinds:
        return kinds[spec]()
    raise ValueError(f"{what} must be one of {list(kinds)} or a {base.__name__}, got {spec!r}.")


def _media(x: np.ndarray, adstock: Adstock, saturation: Saturation, params) -> np.ndarray:
    """``effect[g, c] * saturation(adstock(x))``: scaled spend ``(G, T, C)`` -> sales units."""
    a = adstock.apply(x, **params["adstock"])
    return params["effect"][:, None, :] * saturation.apply(a, **params["saturation"])


def _geo_sizes(rng: np.random.Generator, G: int) -> np.ndarray:
    """Relative geo sizes, mean 1: log-normal shape, stretched so max / min is exactly 10."""
    if G == 1:
        return np.ones(1)
    log_size = rng.normal(size=G)
    spread = log_size.max() - log_size.min()
    log_size = (log_size - log_size.min()) / spread * np.log(_SIZE_RATIO)
    size = np.exp(log_size)
    return size / size.mean()


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) along the last axis with marginal sd ``sd``."""
    eps = rng.normal(size=shape) * sd * np.sqrt(1.0 - phi**2)
    out = np.empty(shape)
    out[..., 0] = rng.normal(size=shape[:-1]) * sd
    for t in range(1, shape[-1]):
        out[..., t] = phi * out[..., t - 1] + eps[..., t]
    return out


def _flights(
    rng: np.random.Generator, T: int, on: tuple[int, int], off: tuple[int, int]
) -> np.ndarray:
    """Flight index per week (``-1`` off air): bursts of ``on`` weeks, gaps of ``off``."""
    flight = np.full(T, -1)
    t = int(rng.integers(0, off[1] + 1))
    n = 0
    while t < T:
        length = int(rng.integers(on[0], on[1] + 1))
        flight[t : t + length] = n
        n += 1
        t += length + int(rng.integers(off[0], off[1] + 1))
    if n == 0:  # a short series whose first gap ran past the end
        flight[: on[0]] = 0
    return flight


def _national_plan(rng: np.random.Generator, style: _Style, T: int):
    """National weekly plan ``(T,)`` (relative spend, zero off air) and flight index."""
    if style.pattern == "flighted":
        flight = _flights(rng, T, style.on, style.off)
        n = flight.max() + 1
        amplitude = np.exp(rng.normal(0.0, 0.3, n))  # flights differ in weight
        wobble = np.exp(rng.normal(0.0, 0.1, T))
        plan = np.where(flight >= 0, amplitude[np.maximum(flight, 0)] * wobble, 0.0)
        return plan, flight
    plan = np.exp(_ar1(rng, (T,), phi=0.85, sd=0.3))
    if style.burst > 0:
        starts = np.flatnonzero(rng.random(T) < style.burst)
        for t0 in starts:
            plan[t0 : t0 + int(rng.integers(2, 4))] *= 1.8
    dark = rng.random(T) < style.dark
    # Always-on budgets still pause now and then (freezes, tests): about once a year for 2-4
    # weeks. Those pauses are what reveal the level of an always-on channel's contribution in
    # a single national series; without them only its marginal effect is identified.
    for t0 in np.flatnonzero(rng.random(T) < 1.0 / 52.0):
        dark[t0 : t0 + int(rng.integers(2, 5))] = True
    plan[dark] = 0.0
    return plan, np.where(dark, -1, 0)


def _spend_shapes(
    rng: np.random.Generator, styles: list[_Style], size: np.ndarray, T: int
) -> np.ndarray:
    """Spend ``(G, T, C)`` up to a constant per channel: national plans plus geo deviations."""
    G, C = len(size), len(styles)
    plans, flights = [], []
    for style in styles:
        # Redraw a plan that moves with an earlier channel: collinear channels cannot be
        # told apart by any model, which would defeat the point of a known truth.
        best, best_corr = None, np.inf
        for _ in range(50):
            plan, flight = _national_plan(rng, style, T)
            corr = max((abs(np.corrcoef(plan, p)[0, 1]) for p in plans), default=0.0)
            if corr < best_corr:
                best, best_corr = (plan, flight), corr
            if corr < _MAX_PLAN_CORR:
                break
        plans.append(best[0])
        flights.append(best[1])

    spend = np.empty((G, T, C))
    # Each geo's channel mix differs; weekly noise is geo-specific so geos are not copies.
    mix = np.exp(rng.normal(0.0, 0.3, (G, C)))
    noise = np.exp(_ar1(rng, (G, C, T), phi=0.5, sd=0.25))
    for c, style in enumerate(styles):
        plan, flight = plans[c], flights[c]
        if G == 1:
            geo_plan = plan[None, :]
        elif style.pattern == "flighted":
            # Geos skip some national flights and run some local ones of their own.
            n = flight.max() + 1
            skip = rng.random((G, n)) < 0.15
            on_air = (flight >= 0)[None, :] & ~skip[:, np.maximum(flight, 0)]
            local = np.stack([_flights(rng, T, (2, 4), (12, 30)) >= 0 for _ in range(G)])
            local &= (flight < 0)[None, :]
            typical = plan[plan > 0].mean()
            geo_plan = np.where(on_air, plan[None, :], 0.0) + np.where(local, typical, 0.0)
            # A geo that skipped everything would have no spend to learn from.
            empty = geo_plan.sum(axis=1) == 0
            geo_plan[empty] = plan
        else:
            dark = rng.random((G, T)) < style.dark / 2
            geo_plan = np.where(dark, 0.0, plan[None, :])
            empty = geo_plan.sum(axis=1) == 0
            geo_plan[empty] = plan
        spend[:, :, c] = size[:, None] * mix[:, c, None] * geo_plan * noise[:, c, :]
    return spend


def _draw_adstock(rng: np.random.Generator, adstock: Adstock, carry: np.ndarray):
    """True adstock parameters ``{name: (C,)}`` from a 0..1 carryover score per channel."""
    C = len(carry)
    if adstock.kind == "geometric":
        return {"alpha": 0.1 + 0.6 * carry}
    if adstock.kind == "binomial":
        return {"alpha": 0.15 + 0.5 * carry}
    if adstock.kind == "delayed":
        theta = rng.uniform(0.0, 1.0 + 2.0 * carry)
        return {
            "alpha": 0.3 + 0.5 * carry,
            "theta": np.minimum(theta, adstock.max_lag - 1.0),
        }
    # Weibull: lam (weeks) grows with carryover; pdf shapes k > 1 build up to a delayed
    # peak, cdf shapes 0.7..2 span long-tailed to sharp decays.
    k_range = (1.2, 2.5) if adstock.weibull_kind == "pdf" else (0.7, 2.0)
    return {"lam": 0.8 + 3.0 * carry, "k": rng.uniform(*k_range, C)}


def _draw_saturation(rng: np.random.Generator, saturation: Saturation, C: int):
    """True saturation parameters ``{name: (C,)}``, curved around a typical week (x = 1)."""
    if saturation.kind == "hill":
        return {
            "half_saturation": rng.uniform(0.6, 2.0, C),
            "slope": rng.uniform(0.8, 2.0, C),
        }
    if saturation.kind == "logistic":
        return {"lam": rng.uniform(0.5, 3.0, C)}
    return {"half_saturation": rng.uniform(0.5, 2.0, C)}


def _controls(rng: np.random.Generator, G: int, T: int, K: int) -> np.ndarray:
    """Controls ``(G, T, K)``: AR(1) series, correlated across geos, standardised per geo."""
    shared = _ar1(rng, (K, T), phi=0.7, sd=1.0)
    local = _ar1(rng, (G, K, T), phi=0.7, sd=1.0)
    # 60% of each series' variance is common to all geos (prices, weather, macro).
    raw = np.sqrt(0.6) * shared[None] + np.sqrt(0.4) * local
    raw = (raw - raw.mean(axis=-1, keepdims=True)) / raw.std(axis=-1, keepdims=True)
    return raw.transpose(0, 2, 1)
