"""Data-generating processes (DGPs) for the recovery zoo, written from published descriptions.

mmmkit's own simulator (``mmmkit.simulate``) has exactly the fitted model's structure, so a fit
that recovers it proves only that the sampler works. The processes here are written from papers
and other libraries' documentation instead, with numpy, pandas and scipy only: this module
imports nothing from mmmkit (a test parses it to make sure), so it cannot share a bug or a
convention with the code it checks.

Every generator returns a :class:`ZooDataset`: the weekly table an analyst would receive, the
``mmmkit.MMM`` arguments that analyst would choose (as plain data), and the exact truth of every
answer the runner scores:

* ``roas`` per channel: expected KPI with the actual spend minus expected KPI with the channel's
  spend set to zero over the whole period, the carryover into the weeks after the period's last
  week included (the time axis is extended by the carryover length with zero spend), divided by
  the channel's total spend. This is ``MMM.roas_draws``' definition.
* ``mroas``: the extra expected KPI (tail included) when every week's spend of the channel is
  scaled by 1.01, per unit of extra spend.
* ``contribution``: the channel's additive term summed over the period's weeks (KPI units).
* ``reallocation``: a stated budget-neutral move (``share`` of the ``from`` channel's total moved
  to ``to``, each channel's weekly and geo pattern scaled to its new total) and its true lift.
* ``optimum``: the split of the same total budget, every channel's weekly and geo pattern kept
  and scaled, bounds ``[0, budget]`` per channel (``mmmkit.scenarios.optimize_budget``'s
  defaults), that maximises the true expected lift; ``optimum_lift`` is that lift. Any other
  split is scored with :meth:`ZooDataset.true_lift`.

"Expected KPI" is without noise. All media effects here are additive, so a channel's
counterfactual is its own term.

Units: spend in currency per week (``pymc_marketing_example`` keeps its source's max-scaled
spend, 0..1); the KPI ``y`` in sales units per week; ROAS in KPI units per currency unit.
Shapes: spend ``(G, T, C)`` (geo, week, channel; ``G = 1`` for a national series), KPI
``(G, T)``.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import expit

__all__ = [
    "ZOO",
    "Curve",
    "MediaProcess",
    "ZooDataset",
    "always_on",
    "build_all",
    "geo_always_on",
    "geo_pop_spread",
    "jin2017",
    "kernel",
    "lockstep",
    "out_of_family_carryover",
    "out_of_family_curve",
    "pymc_marketing_example",
    "trend_break",
]

# The first week of every set except pymc_marketing_example (whose dates are its source's).
START = "2021-01-04"  # a Monday
MROAS_STEP = 0.01  # marginal ROAS: every week's spend scaled by 1 + MROAS_STEP
N_STARTS = 8  # optimiser starts: the historical split plus random splits


# =============================================================================================
# Transforms: carryover kernels and response curves
# =============================================================================================
def kernel(kind: str, max_lag: int, **params: float) -> np.ndarray:
    """Normalised carryover weights ``w[l]``, ``l = 0 .. max_lag - 1``, summing to 1.

    Parameters
    ----------
    kind : ``"geometric"`` (``alpha``: ``w[l] ∝ alpha**l``), ``"delayed"`` (``alpha``,
        ``theta`` in weeks: ``w[l] ∝ alpha**((l - theta)**2)``, Jin et al. 2017, eq. 2) or
        ``"weibull_pdf"`` (``lam`` in weeks, shape ``k``: ``w[l] ∝ WeibullPDF(l + 1; k, lam)``,
        a delayed peak for ``k > 1``, as Robyn's ``weibull_pdf`` adstock).
    max_lag : number of lags (weeks), lag 0 (the week of spend) included.

    Returns
    -------
    array ``(max_lag,)``.
    """
    lags = np.arange(max_lag, dtype=float)
    if kind == "geometric":
        raw = params["alpha"] ** lags
    elif kind == "delayed":
        raw = params["alpha"] ** ((lags - params["theta"]) ** 2)
    elif kind == "weibull_pdf":
        z = (lags + 1.0) / params["lam"]
        k = params["k"]
        raw = (k / params["lam"]) * z ** (k - 1.0) * np.exp(-(z**k))
    else:
        raise ValueError(f"unknown carryover kind {kind!r}")
    return raw / raw.sum()


@dataclass(frozen=True)
class Curve:
    """A response curve in ``[0, 1)`` of scaled adstocked spend ``x >= 0`` (``f(0) = 0``).

    ``kind``: ``"hill"`` (``K``, ``S``: ``x**S / (x**S + K**S)``), ``"logistic"`` (``lam``:
    ``(1 - exp(-lam x)) / (1 + exp(-lam x))``, PyMC-Marketing's) or ``"exponential"`` (``k``:
    ``1 - exp(-x / k)``, the negative-exponential response).
    """

    kind: str
    params: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        p = self.params
        if self.kind == "hill":
            positive = x > 0
            # the sigmoid of S log(x / K) is x**S / (x**S + K**S), stable for any x > 0
            z = p["S"] * (np.log(np.where(positive, x, 1.0)) - np.log(p["K"]))
            return np.where(positive, expit(z), 0.0)
        if self.kind == "logistic":
            e = np.exp(-p["lam"] * x)
            return (1.0 - e) / (1.0 + e)
        if self.kind == "exponential":
            return -np.expm1(-x / p["k"])
        raise ValueError(f"unknown curve kind {self.kind!r}")


# =============================================================================================
# The media block and the truth computed from it
# =============================================================================================
@dataclass(frozen=True, eq=False)
class MediaProcess:
    """Additive media: ``contribution[g, t, c] = beta[g, c] * curve_c(adstock_c(spend)[g, t, c]
    / ref[g, c])``, with spend before the first week counted as zero.

    Attributes
    ----------
    channels : channel names, in the order of the last axis of spend.
    kernels : ``(C, L)`` normalised carryover weights (lag 0 first); ``L - 1`` weeks of
        carryover follow a week of spend.
    curves : one :class:`Curve` per channel.
    ref : ``(G, C)`` currency per week: the spend level the curve's argument is measured in.
    beta : ``(G, C)`` KPI units per week at full saturation (curve value 1).
    """

    channels: tuple[str, ...]
    kernels: np.ndarray
    curves: tuple[Curve, ...]
    ref: np.ndarray
    beta: np.ndarray

    @property
    def tail(self) -> int:
        """Weeks of carryover after the last week of spend."""
        return self.kernels.shape[1] - 1

    def adstock(self, spend: np.ndarray) -> np.ndarray:
        """Carried-over spend ``(G, T, C)`` (currency) of spend ``(G, T, C)``."""
        spend = np.asarray(spend, dtype=float)
        out = np.zeros_like(spend)
        T = spend.shape[1]
        for lag in range(min(self.kernels.shape[1], T)):
            out[:, lag:, :] += self.kernels[:, lag] * spend[:, : T - lag, :]
        return out

    def response(self, adstocked: np.ndarray) -> np.ndarray:
        """Contributions ``(G, T, C)`` (KPI per week) of carried-over spend ``(G, T, C)``."""
        out = np.empty_like(adstocked)
        for c, curve in enumerate(self.curves):
            x = adstocked[..., c] / self.ref[:, None, c]
            out[..., c] = self.beta[:, None, c] * curve(x)
        return out

    def contributions(self, spend: np.ndarray) -> np.ndarray:
        """Per-week, per-channel media terms ``(G, T, C)`` of spend ``(G, T, C)``."""
        return self.response(self.adstock(spend))

    def total(self, spend: np.ndarray) -> float:
        """Media KPI summed over the weeks of ``spend`` and the carryover tail after them."""
        return float(self.contributions(extend(spend, self.tail)).sum())


def extend(spend: np.ndarray, weeks: int) -> np.ndarray:
    """``spend`` ``(G, T, C)`` followed by ``weeks`` weeks of zero spend."""
    G, _, C = spend.shape
    return np.concatenate([spend, np.zeros((G, weeks, C))], axis=1)


def _scaled(spend: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Every channel's weekly (and geo) pattern multiplied by its factor ``(C,)``."""
    return spend * np.asarray(factors, dtype=float)[None, None, :]


def channel_truth(process: MediaProcess, spend: np.ndarray) -> dict[str, dict[str, float]]:
    """Per channel: ``spend`` (currency), ``roas``, ``mroas`` (KPI per currency unit, tail
    included) and ``contribution`` (KPI over the period's weeks)."""
    actual = process.total(spend)
    contribution = process.contributions(spend).sum(axis=(0, 1))
    out = {}
    for c, ch in enumerate(process.channels):
        factors = np.ones(len(process.channels))
        factors[c] = 0.0
        without = process.total(_scaled(spend, factors))
        factors[c] = 1.0 + MROAS_STEP
        bumped = process.total(_scaled(spend, factors))
        spent = float(spend[..., c].sum())
        out[ch] = {
            "spend": spent,
            "roas": (actual - without) / spent,
            "mroas": (bumped - actual) / (MROAS_STEP * spent),
            "contribution": float(contribution[c]),
        }
    return out


def solve_optimum(process: MediaProcess, spend: np.ndarray, rng: np.random.Generator,
                  n_starts: int = N_STARTS) -> tuple[np.ndarray, float]:
    """The split of the historical total budget that maximises the true lift.

    Each channel keeps its pattern scaled to its new total; totals in ``[0, budget]``, summing
    to the budget. Adstock is linear, so the carried-over spend of a scaled plan is the scaled
    carried-over historical spend: computed once, each evaluation is one pass of the curves.
    SLSQP runs from the historical split and ``n_starts - 1`` random (Dirichlet) splits.

    Returns
    -------
    allocation ``(C,)`` currency over the period, and its lift (KPI, tail included) over the
    actual spend.
    """
    hist = spend.sum(axis=(0, 1))
    budget = float(hist.sum())
    adstocked = process.adstock(extend(spend, process.tail))
    actual = float(process.response(adstocked).sum())
    scale = max(abs(actual), 1.0)

    def lift(shares: np.ndarray) -> float:
        factors = np.where(hist > 0, shares * budget / np.where(hist > 0, hist, 1.0), 0.0)
        return float(process.response(adstocked * factors).sum()) - actual

    starts = [hist / budget] + [rng.dirichlet(np.ones(len(hist))) for _ in range(n_starts - 1)]
    best_w, best = starts[0], 0.0
    for w0 in starts:
        res = optimize.minimize(
            lambda w: -lift(w) / scale, w0, method="SLSQP",
            bounds=[(0.0, 1.0)] * len(hist),
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
            options={"ftol": 1e-13, "maxiter": 1000},
        )
        w = np.clip(res.x, 0.0, None)
        w = w / w.sum()
        value = lift(w)
        if value > best:
            best_w, best = w, value
    return best_w * budget, best


# =============================================================================================
# The data set
# =============================================================================================
@dataclass(eq=False)
class ZooDataset:
    """One data set of the zoo: data, the analyst's model choice, and the exact truth.

    Attributes
    ----------
    name, description, source : what it is and the published description it follows.
    data : one row per week (per geo and week for a panel), sorted by ``(geo, date)``:
        ``date`` (Mondays), ``geo`` (panels), ``y`` (KPI), one spend column per channel
        (currency), control columns.
    model_kwargs : ``mmmkit.MMM`` arguments as plain data; ``adstock`` and ``saturation`` are
        ``(kind, options)`` pairs, e.g. ``("geometric", {"max_lag": 8})``, ``("hill", {})``.
    truth : see the module docstring; also ``media_share`` (media's share of the expected KPI
        over the period), ``noise_cv`` (noise sd over mean KPI), ``historical`` (spend per
        channel), ``budget`` and ``params`` (the true parameters, for reading).
    process : the true media block.
    baseline : ``(G, T)`` expected KPI without media (KPI units per week).
    spend : ``(G, T, C)`` the spend in ``data`` (currency per week).
    """

    name: str
    description: str
    source: str
    data: pd.DataFrame
    model_kwargs: dict[str, Any]
    truth: dict[str, Any]
    process: MediaProcess = field(repr=False)
    baseline: np.ndarray = field(repr=False)
    spend: np.ndarray = field(repr=False)

    @property
    def channels(self) -> list[str]:
        return list(self.process.channels)

    @property
    def is_panel(self) -> bool:
        return self.model_kwargs["geo"] is not None

    def spend_of(self, frame: pd.DataFrame) -> np.ndarray:
        """Spend ``(G, T, C)`` of a frame laid out like :attr:`data` (any row order)."""
        geo = self.model_kwargs["geo"]
        if geo is None:
            rows = frame.sort_values("date")
            return rows[self.channels].to_numpy(dtype=float)[None]
        rows = frame.sort_values([geo, "date"])
        n_geos = rows[geo].nunique()
        return rows[self.channels].to_numpy(dtype=float).reshape(n_geos, -1, len(self.channels))

    def expected_kpi(self, spend: np.ndarray | None = None) -> np.ndarray:
        """Expected KPI ``(G, T + tail)`` under ``spend`` ``(G, T, C)`` (default: actual).

        The ``tail`` weeks after the period hold only the media carryover: the baseline after
        the period is not part of the data set, and it cancels in every difference of plans.
        """
        spend = self.spend if spend is None else np.asarray(spend, dtype=float)
        media = self.process.contributions(extend(spend, self.process.tail)).sum(axis=-1)
        base = np.pad(self.baseline, ((0, 0), (0, self.process.tail)))
        return base + media

    def true_lift(self, allocation: Mapping[str, float] | pd.Series) -> float:
        """True expected lift (KPI, carryover tail included) of a split of spend over the
        period, ``{channel: total currency}``, against the actual spend; each channel keeps
        its weekly and geo pattern scaled to its new total."""
        allocation = dict(allocation)
        missing = set(self.channels) - set(allocation)
        if missing:
            raise KeyError(f"allocation lacks channels {sorted(missing)}")
        hist = self.spend.sum(axis=(0, 1))
        target = np.array([float(allocation[ch]) for ch in self.channels])
        if np.any((hist <= 0) & (target > 0)):
            raise ValueError("a channel without spend has no pattern to scale up")
        factors = np.where(hist > 0, target / np.where(hist > 0, hist, 1.0), 0.0)
        return self.process.total(_scaled(self.spend, factors)) - self.truth["expected_total"]


def _assemble(*, name: str, description: str, source: str, dates: pd.DatetimeIndex,
              geos: Sequence[str] | None, spend: np.ndarray, baseline: np.ndarray,
              controls: Mapping[str, np.ndarray], process: MediaProcess,
              rng: np.random.Generator, model_kwargs: dict[str, Any],
              reallocation: tuple[str, str, float], params: dict[str, Any],
              noise_cv: float | None = None, noise_sd: float | None = None,
              opt_seed: int = 0) -> ZooDataset:
    """Draw the noise, lay out the frame and compute the truth.

    ``noise_cv`` sets the noise sd per geo to that share of the geo's mean expected KPI;
    ``noise_sd`` gives it in KPI units instead (one of the two). ``controls`` are ``(G, T)``
    arrays whose effect is already in ``baseline``.
    """
    G, T, _ = spend.shape
    media = process.contributions(spend)  # (G, T, C)
    expected = baseline + media.sum(axis=-1)
    if (noise_cv is None) == (noise_sd is None):
        raise ValueError("give exactly one of noise_cv and noise_sd")
    sd = noise_cv * expected.mean(axis=1) if noise_sd is None else np.full(G, float(noise_sd))
    y = expected + rng.normal(0.0, sd[:, None], size=(G, T))

    columns: dict[str, Any] = {"date": np.tile(dates.to_numpy(), G)}
    if geos is not None:
        if list(geos) != sorted(geos):
            raise ValueError("geo names must sort in the order of the spend array")
        columns["geo"] = np.repeat(np.asarray(geos, dtype=object), T)
    columns["y"] = y.ravel()
    for c, ch in enumerate(process.channels):
        columns[ch] = spend[..., c].ravel()
    for k, values in controls.items():
        columns[k] = np.asarray(values, dtype=float).ravel()
    data = pd.DataFrame(columns)

    actual_total = process.total(spend)
    per_channel = channel_truth(process, spend)
    hist = spend.sum(axis=(0, 1))
    src, dst, share = reallocation
    moved = dict(zip(process.channels, hist, strict=True))
    amount = share * moved[src]
    moved[src] -= amount
    moved[dst] += amount
    factors = np.array([moved[ch] for ch in process.channels]) / hist
    realloc_lift = process.total(_scaled(spend, factors)) - actual_total
    alloc, opt_lift = solve_optimum(process, spend, np.random.default_rng([opt_seed, 7]))

    truth = {
        "channels": per_channel,
        "reallocation": {"from": src, "to": dst, "share": share, "amount": float(amount),
                         "lift": float(realloc_lift)},
        "optimum": {ch: float(a) for ch, a in zip(process.channels, alloc, strict=True)},
        "optimum_lift": float(opt_lift),
        "historical": {ch: float(h) for ch, h in zip(process.channels, hist, strict=True)},
        "budget": float(hist.sum()),
        "expected_total": actual_total,
        "media_share": float(media.sum() / expected.sum()),
        "noise_cv": float(np.mean(sd / expected.mean(axis=1))),
        "params": params,
    }
    return ZooDataset(name=name, description=description, source=source, data=data,
                      model_kwargs=model_kwargs, truth=truth, process=process,
                      baseline=baseline, spend=spend)


# =============================================================================================
# Building blocks: calendars, spend patterns, controls, effect sizes
# =============================================================================================
def _rng(name: str, seed: int) -> np.random.Generator:
    """A stream per (data set, seed): sets never share draws."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _weeks(n: int, start: str = START) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="7D")


def seasonal_index(dates: pd.DatetimeIndex, peak_doy: float = 335.0) -> np.ndarray:
    """Yearly shape (two harmonics) peaking near ``peak_doy``, scaled to a maximum of 1."""
    def raw(doy):
        d = 2 * np.pi * (np.asarray(doy, dtype=float) - peak_doy) / 365.25
        return np.cos(d) + 0.35 * np.cos(2 * d)

    return raw(dates.day_of_year) / np.abs(raw(np.arange(1, 367))).max()


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Stationary AR(1) with unit variance."""
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0]
    for t in range(1, n):
        x[t] = phi * x[t - 1] + np.sqrt(1 - phi**2) * e[t]
    return x


def _mean_one(rng: np.random.Generator, cv: float, size) -> np.ndarray:
    """Log-normal multipliers with mean 1 and log-sd ``cv``."""
    return np.exp(cv * rng.standard_normal(size) - cv**2 / 2)


def _always_on(rng: np.random.Generator, n: int, level: float, cv: float = 0.25,
               phi: float = 0.7, season: np.ndarray | None = None,
               amp: float = 0.0) -> np.ndarray:
    """Weekly spend that never pauses: AR(1) log-wobble around ``level`` (currency per week),
    optionally following ``season`` (peak deviation ``amp``, ``< 1``)."""
    x = level * np.exp(cv * _ar1(rng, n, phi) - cv**2 / 2)
    return x * (1.0 + amp * season) if season is not None else x


def _flights(rng: np.random.Generator, n: int, level: float, on: tuple[int, int] = (2, 6),
             off: tuple[int, int] = (3, 8), cv: float = 0.25) -> np.ndarray:
    """Bursts of ``on`` weeks at about ``level`` (currency per week), ``off`` weeks of zero
    spend between them (both ranges inclusive)."""
    out = np.zeros(n)
    t = int(rng.integers(0, off[1] + 1))
    while t < n:
        end = min(t + int(rng.integers(on[0], on[1] + 1)), n)
        out[t:end] = level * _mean_one(rng, cv, end - t)
        t = end + int(rng.integers(off[0], off[1] + 1))
    return out


def _national_flights(rng: np.random.Generator, n_geos: int, n: int, *, on: tuple[int, int],
                      off: tuple[int, int], skip: float) -> np.ndarray:
    """National flights (relative level about 1, cv 0.2) ``(G, T)``, each geo skipping each
    flight with probability ``skip``."""
    pattern = _flights(rng, n, 1.0, on=on, off=off, cv=0.2)
    out = np.tile(pattern, (n_geos, 1))
    flight = np.cumsum(np.diff(np.r_[0.0, pattern > 0]) > 0) * (pattern > 0)
    for g in range(n_geos):
        for f in np.unique(flight[flight > 0]):
            if rng.random() < skip:
                out[g, flight == f] = 0.0
    return out


def _price(rng: np.random.Generator, n: int, sd: float = 0.03, promo_rate: float = 0.08,
           depth: tuple[float, float] = (0.10, 0.20)) -> np.ndarray:
    """Relative price index around 1: AR(1) drift (sd ``sd``) and promotion weeks (share
    ``promo_rate``) with a discount of ``depth``."""
    p = 1.0 + sd * _ar1(rng, n, 0.8)
    promo = rng.random(n) < promo_rate
    return p * (1.0 - promo * rng.uniform(*depth, size=n))


def _promo(rng: np.random.Generator, n: int, rate: float = 0.1) -> np.ndarray:
    """0/1 promotion weeks in runs of one or two weeks, about ``rate`` of all weeks."""
    out = np.zeros(n)
    starts = np.flatnonzero(rng.random(n) < rate / 1.5)
    for t in starts:
        out[t : t + int(rng.integers(1, 3))] = 1.0
    return out


def _typical(spend: np.ndarray) -> np.ndarray:
    """Mean weekly spend over the weeks with spend, ``(G, C)`` (currency per week)."""
    active = spend > 0
    return spend.sum(axis=1) / np.maximum(active.sum(axis=1), 1)


def _effects(process: MediaProcess, spend: np.ndarray, weight: np.ndarray,
             shares: Sequence[float], base_total: float) -> np.ndarray:
    """``beta`` ``(G, C)`` proportional to ``weight`` ``(G, C)`` such that channel ``c``
    contributes ``shares[c]`` of the expected KPI over the period (the baseline summing to
    ``base_total``): effect sizes set by the media share they produce, not guessed."""
    unit = MediaProcess(process.channels, process.kernels, process.curves, process.ref,
                        weight).contributions(spend).sum(axis=(0, 1))
    shares = np.asarray(shares, dtype=float)
    target = shares * base_total / (1.0 - shares.sum())
    return weight * (target / unit)[None, :]


@dataclass(frozen=True)
class _Channel:
    """One channel of a national set: its spend and true transforms."""

    name: str
    spend: np.ndarray  # (T,) currency per week
    adstock: tuple[str, dict[str, float]]
    curve: Curve
    share: float  # of the expected KPI over the period


def _national(*, name: str, description: str, source: str, rng: np.random.Generator,
              dates: pd.DatetimeIndex, channels: Sequence[_Channel], max_lag: int,
              baseline: np.ndarray, controls: Mapping[str, np.ndarray], noise_cv: float,
              model_kwargs: dict[str, Any], reallocation: tuple[str, str, float], seed: int,
              ref: str = "typical", extra_params: Mapping[str, Any] | None = None,
              ) -> ZooDataset:
    """A national set: the curve reads spend in units of the channel's typical week
    (``ref="typical"``: mean over weeks with spend) or of its largest week (``"max"``)."""
    spend = np.stack([ch.spend for ch in channels], axis=-1)[None]  # (1, T, C)
    kernels = np.stack([kernel(ch.adstock[0], max_lag, **ch.adstock[1]) for ch in channels])
    refs = _typical(spend) if ref == "typical" else spend.max(axis=1)
    proto = MediaProcess(tuple(ch.name for ch in channels), kernels,
                         tuple(ch.curve for ch in channels), refs, np.ones_like(refs))
    beta = _effects(proto, spend, np.ones_like(refs), [ch.share for ch in channels],
                    float(baseline.sum()))
    process = MediaProcess(proto.channels, kernels, proto.curves, refs, beta)
    params = {
        "channels": {
            ch.name: {"adstock": {"kind": ch.adstock[0], **ch.adstock[1], "max_lag": max_lag},
                      "curve": {"kind": ch.curve.kind, **ch.curve.params,
                                "ref": float(refs[0, c]), "ref_is": ref},
                      "beta": float(beta[0, c]), "target_share": ch.share}
            for c, ch in enumerate(channels)},
        **(extra_params or {}),
    }
    return _assemble(name=name, description=description, source=source, dates=dates,
                     geos=None, spend=spend, baseline=baseline[None],
                     controls={k: v[None] for k, v in controls.items()}, process=process,
                     rng=rng, model_kwargs=model_kwargs, reallocation=reallocation,
                     params=params, noise_cv=noise_cv, opt_seed=seed)


def _kwargs(channels: Sequence[str], *, controls: Sequence[str] | None, adstock: str,
            max_lag: int, saturation: str = "hill", seasonality: int = 2, trend: bool = True,
            geo: str | None = None) -> dict[str, Any]:
    """``mmmkit.MMM`` arguments as plain data."""
    return {"date": "date", "target": "y", "channels": list(channels), "geo": geo,
            "controls": list(controls) if controls else None,
            "adstock": (adstock, {"max_lag": max_lag}), "saturation": (saturation, {}),
            "seasonality": seasonality, "trend": trend}


# =============================================================================================
# 1. Jin et al. (2017)
# =============================================================================================
JIN_SOURCE = (
    "Jin, Y., Wang, Y., Sun, Y., Chan, D., Koehler, J. (2017). Bayesian Methods for Media Mix "
    "Modeling with Carryover and Shape Effects. Google Inc. (research.google/pubs/pub46001). "
    "Model eq. (1)-(7): y_t = tau + sum_m beta_m Hill(adstock(x_m; alpha_m, theta_m, L); K_m, "
    "S_m) + gamma * price_t + eps_t, delayed adstock w(l) = alpha**((l - theta)**2) over L = 13 "
    "lags (normalised), media scaled to [0, 1] with K in (0, 1) as in the paper's Stan code.")


def jin2017(seed: int = 0, weeks: int = 104) -> ZooDataset:
    """Jin et al. (2017)'s simulation design: 3 media, delayed adstock (L = 13), Hill curves
    with different K and S per channel, a price control, Gaussian noise.

    The paper simulates two years of weekly data (104 weeks; ``weeks=156`` gives three). Its
    exact parameter table could not be retrieved when this was written, so the values below are
    chosen, not copied; they follow the paper's structure and its point that the three channels
    have different carryover and shape:

    ========  =============  ======  =====  ====  ====  =====================
    channel   spend          alpha   theta  K     S     share of expected KPI
    ========  =============  ======  =====  ====  ====  =====================
    media1    flighted 150k  0.8     2      0.4   2.5   12% (S-shaped)
    media2    always-on 60k  0.5     1      0.6   1.0    8% (concave)
    media3    always-on 30k  0.3     0      0.3   1.5    5%
    ========  =============  ======  =====  ====  ====  =====================

    ``K`` is on spend divided by the channel's largest week (the paper scales media to
    ``[0, 1]``). Baseline ``tau = 1.2M`` per week, no trend or seasonality (the paper's model
    has neither); price (index around 1, 8% promotion weeks 10-20% off) with elasticity -1.2;
    noise sd 5% of mean KPI. Fitted as the paper does: delayed adstock (max_lag 13), Hill,
    the price control, no trend, no seasonality.
    """
    name = f"jin2017_{weeks}"
    rng = _rng("jin2017", seed)
    dates = _weeks(weeks)
    chans = [
        _Channel("media1", _flights(rng, weeks, 150e3, on=(2, 6), off=(2, 6)),
                 ("delayed", {"alpha": 0.8, "theta": 2.0}), Curve("hill", {"K": 0.4, "S": 2.5}),
                 0.12),
        _Channel("media2", _always_on(rng, weeks, 60e3, cv=0.35),
                 ("delayed", {"alpha": 0.5, "theta": 1.0}), Curve("hill", {"K": 0.6, "S": 1.0}),
                 0.08),
        _Channel("media3", _always_on(rng, weeks, 30e3, cv=0.45, phi=0.4),
                 ("delayed", {"alpha": 0.3, "theta": 0.0}), Curve("hill", {"K": 0.3, "S": 1.5}),
                 0.05),
    ]
    price = _price(rng, weeks)
    tau, elasticity = 1.2e6, -1.2
    baseline = tau * (1.0 + elasticity * (price - 1.0))
    return _national(
        name=name, seed=seed, rng=rng, dates=dates, channels=chans, max_lag=13,
        description=(f"Jin et al. (2017) simulation design, {weeks} weeks: 3 media with delayed "
                     "adstock (L=13) and different Hill shapes, a price control."),
        source=JIN_SOURCE, baseline=baseline, controls={"price": price}, noise_cv=0.05,
        ref="max",
        model_kwargs=_kwargs([c.name for c in chans], controls=["price"], adstock="delayed",
                             max_lag=13, seasonality=0, trend=False),
        reallocation=("media2", "media1", 0.2),
        extra_params={"baseline": {"tau": tau, "price_elasticity": elasticity}},
    )


# =============================================================================================
# 2. PyMC-Marketing's example notebook
# =============================================================================================
PYMC_SOURCE = (
    "PyMC-Marketing, MMM Example Notebook (docs/source/notebooks/mmm/mmm_example.ipynb, "
    "'Part I: Data Generation Process') and its data/mmm_example.csv (Apache-2.0); the process "
    "as documented in mmmkit's src/mmmkit/datasets/data/README.md, which was checked by "
    "rebuilding the CSV. seed=0 draws from numpy default_rng(327), the notebook's seed, and "
    "reproduces the published file.")


def pymc_marketing_example(seed: int = 0) -> ZooDataset:
    """PyMC-Marketing's published example process, 179 weeks (2018-04-02 .. 2021-08-30).

    * spend: ``x1 = u if u > 0.9 else u / 2``, ``x2 = u if u > 0.8 else 0`` (``u`` uniform),
      max-scaled units 0..1 as in the source;
    * geometric adstock over 8 lags (normalised), ``alpha`` 0.4 (x1) and 0.2 (x2), then the
      logistic curve ``(1 - exp(-lam x)) / (1 + exp(-lam x))``, ``lam`` 4 and 3;
    * ``y = 1000 * (2 + trend + season + 1.5 event_1 + 2.5 event_2 + 3 x1_sat + 2 x2_sat +
      eps)``, ``trend = (s + 10)**0.25 - 1`` with ``s`` from 0 to 50, ``season = 0.5 *
      (-sin(4 pi doy / 365.5) + cos(2 pi doy / 365.5))``, ``eps ~ N(0, 0.25)``;
    * the random stream: 179 uniforms (x1), 179 uniforms (x2), 179 normals (eps) from
      ``default_rng(327 + seed)``.

    Fitted in its own family: geometric adstock (max_lag 8), logistic saturation, yearly
    seasonality of order 2, a trend and the two event dummies as controls.
    """
    rng = np.random.default_rng(327 + seed)
    dates = pd.date_range("2018-04-01", "2021-09-01", freq="W-MON")
    n = len(dates)
    u1 = rng.uniform(0.0, 1.0, size=n)
    x1 = np.where(u1 > 0.9, u1, u1 / 2)
    u2 = rng.uniform(0.0, 1.0, size=n)
    x2 = np.where(u2 > 0.8, u2, 0.0)
    doy = dates.day_of_year.to_numpy()
    trend = (np.linspace(0.0, 50.0, n) + 10.0) ** 0.25 - 1.0
    season = 0.5 * (-np.sin(2 * 2 * np.pi * doy / 365.5) + np.cos(2 * np.pi * doy / 365.5))
    event_1 = (dates == "2019-05-13").astype(float)
    event_2 = (dates == "2020-09-14").astype(float)
    baseline = 1000.0 * (2.0 + trend + season + 1.5 * event_1 + 2.5 * event_2)
    spend = np.stack([x1, x2], axis=-1)[None]
    kernels = np.stack([kernel("geometric", 8, alpha=0.4), kernel("geometric", 8, alpha=0.2)])
    process = MediaProcess(("x1", "x2"), kernels,
                           (Curve("logistic", {"lam": 4.0}), Curve("logistic", {"lam": 3.0})),
                           np.ones((1, 2)), np.array([[3000.0, 2000.0]]))
    params = {
        "channels": {
            "x1": {"adstock": {"kind": "geometric", "alpha": 0.4, "max_lag": 8},
                   "curve": {"kind": "logistic", "lam": 4.0}, "beta": 3000.0},
            "x2": {"adstock": {"kind": "geometric", "alpha": 0.2, "max_lag": 8},
                   "curve": {"kind": "logistic", "lam": 3.0}, "beta": 2000.0},
        },
        "baseline": {"intercept": 2000.0, "event_1": 1500.0, "event_2": 2500.0,
                     "trend": "1000 * ((s + 10)**0.25 - 1), s = linspace(0, 50)",
                     "noise_sd": 250.0},
    }
    return _assemble(
        name="pymc_marketing_example",
        description=("PyMC-Marketing's MMM example notebook process: 2 channels, geometric "
                     "adstock + logistic saturation, concave trend, yearly season, 2 events."),
        source=PYMC_SOURCE, dates=dates, geos=None, spend=spend, baseline=baseline[None],
        controls={"event_1": event_1[None], "event_2": event_2[None]}, process=process,
        rng=rng, noise_sd=250.0, opt_seed=seed,
        model_kwargs=_kwargs(["x1", "x2"], controls=["event_1", "event_2"],
                             adstock="geometric", max_lag=8, saturation="logistic"),
        reallocation=("x1", "x2", 0.2), params=params,
    )


# =============================================================================================
# 3. A Meridian-style geo panel
# =============================================================================================
GEO_SOURCE = (
    "Google Meridian model specification (developers.google.com/meridian/docs/basics/"
    "model-spec): y_gt = mu_t + tau_g + sum_c gamma z_gtc + sum_m beta_gm HillAdstock(x_gtm; "
    "alpha_m, ec_m, slope_m) + eps_gt, with KPI and media per capita (population scaling) and "
    "media_effects_dist='log_normal' (beta_gm log-normal around the channel's mean); Sun, Y. et "
    "al. (2017), Geo-level Bayesian Hierarchical Media Mix Modeling, Google Inc.")


def _geo_panel(*, name: str, description: str, rng: np.random.Generator, seed: int,
               dates: pd.DatetimeIndex, geos: list[str], pop: np.ndarray, season: np.ndarray,
               spend: np.ndarray, names: Sequence[str], alphas: Sequence[float],
               curves: Sequence[Curve], shares: Sequence[float], effect_cv: float,
               baseline_params: Mapping[str, float], noise_cv: float,
               reallocation: tuple[str, str, float]) -> ZooDataset:
    """The Meridian-style panels' shared structure, from spend ``(G, T, C)`` on.

    Geometric adstock (8 lags) with ``alphas``; one Hill curve per channel in per-capita
    units (the channel's typical per-capita week, times population); promo weeks per geo;
    baseline ``tau_g (1 + season_amp season_t + trend_per_year t / 52 + promo_lift
    promo_gt)`` with ``tau_g = 0.5 population_g exp(0.1 z_g)``; geo effects
    ``population_g exp(effect_cv z_gc) b_c`` with ``b_c`` set so that the channels drive
    ``shares`` of the KPI; noise sd ``noise_cv`` of each geo's mean KPI.
    """
    G, T, _ = spend.shape
    kernels = np.stack([kernel("geometric", 8, alpha=a) for a in alphas])
    ref_pc = (_typical(spend) / pop[:, None]).mean(axis=0)
    ref = pop[:, None] * ref_pc[None, :]

    promo = np.stack([_promo(rng, T) for _ in range(G)])
    tau = 0.5 * pop * _mean_one(rng, 0.1, G)
    t = np.arange(T)
    b = baseline_params
    baseline = tau[:, None] * (1.0 + b["season_amp"] * season + b["trend_per_year"] * t / 52
                               + b["promo_lift"] * promo)

    weight = pop[:, None] * _mean_one(rng, effect_cv, (G, len(names)))
    proto = MediaProcess(tuple(names), kernels, tuple(curves), ref, weight)
    beta = _effects(proto, spend, weight, shares, float(baseline.sum()))
    process = MediaProcess(tuple(names), kernels, tuple(curves), ref, beta)
    per_capita = beta / pop[:, None]
    params = {
        "channels": {
            ch: {"adstock": {"kind": "geometric", "alpha": alphas[c], "max_lag": 8},
                 "curve": {"kind": "hill", **curves[c].params,
                           "ref_per_capita": float(ref_pc[c])},
                 "beta_per_capita_mean": float(per_capita[:, c].mean()),
                 "beta_per_capita_cv": float(per_capita[:, c].std() / per_capita[:, c].mean()),
                 "target_share": shares[c]}
            for c, ch in enumerate(names)},
        "population": {g: float(p) for g, p in zip(geos, pop, strict=True)},
        "baseline": {"per_capita": 0.5, **baseline_params},
    }
    return _assemble(
        name=name, description=description, source=GEO_SOURCE, dates=dates, geos=geos,
        spend=spend, baseline=baseline, controls={"promo": promo}, process=process, rng=rng,
        noise_cv=noise_cv, opt_seed=seed,
        model_kwargs=_kwargs(names, controls=["promo"], adstock="geometric", max_lag=8,
                             geo="geo"),
        reallocation=reallocation, params=params,
    )


def geo_pop_spread(seed: int = 0, n_geos: int = 20, weeks: int = 104) -> ZooDataset:
    """A geo panel whose populations spread 20x, in the style of Meridian's geo model.

    * populations ``geomspace(250k, 5M)``; per-capita spend and KPI alike across geos, so both
      scale with population, with a log-normal (sd 0.3) allocation mix per geo and channel and
      weekly noise (sd 0.15);
    * channels (per capita per active week): ``tv`` 0.05 in national flights that each geo
      skips with probability 0.1; ``search`` 0.02 always on, +-20% with the season; ``social``
      0.015 always on; ``radio`` 0.02 in geo-specific flights;
    * geometric adstock (8 lags), ``alpha``: tv 0.6, search 0.15, social 0.35, radio 0.45; Hill
      curves shared by the geos (Meridian's ``ec_m``, ``slope_m``) on per-capita spend over the
      channel's typical per-capita week: ``K`` tv 1.1, search 0.8, social 1.3, radio 0.9;
      ``S`` 1.8, 1.0, 1.3, 1.5;
    * ``beta_gc = population_g * exp(0.35 z_gc) * b_c`` (log-normal geo effects), ``b_c`` set so
      that tv, search, social and radio drive 12%, 8%, 5% and 5% of the KPI;
    * baseline ``tau_g (1 + 0.10 season_t + 0.03 t / 52) + 0.06 tau_g promo_gt``, ``tau_g =
      0.5 population_g exp(0.1 z_g)`` per week; promo weeks (about 10%) per geo;
    * noise sd 4% of each geo's mean KPI.

    Fitted with the analyst's default: geometric (max_lag 8) + Hill, season order 2, trend,
    ``promo`` as control.
    """
    rng = _rng("geo_pop_spread", seed)
    dates = _weeks(weeks)
    G, T = n_geos, weeks
    pop = np.geomspace(250e3, 5e6, G)
    geos = [f"geo_{g:02d}" for g in range(G)]
    season = seasonal_index(dates)
    names = ("tv", "search", "social", "radio")
    per_capita = np.array([0.05, 0.02, 0.015, 0.02])
    mix = _mean_one(rng, 0.3, (G, len(names)))

    tv = _national_flights(rng, G, T, on=(3, 6), off=(3, 7), skip=0.1)
    search = np.stack([_always_on(rng, T, 1.0, cv=0.2, season=season, amp=0.2)
                       for _ in range(G)])
    social = np.stack([_always_on(rng, T, 1.0, cv=0.25) for _ in range(G)])
    radio = np.stack([_flights(rng, T, 1.0, on=(2, 5), off=(3, 9)) for _ in range(G)])
    pattern = np.stack([tv, search, social, radio], axis=-1)  # (G, T, C) relative
    noise = _mean_one(rng, 0.15, (G, T, len(names)))
    spend = pattern * noise * (pop[:, None] * per_capita[None, :] * mix)[:, None, :]

    return _geo_panel(
        name="geo_pop_spread",
        description=(f"Meridian-style geo panel: {G} geos x {T} weeks, populations 20x apart, "
                     "log-normal geo effects, national tv flights, always-on search/social, "
                     "local radio flights, promo control."),
        rng=rng, seed=seed, dates=dates, geos=geos, pop=pop, season=season, spend=spend,
        names=names, alphas=[0.6, 0.15, 0.35, 0.45],
        curves=(Curve("hill", {"K": 1.1, "S": 1.8}), Curve("hill", {"K": 0.8, "S": 1.0}),
                Curve("hill", {"K": 1.3, "S": 1.3}), Curve("hill", {"K": 0.9, "S": 1.5})),
        shares=[0.12, 0.08, 0.05, 0.05], effect_cv=0.35,
        baseline_params={"season_amp": 0.10, "trend_per_year": 0.03, "promo_lift": 0.06},
        noise_cv=0.04, reallocation=("tv", "search", 0.2))


def geo_always_on(seed: int = 0, n_geos: int = 30, weeks: int = 156) -> ZooDataset:
    """A larger geo panel where half the channels never pause, one of them seasonal.

    Meridian's geo model again (population-scaled Hill curves, log-normal geo effects), on the
    shape of a real multi-channel panel: three flighted channels the data identify well, and
    three always-on channels whose spend moves little and partly with the season, the case
    where held-out panels saw weakly identified channels drift high.

    * 30 geos, populations log-normal (log-sd 0.8, median 1M): an uneven spread, not a grid;
    * per capita per active week: ``tv`` 0.04 in national flights (geos skip a flight with
      probability 0.15), ``ooh`` 0.015 in national flights of 4-8 weeks, ``radio`` 0.015 in
      local flights; ``search`` 0.02 always on, +-35% with the season (spend that follows
      demand), ``social`` 0.012 always on, ``display`` 0.008 always on with little variation
      (cv 0.12); log-normal allocation mix per geo and channel (sd 0.25), weekly noise 0.15;
    * geometric adstock (8 lags), ``alpha``: tv 0.55, ooh 0.5, radio 0.35, search 0.1, social
      0.3, display 0.25; Hill on per-capita spend over the channel's typical per-capita week,
      ``K``/``S``: tv 1.2/1.8, ooh 1.0/1.4, radio 0.9/1.3, search 0.8/1.0, social 1.1/1.2,
      display 1.0/1.0;
    * geo effects ``beta_gc = population_g exp(0.3 z_gc) b_c``; media shares of the KPI: tv 10%,
      ooh 3%, radio 4%, search 7%, social 4%, display 2.5%;
    * baseline ``tau_g (1 + 0.12 season_t + 0.04 t / 52) + 0.05 tau_g promo_gt``, ``tau_g = 0.5
      population_g exp(0.1 z_g)``; noise sd 5% of each geo's mean KPI.

    Fitted with the analyst's default: geometric (max_lag 8) + Hill, season order 2, trend,
    ``promo`` as control.
    """
    rng = _rng("geo_always_on", seed)
    dates = _weeks(weeks)
    G, T = n_geos, weeks
    pop = np.sort(1e6 * np.exp(0.8 * rng.standard_normal(G)))
    geos = [f"geo_{g:02d}" for g in range(G)]
    season = seasonal_index(dates)
    names = ("tv", "ooh", "radio", "search", "social", "display")
    per_capita = np.array([0.04, 0.015, 0.015, 0.02, 0.012, 0.008])
    mix = _mean_one(rng, 0.25, (G, len(names)))

    tv = _national_flights(rng, G, T, on=(3, 6), off=(3, 7), skip=0.15)
    ooh = _national_flights(rng, G, T, on=(4, 8), off=(6, 12), skip=0.0)
    radio = np.stack([_flights(rng, T, 1.0, on=(2, 5), off=(3, 9)) for _ in range(G)])
    search = np.stack([_always_on(rng, T, 1.0, cv=0.15, season=season, amp=0.35)
                       for _ in range(G)])
    social = np.stack([_always_on(rng, T, 1.0, cv=0.2) for _ in range(G)])
    display = np.stack([_always_on(rng, T, 1.0, cv=0.12) for _ in range(G)])
    pattern = np.stack([tv, ooh, radio, search, social, display], axis=-1)  # (G, T, C)
    noise = _mean_one(rng, 0.15, (G, T, len(names)))
    spend = pattern * noise * (pop[:, None] * per_capita[None, :] * mix)[:, None, :]

    return _geo_panel(
        name="geo_always_on",
        description=(f"Meridian-style geo panel: {G} geos x {T} weeks x 6 channels, three "
                     "flighted (tv, ooh, radio) and three always on (search seasonal, social, "
                     "display), log-normal populations and geo effects, promo control."),
        rng=rng, seed=seed, dates=dates, geos=geos, pop=pop, season=season, spend=spend,
        names=names, alphas=[0.55, 0.5, 0.35, 0.1, 0.3, 0.25],
        curves=(Curve("hill", {"K": 1.2, "S": 1.8}), Curve("hill", {"K": 1.0, "S": 1.4}),
                Curve("hill", {"K": 0.9, "S": 1.3}), Curve("hill", {"K": 0.8, "S": 1.0}),
                Curve("hill", {"K": 1.1, "S": 1.2}), Curve("hill", {"K": 1.0, "S": 1.0})),
        shares=[0.10, 0.03, 0.04, 0.07, 0.04, 0.025], effect_cv=0.3,
        baseline_params={"season_amp": 0.12, "trend_per_year": 0.04, "promo_lift": 0.05},
        noise_cv=0.05, reallocation=("tv", "social", 0.2))


# =============================================================================================
# 4.-8. National stress cases
# =============================================================================================
STRUCTURE_SOURCE = (
    "Additive adstock + Hill structure of Jin et al. (2017) and Meridian (geometric adstock, "
    "Hill curve). ")


def always_on(seed: int = 0, weeks: int = 156) -> ZooDataset:
    """Always-on channels, one of which follows the yearly season (the hard case).

    * ``search`` always on, 80k per week, +-40% with the same yearly shape as the baseline's
      season (spend that follows demand); ``social`` always on 40k; ``display`` always on 25k
      (little variation, cv 0.15); ``tv`` flights of 3-6 weeks at 200k; ``radio`` flights of
      2-4 weeks at 50k;
    * geometric adstock (8 lags) ``alpha``: search 0.1, social 0.3, display 0.2, tv 0.65,
      radio 0.4; Hill on spend over the typical week, ``K``/``S``: search 0.9/1.0, social
      1.0/1.2, display 0.7/0.9, tv 1.2/2.0, radio 1.0/1.5;
    * shares of the KPI: search 12%, social 6%, display 3%, tv 10%, radio 4% (35% in all);
    * baseline ``2M (1 + 0.15 season + 0.04 t / 52)`` per week; no controls; noise sd 6%.
    """
    rng = _rng("always_on", seed)
    dates = _weeks(weeks)
    season = seasonal_index(dates)
    chans = [
        _Channel("search", _always_on(rng, weeks, 80e3, cv=0.15, season=season, amp=0.4),
                 ("geometric", {"alpha": 0.1}), Curve("hill", {"K": 0.9, "S": 1.0}), 0.12),
        _Channel("social", _always_on(rng, weeks, 40e3, cv=0.25),
                 ("geometric", {"alpha": 0.3}), Curve("hill", {"K": 1.0, "S": 1.2}), 0.06),
        _Channel("display", _always_on(rng, weeks, 25e3, cv=0.15, phi=0.5),
                 ("geometric", {"alpha": 0.2}), Curve("hill", {"K": 0.7, "S": 0.9}), 0.03),
        _Channel("tv", _flights(rng, weeks, 200e3, on=(3, 6), off=(3, 8)),
                 ("geometric", {"alpha": 0.65}), Curve("hill", {"K": 1.2, "S": 2.0}), 0.10),
        _Channel("radio", _flights(rng, weeks, 50e3, on=(2, 4), off=(4, 10)),
                 ("geometric", {"alpha": 0.4}), Curve("hill", {"K": 1.0, "S": 1.5}), 0.04),
    ]
    t = np.arange(weeks)
    baseline = 2e6 * (1.0 + 0.15 * season + 0.04 * t / 52)
    return _national(
        name="always_on" if weeks == 156 else f"always_on_{weeks}", seed=seed, rng=rng,
        dates=dates, channels=chans, max_lag=8,
        description=(f"National, {weeks} weeks: 3 always-on channels (search spend follows the "
                     "yearly season), 2 flighted; no controls."),
        source=STRUCTURE_SOURCE + (
            "Spend that follows demand is the confounding of ad targeting with seasonality "
            "described by Chan, D., Perry, M. (2017), Challenges and Opportunities in Media "
            "Mix Modeling, Google Inc."),
        baseline=baseline, controls={}, noise_cv=0.06,
        model_kwargs=_kwargs([c.name for c in chans], controls=None, adstock="geometric",
                             max_lag=8),
        reallocation=("search", "tv", 0.2),
        extra_params={"baseline": {"level": 2e6, "season_amp": 0.15, "trend_per_year": 0.04}},
    )


def lockstep(seed: int = 0, weeks: int = 156) -> ZooDataset:
    """Two channels bought in near lockstep (weekly spend correlation above 0.9).

    * ``facebook``: always on 60k (cv 0.35) plus bursts; ``instagram`` = 0.5 x facebook's
      spend x log-normal noise (sd 0.12): the same plan, a different return; ``tv`` flights
      at 150k; ``search`` always on 50k;
    * geometric adstock (8 lags) ``alpha``: facebook 0.3, instagram 0.15, tv 0.6, search 0.1;
      Hill ``K``/``S``: facebook 1.0/1.2, instagram 0.8/1.0, tv 1.2/2.0, search 0.9/1.0;
    * shares of the KPI: facebook 6%, instagram 5% (on half the spend), tv 6%, search 3%;
    * baseline ``1.5M (1 + 0.10 season + 0.02 t / 52)`` with price elasticity -1.5; noise
      5%. The stated move is the one collinearity makes hard: facebook to instagram.
    """
    rng = _rng("lockstep", seed)
    dates = _weeks(weeks)
    season = seasonal_index(dates)
    fb = _always_on(rng, weeks, 45e3, cv=0.35, phi=0.8) + _flights(
        rng, weeks, 40e3, on=(2, 4), off=(4, 10))
    ig = 0.5 * fb * _mean_one(rng, 0.12, weeks)
    chans = [
        _Channel("facebook", fb, ("geometric", {"alpha": 0.3}),
                 Curve("hill", {"K": 1.0, "S": 1.2}), 0.06),
        _Channel("instagram", ig, ("geometric", {"alpha": 0.15}),
                 Curve("hill", {"K": 0.8, "S": 1.0}), 0.05),
        _Channel("tv", _flights(rng, weeks, 150e3, on=(3, 6), off=(3, 8)),
                 ("geometric", {"alpha": 0.6}), Curve("hill", {"K": 1.2, "S": 2.0}), 0.06),
        _Channel("search", _always_on(rng, weeks, 50e3, cv=0.25),
                 ("geometric", {"alpha": 0.1}), Curve("hill", {"K": 0.9, "S": 1.0}), 0.03),
    ]
    price = _price(rng, weeks)
    t = np.arange(weeks)
    baseline = 1.5e6 * (1.0 + 0.10 * season + 0.02 * t / 52 - 1.5 * (price - 1.0))
    return _national(
        name="lockstep", seed=seed, rng=rng, dates=dates, channels=chans, max_lag=8,
        description=("National, 156 weeks: facebook and instagram bought in lockstep "
                     "(correlation > 0.9) with different returns, plus tv and search; price."),
        source=STRUCTURE_SOURCE + (
            "Correlated media plans are the identification problem of Chan & Perry (2017), "
            "Challenges and Opportunities in Media Mix Modeling, Google Inc."),
        baseline=baseline, controls={"price": price}, noise_cv=0.05,
        model_kwargs=_kwargs([c.name for c in chans], controls=["price"], adstock="geometric",
                             max_lag=8),
        reallocation=("facebook", "instagram", 0.2),
        extra_params={"baseline": {"level": 1.5e6, "season_amp": 0.10, "trend_per_year": 0.02,
                                   "price_elasticity": -1.5}},
    )


def out_of_family_carryover(seed: int = 0, weeks: int = 156) -> ZooDataset:
    """Weibull-PDF carryover (a delayed peak) in the data; the analyst fits geometric.

    * Weibull-PDF kernels over 13 lags, ``lam``/``k``: tv 5/3 (peak at lag 3, most weight by
      lag 8), video 3/2, search 1/1 (immediate decay), social 2/1.5;
    * ``tv`` flights at 200k, ``video`` flights at 80k, ``search`` always on 70k, ``social``
      always on 40k; Hill ``K``/``S``: tv 1.1/1.8, video 1.0/1.5, search 0.9/1.0, social
      1.0/1.2; shares 12%, 5%, 6%, 4%;
    * baseline ``1.8M (1 + 0.12 season + 0.05 t / 52)``; no controls; noise 5%.

    Fitted with the analyst's default, geometric (max_lag 8) + Hill: the true tail extends past
    the fitted 8 lags for tv, which the truth (13 lags) counts.
    """
    rng = _rng("out_of_family_carryover", seed)
    dates = _weeks(weeks)
    season = seasonal_index(dates)
    chans = [
        _Channel("tv", _flights(rng, weeks, 200e3, on=(3, 6), off=(4, 9)),
                 ("weibull_pdf", {"lam": 5.0, "k": 3.0}), Curve("hill", {"K": 1.1, "S": 1.8}),
                 0.12),
        _Channel("video", _flights(rng, weeks, 80e3, on=(2, 5), off=(3, 8)),
                 ("weibull_pdf", {"lam": 3.0, "k": 2.0}), Curve("hill", {"K": 1.0, "S": 1.5}),
                 0.05),
        _Channel("search", _always_on(rng, weeks, 70e3, cv=0.25),
                 ("weibull_pdf", {"lam": 1.0, "k": 1.0}), Curve("hill", {"K": 0.9, "S": 1.0}),
                 0.06),
        _Channel("social", _always_on(rng, weeks, 40e3, cv=0.3),
                 ("weibull_pdf", {"lam": 2.0, "k": 1.5}), Curve("hill", {"K": 1.0, "S": 1.2}),
                 0.04),
    ]
    t = np.arange(weeks)
    baseline = 1.8e6 * (1.0 + 0.12 * season + 0.05 * t / 52)
    return _national(
        name="out_of_family_carryover", seed=seed, rng=rng, dates=dates, channels=chans,
        max_lag=13,
        description=("National, 156 weeks: Weibull-PDF (delayed-peak) carryover in the data, "
                     "fitted with geometric adstock; no controls."),
        source=STRUCTURE_SOURCE + (
            "Carryover: Robyn's Weibull PDF adstock (facebookexperimental/Robyn, "
            "adstock='weibull_pdf'), whose shape > 1 gives a delayed peak."),
        baseline=baseline, controls={}, noise_cv=0.05,
        model_kwargs=_kwargs([c.name for c in chans], controls=None, adstock="geometric",
                             max_lag=8),
        reallocation=("search", "tv", 0.2),
        extra_params={"baseline": {"level": 1.8e6, "season_amp": 0.12, "trend_per_year": 0.05}},
    )


def out_of_family_curve(seed: int = 0, weeks: int = 156) -> ZooDataset:
    """Logistic and negative-exponential response curves in the data; the analyst fits Hill.

    * curves on spend over the channel's typical week: ``tv`` logistic ``lam`` 1.2, ``search``
      exponential ``1 - exp(-x / 1.5)``, ``social`` logistic ``lam`` 2.0, ``display``
      exponential ``k`` 0.6 (saturated early);
    * ``tv`` flights at 180k, ``search`` always on 70k, ``social`` always on 40k, ``display``
      flights at 30k; geometric adstock (8 lags) ``alpha`` 0.6, 0.1, 0.3, 0.2; shares 13%, 9%,
      5%, 3%;
    * baseline ``1.6M (1 + 0.12 season + 0.03 t / 52 + 0.08 promo)``; noise 5%.
    """
    rng = _rng("out_of_family_curve", seed)
    dates = _weeks(weeks)
    season = seasonal_index(dates)
    chans = [
        _Channel("tv", _flights(rng, weeks, 180e3, on=(3, 6), off=(3, 8)),
                 ("geometric", {"alpha": 0.6}), Curve("logistic", {"lam": 1.2}), 0.13),
        _Channel("search", _always_on(rng, weeks, 70e3, cv=0.3),
                 ("geometric", {"alpha": 0.1}), Curve("exponential", {"k": 1.5}), 0.09),
        _Channel("social", _always_on(rng, weeks, 40e3, cv=0.3),
                 ("geometric", {"alpha": 0.3}), Curve("logistic", {"lam": 2.0}), 0.05),
        _Channel("display", _flights(rng, weeks, 30e3, on=(2, 5), off=(2, 6)),
                 ("geometric", {"alpha": 0.2}), Curve("exponential", {"k": 0.6}), 0.03),
    ]
    promo = _promo(rng, weeks)
    t = np.arange(weeks)
    baseline = 1.6e6 * (1.0 + 0.12 * season + 0.03 * t / 52 + 0.08 * promo)
    return _national(
        name="out_of_family_curve", seed=seed, rng=rng, dates=dates, channels=chans, max_lag=8,
        description=("National, 156 weeks: logistic and exponential response curves in the "
                     "data, fitted with Hill; promo control."),
        source=STRUCTURE_SOURCE + (
            "Curves: PyMC-Marketing's LogisticSaturation (1 - exp(-lam x)) / (1 + exp(-lam x)) "
            "and the negative-exponential response 1 - exp(-x / k) of classic adstock models "
            "(Broadbent's adstock; e.g. S. Raper (2012), Marketing Mix Lab)."),
        baseline=baseline, controls={"promo": promo}, noise_cv=0.05,
        model_kwargs=_kwargs([c.name for c in chans], controls=["promo"], adstock="geometric",
                             max_lag=8),
        reallocation=("tv", "search", 0.2),
        extra_params={"baseline": {"level": 1.6e6, "season_amp": 0.12, "trend_per_year": 0.03,
                                   "promo_lift": 0.08}},
    )


def trend_break(seed: int = 0, weeks: int = 156) -> ZooDataset:
    """A baseline whose trend changes slope mid-series, and a small media effect.

    * baseline ``2.5M (1 + 0.10 season + trend - 1.0 (price - 1))``, ``trend`` +8% per year
      until the middle week, then -6% per year (a kink, continuous);
    * ``tv`` flights at 150k, ``search`` always on 50k, ``social`` always on 30k, ``radio``
      flights at 40k; geometric adstock (8 lags) ``alpha`` 0.6, 0.1, 0.3, 0.4; Hill ``K``/``S``
      1.2/2.0, 0.9/1.0, 1.0/1.2, 1.0/1.5;
    * media is small: shares 3%, 2.5%, 1%, 1% (7.5% in all); noise 4%.

    Fitted with the analyst's default single linear trend, which cannot bend.
    """
    rng = _rng("trend_break", seed)
    dates = _weeks(weeks)
    season = seasonal_index(dates)
    chans = [
        _Channel("tv", _flights(rng, weeks, 150e3, on=(3, 6), off=(3, 8)),
                 ("geometric", {"alpha": 0.6}), Curve("hill", {"K": 1.2, "S": 2.0}), 0.03),
        _Channel("search", _always_on(rng, weeks, 50e3, cv=0.25),
                 ("geometric", {"alpha": 0.1}), Curve("hill", {"K": 0.9, "S": 1.0}), 0.025),
        _Channel("social", _always_on(rng, weeks, 30e3, cv=0.3),
                 ("geometric", {"alpha": 0.3}), Curve("hill", {"K": 1.0, "S": 1.2}), 0.01),
        _Channel("radio", _flights(rng, weeks, 40e3, on=(2, 4), off=(3, 8)),
                 ("geometric", {"alpha": 0.4}), Curve("hill", {"K": 1.0, "S": 1.5}), 0.01),
    ]
    price = _price(rng, weeks)
    t = np.arange(weeks, dtype=float)
    brk = weeks // 2
    trend = np.where(t < brk, 0.08 * t / 52, 0.08 * brk / 52 - 0.06 * (t - brk) / 52)
    baseline = 2.5e6 * (1.0 + 0.10 * season + trend - 1.0 * (price - 1.0))
    return _national(
        name="trend_break", seed=seed, rng=rng, dates=dates, channels=chans, max_lag=8,
        description=("National, 156 weeks: trend +8%/yr turning to -6%/yr mid-series, small "
                     "media (7.5% of KPI), price control."),
        source=STRUCTURE_SOURCE + (
            "Baseline: a piecewise-linear trend with one changepoint, as in Prophet (Taylor, "
            "S., Letham, B. (2018), Forecasting at Scale), which Robyn uses for its baseline."),
        baseline=baseline, controls={"price": price}, noise_cv=0.04,
        model_kwargs=_kwargs([c.name for c in chans], controls=["price"], adstock="geometric",
                             max_lag=8),
        reallocation=("search", "radio", 0.2),
        extra_params={"baseline": {"level": 2.5e6, "season_amp": 0.10, "break_week": brk,
                                   "slope_before": 0.08, "slope_after": -0.06,
                                   "price_elasticity": -1.0}},
    )


# =============================================================================================
# The registry
# =============================================================================================
ZOO: dict[str, Callable[..., ZooDataset]] = {
    "jin2017_104": functools.partial(jin2017, weeks=104),
    "jin2017_156": functools.partial(jin2017, weeks=156),
    "pymc_marketing_example": pymc_marketing_example,
    "geo_pop_spread": geo_pop_spread,
    "geo_always_on": geo_always_on,
    "always_on": always_on,
    "always_on_104": functools.partial(always_on, weeks=104),
    "lockstep": lockstep,
    "out_of_family_carryover": out_of_family_carryover,
    "out_of_family_curve": out_of_family_curve,
    "trend_break": trend_break,
}


def build_all(seed: int = 0) -> dict[str, ZooDataset]:
    """Every data set of :data:`ZOO`, by name, for one ``seed``."""
    return {name: factory(seed=seed) for name, factory in ZOO.items()}
