"""Plots of a fitted :class:`~mmmkit.MMM`, for analysts and for :mod:`mmmkit.report`.

Every function takes a fitted model (plus options) and returns a
:class:`matplotlib.figure.Figure`. Figures are built on the object-oriented API
(``matplotlib.figure.Figure``), not on ``pyplot``: nothing is registered with a GUI backend,
so the functions work headless (Agg) and in loops without leaking open figures, and Jupyter
still displays a returned figure. Save one with ``fig.savefig("fit.png", dpi=150)``.

Conventions
-----------
* Axes say their units: the target's own units (its column name, e.g. ``sales``) and the
  currency of spend (``currency="EUR"``; default "currency units").
* Every band and error bar says its interval level in the legend (e.g. "90% credible
  interval"). Credible intervals are equal-tailed, from posterior draws.
* For a geo panel, numbers are totals over geos unless a ``geo`` option selects some.
* A channel keeps its colour across all plots (its position in ``model.channels``).
* A figure returned by the last line of a notebook cell is shown as a PNG, with or without
  ``%matplotlib inline``.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mmmkit.posterior import with_tail
from mmmkit.stats import check_prob

__all__ = [
    "adstock",
    "budget_plan",
    "contributions",
    "diagnostics",
    "fit",
    "prior_posterior",
    "response_curves",
    "roas",
    "waterfall",
]

# Colours: the baseline is neutral grey so that the media layers stand out on top of it.
_BASELINE_COLOR = "#b8b8b8"
_ACTUAL_COLOR = "#222222"
_PREDICTED_COLOR = "#1f5fa8"
_NEGATIVE_COLOR = "#c0392b"
_MAX_PANELS = 40  # arviz's own cap on subplots; more is unreadable on one figure anyway


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------
class _Figure(Figure):
    """A :class:`~matplotlib.figure.Figure` that Jupyter shows as an image.

    IPython draws a plain Figure only through the formatter that ``%matplotlib inline``
    registers; in a kernel where that never ran (these figures never touch pyplot), a cell
    returning one printed ``<Figure size ...>``. Where the inline formatter is registered,
    IPython prefers it and this method is not used.
    """

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def _fitted(model):
    """The fitted data; raises :class:`mmmkit.NotFittedError` for an unfitted model."""
    return model.fitted_data()


def _currency(model, currency: str | None) -> str:
    """The spend unit for labels: the caller's, the model's if it ever carries one, or generic."""
    return currency or getattr(model, "currency", None) or "currency units"


def _per_currency(model, currency: str | None) -> str:
    """'EUR' -> 'EUR'; no currency -> 'currency unit' (for 'sales per ... of spend')."""
    cur = currency or getattr(model, "currency", None)
    return cur or "currency unit"


def _level(prob: float) -> str:
    """``0.9`` -> ``"90%"`` (no spurious decimals, but keeps ``"89.5%"``)."""
    return f"{prob * 100:g}%"


def _interval(prob: float, kind: str = "credible") -> str:
    return f"{_level(prob)} {kind} interval"


def _thousands(ax, axis: str = "y") -> None:
    """Tick labels with thousands separators (1,250,000 rather than 1.25e6)."""
    def fmt(v, _pos):
        if v == 0:
            return "0"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:,.3g}"

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(fmt))


def _channel_colors(model) -> dict[str, Any]:
    """One colour per channel, stable across plots (tab10, then tab20 for many channels)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(model.channels) <= 10 else "tab20"]
    return {ch: cmap(i % cmap.N) for i, ch in enumerate(model.channels)}


def _flat(da: xr.DataArray) -> np.ndarray:
    """``(chain, draw, ...)`` -> numpy ``(S, ...)``, draws first."""
    other = [d for d in da.dims if d not in ("chain", "draw")]
    values = da.transpose("chain", "draw", *other).values
    return values.reshape(-1, *values.shape[2:])


def _band(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and equal-tailed ``prob`` interval over the first axis."""
    lo, hi = (1 - prob) / 2, 1 - (1 - prob) / 2
    return draws.mean(axis=0), np.quantile(draws, lo, axis=0), np.quantile(draws, hi, axis=0)


def _grid(n: int, ncols: int, width: float, height: float, **kwargs) -> tuple[Figure, list]:
    """A figure with ``n`` axes in rows of ``ncols``; unused cells are hidden."""
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, **kwargs)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _geo_list(model, geo: str | Sequence[str] | None) -> list[str]:
    """Geo labels selected by ``geo`` (``None``: all); unknown labels raise ``ValueError``."""
    geos = list(_fitted(model).geos)
    if geo is None:
        return geos
    wanted = [geo] if isinstance(geo, str) else list(geo)
    if model.geo is None and wanted == geos:
        return geos
    unknown = [g for g in wanted if g not in geos]
    if unknown:
        if model.geo is None:
            raise ValueError(
                f"This is a national model (no geo column); geo={geo!r} selects nothing. "
                "Leave geo=None.")
        raise ValueError(f"Unknown geo {unknown[0]!r}; the model's geos are {geos[:20]}.")
    return wanted


def _geo_suffix(model, geos: list[str]) -> str:
    """Title suffix saying what the numbers cover."""
    if model.geo is None:
        return "national"
    all_geos = _fitted(model).geos
    if len(geos) == len(all_geos):
        return f"total over {len(geos)} geos"
    if len(geos) == 1:
        return f"geo {geos[0]}"
    return f"total over {len(geos)} of {len(all_geos)} geos"


def _sum_geos(da: xr.DataArray, geos: list[str]) -> xr.DataArray:
    """Sum over the selected geos (national outputs have no geo dim: nothing to do)."""
    if "geo" not in da.dims:
        return da
    return da.sel(geo=geos).sum("geo")


def _period(model) -> str:
    dates = _fitted(model).dates
    return f"{dates[0]:%d %b %Y} – {dates[-1]:%d %b %Y}"


# Reading methods re-evaluate the model on every draw; the report asks for the same arrays
# several times, so it switches on this memo (scoped, so nothing big outlives the report).
_MEMO: dict | None = None


@contextlib.contextmanager
def _memoize() -> Iterator[None]:
    """Within the block, repeated reads (contributions, baseline, ROAS) are computed once."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield
    finally:
        _MEMO = outer


def _read(model, name: str, *args):
    """``getattr(model, name)(*args)``, memoized while :func:`_memoize` is active."""
    if _MEMO is None:
        return getattr(model, name)(*args)
    key = (id(model), id(model.idata), name, args)
    if key not in _MEMO:
        _MEMO[key] = getattr(model, name)(*args)
    return _MEMO[key]


# ---------------------------------------------------------------------------------------------
# Fit
# ---------------------------------------------------------------------------------------------
def fit(
    model,
    geo: str | Sequence[str] | None = None,
    prob: float = 0.9,
    *,
    by_geo: bool = False,
    max_geos: int = 12,
) -> Figure:
    """Actual target against the posterior predictive, week by week.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    geo : ``None`` (default): one panel, the total over all geos (the national series for a
        national model). A geo label: that geo. A list of labels: one panel per geo.
    prob : level of the predictive band (new observations: model uncertainty plus noise).
    by_geo : one panel per geo ("small multiples"), the ``max_geos`` largest geos by total
        target when there are more; ignored for national models.
    max_geos : the most panels drawn with ``by_geo=True``.

    Returns
    -------
    Figure with one axes per panel: the actual target (line), the posterior-predictive mean
    (line) and its ``prob`` band, in target units per week; each panel's title gives R², the
    mean absolute percentage error and the share of weeks inside the band.
    """
    data = _fitted(model)
    check_prob(prob)
    pp = model.idata.posterior_predictive[model.target]  # (chain, draw, geo, date)
    observed = model.idata.observed_data[model.target]  # (geo, date)
    if by_geo and model.geo is not None:
        totals = observed.sum("date").to_series().sort_values(ascending=False)
        panels = [[g] for g in list(totals.index)[:max_geos]]
        omitted = len(totals) - len(panels)
    elif geo is not None and not isinstance(geo, str):
        panels = [[g] for g in _geo_list(model, geo)]
        omitted = 0
    else:
        panels = [_geo_list(model, geo)]
        omitted = 0
    fig, axes = _grid(len(panels), 1 if len(panels) <= 3 else 2, 10.0 if len(panels) <= 3
                      else 6.5, 3.4 if len(panels) == 1 else 2.8, sharex=True)
    dates = data.dates
    for ax, geos in zip(axes, panels, strict=True):
        draws = _flat(pp.sel(geo=geos).sum("geo"))  # (S, T)
        actual = observed.sel(geo=geos).sum("geo").values
        mean, lower, upper = _band(draws, prob)
        ax.fill_between(dates, lower, upper, color=_PREDICTED_COLOR, alpha=0.2, lw=0,
                        label=_interval(prob, "predictive"))
        ax.plot(dates, mean, color=_PREDICTED_COLOR, lw=1.6, label="predicted (posterior mean)")
        ax.plot(dates, actual, color=_ACTUAL_COLOR, lw=1.2, marker="o", ms=2.2,
                label=f"actual {model.target}")
        ax.set_ylabel(f"{model.target} per week")
        ax.set_title(f"{_geo_suffix(model, geos)} — {_fit_stats(actual, mean, lower, upper)}",
                     fontsize=9.5)
        _thousands(ax)
        ax.grid(alpha=0.3)
    for ax in axes[-min(2, len(axes)):]:
        ax.set_xlabel("week")
    axes[0].legend(loc="upper left", fontsize=8, framealpha=0.9)
    note = f" (largest {len(panels)} geos shown, {omitted} more not shown)" if omitted else ""
    fig.suptitle(f"Model fit: actual vs predicted {model.target}, {_period(model)}{note}",
                 fontsize=11)
    return fig


def _fit_stats(actual, mean, lower, upper) -> str:
    """R², MAPE and band coverage in words, for a panel title."""
    resid = actual - mean
    ss_tot = float(((actual - actual.mean()) ** 2).sum())
    r2 = 1 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    nonzero = actual != 0
    mape = float(np.mean(np.abs(resid[nonzero] / actual[nonzero]))) if nonzero.any() else np.nan
    inside = float(np.mean((actual >= lower) & (actual <= upper)))
    return f"R² {r2:.2f}, MAPE {mape:.1%}, {inside:.0%} of weeks inside the band"


# ---------------------------------------------------------------------------------------------
# Contributions
# ---------------------------------------------------------------------------------------------
def contributions(
    model, prob: float = 0.9, geo: str | Sequence[str] | None = None
) -> Figure:
    """Weekly channel contributions stacked on the baseline, with the actual target.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    prob : level of the band around the expected target (baseline plus media).
    geo : ``None`` for the total over geos, or a geo label / list of labels to sum.

    Returns
    -------
    Figure with one axes: stacked areas (posterior means, target units per week) of the
    baseline (intercept, trend, seasonality and controls together) and one layer per channel in
    ``model.channels`` order, the ``prob`` band of the expected target, and the actual target.
    """
    data = _fitted(model)
    check_prob(prob)
    geos = _geo_list(model, geo)
    contrib = _sum_geos(_read(model, "contributions"), geos)  # (chain, draw, date, channel)
    base = _sum_geos(_read(model, "baseline"), geos).sum("component")  # (chain, draw, date)
    media = _flat(contrib.sel(channel=model.channels))  # (S, T, C)
    base_draws = _flat(base)  # (S, T)
    expected = base_draws + media.sum(axis=-1)
    _, lower, upper = _band(expected, prob)
    actual = model.idata.observed_data[model.target].sel(geo=geos).sum("geo").values
    colors = _channel_colors(model)
    fig = _Figure(figsize=(11, 4.6), layout="constrained")
    ax = fig.subplots()
    layers = [base_draws.mean(axis=0)] + [media[:, :, c].mean(axis=0)
                                          for c in range(len(model.channels))]
    ax.stackplot(data.dates, *layers, labels=["baseline", *model.channels],
                 colors=[_BASELINE_COLOR] + [colors[ch] for ch in model.channels], alpha=0.85,
                 lw=0)
    ax.fill_between(data.dates, lower, upper, facecolor="none", edgecolor=_ACTUAL_COLOR,
                    hatch="////", lw=0.0, alpha=0.6,
                    label=f"expected {model.target}, {_interval(prob)}")
    ax.plot(data.dates, actual, color=_ACTUAL_COLOR, lw=1.3, label=f"actual {model.target}")
    ax.set_ylabel(f"{model.target} per week")
    ax.set_xlabel("week")
    ax.set_title(f"Where {model.target} came from each week ({_geo_suffix(model, geos)}; "
                 "layers are posterior means)", fontsize=10.5)
    _thousands(ax)
    ax.grid(alpha=0.3)
    ax.margins(x=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, borderaxespad=0)
    return fig


# ---------------------------------------------------------------------------------------------
# Waterfall
# ---------------------------------------------------------------------------------------------
_COMPONENT_LABELS = {"intercept": "base level", "trend": "trend", "seasonality": "seasonality"}


def waterfall(model, prob: float = 0.9, geo: str | Sequence[str] | None = None) -> Figure:
    """Total contribution of each baseline component and each channel over the fitted period.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    prob : level of the error bars on each step and on the total.
    geo : ``None`` for the total over geos, or a geo label / list of labels to sum.

    Returns
    -------
    Figure with one axes: one floating bar per baseline component (``model.baseline()``
    components: base level, trend, seasonality, controls), one per channel, and a final bar
    for the expected total, all in target units summed over the fitted weeks (posterior
    means, ``prob`` intervals as error bars); the actual total is a marker on the last bar.
    Steps that lower the total are red.
    """
    _fitted(model)
    check_prob(prob)
    geos = _geo_list(model, geo)
    base = _sum_geos(_read(model, "baseline"), geos).sum("date")  # (chain, draw, component)
    contrib = _sum_geos(_read(model, "contributions"), geos).sum("date")  # (chain, draw, chan)
    items: list[tuple[str, np.ndarray, Any]] = []
    for comp in base["component"].values:
        label = _COMPONENT_LABELS.get(str(comp), str(comp))
        items.append((label, _flat(base.sel(component=comp)), _BASELINE_COLOR))
    colors = _channel_colors(model)
    for ch in model.channels:
        items.append((ch, _flat(contrib.sel(channel=ch)), colors[ch]))
    total = sum(draws for _, draws, _ in items)
    actual = float(model.idata.observed_data[model.target].sel(geo=geos).sum())

    fig = _Figure(figsize=(max(7.0, 1.0 * (len(items) + 1) + 2), 4.8), layout="constrained")
    ax = fig.subplots()
    running = 0.0
    lo_q, hi_q = (1 - prob) / 2, 1 - (1 - prob) / 2
    tot_mean = float(total.mean())
    for i, (_label, draws, color) in enumerate(items):
        mean = float(draws.mean())
        lo, hi = np.quantile(draws, [lo_q, hi_q])
        bottom = running if mean >= 0 else running + mean
        ax.bar(i, abs(mean), bottom=bottom, color=color if mean >= 0 else _NEGATIVE_COLOR,
               edgecolor="white", width=0.7)
        end = running + mean
        ax.errorbar(i, end, yerr=[[mean - lo], [hi - mean]], color=_ACTUAL_COLOR, capsize=3,
                    lw=1, label=f"{_interval(prob)} of each step" if i == 0 else None)
        share = mean / tot_mean if tot_mean else 0.0
        ax.annotate(f"{_signed(mean)}\n({_signed(100 * share)}%)", (i, max(running, end)),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=7.5)
        if i < len(items) - 1:  # connector to the next step, as in accounting waterfalls
            ax.plot([i + 0.35, i + 0.65], [end, end], color="#777777", lw=0.8)
        running = end
    k = len(items)
    lo, hi = np.quantile(total, [lo_q, hi_q])
    ax.bar(k, tot_mean, color=_PREDICTED_COLOR, width=0.7, edgecolor="white")
    ax.errorbar(k, tot_mean, yerr=[[tot_mean - lo], [hi - tot_mean]], color=_ACTUAL_COLOR,
                capsize=3, lw=1)
    ax.plot(k, actual, marker="D", color="white", markeredgecolor=_ACTUAL_COLOR, ms=7,
            ls="none", label=f"actual total {model.target}: {actual:,.0f}")
    ax.annotate(f"{tot_mean:,.0f}", (k, max(tot_mean, hi)), xytext=(0, 4),
                textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(range(k + 1), [lbl for lbl, _, _ in items] + ["expected total"],
                  rotation=30, ha="right")
    ax.set_ylabel(f"total {model.target} over the period")
    ax.set_title(f"Total {model.target} by source, {_period(model)} ({_geo_suffix(model, geos)};"
                 " grey: baseline, colours: media)", fontsize=10)
    _thousands(ax)
    ax.grid(axis="y", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    ax.margins(y=0.12)
    return fig


def _signed(value: float) -> str:
    """``+1,234`` / ``-1,234``, and ``±0`` for what rounds to zero (not ``-0``)."""
    text = f"{value:+,.0f}"
    return "±0" if text in ("+0", "-0") else text


# ---------------------------------------------------------------------------------------------
# ROAS
# ---------------------------------------------------------------------------------------------
def roas(model, prob: float = 0.9, marginal: bool = True, currency: str | None = None) -> Figure:
    """ROAS (and marginal ROAS) per channel: posterior mean with a credible interval.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    prob : level of the error bars.
    marginal : add a second panel with marginal ROAS (the next 1% of spend).
    currency : spend unit for the labels, e.g. ``"EUR"`` (default "currency unit").

    Returns
    -------
    Figure with one axes (two with ``marginal``): a dot (mean) and error bar (``prob``
    interval) per channel, in target units per currency unit of spend, and a dashed
    reference line at 1.
    """
    _fitted(model)
    check_prob(prob)
    per = _per_currency(model, currency)
    kinds = [False, True] if marginal else [False]
    fig = _Figure(figsize=(5.2 * len(kinds) + 1, 0.55 * len(model.channels) + 2.2),
                 layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(kinds), sharey=True, squeeze=False)).ravel()
    colors = _channel_colors(model)
    ypos = np.arange(len(model.channels))[::-1]  # first channel on top
    for ax, is_marginal in zip(axes, kinds, strict=True):
        table = _read(model, "roas", prob, is_marginal).loc[model.channels]
        for y, ch in zip(ypos, model.channels, strict=True):
            row = table.loc[ch]
            ax.errorbar(row["mean"], y, xerr=[[row["mean"] - row["lower"]],
                                             [row["upper"] - row["mean"]]],
                        fmt="o", color=colors[ch], ms=7, capsize=4, lw=1.6,
                        label=f"mean, {_interval(prob)}" if ch == model.channels[0] else None)
            ax.annotate(f"{row['mean']:,.2f}", (row["mean"], y), xytext=(0, 7),
                        textcoords="offset points", ha="center", fontsize=8)
        ax.axvline(1.0, color="#555555", ls="--", lw=1, label="1 (spend returned 1:1)")
        ax.set_xlabel(f"{model.target} per {per} of spend")
        ax.set_title("Marginal ROAS: return on the next 1% of spend" if is_marginal
                     else "ROAS: return on the period's spend", fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(left=min(0.0, float(table["lower"].min()) * 1.1))
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_yticks(np.arange(len(model.channels)), model.channels[::-1])
    axes[0].set_ylabel("channel")
    axes[0].set_ylim(-0.7, len(model.channels) - 0.3)
    return fig


# ---------------------------------------------------------------------------------------------
# Response curves
# ---------------------------------------------------------------------------------------------
DEFAULT_MULTIPLIERS = np.round(np.linspace(0.0, 2.0, 21), 6)


def response_curve_draws(
    model,
    channels: Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    geo: str | Sequence[str] | None = None,
) -> xr.DataArray:
    """Incremental target when each channel's historical spend pattern is scaled.

    For multiplier ``m`` every week's (and geo's) spend of the channel is ``m`` times the
    actual; the response is the expected target over the fitted weeks plus the ``max_lag - 1``
    weeks of carryover after them, minus the same with the channel's spend at zero. At
    ``m = 1`` the response divided by the spend is the channel's ROAS.

    Uses :func:`mmmkit.scenarios.response_curves` where that module provides it (one
    implementation of the curves for plots and scenarios); otherwise evaluates the posterior
    engine directly (channels do not interact in the model, so all channels are scaled at
    once, one evaluation per multiplier).

    Returns
    -------
    DataArray ``(chain, draw, multiplier, channel)`` in target units (totals over the selected
    geos), with coordinate ``spend`` ``(multiplier, channel)``: the scaled total spend in
    currency units.
    """
    data = _fitted(model)
    geos = _geo_list(model, geo)
    channels = list(model.channels if channels is None else
                    ([channels] if isinstance(channels, str) else channels))
    unknown = [ch for ch in channels if ch not in model.channels]
    if unknown:
        raise ValueError(f"Unknown channel {unknown[0]!r}; channels are {model.channels}.")
    mult = np.asarray(DEFAULT_MULTIPLIERS if multipliers is None else multipliers, dtype=float)
    if mult.ndim != 1 or mult.size == 0 or (mult < 0).any() or not np.isfinite(mult).all():
        raise ValueError("multipliers must be a non-empty list of finite numbers >= 0.")
    from_scenarios = _scenario_curves(model, channels, mult, geos)
    if from_scenarios is not None:
        return from_scenarios
    engine = model.posterior_engine()
    geo_idx = [data.geos.index(g) for g in geos]
    spend = model.media.reorder(data.spend)  # (G, T, C) internal order
    tail = model.media.max_lag - 1
    out = np.empty((engine.n_samples, mult.size, len(model.media.order)))
    for j, m in enumerate(mult):
        totals = engine.channel_totals(with_tail(spend * m, tail))  # (S, G, C) vs zero spend
        out[:, j] = totals[:, geo_idx].sum(axis=1)
    pos = [model.media.order.index(ch) for ch in channels]
    spent = data.spend[geo_idx].sum(axis=(0, 1))  # (C,) user order
    spent = np.array([spent[model.channels.index(ch)] for ch in channels])
    return xr.DataArray(
        engine.reshape(out[:, :, pos]), dims=("chain", "draw", "multiplier", "channel"),
        coords={"chain": engine.chain_coord, "draw": engine.draw_coord, "multiplier": mult,
                "channel": channels, "spend": (("multiplier", "channel"), np.outer(mult, spent))},
        name="incremental_" + model.target,
        attrs={"units": model.target, "spend_units": "currency"},
    )


def _scenario_curves(model, channels: list[str], mult: np.ndarray,
                     geos: list[str]) -> xr.DataArray | None:
    """The curves from :func:`mmmkit.scenarios.response_curves`, or ``None`` without it.

    Only a missing module or an API this adapter does not know falls back; errors about the
    inputs are raised by the checks in :func:`response_curve_draws` before this is called.
    """
    try:
        from mmmkit.scenarios import response_curves as scenario_curves
    except ImportError:
        return None
    all_geos = len(geos) == len(_fitted(model).geos)
    try:
        result = scenario_curves(model, channels, mult, geos=None if all_geos else geos)
        lift = result.dataset["lift"].transpose("chain", "draw", "multiplier", "channel")
        spend = result.dataset["spend"].transpose("multiplier", "channel")
    except (AttributeError, KeyError, TypeError):  # another API than the one written for
        return None
    return xr.DataArray(
        lift.values, dims=lift.dims,
        coords={"chain": lift["chain"].values, "draw": lift["draw"].values,
                "multiplier": mult, "channel": channels,
                "spend": (("multiplier", "channel"), spend.values)},
        name="incremental_" + model.target,
        attrs={"units": model.target, "spend_units": "currency"},
    )


def response_curves(
    model,
    channels: Sequence[str] | None = None,
    multipliers: Sequence[float] | None = None,
    prob: float = 0.9,
    currency: str | None = None,
    geo: str | Sequence[str] | None = None,
) -> Figure:
    """Response curves: incremental target against total spend, one panel per channel.

    Each channel keeps its historical weekly (and geo) pattern, scaled by ``multipliers``
    (default 0, 0.1, ..., 2 times the actual spend), as in :func:`response_curve_draws`.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    channels : channels to draw (default all).
    multipliers : spend multipliers (``>= 0``); 1 (the actual spend) is always added.
    prob : level of the band.
    currency : spend unit for the labels (default "currency units").
    geo : ``None`` for the total over geos, or a geo label / list of labels.

    Returns
    -------
    Figure with one axes per channel: x is the total spend over the fitted period (currency),
    y the incremental target over the period and its carryover (target units); the mean
    curve, its ``prob`` band and the actual spend (marker and dotted line).
    """
    _fitted(model)
    check_prob(prob)
    mult = np.asarray(DEFAULT_MULTIPLIERS if multipliers is None else multipliers, dtype=float)
    mult = np.unique(np.append(mult, 1.0))  # the current spend is always on the curve
    curves = response_curve_draws(model, channels, mult, geo)
    cur = _currency(model, currency)
    colors = _channel_colors(model)
    names = list(curves["channel"].values)
    fig, axes = _grid(len(names), 3, 4.3, 3.4)
    one = int(np.argmin(np.abs(mult - 1.0)))
    for ax, ch in zip(axes, names, strict=True):
        draws = _flat(curves.sel(channel=ch))  # (S, M)
        x = curves["spend"].sel(channel=ch).values
        mean, lower, upper = _band(draws, prob)
        ax.fill_between(x, lower, upper, color=colors[ch], alpha=0.22, lw=0,
                        label=_interval(prob))
        ax.plot(x, mean, color=colors[ch], lw=2, label="mean response")
        if x[one] > 0:
            ax.axvline(x[one], color="#555555", ls=":", lw=1)
            ax.plot(x[one], mean[one], "o", color=_ACTUAL_COLOR, ms=6,
                    label=f"actual spend: {x[one]:,.0f}")
        else:
            ax.text(0.5, 0.5, "no spend in the period", transform=ax.transAxes, ha="center")
        ax.set_title(ch, fontsize=10)
        ax.set_xlabel(f"spend over the period ({cur})")
        ax.set_ylabel(f"incremental {model.target}")
        _thousands(ax, "x")
        _thousands(ax, "y")
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=7.5)
    fig.suptitle(f"Response curves: extra {model.target} (period + carryover, vs no spend) "
                 f"at {mult.min():g}–{mult.max():g}× each channel's actual spend", fontsize=10.5)
    return fig


# ---------------------------------------------------------------------------------------------
# Adstock
# ---------------------------------------------------------------------------------------------
def adstock_weights(model) -> xr.DataArray:
    """Posterior draws of each channel's carryover kernel.

    Returns
    -------
    DataArray ``(chain, draw, channel, lag)``: the share of a week's spend effect that lands
    ``lag`` weeks later (each kernel sums to 1; lags beyond a channel's own ``max_lag`` are 0).
    """
    _fitted(model)
    post = model.idata.posterior
    n_lag = model.media.max_lag
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    out = np.zeros((n_chain * n_draw, len(model.channels), n_lag))
    for g in model.media.groups:
        for ch in g.channels:
            params = {p: _flat(post[g.var("adstock", p)].sel({g.dim: ch}))
                      for p in g.adstock.param_names}
            w = np.asarray(g.adstock.weights(**params))  # (S, L_g)
            out[:, model.channels.index(ch), : w.shape[-1]] = w
    return xr.DataArray(
        out.reshape(n_chain, n_draw, len(model.channels), n_lag),
        dims=("chain", "draw", "channel", "lag"),
        coords={"chain": post["chain"].values, "draw": post["draw"].values,
                "channel": model.channels, "lag": np.arange(n_lag)},
        name="adstock_weight", attrs={"units": "share of the total effect"},
    )


def adstock(model, prob: float = 0.9, channels: Sequence[str] | None = None) -> Figure:
    """Each channel's posterior carryover: how a week's spend effect spreads over later weeks.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    prob : level of the band.
    channels : channels to draw (default all).

    Returns
    -------
    Figure with one axes per channel: the posterior median weight per lag (weeks after the
    spend; weights sum to 1) with its ``prob`` band; the title gives the mean delay (weeks).
    """
    _fitted(model)
    check_prob(prob)
    weights = adstock_weights(model)
    names = list(model.channels if channels is None else channels)
    unknown = [ch for ch in names if ch not in model.channels]
    if unknown:
        raise ValueError(f"Unknown channel {unknown[0]!r}; channels are {model.channels}.")
    colors = _channel_colors(model)
    fig, axes = _grid(len(names), 4, 3.3, 2.9, sharey=True)
    lo_q, hi_q = (1 - prob) / 2, 1 - (1 - prob) / 2
    top = float(np.quantile(_flat(weights.sel(channel=names)), hi_q, axis=0).max())
    for ax, ch in zip(axes, names, strict=True):
        w = _flat(weights.sel(channel=ch))  # (S, L)
        n_lag = model.media.adstock_of(ch).max_lag
        w = w[:, :n_lag]
        lags = np.arange(n_lag)
        ax.fill_between(lags, np.quantile(w, lo_q, axis=0), np.quantile(w, hi_q, axis=0),
                        color=colors[ch], alpha=0.25, lw=0, label=_interval(prob))
        ax.plot(lags, np.median(w, axis=0), "o-", color=colors[ch], ms=4, label="median")
        delay = float((w * lags).sum(axis=1).mean())
        ax.set_title(f"{ch}: mean delay {delay:.1f} weeks", fontsize=9.5)
        ax.set_xlabel("weeks after the spend (lag)")
        ax.set_ylabel("share of the spend's effect")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, min(1.0, top * 1.1) if top > 0 else 1.0)  # shared: one scale for all
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper right")
    fig.suptitle("Carryover (adstock): when each channel's effect lands", fontsize=10.5)
    return fig


# ---------------------------------------------------------------------------------------------
# Priors vs posteriors
# ---------------------------------------------------------------------------------------------
def key_parameters(model) -> list[str]:
    """Names of the parameters worth checking first: media curves, effects, noise."""
    # the effect prior's own variables: media share and offsets, or the absolute level
    effect = (["media_share", "channel_effect_offset"] if "media_share" in model.priors
              else ["channel_effect_mu"])
    names = [*model.media.variable_names(), *effect]
    if len(_fitted(model).geos) > 1:
        names.append("channel_effect_sigma")
    names.append("sigma")
    if model.likelihood == "studentt":
        names.append("nu")
    return [n for n in names if n in model.idata.posterior]


def _param_units(model, name: str) -> str:
    """What a parameter measures, in words, for axis labels."""
    t = model.target
    for g in model.media.groups:
        if name in g.variables():
            part, p = g.variables()[name]
            transform = g.adstock if part == "adstock" else g.saturation
            kind = type(transform).__name__
            if part == "adstock":
                if p == "alpha" and kind == "GeometricAdstock":
                    return "share carried into the next week"
                if p == "alpha":
                    return "retention rate, 0-1"
                return "weeks" if p in ("theta", "lam") else "shape, unitless"
            if p == "half_saturation":
                return "spend ÷ typical active week"
            if p == "lam":
                return "steepness per typical week's spend"
            return "shape, unitless"
    return {
        "channel_effect_mu": f"log of weekly effect as share of mean {t}",
        "media_share": f"share of {t} driven by media (at median effectiveness)",
        "channel_effect_offset": "log ROAS relative to the average channel",
        "channel_effect_sigma": "sd of log effect across geos",
        "channel_effect": f"weekly effect as share of mean {t}",
        "sigma": f"noise sd as share of mean {t}",
        "nu": "degrees of freedom",
        "intercept": f"share of mean {t}",
        "level": f"share of mean {t}",
        "trend": f"change over the period, share of mean {t}",
        "seasonality": f"share of mean {t}",
        "control_coef": f"share of mean {t} per sd of the control",
    }.get(name, "model scale")


def prior_posterior(
    model,
    var_names: Sequence[str] | None = None,
    n_prior: int = 4000,
    seed: int = 0,
    bins: int = 40,
) -> Figure:
    """Prior against posterior density of each parameter (one panel per element).

    A posterior much narrower than its prior means the data were informative; one that looks
    like its prior means the prior, not the data, sets the answer.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    var_names : parameter names from ``model.priors`` (default :func:`key_parameters`: the
        adstock and saturation parameters, ``media_share`` and ``channel_effect_offset``
        (or ``channel_effect_mu``), ``sigma``...).
    n_prior : prior draws per parameter (``Prior.sample``).
    seed : seed of the prior draws.
    bins : histogram bins per panel.

    Returns
    -------
    Figure with one axes per parameter element (e.g. ``adstock_alpha [tv]``), at most 40:
    prior (grey) and posterior (blue) histograms on the model's scale, whose unit is in the
    x label, each scaled to a peak of 1.
    """
    _fitted(model)
    post = model.idata.posterior
    names = key_parameters(model) if var_names is None else list(var_names)
    priors = model.priors
    bad = [n for n in names if n not in priors or n not in post]
    if bad:
        usable = sorted(n for n in priors if n in post)
        raise ValueError(f"No prior and posterior for {bad[0]!r}; choose from {usable}.")
    rng = np.random.default_rng(seed)
    panels = []  # (label, name, prior draws (n,), posterior draws (S,))
    for name in names:
        values = _flat(post[name])  # (S, *shape)
        shape = values.shape[1:]
        prior = _prior_draws(priors[name], rng, n_prior, shape)
        dims = [d for d in post[name].dims if d not in ("chain", "draw")]
        for idx in np.ndindex(*shape):
            labels = [str(post[name][d].values[i]) for d, i in zip(dims, idx, strict=True)]
            label = f"{name} [{', '.join(labels)}]" if labels else name
            panels.append((label, name, prior[(slice(None), *idx)], values[(slice(None), *idx)]))
    panels = panels[:_MAX_PANELS]
    fig, axes = _grid(len(panels), 4, 3.2, 2.5)
    for ax, (label, name, prior, posterior) in zip(axes, panels, strict=True):
        # each on its own bins: a posterior far narrower than its prior would otherwise fall
        # into one or two of the prior's bins; the x range clips the prior's far tails only.
        # Each density is scaled to a peak of 1, so a wide prior stays visible next to a
        # sharp posterior (the comparison is of shape and location, not height).
        lo = min(np.quantile(prior, 0.005), posterior.min())
        hi = max(np.quantile(prior, 0.995), posterior.max())
        n_post_bins = int(np.clip(np.sqrt(posterior.size), 10, bins))
        for values, n_bins, rng_, color, alpha, name_ in (
            (prior, bins, (lo, hi), "#9a9a9a", 0.55, "prior"),
            (posterior, n_post_bins, None, _PREDICTED_COLOR, 0.65, "posterior"),
        ):
            finite = values[np.isfinite(values)]
            if rng_ is not None and not rng_[1] > rng_[0]:
                rng_ = None
            density, edges = np.histogram(finite, bins=n_bins, range=rng_, density=True)
            peak = density.max() if density.size and density.max() > 0 else 1.0
            ax.stairs(density / peak, edges, fill=True, color=color, alpha=alpha, label=name_)
        ax.set_title(label, fontsize=8.5)
        ax.set_xlabel(_param_units(model, name), fontsize=7.5)
        ax.set_ylabel("density (peak = 1)", fontsize=7.5)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7.5)
    fig.suptitle("Prior (grey) vs posterior (blue): how much the data moved each parameter",
                 fontsize=10.5)
    return fig


def _prior_draws(prior, rng, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """``(n, *shape)`` prior draws; per-channel prior parameters broadcast on the last axis."""
    try:
        return np.broadcast_to(prior.sample(rng, (n, *shape)), (n, *shape))
    except ValueError:  # parameters that do not broadcast to the shape: one shared prior
        draws = prior.sample(rng, n)
        return np.broadcast_to(draws.reshape(n, *([1] * len(shape))), (n, *shape))


# ---------------------------------------------------------------------------------------------
# Sampler diagnostics
# ---------------------------------------------------------------------------------------------
def diagnostics(model, var_names: Sequence[str] | None = None, kind: str = "rank") -> Figure:
    """Sampler diagnostics for the key parameters: rank plots (default) or trace plots.

    Rank plots: for well-mixed chains each chain's histogram of ranks is flat (near the dashed
    line); a chain that sits high or low, or a U or hump shape, means the chains disagree.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    var_names : posterior variables (default the key parameters, see :func:`key_parameters`).
    kind : ``"rank"`` (:func:`arviz.plot_rank`) or ``"trace"`` (:func:`arviz.plot_trace`).

    Returns
    -------
    Figure; the title gives divergences, the largest r-hat and the smallest bulk ESS.
    """
    import warnings

    import arviz as az

    _fitted(model)
    if kind not in ("rank", "trace"):
        raise ValueError(f"kind must be 'rank' or 'trace', got {kind!r}.")
    post = model.idata.posterior
    names = key_parameters(model) if var_names is None else list(var_names)
    bad = [n for n in names if n not in post]
    if bad:
        raise ValueError(f"No posterior variable {bad[0]!r}; choose from {list(post.data_vars)}.")
    diag = _read(model, "diagnostics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "rank":
            sizes = [int(np.prod([post[n].sizes[d] for d in post[n].dims
                                  if d not in ("chain", "draw")])) for n in names]
            n = min(sum(sizes), _MAX_PANELS)
            fig, axes = _grid(n, 4, 3.0, 2.3)
            az.plot_rank(model.idata, var_names=names, ax=np.array(axes), show=False)
            for ax in axes:
                ax.tick_params(labelsize=7)
                ax.set_title(ax.get_title(), fontsize=8.5)
                ax.set_xlabel("rank of the draw (all chains)", fontsize=7.5)
                ax.set_ylabel("chain", fontsize=7.5)
        else:
            fig = _Figure(figsize=(11, 2.0 * len(names)), layout="constrained")
            axes = fig.subplots(len(names), 2, squeeze=False)
            az.plot_trace(model.idata, var_names=names, axes=axes, show=False, compact=True)
            for ax in axes[:, 1]:
                ax.set_xlabel("draw", fontsize=7.5)
            for ax in axes[:, 0]:
                ax.set_ylabel("density", fontsize=7.5)
    fig.suptitle(
        f"Sampler check ({kind} plots): {int(diag['divergences'])} divergences, largest r-hat "
        f"{diag['max_r_hat']:.3f}, smallest bulk ESS {diag['min_ess_bulk']:,.0f} of "
        f"{int(diag.get('draws', 0)):,} draws", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------
# Budget plan
# ---------------------------------------------------------------------------------------------
def actual_spend(model, geo: str | Sequence[str] | None = None) -> pd.Series:
    """Total spend per channel over the fitted period (currency units), ``model.channels``."""
    data = _fitted(model)
    geos = _geo_list(model, geo)
    idx = [data.geos.index(g) for g in geos]
    return pd.Series(data.spend[idx].sum(axis=(0, 1)), index=pd.Index(model.channels,
                                                                     name="channel"),
                     name="actual spend")


def plan_allocation(model, plan) -> pd.Series:
    """``plan.allocation`` (or a Series/mapping itself) aligned to ``model.channels``.

    Channels the plan does not name get 0; channels the model does not know raise.
    """
    alloc = getattr(plan, "allocation", plan)
    alloc = pd.Series(alloc, dtype=float) if not isinstance(alloc, pd.Series) else alloc
    unknown = [ch for ch in alloc.index if ch not in model.channels]
    if unknown:
        raise ValueError(f"The plan allocates to {unknown[0]!r}, which is not a model channel "
                         f"({model.channels}).")
    return alloc.astype(float).reindex(model.channels, fill_value=0.0).rename("planned spend")


def plan_reference(model, plan) -> pd.Series:
    """The spend a plan is compared with: ``plan.historical`` (the actual spend over the
    planning period) when the plan has it, else the actual spend over the fitted period."""
    historical = getattr(plan, "historical", None)
    if historical is None:
        return actual_spend(model)
    return (pd.Series(historical, dtype=float).reindex(model.channels, fill_value=0.0)
            .rename("actual spend"))


def budget_plan(model, plan, currency: str | None = None, prob: float = 0.9) -> Figure:
    """A budget plan's allocation against the actual split of spend, per channel.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    plan : an object with ``.allocation`` (``pandas.Series`` channel -> spend over the planning
        period, currency units) and optionally ``.historical`` (the actual spend it is compared
        with; default the fitted period's) and ``.lift`` (draws or ``summary(prob)`` of the
        expected change in the target), e.g. the result of
        ``mmmkit.scenarios.optimize_budget``; a Series works too.
    currency : spend unit for the labels (default "currency units").
    prob : interval level of the lift quoted in the title (when the plan has one).

    Returns
    -------
    Figure with one axes: two bars per channel (actual, planned) in currency units over the
    period, each labelled with its share of its total.
    """
    _fitted(model)
    actual = plan_reference(model, plan)
    planned = plan_allocation(model, plan)
    cur = _currency(model, currency)
    x = np.arange(len(model.channels))
    fig = _Figure(figsize=(max(6.5, 1.4 * len(x) + 2.5), 4.3), layout="constrained")
    ax = fig.subplots()
    width = 0.38
    for offset, values, label, style in (
        (-width / 2, actual, "actual spend", {"color": _BASELINE_COLOR}),
        (width / 2, planned, "planned spend", {"color": _PREDICTED_COLOR}),
    ):
        bars = ax.bar(x + offset, values.values, width=width, label=label, edgecolor="white",
                      **style)
        total = float(values.sum())
        ax.bar_label(bars, labels=[f"{v:,.0f}\n{v / total:.0%}" if total else f"{v:,.0f}"
                                   for v in values.values], fontsize=7, padding=2)
    ax.set_xticks(x, model.channels)
    ax.set_xlabel("channel")
    ax.set_ylabel(f"spend over the period ({cur})")
    _thousands(ax)
    ax.margins(y=0.18)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    title = (f"Budget plan vs actual split\nactual total {actual.sum():,.0f}, "
             f"plan total {planned.sum():,.0f} ({cur})")
    lift = _lift_total(plan, prob)
    if lift is not None:
        mean, lower, upper = lift
        title += (f"\nexpected change in {model.target}: {mean:+,.0f} "
                  f"({_interval(prob)} {lower:+,.0f} to {upper:+,.0f})")
    ax.set_title(title, fontsize=10)
    return fig


def _lift_total(plan, prob: float) -> tuple[float, float, float] | None:
    """The plan's total lift ``(mean, lower, upper)`` when it has one, else ``None``.

    Prefers the lift draws (exact interval of the sum); falls back to a one-row summary or a
    row called "total".
    """
    lift = getattr(plan, "lift", None)
    if lift is None:
        return None
    draws = getattr(lift, "draws", None)
    if isinstance(draws, xr.DataArray) and {"chain", "draw"} <= set(draws.dims):
        total = draws.sum([d for d in draws.dims if d not in ("chain", "draw")])
        values = np.asarray(total.values, dtype=float).ravel()
        lo, hi = np.quantile(values, [(1 - prob) / 2, 1 - (1 - prob) / 2])
        return float(values.mean()), float(lo), float(hi)
    summary = _summary(lift, prob)
    if summary is None:
        return None
    if "total" in summary.index:
        row = summary.loc["total"]
    elif len(summary) == 1:
        row = summary.iloc[0]
    else:
        return None
    if not {"mean", "lower", "upper"} <= set(row.index):
        return None
    return float(row["mean"]), float(row["lower"]), float(row["upper"])


def _summary(result, prob: float) -> pd.DataFrame | None:
    """``result.summary(prob=...)`` as a DataFrame, tolerant of the method's signature."""
    method = getattr(result, "summary", None)
    if method is None:
        return result if isinstance(result, pd.DataFrame) else None
    try:
        out = method(prob=prob)
    except TypeError:
        out = method()
    if isinstance(out, pd.Series):
        out = out.to_frame().T
    return out if isinstance(out, pd.DataFrame) else None
