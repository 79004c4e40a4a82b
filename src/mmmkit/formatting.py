"""Numbers, labels and bands as :mod:`mmmkit.plots` and :mod:`mmmkit.report` show them.

One place for how a level, an interval, a currency, a period or a number reads, so a chart
and the report say the same thing in the same words. The bands are
:func:`mmmkit.stats.interval` (equal-tailed, from posterior draws); nothing here computes an
interval of its own.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mmmkit.stats import check_prob, interval

__all__ = [
    "band",
    "currency_label",
    "flat",
    "geo_label",
    "interval_label",
    "level",
    "money",
    "number",
    "per_currency",
    "percent",
    "period",
    "signed",
]


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------
def level(prob: float) -> str:
    """``0.9`` -> ``"90%"`` (no spurious decimals, but keeps ``"89.5%"``)."""
    return f"{prob * 100:g}%"


def interval_label(prob: float, kind: str = "credible") -> str:
    """``0.9`` -> ``"90% credible interval"`` (``kind="predictive"``: a predictive one)."""
    return f"{level(prob)} {kind} interval"


def currency_label(model, currency: str | None) -> str:
    """The spend unit for labels: the caller's, the model's if it ever carries one, or generic."""
    return currency or getattr(model, "currency", None) or "currency units"


def per_currency(model, currency: str | None) -> str:
    """'EUR' -> 'EUR'; no currency -> 'currency unit' (for 'sales per ... of spend')."""
    return currency or getattr(model, "currency", None) or "currency unit"


def period(model) -> str:
    """The fitted weeks, e.g. ``"04 Jan 2021 – 26 Dec 2022"``."""
    dates = model.fitted_data().dates
    return f"{dates[0]:%d %b %Y} – {dates[-1]:%d %b %Y}"


def geo_label(model, geos: list[str]) -> str:
    """What numbers summed over ``geos`` cover, for a title: "national", "geo north", ..."""
    if model.geo is None:
        return "national"
    all_geos = model.fitted_data().geos
    if len(geos) == len(all_geos):
        return f"total over {len(geos)} geos"
    if len(geos) == 1:
        return f"geo {geos[0]}"
    return f"total over {len(geos)} of {len(all_geos)} geos"


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
def number(x: float | None, decimals: int = 0) -> str:
    """Thousands separators (``1,234``); ``None`` and ``nan`` as an em dash; no ``-0``."""
    if x is None or not np.isfinite(x):
        return "—"
    text = f"{x:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" and decimals == 0 else text


def money(x: float, currency: str | None) -> str:
    """``EUR 1,234`` / ``$1,234``; plain ``1,234`` without a currency (the header says so)."""
    if not currency:
        return number(x)
    if len(currency) == 1:  # a symbol: $1,234
        return f"{'-' if x < 0 else ''}{currency}{number(abs(x))}"
    return f"{currency} {number(x)}"


def percent(x: float, decimals: int = 1) -> str:
    """``0.123`` -> ``"12.3%"``; ``nan`` as an em dash."""
    return "—" if not np.isfinite(x) else f"{100 * x:.{decimals}f}%"


def signed(value: float) -> str:
    """``+1,234`` / ``-1,234``, and ``±0`` for what rounds to zero (not ``-0``)."""
    text = f"{value:+,.0f}"
    return "±0" if text in ("+0", "-0") else text


# ---------------------------------------------------------------------------------------------
# Draws and bands
# ---------------------------------------------------------------------------------------------
def flat(da: xr.DataArray) -> np.ndarray:
    """``(chain, draw, ...)`` -> numpy ``(S, ...)``, draws first."""
    other = [d for d in da.dims if d not in ("chain", "draw")]
    values = da.transpose("chain", "draw", *other).values
    return values.reshape(-1, *values.shape[2:])


def band(draws: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and the equal-tailed ``prob`` interval (:func:`mmmkit.stats.interval`) over the
    first axis: ``(mean, lower, upper)``."""
    check_prob(prob)
    draws = np.asarray(draws, dtype=float)
    lower, upper = interval(draws, prob, axis=0)
    return draws.mean(axis=0), lower, upper
