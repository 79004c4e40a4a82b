"""What :mod:`mmmkit.plots` and :mod:`mmmkit.report` read from a fitted model and from results.

The presentation layer's reading side: which geos and channels an argument selects (the same
rules in every chart), the model's posterior quantities (memoized while a report is being
written, so each is computed once), the actual spend, and what a budget plan or scenario
result says (its allocation, its reference spend and its total lift). Only public model
methods are used (``fitted_data``, ``contributions``, ``roas``...).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.formatting import band

__all__ = [
    "actual_spend",
    "lift_total",
    "memoize",
    "observed_weeks",
    "plan_allocation",
    "plan_reference",
    "read",
    "renamed_geos",
    "select_channels",
    "select_geos",
    "select_names",
    "sum_geos",
    "summary_frame",
]


# ---------------------------------------------------------------------------------------------
# Memoized reads
# ---------------------------------------------------------------------------------------------
# Reading methods re-evaluate the model on every draw; the report asks for the same arrays
# several times, so it switches on this memo (scoped, so nothing big outlives the report).
_MEMO: dict | None = None


@contextlib.contextmanager
def memoize() -> Iterator[None]:
    """Within the block, repeated :func:`read` calls (contributions, baseline, ROAS) are
    computed once."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield
    finally:
        _MEMO = outer


def read(model, name: str, *args):
    """``getattr(model, name)(*args)``, memoized while :func:`memoize` is active.

    Arguments that cannot be hashed (a mapping, e.g. a baseline ``reference``) are looked up
    by their sorted items; anything else unhashable is computed every time."""
    if _MEMO is None:
        return getattr(model, name)(*args)
    key = (id(model), id(model.idata), name,
           tuple(tuple(sorted(a.items())) if isinstance(a, dict) else a for a in args))
    try:
        hash(key)
    except TypeError:
        return getattr(model, name)(*args)
    if key not in _MEMO:
        _MEMO[key] = getattr(model, name)(*args)
    return _MEMO[key]


# ---------------------------------------------------------------------------------------------
# Selection arguments: geos, channels, parameter names
# ---------------------------------------------------------------------------------------------
def renamed_geos(geos, geo, where: str):
    """``geos``, or the value of the deprecated ``geo=`` (with a ``DeprecationWarning``)."""
    if geo is None:
        return geos
    if geos is not None:
        raise TypeError(f"{where}() got both geos= and its deprecated old name geo=; "
                        "pass geos= only.")
    warnings.warn(f"{where}(geo=...) is deprecated; use geos= (one geo label or a list).",
                  DeprecationWarning, stacklevel=3)
    return geo


def _labels(value, what: str) -> list[str]:
    """One label (a string) or a list of labels, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float | np.number) or not np.iterable(value):
        hint = " (prob is keyword-only: prob=...)" if isinstance(value, float) else ""
        raise TypeError(f"{what} must be one label or a list of labels, got {value!r}{hint}.")
    return list(value)


def select_geos(model, geos: str | Sequence[str] | None) -> list[str]:
    """Geo labels selected by ``geos`` (``None``: all; one label; a list); unknown labels
    raise ``ValueError``."""
    all_geos = list(model.fitted_data().geos)
    if geos is None:
        return all_geos
    wanted = _labels(geos, "geos")
    if model.geo is None and wanted == all_geos:
        return all_geos
    unknown = [g for g in wanted if g not in all_geos]
    if unknown:
        if model.geo is None:
            raise ValueError(
                f"This is a national model (no geo column); geos={geos!r} selects nothing. "
                "Leave geos=None.")
        raise ValueError(f"Unknown geo {unknown[0]!r}; the model's geos are {all_geos[:20]}.")
    return wanted


def select_channels(model, channels: str | Sequence[str] | None) -> list[str]:
    """Channels selected by ``channels`` (``None``: all, in ``model.channels`` order; a
    string is one channel); unknown names raise ``ValueError``."""
    names = list(model.channels) if channels is None else _labels(channels, "channels")
    unknown = [ch for ch in names if ch not in model.channels]
    if unknown:
        raise ValueError(f"Unknown channel {unknown[0]!r}; channels are {model.channels}.")
    return names


def select_names(names: str | Sequence[str] | None, default: list[str]) -> list[str]:
    """Parameter names: ``default`` for ``None``; a string is one name."""
    return list(default) if names is None else _labels(names, "var_names")


def observed_weeks(model) -> xr.DataArray:
    """``(date[, geo])`` bool: the weeks (and geos) whose KPI is known, laid out like the
    model's readings (a national model's without the geo). All true but in an uneven panel,
    whose totals compared with the actual KPI must count the same weeks."""
    data = model.fitted_data()
    mask = xr.DataArray(data.observed.T, dims=("date", "geo"),
                        coords={"date": data.dates, "geo": data.geos})
    return model.squeeze_geo(mask)


def sum_geos(da: xr.DataArray, geos: list[str]) -> xr.DataArray:
    """Sum over the selected geos (national outputs have no geo dim: nothing to do)."""
    if "geo" not in da.dims:
        return da
    return da.sel(geo=geos).sum("geo")


# ---------------------------------------------------------------------------------------------
# Spend, plans and results
# ---------------------------------------------------------------------------------------------
def actual_spend(model, geos: str | Sequence[str] | None = None, *,
                 geo: str | Sequence[str] | None = None) -> pd.Series:
    """Total spend per channel over the fitted period (currency units), ``model.channels``.

    ``geos`` selects geos (one label or a list; default all); ``geo=`` is its deprecated name.
    """
    geos = renamed_geos(geos, geo, "actual_spend")
    data = model.fitted_data()
    idx = [data.geos.index(g) for g in select_geos(model, geos)]
    return pd.Series(data.spend[idx].sum(axis=(0, 1)),
                     index=pd.Index(model.channels, name="channel"), name="actual spend")


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


def lift_total(plan, prob: float) -> tuple[float, float, float] | None:
    """The total lift ``(mean, lower, upper)`` of ``plan.lift`` when it has one, else ``None``.

    ``plan.lift`` is a :class:`mmmkit.scenarios.LiftResult` (or anything with ``draws``
    ``(chain, draw, ...)``: the interval is that of the sum, draw by draw) or a result whose
    summary has one row or a row called "total".
    """
    lift = getattr(plan, "lift", None)
    if lift is None:
        return None
    draws = getattr(lift, "draws", None)
    if isinstance(draws, xr.DataArray) and {"chain", "draw"} <= set(draws.dims):
        total = draws.sum([d for d in draws.dims if d not in ("chain", "draw")])
        mean, lower, upper = band(np.asarray(total.values, dtype=float).ravel(), prob)
        return float(mean), float(lower), float(upper)
    summary = summary_frame(lift, prob)
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


def summary_frame(result, prob: float) -> pd.DataFrame | None:
    """``result.summary(prob=prob)`` (a scenario result's table), a DataFrame itself, or
    ``None`` for anything else."""
    method = getattr(result, "summary", None)
    if method is None:
        return result if isinstance(result, pd.DataFrame) else None
    out = method(prob=prob)
    if isinstance(out, pd.Series):
        out = out.to_frame().T
    return out if isinstance(out, pd.DataFrame) else None
