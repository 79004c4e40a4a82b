"""Numbers, labels and bands as :mod:`mmmkit.plots` and :mod:`mmmkit.report` show them.

One place for how a level, an interval, a currency, a period or a number reads, so a chart
and the report say the same thing in the same words. Units come from the model: the KPI's
(``model.kpi_label``: its ``kpi_unit``, else the target column's name) and the spend's (the
caller's ``currency=``, else ``model.currency``, else "currency units"); a ROAS of 1 is
break-even only when the KPI is revenue (``model.kpi_is_revenue``). The bands are
:func:`mmmkit.stats.interval` (equal-tailed, from posterior draws); nothing here computes an
interval of its own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.stats import check_prob, interval

__all__ = [
    "band",
    "column_label",
    "compact",
    "cpa_label",
    "currency_label",
    "flat",
    "geo_label",
    "interval_label",
    "is_revenue",
    "kpi_label",
    "kpi_quantity",
    "level",
    "money",
    "number",
    "one_kpi",
    "per_currency",
    "percent",
    "period",
    "ratio",
    "roas_unit",
    "signed",
    "table_html",
    "with_interval",
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


def kpi_label(model) -> str:
    """The KPI's unit as answers name it: ``model.kpi_label`` (its ``kpi_unit``, else the
    target column's name)."""
    return getattr(model, "kpi_label", None) or model.target


def kpi_quantity(model) -> str:
    """The KPI named as a quantity: the target column's name, with its unit in brackets when
    the unit says more (``"sales"``; ``"revenue (EUR)"``), for "change in ..."."""
    unit = kpi_label(model)
    return model.target if unit == model.target else f"{model.target} ({unit})"


def is_revenue(model) -> bool:
    """Whether the KPI is money in the spend's currency (``model.kpi_is_revenue``): only then
    is a ROAS of 1 break-even."""
    return bool(getattr(model, "kpi_is_revenue", False))


def roas_unit(model, currency: str | None) -> str:
    """ROAS's unit: ``"sales per EUR"``, ``"conversions per currency unit"``."""
    return f"{kpi_label(model)} per {per_currency(model, currency)}"


def one_kpi(model) -> str:
    """One unit of the KPI, for "cost per ...": ``"conversions"`` -> ``"conversion"``,
    ``"sales"`` -> ``"sale"``; a label that does not end in a plain plural ``s`` (``"EUR"``,
    ``"business"``) is kept."""
    label = kpi_label(model)
    last = label.rsplit(" ", 1)[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        return label[:-1]
    return label


def cpa_label(model, currency: str | None) -> str:
    """The cost-per-KPI header: ``"Cost per conversion (EUR)"``."""
    return f"Cost per {one_kpi(model)} ({currency_label(model, currency)})"


#: report column names in words (the DataFrames keep their identifiers)
_COLUMN_WORDS = {
    "mean": "Mean",
    "median": "Median",
    "prob_positive": "Chance of an increase",
    "spend_change": "Spend change",
    "at_lower_bound": "At lower bound (share of draws)",
    "at_upper_bound": "At upper bound (share of draws)",
    "reading": "Reading",
    "change": "Spend change",
}


def column_label(name, *, prob: float) -> str:
    """A table column's identifier in words: ``"lower"`` -> ``"90% interval, low"``,
    ``"prob_positive"`` -> ``"Chance of an increase"``, ``"actual spend"`` ->
    ``"Actual spend"``."""
    text = str(name)
    if text in ("lower", "upper"):
        return f"{level(prob)} interval, {'low' if text == 'lower' else 'high'}"
    if text in _COLUMN_WORDS:
        return _COLUMN_WORDS[text]
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


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


def compact(x: float) -> str:
    """Three significant digits with a k / M / B suffix: ``1_234_567`` -> ``"1.23M"``,
    ``350_000`` -> ``"350k"``, ``12.5`` -> ``"12.5"``; ``nan`` as an em dash. For tick labels
    and chart annotations, where full numbers overlap."""
    if x is None or not np.isfinite(x):
        return "—"
    rounded = float(f"{x:.3g}")  # round first: 999_999 reads "1M", not "1e+03k"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(rounded) >= size:
            return f"{rounded / size:.3g}{suffix}"
    return "0" if rounded == 0 else f"{rounded:,.3g}"


def percent(x: float, decimals: int = 1) -> str:
    """``0.123`` -> ``"12.3%"``; ``nan`` as an em dash."""
    return "—" if not np.isfinite(x) else f"{100 * x:.{decimals}f}%"


def signed(value: float) -> str:
    """``+1,234`` / ``-1,234``, and ``±0`` for what rounds to zero (not ``-0``)."""
    text = f"{value:+,.0f}"
    return "±0" if text in ("+0", "-0") else text


def ratio(value: float) -> str:
    """A ROAS or a cost per KPI unit: two decimals; ``inf`` (a draw with no effect) as ∞."""
    return "∞" if value == np.inf else number(value, 2)


# ---------------------------------------------------------------------------------------------
# HTML: a number with its interval, a table
# ---------------------------------------------------------------------------------------------
def with_interval(stats: Mapping[str, float], fmt, *, prob: float) -> str:
    """``stats``' ``mean`` in bold, its ``lower`` to ``upper`` interval below in small type
    (HTML; ``fmt`` writes each number)."""
    return (f"<b>{fmt(stats['mean'])}</b><br><span class='ci'>{level(prob)}: "
            f"{fmt(stats['lower'])} to {fmt(stats['upper'])}</span>")


def table_html(frame: pd.DataFrame, *, prob: float, money_cols=(), currency=None) -> str:
    """A DataFrame as a plain HTML table: column names in words (:func:`column_label`; the
    interval's level is the frame's own ``attrs["prob"]`` when it has one, else ``prob``),
    ``money_cols`` in ``currency``, shares and chances (``share...``, ``prob...``,
    ``at_...``) as percentages, other numbers with thousands separators, text escaped."""
    prob = frame.attrs.get("prob", prob)
    head = "".join(f"<th>{html.escape(column_label(c, prob=prob))}</th>"
                   for c in frame.columns)
    index_name = html.escape(column_label(frame.index.name, prob=prob)
                             if frame.index.name else "")
    rows = []
    for idx, row in frame.iterrows():
        cells = []
        for col, value in row.items():
            if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
                if col in money_cols:
                    text = money(float(value), currency)
                elif str(col).startswith(("prob", "share", "at_")):
                    text = percent(float(value), 0)
                else:
                    text = number(float(value), 0 if abs(float(value)) >= 100 else 2)
            else:
                text = html.escape(str(value))
            cells.append(f"<td>{text}</td>")
        label = ", ".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
        rows.append(f"<tr><th scope='row'>{html.escape(label)}</th>{''.join(cells)}</tr>")
    return (f"<table class='numbers'><thead><tr><th>{index_name}</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


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
