"""Checks on an analyst's weekly table before anything is modelled.

A media-mix model fitted to a table with a typo in it does not fail: it samples for minutes and
returns confident nonsense. :func:`validate_frame` therefore looks at the table first and raises
:class:`~mmmkit.errors.DataError` on the first problem it finds, with a message that names

* the column,
* the row, as ``date=YYYY-MM-DD`` (plus ``geo=...`` for a panel) and the frame's own index
  label, so the analyst can find it in the spreadsheet they started from, and
* what is wrong and what to change.

Only when every check passes does it build the cleaned frame the rest of mmmkit relies on: only
the used columns, dates as ``datetime64[ns]`` at midnight, geo names as ``str``, numbers as
``float64``, sorted by ``(geo, date)`` with a fresh ``RangeIndex``. The caller's frame is never
modified.

:func:`frame_to_arrays` turns such a cleaned frame into the ``(geo, week, channel)`` arrays the
model is built from.

All checks are vectorised over rows (loops run over columns or geos only): panels of 25,000
rows validate in milliseconds.

:func:`validate_frame` is a driver; the checks live one concept to a module, below this one in
the input-data layer (they import only :mod:`mmmkit.errors` and each other):

* :mod:`mmmkit.columns`: column names, roles and their presence in the frame;
* :mod:`mmmkit.dates`: reading the date column (text, day/month order, time zones, periods);
* :mod:`mmmkit.cells`: reading geo names and numbers, and checks on single cells;
* :mod:`mmmkit.weeks`: the weekly calendar (one row per week, no gaps, same weeks per geo);
* :mod:`mmmkit.informative`: columns that carry nothing to estimate (no spend, constants);
* :mod:`mmmkit.rows`: naming rows and values in the messages of all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.cells import (
    check_finite,
    check_nonnegative_spend,
    check_spend_not_bool,
    parse_geo,
    parse_numeric,
)
from mmmkit.columns import as_name_list, check_columns, check_roles
from mmmkit.dates import check_date_options, parse_dates
from mmmkit.errors import DataError
from mmmkit.informative import (
    check_controls_vary,
    check_spend_present,
    check_target_varies,
    warn_negative_target,
)
from mmmkit.rows import Rows, plural
from mmmkit.weeks import check_duplicate_weeks, check_min_weeks, check_same_weeks, check_weekly

__all__ = ["MISSING_WEEKS", "check_date_options", "check_fit_args", "check_missing_weeks",
           "frame_to_arrays", "validate_frame"]

#: What ``missing_weeks`` may be: refuse gaps and uneven geos, or fill and mask them.
MISSING_WEEKS = ("error", "mask")

#: Name used in :func:`frame_to_arrays` for the single "geo" of a national (non-panel) series.
NATIONAL = "all"  # the geo label of a national (single-series) model


def validate_frame(
    df: pd.DataFrame,
    *,
    date: str,
    target: str | None,
    channels: Sequence[str],
    geo: str | None = None,
    controls: Sequence[str] = (),
    min_weeks: int = 1,
    require_spend: bool = True,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    hints: Mapping[str, str] | None = None,
    missing_weeks: str = "error",
) -> pd.DataFrame:
    """Check a weekly table and return a cleaned copy ready for modelling.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per week (per geo, for a panel). Never modified.
    date : str
        Column with the week's date (any format :func:`pandas.to_datetime` reads, used
        consistently; ``datetime``/``Period`` columns are fine). Every week must fall on the
        same weekday, exactly 7 days after the previous one.
    target : str or None
        Column with the KPI (sales, sign-ups, ...). ``None`` for a frame that is only scored
        (scenarios, forecasts), which has no KPI yet.
    channels : sequence of str
        Media spend columns, in currency units, ``>= 0``. At least one.
    geo : str, optional
        Column naming the geo of each row, for a panel. Every geo must cover the same weeks.
    controls : sequence of str, default ()
        Non-media regressors (price, holidays, ...), any sign.
    min_weeks : int, default 1
        Fewest distinct weeks accepted.
    require_spend : bool, default True
        Reject a channel that never spends (its effect cannot be learnt). Pass ``False`` for
        scenario frames where switching a channel off is the point.
    dayfirst : bool, optional
        How to read numeric dates written year last (``03/04/2023``, ``3.4.23``): ``True`` for
        day first (dd/mm/yyyy), ``False`` for month first (mm/dd/yyyy). By default the data
        decide: a first number above 12 anywhere means day first, a second number above 12
        month first, whichever row it is in; if every date could be read either way, a
        :class:`~mmmkit.errors.DataError` asks for this option. Dates written year first
        (``2023-04-03``) and ``datetime`` columns are not affected.
    date_format : str, optional
        An explicit :func:`pandas.to_datetime` format for text dates, e.g. ``"%d.%m.%Y"``;
        instead of ``dayfirst``, not with it.
    hints : mapping of str to str, optional
        What to tell the user to change, for callers that set ``min_weeks`` or
        ``require_spend`` themselves (their user cannot change those): ``"min_weeks"`` replaces
        the advice when there are too few weeks, ``"no_spend"`` the advice for a channel that
        never spends. By default the advice names ``min_weeks`` and ``require_spend``.
    missing_weeks : {"error", "mask"}, default "error"
        ``"mask"`` accepts an uneven panel: geos that start late, stop early or miss weeks
        (a store closure), and target cells that are NaN. The result then has a row for every
        geo and week from the first date to the last: a missing row gets 0 spend, its geo's
        mean for each control, and a NaN target, and NaN targets are left out of the
        likelihood (never read as zeros). Each geo needs at least one week with a KPI.

    Returns
    -------
    pandas.DataFrame
        A new frame with columns ``date, geo (if any), target (if any), *channels, *controls``
        in that order: dates ``datetime64[ns]`` normalised to midnight, geo values ``str``,
        every numeric column ``float64``, sorted by ``(geo, date)``, with a fresh
        ``RangeIndex``.

    Raises
    ------
    DataError
        On the first problem found, before anything else happens. In order: not a DataFrame or
        no rows; no channels; a column used twice or in two roles; a column missing or its name
        duplicated in the frame; missing geo names; missing, unreadable or out-of-range dates;
        text that is not a number; NaN or infinite values; negative spend; the same week twice;
        weeks that are not 7 days apart or have gaps; geos covering different weeks; fewer than
        ``min_weeks`` weeks; a channel that never spends (if ``require_spend``); a channel of
        True/False values instead of amounts; a constant (e.g. all-zero) target, overall or in
        one geo, and a constant control (if ``target`` is given: nothing is estimated from a
        frame without one). When the same week repeats in a national frame, the message names
        a column that would make the rows a geo panel (``geo=...``), if there is one.
    ValueError
        If ``dayfirst`` is not ``True``/``False``/``None``, ``date_format`` is not text, or
        both are given.

    Warns
    -----
    UserWarning
        If the target is negative in some weeks: allowed, but the model's priors assume a
        positive KPI (see Notes).

    Notes
    -----
    Constant controls are only rejected when ``target`` is given: a scoring frame of a few
    future weeks legitimately holds e.g. a holiday flag that is 0 throughout.

    A target with negative weeks (a net figure such as profit) is accepted. The model divides
    each geo's target by its mean absolute value and fits it with a normal (or Student-t)
    likelihood, so negative weeks are fitted, but media contributions are always positive and
    the baseline's prior is centred at 75% of the geo's mean: negative weeks are put down to
    the baseline, controls and noise, and a KPI that is often negative is better modelled
    through a positive one (revenue rather than profit).

    Spend must be amounts: a ``bool`` channel (on air or not) is refused rather than read as
    0/1 currency, since ROAS and budget plans in "currency" of 1 per active week would be
    meaningless; such a flag belongs in ``controls``.
    """
    # Over 80 lines only through the docstring above, the reference for every check and the
    # order they run in; the body is a short driver over the named steps below it.
    channels, controls = _check_call(df, channels, controls, dayfirst, date_format)
    check_missing_weeks(missing_weeks)
    uneven = missing_weeks == "mask"
    hints = dict(hints or {})
    check_roles(date=date, target=target, channels=channels, geo=geo, controls=controls)
    numeric_cols = ([target] if target is not None else []) + channels + controls
    check_columns(df, date=date, geo=geo, target=target, channels=channels, controls=controls)
    rows, values = _read_cells(
        df, date=date, geo=geo, channels=channels, numeric_cols=numeric_cols,
        dayfirst=dayfirst, date_format=date_format,
        missing_ok=(target,) if uneven and target is not None else (),
    )
    geo_codes, geo_names, order = _check_calendar(
        df, rows, date=date, geo=geo, used=[date, geo, target, *channels, *controls],
        min_weeks=min_weeks, fix=hints.get("min_weeks"), uneven=uneven,
    )
    # --- columns that carry no information ----------------------------------------------------
    if require_spend:
        check_spend_present(values, channels, fix=hints.get("no_spend"))
    if target is not None:
        seen = np.isfinite(values[target])
        if uneven:
            check_observed_geos(seen, geo_codes, geo_names, target=target)
        check_target_varies(values[target][seen], geo_codes[seen], geo_names, target=target,
                            geo=geo)
        check_controls_vary(values, controls)
        # Called from here, not from a step, so the warning points at validate_frame's caller.
        warn_negative_target(np.where(seen, values[target], 0.0), rows, target=target)
    clean = _clean_copy(rows, values, order, date=date, geo=geo, numeric_cols=numeric_cols)
    if uneven:
        clean = _fill_weeks(clean, date=date, geo=geo, target=target, channels=channels,
                            controls=controls)
    return clean


def check_missing_weeks(missing_weeks: Any) -> None:
    """``ValueError`` unless ``missing_weeks`` is one of :data:`MISSING_WEEKS`."""
    if missing_weeks not in MISSING_WEEKS:
        raise ValueError(f"missing_weeks must be one of {MISSING_WEEKS}, got "
                         f"{missing_weeks!r}.")


def check_observed_geos(seen: np.ndarray, geo_codes: np.ndarray, geo_names: Any, *,
                        target: Any) -> None:
    """Every geo of an uneven panel has at least one week with a KPI."""
    counts = np.bincount(geo_codes[seen], minlength=len(geo_names))
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise DataError(
            f"target {target!r} is missing (NaN) in every week of geo={geo_names[empty[0]]}"
            f"{f' ({empty.size} geos in all)' if empty.size > 1 else ''}; there is nothing "
            "to fit there — drop that geo's rows.")


def _fill_weeks(clean: pd.DataFrame, *, date: str, geo: str | None, target: str | None,
                channels: list[str], controls: list[str]) -> pd.DataFrame:
    """An uneven panel as a balanced one: every geo gets every week from the first date to
    the last (7 days apart; the weekdays agree, checked before). A missing row gets 0 spend,
    the geo's mean of each control and a NaN target."""
    weeks = pd.date_range(clean[date].min(), clean[date].max(), freq="7D")
    geos = pd.unique(clean[geo]) if geo is not None else None
    if geo is None:
        full = pd.DataFrame({date: weeks})
    else:
        full = pd.DataFrame({geo: np.repeat(geos, len(weeks)),
                             date: np.tile(weeks, len(geos))})
    keys = [date] if geo is None else [geo, date]
    out = full.merge(clean, on=keys, how="left", sort=False)
    out[channels] = out[channels].fillna(0.0)
    if controls:
        means = (out.groupby(geo)[controls].transform("mean") if geo is not None
                 else out[controls].mean())
        out[controls] = out[controls].fillna(means)
    order = [date, *([geo] if geo is not None else []),
             *([target] if target is not None else []), *channels, *controls]
    return out[order].sort_values(keys[::-1] if geo is None else keys, kind="stable") \
        .reset_index(drop=True)


def _check_call(
    df: Any, channels: Sequence[str], controls: Sequence[str], dayfirst: Any, date_format: Any
) -> tuple[list[str], list[str]]:
    """The call itself: cheap checks that need no data. Returns the name lists as lists."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"validate_frame expects a pandas DataFrame, got {type(df).__name__}; "
            "load the weekly table with pandas first (e.g. pd.read_csv)."
        )
    if len(df) == 0:
        raise DataError(
            "the frame has no rows; mmmkit needs one row per week (per geo, for a panel)."
        )
    channels = as_name_list(channels, "channels")
    controls = as_name_list(controls, "controls")
    if not channels:
        raise DataError(
            "no channels given; pass channels=[...] with at least one media spend column."
        )
    check_date_options(dayfirst, date_format)
    return channels, controls


def _read_cells(
    df: pd.DataFrame,
    *,
    date: str,
    geo: str | None,
    channels: list[str],
    numeric_cols: list[str],
    dayfirst: bool | None,
    date_format: str | None,
    missing_ok: tuple = (),
) -> tuple[Rows, dict[Any, np.ndarray]]:
    """Row by row: every cell must be readable (NaN allowed in ``missing_ok``). Returns the
    rows and each column's floats."""
    rows = Rows(df.index)
    if geo is not None:
        rows.geos = parse_geo(df, geo=geo, date=date, rows=rows)
    rows.dates = parse_dates(
        df[date], name=date, rows=rows, dayfirst=dayfirst, date_format=date_format
    )
    check_spend_not_bool(df, channels, rows)
    values = {col: parse_numeric(df[col], name=col, rows=rows) for col in numeric_cols}
    check_finite(values, channels, rows, missing_ok=missing_ok,
                 target=numeric_cols[0] if numeric_cols and numeric_cols[0] not in channels
                 else None)
    check_nonnegative_spend(values, channels, rows)
    return rows, values


def _check_calendar(
    df: pd.DataFrame,
    rows: Rows,
    *,
    date: str,
    geo: str | None,
    used: list[Any],
    min_weeks: int,
    fix: str | None,
    uneven: bool = False,
) -> tuple[np.ndarray, Any, np.ndarray]:
    """One row per week, no gaps, same weeks in every geo, enough weeks.

    Returns each row's geo code, the sorted geo names and the order sorting rows by
    ``(geo, date)``.
    """
    if rows.geos is not None:
        geo_codes, geo_names = pd.factorize(rows.geos, sort=True)
        geo_codes = np.asarray(geo_codes)
    else:
        geo_codes, geo_names = np.zeros(len(df), dtype=np.int64), np.array([NATIONAL])
    check_duplicate_weeks(rows, geo_codes, date=date, df=df, used=used)
    # Sort once by (geo, date); lexsort sorts by the last key first.
    order = np.lexsort((rows.dates, geo_codes))
    check_weekly(rows, geo_codes, order, date=date, gaps_ok=uneven)
    if geo is not None:
        check_same_weeks(rows, geo_codes, [str(g) for g in geo_names], date=date,
                         coverage_ok=uneven)
    check_min_weeks(rows.dates, date=date, min_weeks=min_weeks, fix=fix)
    return geo_codes, geo_names, order


def _clean_copy(
    rows: Rows,
    values: dict[Any, np.ndarray],
    order: np.ndarray,
    *,
    date: str,
    geo: str | None,
    numeric_cols: list[str],
) -> pd.DataFrame:
    """All good: the cleaned frame, sorted by ``(geo, date)``, with a fresh ``RangeIndex``."""
    # Every array below is freshly allocated by fancy indexing, so the result shares no memory
    # with the caller's frame.
    out: dict[Any, Any] = {date: rows.dates[order]}
    if geo is not None:
        out[geo] = rows.geos[order]
    for col in numeric_cols:
        out[col] = values[col][order]
    return pd.DataFrame(out, index=pd.RangeIndex(len(order)))


def frame_to_arrays(
    clean: pd.DataFrame,
    *,
    date: str,
    target: str | None,
    channels: Sequence[str],
    geo: str | None = None,
    controls: Sequence[str] = (),
) -> dict[str, Any]:
    """Reshape a cleaned frame into ``(geo, week, ...)`` arrays.

    Parameters
    ----------
    clean : pandas.DataFrame
        Output of :func:`validate_frame` (called with the same column arguments): a balanced
        panel, one row per (geo, week). Row order does not matter.
    date, target, channels, geo, controls
        As for :func:`validate_frame`.

    Returns
    -------
    dict
        ``"dates"``: :class:`pandas.DatetimeIndex` of the ``T`` weeks, sorted.
        ``"geos"``: list of the ``G`` geo names as ``str``, sorted; ``["all"]`` for a national
        series.
        ``"spend"``: float64 array ``(G, T, C)``, channels in the order given.
        ``"target"``: float64 array ``(G, T)``, or ``None`` when ``target`` is ``None``.
        ``"controls"``: float64 array ``(G, T, K)``; ``K`` may be 0.

    Raises
    ------
    DataError
        If the frame is not one row per (geo, week) for every geo and week, i.e. it was not
        produced by :func:`validate_frame`.
    """
    channels = as_name_list(channels, "channels")
    controls = as_name_list(controls, "controls")
    n = len(clean)
    day = clean[date].to_numpy(dtype="datetime64[ns]")
    weeks = np.unique(day)
    t_idx = np.searchsorted(weeks, day)
    if geo is not None:
        # np.unique on str objects sorts in Python string order, like validate_frame's sort.
        geo_vals = clean[geo].astype(str).to_numpy(dtype=object)
        geos, g_idx = np.unique(geo_vals, return_inverse=True)
        geo_list = [str(g) for g in geos]
    else:
        g_idx = np.zeros(n, dtype=np.int64)
        geo_list = [NATIONAL]
    n_geo, n_week = len(geo_list), len(weeks)

    # A balanced panel fills every (geo, week) cell exactly once; anything else would leave
    # silent NaN holes or overwrite rows, so refuse it.
    cell = g_idx * n_week + t_idx
    if n != n_geo * n_week or np.unique(cell).size != n:
        raise DataError(
            f"the frame has {n} rows for {plural(n_geo, 'geo')} x {plural(n_week, 'week')}; "
            "frame_to_arrays needs exactly one row per geo and week — pass it through "
            "validate_frame first."
        )

    def cube(cols: list[str]) -> np.ndarray:
        arr = np.empty((n_geo, n_week, len(cols)), dtype=np.float64)
        if cols:
            arr[g_idx, t_idx, :] = clean[cols].to_numpy(dtype=np.float64)
        return arr

    y = None
    if target is not None:
        y = np.empty((n_geo, n_week), dtype=np.float64)
        y[g_idx, t_idx] = clean[target].to_numpy(dtype=np.float64)
    return {
        "dates": pd.DatetimeIndex(weeks, name=None),  # xarray reads a name as a dimension
        "geos": geo_list,
        "spend": cube(channels),
        "target": y,
        "controls": cube(controls),
    }


def check_fit_args(draws: Any, tune: Any, chains: Any, target_accept: Any) -> None:
    """Raise ``ValueError`` for sampler settings that cannot work, before anything compiles.

    Parameters
    ----------
    draws, tune, chains
        Whole numbers ``>= 1`` (``int`` or numpy integer; ``True`` and floats such as ``1e3``
        are refused rather than guessed at, since the samplers need ints).
    target_accept
        NUTS target acceptance rate, strictly between 0 and 1.
    """
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
        if not whole or value < 1:
            example = {"draws": 1000, "tune": 1000, "chains": 4}[name]
            raise ValueError(
                f"{name} must be a whole number >= 1, got {value!r}; pass an int, e.g. "
                f"{name}={example}."
            )
    try:
        ok = 0 < float(target_accept) < 1 and not isinstance(target_accept, bool)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"target_accept is the NUTS acceptance rate, strictly between 0 and 1 (e.g. 0.9, "
            f"or 0.95-0.99 after divergences), got {target_accept!r}."
        )
