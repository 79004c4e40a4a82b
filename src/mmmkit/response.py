"""The scenario engine: channel responses on posterior draws, shared by lifts and the optimiser.

Every scenario answer (:mod:`mmmkit.scenarios`) and every budget plan
(:mod:`mmmkit.optimize`) is the model's expected target under one spend plan minus under
another, draw by draw. The media term of channel ``c`` in geo ``g`` and week ``t`` is (see
:mod:`mmmkit.graph`)::

    contribution[g, t, c] = channel_effect[g, c] * target_scale[g]
                            * saturation_c(adstock_c(spend[., c] / spend_scale[g, c])[t])
                            / saturation_c(1)

This module holds the machinery both use, and nothing that imports them back:

* reading the caller's plan frames, windows (weeks and geos) and channel names;
* the timeline of a plan: the ``max_lag - 1`` fitted weeks before it (carry-in), the plan,
  and ``max_lag - 1`` weeks after it (carryover), see :func:`plan_timeline`;
* :func:`lift_arrays`, the lift of one plan over another as a :class:`LiftResult`;
* :class:`ChannelBlocks`, each channel's adstocked pattern over a period precomputed once per
  draw, so that scaling the pattern (response curves, the optimiser) is one pass of the
  saturation curve with exact derivatives.

Units: lifts are in the target's units summed over the counted weeks and geos; spend is in
currency.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit._threads import with_one_blas_thread
from mmmkit.adstock import lag_stack
from mmmkit.errors import DataError, FitWarning, warn_user
from mmmkit.model import MMM
from mmmkit.saturation import Saturation
from mmmkit.stats import DEFAULT_PROB, check_prob, summarize
from mmmkit.validation import frame_to_arrays, validate_frame

# Below this many (draw x entry) numbers a channel is evaluated in the calling thread; above
# it the channels are spread over threads (numpy releases the GIL in ufuncs).
THREAD_MIN_ELEMENTS = 2_000_000
# Elements of one (draws x entries) block processed at a time: a few MB, so that the passes
# of one evaluation (add, sigmoid, sums) reuse the cache instead of streaming from memory.
CHUNK_ELEMENTS = 250_000
# A multiplier is floored here inside the optimiser: a Hill curve with slope < 1 has an
# infinite derivative at zero spend, which gradient-based solvers cannot use.
M_FLOOR = 1e-12


class ScenarioWarning(FitWarning):
    """A scenario made an assumption (zero spend in uncovered weeks) or its solver failed."""


# =============================================================================================
# The result of a lift
# =============================================================================================
@dataclass(eq=False)
class LiftResult:
    """Posterior draws of the incremental target of one spend plan over another.

    Attributes
    ----------
    units : the target's name (lifts are in its units, summed over counted weeks and geos).
    channels : channel names, in the model's order.
    geos : geos the plans cover (``["all"]`` for a national model).
    dates : the counted weeks: the plan's weeks plus the ``max_lag - 1`` weeks of carryover
        after them.
    plan_dates : the plan's own weeks.
    description : what was compared, in words.

    The draws are available as :attr:`draws` ``(chain, draw, channel)``, :attr:`total`
    ``(chain, draw)``, :attr:`by_geo` ``(chain, draw, geo, channel)`` and :attr:`by_week`
    ``(chain, draw, date, channel)``, all in target units; :meth:`summary` tabulates them.
    """

    geo_draws: np.ndarray = field(repr=False)  # (chain, draw, geo, channel)
    week_draws: np.ndarray = field(repr=False)  # (chain, draw, date, channel)
    chain: np.ndarray = field(repr=False)
    draw: np.ndarray = field(repr=False)
    channels: list[str]
    geos: list[str]
    dates: pd.DatetimeIndex = field(repr=False)
    plan_dates: pd.DatetimeIndex = field(repr=False)
    spend_delta: np.ndarray = field(repr=False)  # (geo, channel) currency, plan - reference
    units: str = "target"
    description: str = ""
    extrapolation: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def extrapolates(self) -> list[str]:
        """Channels the plan takes beyond the weekly spend seen in the fitted data (in some
        geo): their lift rests on the curve's shape past the data, an assumption."""
        if self.extrapolation is None:
            return []
        return [str(ch) for ch in self.extrapolation.index[self.extrapolation["beyond"]]]

    # -- labelled draws ------------------------------------------------------------------------
    def _coords(self) -> dict[str, Any]:
        return {"chain": self.chain, "draw": self.draw, "channel": self.channels}

    @property
    def draws(self) -> xr.DataArray:
        """Incremental target per channel, ``(chain, draw, channel)``, target units."""
        return xr.DataArray(
            self.geo_draws.sum(axis=2), dims=("chain", "draw", "channel"),
            coords=self._coords(), name="lift", attrs={"units": self.units},
        )

    @property
    def total(self) -> xr.DataArray:
        """Incremental target over all channels, ``(chain, draw)``, target units."""
        return xr.DataArray(
            self.geo_draws.sum(axis=(2, 3)), dims=("chain", "draw"),
            coords={"chain": self.chain, "draw": self.draw}, name="lift",
            attrs={"units": self.units},
        )

    @property
    def by_geo(self) -> xr.DataArray:
        """Incremental target per geo and channel, ``(chain, draw, geo, channel)``."""
        return xr.DataArray(
            self.geo_draws, dims=("chain", "draw", "geo", "channel"),
            coords={**self._coords(), "geo": self.geos}, name="lift",
            attrs={"units": self.units},
        )

    @property
    def by_week(self) -> xr.DataArray:
        """Incremental target in each counted week, ``(chain, draw, date, channel)``.

        The weeks are the plan's plus the carryover weeks after it; the sum over ``date``
        is :attr:`draws`.
        """
        return xr.DataArray(
            self.week_draws, dims=("chain", "draw", "date", "channel"),
            coords={**self._coords(), "date": self.dates}, name="lift",
            attrs={"units": f"{self.units} per week"},
        )

    # -- spend and ROAS ------------------------------------------------------------------------
    @property
    def incremental_spend(self) -> pd.Series:
        """Plan minus reference spend per channel (and ``"total"``), currency units."""
        per_channel = self.spend_delta.sum(axis=0)
        return pd.Series(np.append(per_channel, per_channel.sum()),
                         index=pd.Index([*self.channels, "total"], name="channel"),
                         name="incremental_spend")

    @property
    def incremental_roas_draws(self) -> xr.DataArray:
        """Lift divided by incremental spend, ``(chain, draw, channel)`` incl. ``"total"``.

        Target units per currency unit; ``NaN`` where the spend change is zero (a pure
        reallocation has no total incremental ROAS, only a lift).
        """
        lift = self.geo_draws.sum(axis=2)
        lift = np.concatenate([lift, lift.sum(axis=-1, keepdims=True)], axis=-1)
        spend = self.incremental_spend.to_numpy()
        # a change below a millionth of a currency unit per week is rounding, not spend
        tiny = 1e-6 * max(len(self.plan_dates), 1)
        safe = np.where(np.abs(spend) > tiny, spend, np.nan)
        return xr.DataArray(
            lift / safe, dims=("chain", "draw", "channel"),
            coords={"chain": self.chain, "draw": self.draw,
                    "channel": [*self.channels, "total"]},
            name="incremental_roas", attrs={"units": f"{self.units} per unit of spend"},
        )

    def incremental_roas(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Incremental ROAS per channel and in total with a ``prob`` interval.

        Returns
        -------
        DataFrame indexed by channel (plus ``"total"``), columns ``mean, median, lower,
        upper, incremental_spend``; rows are ``NaN`` where the spend does not change.
        """
        check_prob(prob)
        da = self.incremental_roas_draws
        flat = da.values.reshape(-1, da.sizes["channel"])
        frame = stats_frame(flat, da["channel"].values, prob=prob)
        frame["incremental_spend"] = self.incremental_spend.to_numpy()
        frame.attrs.update(units=da.attrs["units"], prob=prob)
        return frame

    # -- tables --------------------------------------------------------------------------------
    def summary(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Lift per channel and in total with a ``prob`` credible interval.

        Returns
        -------
        DataFrame indexed by channel plus a ``"total"`` row, columns ``mean, median, lower,
        upper`` (target units), ``prob_positive`` (posterior probability of a lift > 0;
        ``NaN`` for channels whose spend did not change, listed in ``attrs["unchanged"]``)
        and ``spend_change`` (plan minus reference spend, currency: the ``"total"`` row says
        whether the budget changed).
        """
        check_prob(prob)
        lift = self.geo_draws.sum(axis=2).reshape(-1, len(self.channels))
        flat = np.concatenate([lift, lift.sum(axis=1, keepdims=True)], axis=1)
        frame = stats_frame(flat, [*self.channels, "total"], prob=prob, positive=True)
        spend = self.incremental_spend
        frame["spend_change"] = spend.to_numpy()
        # a channel whose spend did not change has no lift to be sure of: not "0% chance"
        unchanged = [ch for ch in self.channels if not np.any(
            self.spend_delta[:, self.channels.index(ch)])]
        frame.loc[unchanged, "prob_positive"] = np.nan
        frame.attrs.update(units=self.units, prob=prob, description=self.description,
                           extrapolates=self.extrapolates, unchanged=unchanged,
                           spend_units="currency")
        return frame

    def __repr__(self) -> str:
        total = self.geo_draws.sum(axis=(2, 3))
        return (f"LiftResult({self.description or 'plan vs reference'}: total {self.units} "
                f"mean {total.mean():,.6g}, 90% [{np.quantile(total, 0.05):,.6g}, "
                f"{np.quantile(total, 0.95):,.6g}], channels={self.channels})")


def stats_frame(flat: np.ndarray, index, *, prob: float = DEFAULT_PROB,
                positive: bool = False) -> pd.DataFrame:
    """:func:`mmmkit.stats.summarize` of the draws ``flat`` ``(S, K)`` as a frame indexed by
    channel: ``mean, median, lower, upper`` (and ``prob_positive``, the share of draws > 0).
    A column with any ``NaN`` draw stays ``NaN`` (no interval of an undefined quantity)."""
    check_prob(prob)
    cols = flat.shape[1]
    out = {k: np.full(cols, np.nan) for k in ("mean", "median", "lower", "upper")}
    ok = ~np.isnan(flat).any(axis=0)
    if ok.any():
        for name, values in summarize(flat[:, ok], prob).items():
            out[name][ok] = values
    if positive:
        out["prob_positive"] = (flat > 0).mean(axis=0)
    return pd.DataFrame(out, index=pd.Index(list(index), name="channel"))


# =============================================================================================
# The caller's arguments: plans, windows, channels
# =============================================================================================
def keyword_only(*names: str):
    """Decorator: the parameters ``names`` (in their old positional order) have become
    keyword-only; a call that still passes them by position works, with a
    ``DeprecationWarning`` naming them."""

    def decorate(fn):
        n_positional = sum(p.kind is p.POSITIONAL_OR_KEYWORD
                           for p in inspect.signature(fn).parameters.values())

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            extra = args[n_positional:]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(f"{fn.__name__}() takes at most "
                                    f"{n_positional + len(names)} positional arguments.")
                moved = dict(zip(names, extra, strict=False))
                twice = sorted(set(moved) & set(kwargs))
                if twice:
                    raise TypeError(f"{fn.__name__}() got multiple values for {twice}.")
                warn_user(f"{fn.__name__}(): pass {', '.join(moved)} by keyword "
                          f"({', '.join(f'{k}=...' for k in moved)}); positional use is "
                          "deprecated.", DeprecationWarning)
                kwargs.update(moved)
            return fn(*args[:n_positional], **kwargs)

        return wrapper

    return decorate


def read_plan(model: MMM, frame: pd.DataFrame, what: str):
    """Validate a plan frame: ``(dates, geos, spend (G', T, C) user order)``."""
    data = model.fitted_data()
    clean = validate_frame(frame, date=model.date, target=None, channels=model.channels,
                           geo=model.geo, controls=(), min_weeks=1, require_spend=False,
                           dayfirst=model.dayfirst, date_format=model.date_format)
    arrays = frame_to_arrays(clean, date=model.date, target=None, channels=model.channels,
                             geo=model.geo)
    dates = pd.DatetimeIndex(arrays["dates"])
    geos = list(arrays["geos"])
    unknown = [g for g in geos if g not in data.geos]
    if unknown:
        raise DataError(f"{what}: column {model.geo!r} has geo {unknown[0]!r}, which the model "
                        f"was not fitted on (fitted geos: {data.geos[:10]}).")
    check_on_grid(data.dates[0], dates, f"{what}: column {model.date!r}")
    if dates[0] < data.dates[0]:
        raise DataError(f"{what}: column {model.date!r} starts {dates[0].date()}, before the "
                        f"fitted period ({data.dates[0].date()}); plans cover fitted or later "
                        "weeks.")
    return dates, geos, arrays["spend"]


def check_on_grid(first: pd.Timestamp, dates: pd.DatetimeIndex, what: str) -> None:
    """Raise :class:`DataError` unless every date is a whole number of weeks from ``first``."""
    off = (dates - first).days % 7 != 0
    if off.any():
        raise DataError(f"{what} has week {dates[off][0].date()}, which is not on the fitted "
                        f"weekly grid (weeks fall on {first.day_name()}s, e.g. {first.date()}).")


def plan_frame(model: MMM, spend: np.ndarray, dates: pd.DatetimeIndex,
               geos: list[str]) -> pd.DataFrame:
    """``(G, T, C)`` spend as a tidy frame with the model's column names."""
    G, T, _ = spend.shape
    out: dict[str, Any] = {model.date: np.tile(np.asarray(dates), G)}
    if model.geo is not None:
        out[model.geo] = np.repeat(np.asarray(geos, dtype=object), T)
    for c, ch in enumerate(model.channels):
        out[ch] = spend[:, :, c].reshape(-1)
    return pd.DataFrame(out)


def window(model: MMM, start, end, geos) -> tuple[np.ndarray, list[int]]:
    """Fitted week indices in ``[start, end]`` and geo indices of the labels ``geos``."""
    data = model.fitted_data()
    lo = data.dates[0] if start is None else pd.Timestamp(start)
    hi = data.dates[-1] if end is None else pd.Timestamp(end)
    if lo > hi:
        raise ValueError(f"start ({lo.date()}) is after end ({hi.date()}).")
    weeks = np.flatnonzero((data.dates >= lo) & (data.dates <= hi))
    if weeks.size == 0:
        raise ValueError(f"No fitted week between {lo.date()} and {hi.date()} (fitted weeks "
                         f"{data.dates[0].date()} to {data.dates[-1].date()}).")
    if geos is None:
        return weeks, list(range(data.n_geos))
    geos = [geos] if isinstance(geos, str) else list(geos)
    unknown = [g for g in geos if g not in data.geos]
    if unknown or not geos:
        raise ValueError(f"Unknown geo(s) {unknown}; the model was fitted on {data.geos[:10]}.")
    return weeks, sorted({data.geos.index(g) for g in geos})


def check_channel(model: MMM, ch: str) -> None:
    """Raise ``ValueError`` unless ``ch`` is one of the model's channels."""
    if ch not in model.channels:
        raise ValueError(f"{ch!r} is not a channel of the model ({model.channels}).")


def channel_map(model: MMM, mapping: Mapping[str, float], what: str) -> dict[str, float]:
    """``{channel: float}`` from the caller's mapping ``what``, channels checked."""
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a mapping {{channel: value}}, got "
                        f"{type(mapping).__name__}.")
    for ch in mapping:
        check_channel(model, ch)
    return {ch: float(v) for ch, v in mapping.items()}


def span(dates: pd.DatetimeIndex) -> str:
    """``first..last`` of some weeks, for messages."""
    return f"{dates[0].date()}..{dates[-1].date()}" if len(dates) else "no weeks"


# =============================================================================================
# Timelines: carry-in, plan, carryover
# =============================================================================================
def fitted_spend(model: MMM, geo_idx: Sequence[int], positions: np.ndarray) -> np.ndarray:
    """The fitted spend ``(G', len(positions), C)`` (currency, user channel order) of the
    geos ``geo_idx`` at the fitted week ``positions``; zero where a position lies before or
    after the fitted period."""
    data = model.fitted_data()
    positions = np.asarray(positions)
    fitted = (positions >= 0) & (positions < data.n_weeks)
    out = np.zeros((len(geo_idx), len(positions), len(model.channels)))
    out[:, fitted] = data.spend[np.ix_(list(geo_idx), positions[fitted])]
    return out


@dataclass(eq=False)
class PlanTimeline:
    """The weeks a plan's lift is computed on: ``history`` weeks of carry-in before the plan,
    the plan's own weeks, then ``history`` weeks of carryover after it.

    ``base`` ``(G', T_p + 2 * history, C)`` is the fitted spend of those weeks (zero where
    they are not fitted); :meth:`with_plan` puts a plan's spend into the plan's weeks.
    """

    dates: pd.DatetimeIndex
    history: int
    n_plan: int
    base: np.ndarray

    @property
    def counted(self) -> pd.DatetimeIndex:
        """The weeks a lift counts: the plan's and the carryover weeks after them."""
        return self.dates[self.history:]

    def with_plan(self, plan: np.ndarray) -> np.ndarray:
        """``base`` with the plan's weeks replaced by ``plan`` ``(G', T_p, C)``."""
        out = self.base.copy()
        out[:, self.history:self.history + self.n_plan] = plan
        return out


def plan_timeline(model: MMM, dates: pd.DatetimeIndex, geo_idx: Sequence[int]) -> PlanTimeline:
    """The timeline of a plan over the consecutive weeks ``dates`` (see
    :class:`PlanTimeline`), warning when carry-in weeks after the fitted period are covered
    by neither the data nor the plan (they count as zero spend)."""
    data = model.fitted_data()
    H = model.media.max_lag - 1
    T_p = len(dates)
    timeline = pd.date_range(dates[0] - pd.Timedelta(weeks=H), periods=T_p + 2 * H, freq="7D")
    pos = data.week_index(timeline)
    gap = timeline[:H][pos[:H] >= data.n_weeks]
    if len(gap):
        warn_user(
            f"{len(gap)} week(s) before the plan (from {gap[0].date()}) are after the fitted "
            "period and not in the plan; they count as zero spend in both plans. Start the "
            "plan right after the fitted period to carry their spend in.", ScenarioWarning)
    return PlanTimeline(dates=timeline, history=H, n_plan=T_p,
                        base=fitted_spend(model, geo_idx, pos))


# =============================================================================================
# The lift of one plan over another
# =============================================================================================
@with_one_blas_thread
def lift_arrays(model: MMM, alt: np.ndarray, ref: np.ndarray, dates: pd.DatetimeIndex,
                geo_idx: list[int], *, description: str = "") -> LiftResult:
    """Lift of plan ``alt`` over ``ref`` (both ``(G', T_p, C)`` currency, user channel order)
    over the consecutive weeks ``dates`` in the fitted geos ``geo_idx``.

    Both plans are embedded in the same :func:`plan_timeline`. Weeks before the plan are
    identical in both and are not counted.
    """
    data = model.fitted_data()
    timeline = plan_timeline(model, dates, geo_idx)
    H = timeline.history
    alt_t, ref_t = timeline.with_plan(alt), timeline.with_plan(ref)
    engine = model.posterior_engine()
    S = engine.n_samples
    C = len(model.channels)
    geo_draws = np.zeros((S, len(geo_idx), C))
    week_draws = np.zeros((S, len(timeline.counted), C))
    # A channel's term depends on its own spend only: unchanged channels add exactly zero.
    changed = [c for c in range(C) if not np.array_equal(alt[..., c], ref[..., c])]
    scale = data.spend_scale[geo_idx]  # (G', C)

    def one(c: int) -> None:
        par = channel_params(model, engine.params, model.channels[c], geo_idx)
        lag = par.adstock_lags
        # counted weeks start at the plan; earlier ones are equal in both plans. Adstock as
        # kernel weights @ lagged copies: one BLAS product, faster than Adstock.apply's
        # shifted-copy convolution here (see ChannelBlocks.build)
        lags = [lag_stack(x[:, :, c:c + 1] / scale[:, None, c:c + 1], lag)[..., 0][:, :, H:]
                for x in (alt_t, ref_t)]
        G, T = lags[0].shape[1:]
        flat = [v.reshape(lag, G * T) for v in lags]
        for r0, r1 in row_chunks(S, G * T):
            a_alt, a_ref = (par.weights[r0:r1] @ v for v in flat)
            sat = {k: v[r0:r1] for k, v in par.sat_params.items()}
            diff = curve(par.saturation, a_alt, sat) - curve(par.saturation, a_ref, sat)
            diff = diff.reshape(r1 - r0, G, T) * par.coef[r0:r1, :, None]
            geo_draws[r0:r1, :, c] = diff.sum(axis=2)
            week_draws[r0:r1, :, c] = diff.sum(axis=1)

    parallel_map(one, changed, threads=S * alt_t.shape[0] * alt_t.shape[1] >= THREAD_MIN_ELEMENTS)
    return LiftResult(
        geo_draws=engine.reshape(geo_draws), week_draws=engine.reshape(week_draws),
        chain=engine.chain_coord, draw=engine.draw_coord, channels=list(model.channels),
        geos=[data.geos[g] for g in geo_idx], dates=timeline.counted, plan_dates=dates,
        spend_delta=(alt - ref).sum(axis=1), units=model.kpi_label, description=description,
        extrapolation=extrapolation_table(data.spend[geo_idx], alt, list(model.channels)),
    )


def extrapolation_table(observed: np.ndarray, plan: np.ndarray,
                        channels: list[str]) -> pd.DataFrame:
    """How far a plan's weekly spend goes beyond what the fitted data show, per channel.

    Parameters
    ----------
    observed : ``(G, T, C)`` fitted spend of the plan's geos, currency.
    plan : ``(G, T_p, C)`` the plan's weekly spend, currency.
    channels : the ``C`` names.

    Returns
    -------
    DataFrame indexed by channel: ``observed_max_week`` and ``plan_max_week`` (currency, in
    the geo where the ratio is largest), ``ratio`` (plan's highest week over the highest
    fitted week of the same geo; ``inf`` for spend where the geo never spent), ``weeks_beyond``
    (geo-weeks above the fitted maximum) and ``beyond`` (any such week).
    """
    seen = observed.max(axis=1)  # (G, C)
    top = plan.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seen > 0, top / seen, np.where(top > 0, np.inf, 0.0))
    worst = ratio.argmax(axis=0)  # (C,) geo with the largest ratio
    cols = np.arange(len(channels))
    tol = 1e-9  # the fitted weeks themselves, scaled by 1, are not beyond
    beyond_weeks = (plan > seen[:, None, :] * (1 + tol) + tol).sum(axis=(0, 1))
    frame = pd.DataFrame({
        "observed_max_week": seen[worst, cols], "plan_max_week": top[worst, cols],
        "ratio": ratio[worst, cols], "weeks_beyond": beyond_weeks.astype(int),
        "beyond": beyond_weeks > 0,
    }, index=pd.Index(channels, name="channel"))
    frame.attrs["units"] = "currency per week"
    return frame


# =============================================================================================
# One channel's parameters, curves, and how the work is chunked
# =============================================================================================
class ChannelParams(NamedTuple):
    """One channel's posterior draws of its media parameters, ready for numpy."""

    adstock_lags: int
    weights: np.ndarray  # (S, L) adstock kernel
    saturation: Saturation
    sat_params: dict[str, np.ndarray]  # (S, 1) each
    coef: np.ndarray  # (S, G') target units per unit of the curve, per geo


def channel_params(model: MMM, params: Mapping[str, np.ndarray], ch: str,
                   geo_idx: Sequence[int]) -> ChannelParams:
    """Adstock weights, saturation parameters and the per-geo scale of ``ch``'s term:
    ``channel_effect * target_scale / saturation(1)`` (see the module docstring)."""
    media = model.media
    group = next(g for g in media.groups if ch in g.channels)
    ad, sat = group.channel_params(params, ch)  # each (S,)
    w = group.adstock.weights(**ad)  # (S, L)
    at_one = np.asarray(group.saturation.apply(1.0, **sat), dtype=float)  # (S,)
    effect = params["channel_effect"][:, list(geo_idx), media.order.index(ch)]  # (S, G')
    target_scale = model.fitted_data().target_scale
    coef = effect * target_scale[list(geo_idx)][None, :] / at_one[:, None]
    return ChannelParams(group.adstock.max_lag, np.asarray(w, dtype=float), group.saturation,
                         {p: v[:, None] for p, v in sat.items()}, coef)


def curve(sat: Saturation, x: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    """The channel's own saturation curve at ``x`` (numpy)."""
    return np.asarray(sat.apply(x, **params))


def curve_and_slope(sat: Saturation, x: np.ndarray, params: dict[str, np.ndarray]):
    """The saturation curve and its derivative in ``x``, elementwise (the transform's own)."""
    return curve(sat, x, params), sat.slope(x, **params)


def row_chunks(n_rows: int, row_size: int):
    """``(start, stop)`` row ranges whose blocks hold about :data:`CHUNK_ELEMENTS` numbers:
    small enough to stay in cache across the several passes an evaluation makes over them."""
    step = max(1, CHUNK_ELEMENTS // max(row_size, 1))
    for r0 in range(0, n_rows, step):
        yield r0, min(r0 + step, n_rows)


def parallel_map(fn, items, *, threads: bool) -> list:
    """``[fn(i) for i in items]``, on threads when worth it (numpy releases the GIL)."""
    items = list(items)
    n = min(len(items), os.cpu_count() or 1)
    if threads and n > 1:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(fn, items))
    return [fn(i) for i in items]


# =============================================================================================
# Precomputed channel responses (response curves and the optimiser)
# =============================================================================================
@dataclass(eq=False)
class ChannelBlock:
    """One channel's adstocked, scaled spend pattern on every draw, in compact form.

    Only geo-weeks where the pattern's adstock is non-zero are kept (elsewhere the channel's
    term does not depend on its multiplier), flattened geo by geo into ``N`` entries.
    ``a_in`` ``(S, N)`` is the adstock of the pattern being scaled, ``a_out`` ``(S, N)`` of
    the channel's spend that stays as it is (outside the period), ``coef`` ``(S, G_c)``
    converts the curve to target units per geo. ``total`` ``(G_c,)`` is the pattern's spend.
    """

    channel: str
    saturation: Saturation
    params: dict[str, np.ndarray]  # (S, 1) each
    coef: np.ndarray
    geo_pos: np.ndarray  # (G_c,) positions of the block's geos among the period's geos
    starts: np.ndarray  # (G_c,) first entry of each geo
    entry_geo: np.ndarray  # (N,)
    a_in: np.ndarray | None  # dropped once ``_e0`` is built for the optimiser (memory)
    a_out: np.ndarray | None
    total: np.ndarray
    _e0: np.ndarray | None = None

    @property
    def n_geos(self) -> int:
        return len(self.geo_pos)

    @property
    def shape(self) -> tuple[int, int]:
        """``(S, N)``: draws and entries."""
        return (self.a_in if self.a_in is not None else self._e0).shape

    def fast(self) -> bool:
        """Whether the optimiser's log-free Hill path applies (no fixed carry-in)."""
        return self.a_out is None and self.saturation.kernel == "hill"

    def prepare_fast(self) -> None:
        """Build ``e0`` for the fast path and drop ``a_in`` (halves the memory)."""
        if self.fast() and self._e0 is None:
            with np.errstate(divide="ignore", over="ignore"):
                self._e0 = (self.params["half_saturation"] / self.a_in) ** self.params["slope"]
            self.a_in = None

    def subset(self, idx: np.ndarray) -> ChannelBlock:
        """The block restricted to the draws ``idx``."""
        return ChannelBlock(
            channel=self.channel, saturation=self.saturation,
            params={k: v[idx] for k, v in self.params.items()}, coef=self.coef[idx],
            geo_pos=self.geo_pos, starts=self.starts, entry_geo=self.entry_geo,
            a_in=None if self.a_in is None else self.a_in[idx],
            a_out=None if self.a_out is None else self.a_out[idx],
            total=self.total, _e0=None if self._e0 is None else self._e0[idx],
        )

    def response(self, m: np.ndarray, *, exact: bool = False):
        """Channel term ``(S, G_c)`` (target units) with each geo's pattern times ``m[g]``,
        and its derivative in ``m[g]`` ``(S, G_c)``.

        ``exact=False`` (optimiser) floors ``m`` at a tiny positive value and, for a Hill
        curve with no fixed carry-in, uses the fast path (:meth:`_fast_response`). Draws are
        processed in chunks that stay in cache.
        """
        m = np.asarray(m, dtype=float)
        uniform = bool(np.all(m == m[0]))
        if not exact:
            m = np.maximum(m, M_FLOOR)
        if not exact and self.fast():
            return self._fast_response(m, uniform)
        if self.a_in is None:
            raise RuntimeError("exact responses need the block's adstock (built for curves).")
        S, N = self.shape
        value = np.empty((S, self.n_geos))
        dm = np.empty((S, self.n_geos))
        m_entry = m[0] if uniform else m[self.entry_geo][None, :]
        for r0, r1 in row_chunks(S, N):
            a_in = self.a_in[r0:r1]
            x = a_in * m_entry
            if self.a_out is not None:
                x += self.a_out[r0:r1]
            params = {k: v[r0:r1] for k, v in self.params.items()}
            f, df = curve_and_slope(self.saturation, x, params)
            value[r0:r1] = np.add.reduceat(f, self.starts, axis=1)
            dm[r0:r1] = np.add.reduceat(df * a_in, self.starts, axis=1)
        return value * self.coef, dm * self.coef

    def _fast_response(self, m: np.ndarray, uniform: bool):
        """:meth:`response` of a Hill curve with no fixed carry-in, ``m > 0``.

        ``hill(m a) = 1 / (1 + e0 * m**-slope)`` with ``e0 = (K / a)**slope`` precomputed: an
        evaluation is then a multiply, a reciprocal and two sums per entry
        (``m * d hill / d m = slope * (f - f**2)``), no transcendental function.
        """
        slope = self.params["slope"]  # (S, 1)
        self.prepare_fast()
        S, N = self.shape
        value = np.empty((S, self.n_geos))
        dm = np.empty((S, self.n_geos))
        # m**-slope per draw (uniform) or per draw and entry
        power = np.exp(-slope * np.log(m[0])) if uniform else np.exp(
            -slope * np.log(m)[None, :])[:, self.entry_geo]
        buf = np.empty((min(S, max(1, CHUNK_ELEMENTS // max(N, 1))), N))
        with np.errstate(over="ignore", invalid="ignore"):
            for r0, r1 in row_chunks(S, N):
                b = buf[:r1 - r0]
                np.multiply(self._e0[r0:r1], power[r0:r1], out=b)
                b += 1.0
                np.reciprocal(b, out=b)
                value[r0:r1] = np.add.reduceat(b, self.starts, axis=1)
                np.square(b, out=b)
                dm[r0:r1] = value[r0:r1] - np.add.reduceat(b, self.starts, axis=1)
        dm *= slope / m[None, :]
        return value * self.coef, dm * self.coef


@dataclass(eq=False)
class ChannelBlocks:
    """The channel blocks of a set of channels over a period, plus the posterior engine."""

    blocks: dict[str, ChannelBlock]
    engine: Any
    n_samples: int
    geo_idx: list[int]

    @classmethod
    def build(cls, model: MMM, channels: list[str], weeks: np.ndarray,
              geo_idx: list[int], *, optimizer: bool = False) -> ChannelBlocks:
        """Adstock each channel's pattern over the period once per draw (``optimizer``:
        in the form the optimiser's fast path uses, see :meth:`ChannelBlock.prepare_fast`).

        The timeline runs from ``max_lag - 1`` weeks before the period to ``max_lag - 1``
        weeks after it; entries are counted from the period's first week (earlier weeks do
        not depend on the period's spend).
        """
        engine = model.posterior_engine()
        H = model.media.max_lag - 1
        t0, t1 = int(weeks[0]), int(weeks[-1])
        w0 = max(t0 - H, 0)
        spend = fitted_spend(model, geo_idx, np.arange(w0, t1 + H + 1))  # (G', n_tl, C)
        n_tl = spend.shape[1]
        in_period = np.zeros(n_tl, dtype=bool)
        in_period[t0 - w0:t1 - w0 + 1] = True
        scale = model.fitted_data().spend_scale[geo_idx]  # (G', C) user order

        def one(ch: str) -> ChannelBlock | None:
            return _channel_block(model, engine, ch, spend, scale, in_period, t0 - w0,
                                  geo_idx, optimizer)

        size = engine.n_samples * len(geo_idx) * n_tl
        built = parallel_map(one, channels, threads=size >= THREAD_MIN_ELEMENTS)
        blocks = {ch: b for ch, b in zip(channels, built, strict=True) if b is not None}
        return cls(blocks=blocks, engine=engine, n_samples=engine.n_samples,
                   geo_idx=list(geo_idx))


def _channel_block(model: MMM, engine, ch: str, spend: np.ndarray, scale: np.ndarray,
                   in_period: np.ndarray, first: int, geo_idx: list[int],
                   optimizer: bool) -> ChannelBlock | None:
    """:class:`ChannelBlock` of ``ch`` over the timeline ``spend`` ``(G', n_tl, C)``
    (``None`` if its pattern reaches no counted week). ``first``: first counted week."""
    c = model.channels.index(ch)
    par = channel_params(model, engine.params, ch, geo_idx)
    x = spend[:, :, c] / scale[:, c][:, None]  # (G', n_tl) scaled
    x_in = np.where(in_period[None, :], x, 0.0)
    # Adstock as kernel weights @ lagged copies, on the kept entries only: one BLAS product
    # per block. Adstock.apply (a shifted-copy convolution over every geo-week) took 2.5x as
    # long at 1000 draws x 50 geos and rounds differently, so it is not used here.
    lags_in = lag_stack(x_in[:, :, None], par.adstock_lags)[..., 0][:, :, first:]
    lags_out = lag_stack((x - x_in)[:, :, None], par.adstock_lags)[..., 0][:, :, first:]
    mask = (lags_in > 0).any(axis=0)  # (G', T_c): the pattern reaches these weeks
    geos_with = np.flatnonzero(mask.any(axis=1))
    if geos_with.size == 0:
        return None
    mask = mask[geos_with]
    lags_in, lags_out = lags_in[:, geos_with][:, mask], lags_out[:, geos_with][:, mask]
    counts = mask.sum(axis=1)
    total = np.where(in_period[None, :], spend[:, :, c], 0.0).sum(axis=1)[geos_with]
    block = ChannelBlock(
        channel=ch, saturation=par.saturation, params=par.sat_params,
        coef=par.coef[:, geos_with], geo_pos=geos_with,
        starts=np.concatenate([[0], np.cumsum(counts)[:-1]]),
        entry_geo=np.repeat(np.arange(geos_with.size), counts),
        a_in=par.weights @ lags_in,
        a_out=par.weights @ lags_out if (lags_out > 0).any() else None,
        total=total,
    )
    if optimizer:
        block.prepare_fast()
    return block
