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
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.errors import DataError

__all__ = ["check_date_options", "check_fit_args", "frame_to_arrays", "validate_frame"]

#: Name used in :func:`frame_to_arrays` for the single "geo" of a national (non-panel) series.
NATIONAL_GEO = "all"

_DAY_NS = 86_400 * 10**9
# datetime64[ns] covers 1677-09-21 .. 2262-04-11; a date outside is almost always a typo
# ("2201" for "2021"), and casting it would raise an unhelpful OutOfBoundsDatetime.
_EARLIEST = np.datetime64("1677-09-22", "D")
_LATEST = np.datetime64("2262-04-10", "D")
# Long lists (available columns, missing weeks) are cut to keep messages readable.
_MAX_LISTED = 5
_MAX_COLUMNS_LISTED = 30
# A numeric date written year last: 03/04/2023, 3.4.23, 03-04-2023 00:00:00 (spreadsheet
# exports add a time). Whether it is day or month first cannot be told from one such date, so
# these are read by :func:`_read_day_month`, never left to pandas, which guesses the order from
# the first row alone. Dates written year first (2023-04-03) are unambiguous and go to pandas.
_YEAR_LAST = re.compile(
    r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$"
)


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
    # --- the call itself: cheap checks that need no data --------------------------------------
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"validate_frame expects a pandas DataFrame, got {type(df).__name__}; "
            "load the weekly table with pandas first (e.g. pd.read_csv)."
        )
    if len(df) == 0:
        raise DataError(
            "the frame has no rows; mmmkit needs one row per week (per geo, for a panel)."
        )
    channels = _as_name_list(channels, "channels")
    controls = _as_name_list(controls, "controls")
    if not channels:
        raise DataError(
            "no channels given; pass channels=[...] with at least one media spend column."
        )
    check_date_options(dayfirst, date_format)
    hints = dict(hints or {})
    _check_roles(date=date, target=target, channels=channels, geo=geo, controls=controls)
    numeric_cols = ([target] if target is not None else []) + channels + controls
    _check_columns(df, date=date, geo=geo, target=target, channels=channels, controls=controls)

    # --- row by row: every cell must be readable ---------------------------------------------
    rows = _Rows(df.index)
    if geo is not None:
        rows.geos = _parse_geo(df, geo=geo, date=date, rows=rows)
    rows.dates = _parse_dates(
        df[date], name=date, rows=rows, dayfirst=dayfirst, date_format=date_format
    )
    _check_spend_not_bool(df, channels, rows)
    values = {col: _parse_numeric(df[col], name=col, rows=rows) for col in numeric_cols}
    _check_finite(values, channels, rows)
    _check_nonnegative_spend(values, channels, rows)

    # --- the calendar: one row per week, no gaps, same weeks in every geo -------------------
    if rows.geos is not None:
        geo_codes, geo_names = pd.factorize(rows.geos, sort=True)
        geo_codes = np.asarray(geo_codes)
    else:
        geo_codes, geo_names = np.zeros(len(df), dtype=np.int64), np.array([NATIONAL_GEO])
    used = [date, geo, target, *channels, *controls]
    _check_duplicate_weeks(rows, geo_codes, date=date, df=df, used=used)
    # Sort once by (geo, date); lexsort sorts by the last key first.
    order = np.lexsort((rows.dates, geo_codes))
    _check_weekly(rows, geo_codes, order, date=date)
    if geo is not None:
        _check_same_weeks(rows, geo_codes, [str(g) for g in geo_names], date=date)
    _check_min_weeks(rows.dates, date=date, min_weeks=min_weeks, fix=hints.get("min_weeks"))

    # --- columns that carry no information ----------------------------------------------------
    if require_spend:
        _check_spend_present(values, channels, fix=hints.get("no_spend"))
    if target is not None:
        _check_target_varies(values[target], geo_codes, geo_names, target=target, geo=geo)
        _check_controls_vary(values, controls)
        _warn_negative_target(values[target], rows, target=target)

    # --- all good: build the cleaned copy ------------------------------------------------------
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
    channels = _as_name_list(channels, "channels")
    controls = _as_name_list(controls, "controls")
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
        geo_list = [NATIONAL_GEO]
    n_geo, n_week = len(geo_list), len(weeks)

    # A balanced panel fills every (geo, week) cell exactly once; anything else would leave
    # silent NaN holes or overwrite rows, so refuse it.
    cell = g_idx * n_week + t_idx
    if n != n_geo * n_week or np.unique(cell).size != n:
        raise DataError(
            f"the frame has {n} rows for {_plural(n_geo, 'geo')} x {_plural(n_week, 'week')}; "
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


def check_date_options(dayfirst: Any, date_format: Any) -> None:
    """Raise ``ValueError`` unless ``dayfirst`` and ``date_format`` are usable together.

    Shared by :func:`validate_frame` and the :class:`~mmmkit.MMM` constructor, so a bad option
    fails when the model is specified rather than at the first fit.
    """
    if dayfirst is not None and not isinstance(dayfirst, bool | np.bool_):
        raise ValueError(
            f"dayfirst must be True (dates like 03/04/2023 are dd/mm/yyyy), False (mm/dd/yyyy) "
            f"or None (decided from the data), got {dayfirst!r}."
        )
    if date_format is not None and not isinstance(date_format, str):
        raise ValueError(
            f"date_format must be a pandas.to_datetime format such as '%d/%m/%Y', got "
            f"{date_format!r}."
        )
    if dayfirst is not None and date_format is not None:
        raise ValueError(
            "give dayfirst or date_format, not both: the format already fixes where the day "
            "is."
        )


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


# ---------------------------------------------------------------------------------------------
# Naming rows and values in messages
# ---------------------------------------------------------------------------------------------


class _Rows:
    """Names rows of the caller's frame the way the analyst sees them.

    ``dates`` and ``geos`` are filled in as soon as they have been checked, so later messages
    can say ``date=2021-03-08, geo=Geo3 (index 57)``.
    """

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.dates: np.ndarray | None = None  # datetime64[ns], parsed
        self.geos: np.ndarray | None = None  # object array of str
        # Set when text dates were read in the order the caller gave (dayfirst) but could be
        # read the other way too: calendar errors then give this advice instead of their own.
        self.date_note = ""

    def at(self, pos: int, *, with_date: bool = True) -> str:
        """``"row date=2021-03-08, geo=Geo3 (index 57)"`` for the row at position ``pos``."""
        parts = []
        if with_date and self.dates is not None:
            parts.append(f"date={_day(self.dates[pos])}")
        if self.geos is not None:
            parts.append(f"geo={self.geos[pos]}")
        label = f"index {_label(self.index[pos])}"
        return f"row {', '.join(parts)} ({label})" if parts else f"row {label}"


def _day(value: Any) -> str:
    """A date as ``YYYY-MM-DD``."""
    return str(np.datetime_as_string(np.datetime64(value, "ns"), unit="D"))


def _label(value: Any) -> str:
    """An index label as the analyst would type it: quoted if text, plain otherwise."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        value = value.item()  # np.int64(57) -> 57
    return str(value)


def _value(value: Any) -> str:
    """A cell value for a message: ``-120.0``, ``'1,200'``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _count(mask: np.ndarray) -> str:
    """`` (3 rows in all)`` when more than one row is affected, else nothing."""
    n = int(np.count_nonzero(mask))
    return f" ({n} rows in all)" if n > 1 else ""


def _first(mask: np.ndarray) -> int:
    """Position of the first ``True`` (the caller has checked there is one)."""
    return int(np.flatnonzero(mask)[0])


def _also(cols: list[Any]) -> str:
    """Mention further columns with the same problem."""
    if not cols:
        return ""
    return " (also in " + ", ".join(repr(c) for c in cols) + ")"


def _plural(n: int, noun: str) -> str:
    """``1 week``, ``3 weeks``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _weeks(days: np.ndarray) -> str:
    """``week 2021-03-08`` or ``3 weeks (2021-03-08, 2021-03-15, 2021-03-22)``."""
    if len(days) == 1:
        return f"week {_day(days[0])}"
    return f"{len(days)} weeks ({_list_days(days)})"


def _list_days(days: np.ndarray) -> str:
    """``2021-03-08, 2021-03-15, ...`` cut after a few entries."""
    shown = ", ".join(_day(d) for d in days[:_MAX_LISTED])
    return shown + (", ..." if len(days) > _MAX_LISTED else "")


# ---------------------------------------------------------------------------------------------
# Checks on the arguments and the column layout
# ---------------------------------------------------------------------------------------------


def _as_name_list(names: Sequence[str], what: str) -> list[str]:
    # A bare string is a Sequence[str] too, and would silently become one column per letter.
    if isinstance(names, str):
        raise DataError(
            f"{what} must be a list of column names, not the string {names!r}; "
            f"write {what}=[{names!r}]."
        )
    return list(names)


def _check_roles(
    *,
    date: str,
    target: str | None,
    channels: list[str],
    geo: str | None,
    controls: list[str],
) -> None:
    """Each column plays exactly one role, once."""
    for names, what in ((channels, "channels"), (controls, "controls")):
        seen: set[Any] = set()
        for name in names:
            if name in seen:
                raise DataError(
                    f"column {name!r} is listed twice in {what}; list each column once."
                )
            seen.add(name)
    roles: list[tuple[Any, str]] = [(date, "the date"), (geo, "the geo"), (target, "the target")]
    roles += [(c, "a channel") for c in channels] + [(c, "a control") for c in controls]
    first_role: dict[Any, str] = {}
    for name, role in roles:
        if name is None:
            continue
        if name in first_role:
            raise DataError(
                f"column {name!r} is used both as {first_role[name]} and as {role}; each column "
                "can play only one role — remove it from one of them."
            )
        first_role[name] = role


def _check_columns(
    df: pd.DataFrame,
    *,
    date: str,
    geo: str | None,
    target: str | None,
    channels: list[str],
    controls: list[str],
) -> None:
    """Every named column exists, exactly once."""
    available = list(df.columns)
    shown = ", ".join(repr(c) for c in available[:_MAX_COLUMNS_LISTED])
    if len(available) > _MAX_COLUMNS_LISTED:
        shown += f", ... ({len(available)} columns)"

    def hint(name: Any) -> str:
        # The most common causes: the date sits in the index, or a case/spelling slip.
        if name in [n for n in df.index.names if n is not None]:
            return f" ({name!r} is the frame's index: call df.reset_index() first)"
        text = [c for c in available if isinstance(c, str)]
        lower = {c.lower(): c for c in text}
        if isinstance(name, str):
            match = lower.get(name.lower()) or next(
                iter(difflib.get_close_matches(name, text, n=1)), None
            )
            if match is not None:
                return f" (did you mean {match!r}?)"
        return ""

    if geo is not None and geo not in df.columns:
        raise DataError(
            f"geo column {geo!r} not found in the frame{hint(geo)}; available columns: {shown}. "
            "Pass the column that names each row's geo, or geo=None for a national series."
        )
    named = [(date, "date"), (target, "target")]
    named += [(c, "channel") for c in channels] + [(c, "control") for c in controls]
    for name, role in named:
        if name is not None and name not in df.columns:
            raise DataError(
                f"{role} column {name!r} not found in the frame{hint(name)}; available "
                f"columns: {shown}."
            )
    for name in [date, geo, target, *channels, *controls]:
        if name is None:
            continue
        n = int(np.count_nonzero(df.columns == name))
        if n > 1:
            raise DataError(
                f"the frame has {n} columns named {name!r}; rename or drop the extra ones so "
                "the name is unique."
            )


# ---------------------------------------------------------------------------------------------
# Cell-level parsing
# ---------------------------------------------------------------------------------------------


def _parse_geo(df: pd.DataFrame, *, geo: str, date: str, rows: _Rows) -> np.ndarray:
    """Geo names as an object array of ``str``; no missing values, no merged names."""
    raw = df[geo]
    missing = raw.isna().to_numpy()
    if missing.any():
        pos = _first(missing)
        # Dates are not parsed yet: show the raw cell, which is what the analyst typed.
        raw_date = df[date].iloc[pos]
        try:
            when = f"date={_day(pd.Timestamp(raw_date).asm8)}"
        except (ValueError, TypeError):
            when = f"date={raw_date!r}"
        raise DataError(
            f"geo column {geo!r} is missing at row {when} (index {_label(rows.index[pos])})"
            f"{_count(missing)}; every row of a panel needs its geo name — fill it in or drop "
            "the row."
        )
    if raw.dtype.kind == "f" and np.all(np.mod(raw.to_numpy(dtype=np.float64), 1) == 0):
        # Region codes read as floats (1.0, 2.0) should become "1", "2", not "1.0".
        raw = raw.astype(np.int64)
    names = raw.astype(str).to_numpy(dtype=object)
    # Names of different types can collide once written as text (1 and "1"), which would
    # silently merge two geos.
    raw_codes, _ = pd.factorize(raw)
    str_codes, str_uniques = pd.factorize(names)
    pairs = pd.DataFrame({"raw": raw_codes, "str": str_codes}).drop_duplicates()
    clash = pairs["str"].duplicated().to_numpy()
    if clash.any():
        name = str_uniques[pairs["str"].to_numpy()[_first(clash)]]
        variants = pd.unique(raw[names == name])
        raise DataError(
            f"geo column {geo!r} holds different values that all read as {name!r} "
            f"({', '.join(_value(v) for v in variants)}); make each geo's name unique."
        )
    return names


def _parse_dates(
    raw: pd.Series,
    *,
    name: Any,
    rows: _Rows,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> np.ndarray:
    """Dates as ``datetime64[ns]`` at midnight; raises on missing or unreadable values."""
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    nonmissing = ~raw.isna().to_numpy()
    # pandas reads numbers as nanoseconds since 1970, so 20210104 would silently become
    # 1970-01-01; refuse numbers outright. (An all-missing column is reported as missing.)
    numbers = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "complex"}
    if nonmissing.any() and (raw.dtype.kind in "biufc" or inferred in numbers):
        pos = _first(nonmissing)
        raise DataError(
            f"date column {name!r} holds numbers (e.g. {_value(raw.iloc[pos])} at "
            f"{rows.at(pos)}), not dates; convert it, e.g. pd.to_datetime(df[{name!r}]"
            ".astype(str), format='%Y%m%d'), or write dates as YYYY-MM-DD."
        )
    missing = ~nonmissing
    if missing.any():
        pos = _first(missing)
        raise DataError(
            f"date column {name!r} is missing at {rows.at(pos, with_date=False)}"
            f"{_count(missing)}; every row needs its week's date — fill it in or drop the row."
        )
    cells = raw.to_numpy(dtype=object)
    text = inferred == "string"
    if isinstance(raw.dtype, pd.PeriodDtype):
        # to_datetime turns periods into NaT; a weekly period is dated by its first day.
        parsed = raw.dt.to_timestamp(how="start")
    elif text and date_format is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(pd.Series(cells, dtype=object), format=date_format,
                                    errors="coerce")
        bad = parsed.isna().to_numpy()
        if bad.any():
            pos = _first(bad)
            raise DataError(
                f"date column {name!r} has {_value(cells[pos])}, which does not match "
                f"date_format={date_format!r}, at {rows.at(pos, with_date=False)}{_count(bad)}; "
                "fix the cell, or pass the date_format the column is written in."
            )
    elif text and _year_last(cells, name=name, rows=rows):
        parsed = _read_day_month(cells, name=name, rows=rows, dayfirst=dayfirst)
    else:
        try:
            # pandas warns when it guesses a format or falls back to parsing row by row; the
            # checks below report any date it cannot read, so the warning is only noise.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(raw, errors="coerce")
        except (ValueError, TypeError) as exc:
            # e.g. offsets +01:00 and +02:00 in one column (daylight saving).
            raise DataError(
                f"date column {name!r} cannot be read as dates ({exc}); write plain dates like "
                "2021-01-04 without times or time zones."
            ) from exc
    if getattr(parsed.dt, "tz", None) is not None:
        # Weeks are calendar weeks where the data was recorded: keep the local wall date.
        parsed = parsed.dt.tz_localize(None)

    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = _first(bad)
        raise DataError(
            f"date column {name!r} has {_value(raw.iloc[pos])}, which cannot be read as a date, "
            f"at {rows.at(pos, with_date=False)}{_count(bad)}; write every date in one format, "
            "e.g. YYYY-MM-DD."
        )
    day = parsed.to_numpy().astype("datetime64[D]")
    out_of_range = (day < _EARLIEST) | (day > _LATEST)
    if out_of_range.any():
        pos = _first(out_of_range)
        raise DataError(
            f"date column {name!r} has {_value(raw.iloc[pos])} at "
            f"{rows.at(pos, with_date=False)}{_count(out_of_range)}, outside the years "
            "1678-2261 mmmkit can represent; check it for a typo."
        )
    # Truncating to the day normalises to midnight in the same step.
    return day.astype("datetime64[ns]")


def _year_last(cells: np.ndarray, *, name: Any, rows: _Rows) -> bool:
    """Whether text dates are numeric and year last (03/04/2023); raises if only some are.

    A column mixing such dates with other forms is refused here, pointing at the odd ones out,
    rather than handed to pandas, which would read it in the first row's format and turn every
    date in the other form into an error (or, for day/month, into the wrong date).
    """
    match = np.array([_YEAR_LAST.match(c) is not None for c in cells], dtype=bool)
    if match.all() or not match.any():
        return bool(match.all())
    # The minority form is the one to fix.
    odd = match if 2 * np.count_nonzero(match) < len(match) else ~match
    pos = _first(odd)
    usual = cells[_first(~odd)]
    raise DataError(
        f"date column {name!r} has {_value(cells[pos])}, which cannot be read as a date, at "
        f"{rows.at(pos, with_date=False)}{_count(odd)}, while other rows are written like "
        f"{_value(usual)}; write every date in one format, e.g. YYYY-MM-DD."
    )


def _read_day_month(
    cells: np.ndarray, *, name: Any, rows: _Rows, dayfirst: bool | None
) -> pd.Series:
    """Numeric year-last dates (every cell matches ``_YEAR_LAST``) as timestamps.

    The order is ``dayfirst`` if given, else what the data show: a first number above 12 in
    any row means day first, a second above 12 month first. Which row comes first does not
    matter, unlike pandas' own inference.
    """
    parts = np.array([_YEAR_LAST.match(c).group(1, 3, 4) for c in cells])
    first, second = parts[:, 0].astype(np.int64), parts[:, 1].astype(np.int64)
    year = parts[:, 2].astype(np.int64)
    short = np.char.str_len(parts[:, 2]) == 2
    # Two-digit years as pandas' %y reads them: 69-99 are 1900s, 00-68 2000s.
    year = np.where(short, np.where(year >= 69, 1900 + year, 2000 + year), year)
    day_first_only, month_first_only = first > 12, second > 12

    def at(mask: np.ndarray) -> str:
        pos = _first(mask)
        return f"{_value(cells[pos])} at {rows.at(pos, with_date=False)}"

    if dayfirst is None:
        if day_first_only.any() and month_first_only.any():
            raise DataError(
                f"date column {name!r} mixes day-first and month-first dates: "
                f"{at(day_first_only)} can only be day/month but {at(month_first_only)} only "
                "month/day; write every date in one order (e.g. YYYY-MM-DD) or fix the typo."
            )
        if not (day_first_only.any() or month_first_only.any()):
            raise DataError(
                f"date column {name!r} holds dates like {_value(cells[0])} whose day and month "
                "cannot be told apart (no number above 12 settles it); pass dayfirst=True "
                "for dd/mm/yyyy or dayfirst=False for mm/dd/yyyy, or write the dates as "
                "YYYY-MM-DD."
            )
        dayfirst = bool(day_first_only.any())
    else:
        wrong = month_first_only if dayfirst else day_first_only
        if wrong.any():
            order, other = ("day", "month") if dayfirst else ("month", "day")
            # Rows that can only be read the way asked for mean the column mixes orders.
            confirmed = day_first_only if dayfirst else month_first_only
            fix = (
                "write every date in one order (e.g. YYYY-MM-DD) or fix the typo"
                if confirmed.any()
                else f"the dates look {other} first: pass dayfirst={not dayfirst}"
            )
            raise DataError(
                f"date column {name!r} has {at(wrong)}, which is not a date when read "
                f"{order} first (dayfirst={dayfirst}){_count(wrong)}; {fix}."
            )
        if not (day_first_only.any() or month_first_only.any()):
            # Nothing confirms the order given: later calendar checks say so if they fail.
            rows.date_note = (
                f"the dates were read {'day' if dayfirst else 'month'} first (dayfirst="
                f"{dayfirst}) and each could be read the other way: if they are "
                f"{'mm/dd/yyyy' if dayfirst else 'dd/mm/yyyy'}, pass dayfirst={not dayfirst}"
            )
    day, month = (first, second) if dayfirst else (second, first)
    parsed = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    )
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = _first(bad)
        raise DataError(
            f"date column {name!r} has {_value(cells[pos])} at {rows.at(pos, with_date=False)}"
            f"{_count(bad)}, which is not a calendar date read as day {day[pos]} of month "
            f"{month[pos]} (dayfirst={dayfirst}); check it for a typo."
        )
    return parsed


def _parse_numeric(raw: pd.Series, *, name: Any, rows: _Rows) -> np.ndarray:
    """A numeric column as float64 (NaN where missing); raises on text or dates."""
    kind = raw.dtype.kind
    if kind in "biuf":
        # Includes nullable Int64/Float64/boolean, whose pd.NA becomes NaN here.
        return raw.to_numpy(dtype=np.float64, na_value=np.nan)
    if kind in "mMc":
        what = {"m": "durations", "M": "dates", "c": "complex numbers"}[kind]
        raise DataError(
            f"column {name!r} holds {what} (dtype {raw.dtype}), not numbers; pass a column of "
            "plain numbers."
        )
    # Object, string and categorical columns: read each cell as a number where possible.
    cells = raw.to_numpy(dtype=object)
    number = pd.to_numeric(pd.Series(cells, dtype=object), errors="coerce")
    values = number.to_numpy(dtype=np.float64, na_value=np.nan)
    not_number = np.isnan(values) & ~pd.isna(cells)
    if not_number.any():
        pos = _first(not_number)
        raise DataError(
            f"column {name!r} has {_value(cells[pos])}, which is not a number, at "
            f"{rows.at(pos)}{_count(not_number)}; write plain numbers (no thousands separators, "
            "currency signs or placeholder text) and fill or drop weeks with missing values."
        )
    return values


def _check_finite(values: dict[Any, np.ndarray], channels: list[str], rows: _Rows) -> None:
    """No NaN or +/-inf in target, channels or controls."""
    bad_cols = [col for col, v in values.items() if not np.isfinite(v).all()]
    if not bad_cols:
        return
    col = bad_cols[0]
    v = values[col]
    bad = ~np.isfinite(v)
    pos = _first(bad)
    what = "is missing (NaN)" if np.isnan(v[pos]) else f"is infinite ({_value(v[pos])})"
    fill = "the spend (0 if nothing ran that week)" if col in channels else "a finite value"
    raise DataError(
        f"column {col!r} {what} at {rows.at(pos)}{_count(bad)}{_also(bad_cols[1:])}; fill in "
        f"{fill} or drop the week."
    )


def _check_nonnegative_spend(
    values: dict[Any, np.ndarray], channels: list[str], rows: _Rows
) -> None:
    """Spend is never negative."""
    bad_cols = [c for c in channels if (values[c] < 0).any()]
    if not bad_cols:
        return
    col = bad_cols[0]
    bad = values[col] < 0
    pos = _first(bad)
    raise DataError(
        f"column {col!r} has negative spend {_value(values[col][pos])} at {rows.at(pos)}"
        f"{_count(bad)}{_also(bad_cols[1:])}; spend must be >= 0 — fix or drop the row."
    )


# ---------------------------------------------------------------------------------------------
# Calendar checks
# ---------------------------------------------------------------------------------------------


def _check_duplicate_weeks(
    rows: _Rows,
    geo_codes: np.ndarray,
    *,
    date: Any,
    df: pd.DataFrame | None = None,
    used: Sequence[Any] = (),
) -> None:
    """At most one row per (geo, week).

    In a national frame (no ``geo``) repeated weeks are most often a geo panel passed without
    ``geo=``: "sum or drop the duplicates" would then destroy the data, so a column of ``df``
    that tells the rows of each week apart is suggested as ``geo`` instead.
    """
    dates = rows.dates
    dup = pd.DataFrame({"g": geo_codes, "d": dates}).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    pos = _first(dup)
    same = np.flatnonzero((geo_codes == geo_codes[pos]) & (dates == dates[pos]))
    labels = ", ".join(_label(rows.index[i]) for i in same[:_MAX_LISTED])
    where = f" for geo={rows.geos[pos]}" if rows.geos is not None else ""
    head = f"date column {date!r} has week {_day(dates[pos])} {len(same)} times{where} " \
        f"(index {labels})"
    if rows.geos is None and df is not None:
        candidate = _geo_candidate(df, dates, used)
        if candidate is not None:
            n_values = df[candidate].nunique()
            raise DataError(
                f"{head}; the frame looks like a geo panel: column {candidate!r} "
                f"({n_values} values) tells the rows of each week apart — pass "
                f"geo={candidate!r}. If those rows are not geos, keep one row per week (e.g. "
                "sum them)."
            )
        weeks, counts = np.unique(dates, return_counts=True)
        if 2 * np.count_nonzero(counts > 1) > len(weeks):
            # Most weeks repeat: several stacked series rather than a stray duplicate row.
            raise DataError(
                f"{head}, and {np.count_nonzero(counts > 1)} of {len(weeks)} weeks repeat; if "
                "the frame holds several series (geos, markets), pass geo= with the column "
                "that names them; otherwise keep exactly one row per week — sum or drop the "
                "duplicates."
            )
    per = "per geo and week" if rows.geos is not None else "per week"
    raise DataError(f"{head}; keep exactly one row {per} — sum or drop the duplicates.")


def _geo_candidate(df: pd.DataFrame, dates: np.ndarray, used: Sequence[Any]) -> Any:
    """A column that makes ``(date, column)`` unique and looks like geo names, or ``None``.

    Text (or categorical) columns come first; whole-number columns (region codes) only if
    they have few values (at most half the rows): a numeric measure such as price would
    otherwise pass for a geo code just by varying.
    """
    n = len(df)
    text, codes = [], []
    for col in df.columns:
        if any(col is u or col == u for u in used if u is not None):
            continue
        series = df[col]
        if not isinstance(series, pd.Series) or series.isna().any():
            continue  # a duplicated column name, or a gap: not a clean geo column
        kind = series.dtype.kind
        try:
            n_values = series.nunique()
            if not 2 <= n_values <= max(2, n // 2):
                continue
            values, _ = pd.factorize(series)
        except TypeError:  # unhashable cells (lists, dicts)
            continue
        if pd.DataFrame({"d": dates, "g": values}).duplicated().any():
            continue
        if kind in "OSUT" or isinstance(series.dtype, pd.CategoricalDtype | pd.StringDtype):
            text.append(col)
        elif kind in "iu" or (
            kind == "f" and np.all(np.mod(series.to_numpy(dtype=np.float64), 1) == 0)
        ):
            codes.append(col)
    found = text + codes
    return found[0] if found else None


def _check_weekly(rows: _Rows, geo_codes: np.ndarray, order: np.ndarray, *, date: Any) -> None:
    """Consecutive dates of each geo are exactly 7 days apart."""
    dates = rows.dates[order]
    codes = geo_codes[order]
    same_geo = codes[1:] == codes[:-1]
    gap_days = np.diff(dates.astype(np.int64)) // _DAY_NS

    def where(pos: int) -> str:
        return f" for geo={rows.geos[pos]}" if rows.geos is not None else ""

    def dated(i: int) -> str:
        return f"{_day(dates[i])} (index {_label(rows.index[order[i]])})"

    # A gap that is not a whole number of weeks means the data is not weekly at all (daily,
    # monthly, or weeks dated on different weekdays); report that before any missing weeks.
    off = same_geo & (gap_days % 7 != 0)
    if off.any():
        i = _first(off)
        day_a = pd.Timestamp(dates[i]).day_name()
        day_b = pd.Timestamp(dates[i + 1]).day_name()
        raise DataError(
            f"date column {date!r} is not weekly{where(order[i])}: {dated(i)}, a {day_a}, is "
            f"followed by {dated(i + 1)}, a {day_b}, {_plural(int(gap_days[i]), 'day')} later; "
            + (rows.date_note or "mmmkit expects one row per week with every date on the same "
               "weekday — aggregate to weeks or align the dates to one week-start day")
            + "."
        )
    gaps = same_geo & (gap_days > 7)
    if gaps.any():
        i = _first(gaps)
        lost = np.arange(dates[i] + np.timedelta64(7, "D"), dates[i + 1], np.timedelta64(7, "D"))
        what = _weeks(lost)
        n_total = int((gap_days[gaps] // 7 - 1).sum())
        total = f"; {n_total} weeks are missing in all" if n_total > len(lost) else ""
        raise DataError(
            f"date column {date!r} is missing {what}{where(order[i])}, between {dated(i)} and "
            f"{dated(i + 1)}{total}; "
            + (rows.date_note or "mmmkit needs a row for every week — add the missing "
               "week(s), with 0 spend if nothing ran")
            + "."
        )


def _check_same_weeks(
    rows: _Rows, geo_codes: np.ndarray, geo_names: list[str], *, date: Any
) -> None:
    """Every geo of a panel covers the same weeks."""
    dates = rows.dates
    n_geo = len(geo_names)
    if n_geo < 2:
        return
    # Each geo is internally weekly by now, so one date fixes its weekday.
    _, first_pos = np.unique(geo_codes, return_index=True)
    weekday = pd.DatetimeIndex(dates[first_pos]).day_of_week.to_numpy()
    if (weekday != weekday[0]).any():
        g = _first(weekday != weekday[0])
        day0 = pd.Timestamp(dates[first_pos[0]]).day_name()
        day_g = pd.Timestamp(dates[first_pos[g]]).day_name()
        raise DataError(
            f"date column {date!r}: the weeks of geo={geo_names[g]} fall on {day_g}s but those "
            f"of geo={geo_names[0]} on {day0}s; date every geo's weeks by the same weekday."
        )
    weeks, week_idx = np.unique(dates, return_inverse=True)
    has = np.zeros((n_geo, len(weeks)), dtype=bool)
    has[geo_codes, week_idx] = True
    # Weeks most geos have are the reference; a geo lacking one of them "lacks" it, a week
    # only a minority has is "extra" there (with two geos, the one having it has it extra).
    usual = 2 * has.sum(axis=0) > n_geo
    odd = (has != usual[None, :]).any(axis=1)
    if not odd.any():
        return
    g = _first(odd)
    lacks = weeks[usual & ~has[g]]
    extra = weeks[has[g] & ~usual]
    problems = []
    if len(lacks):
        problems.append(f"lacks {_weeks(lacks)} that the other geos have")
    if len(extra):
        # Name the geos without these weeks: with two geos, "extra" here is "missing" there.
        without = np.flatnonzero(~has[:, np.searchsorted(weeks, extra)].any(axis=1))
        names = ", ".join(f"geo={geo_names[k]}" for k in without[:_MAX_LISTED])
        more = ", ..." if len(without) > _MAX_LISTED else ""
        verb = "lacks" if len(without) == 1 else "lack"
        problems.append(f"has {_weeks(extra)} that {names}{more} {verb}")
    raise DataError(
        f"date column {date!r}: geo={geo_names[g]} {' and '.join(problems)}; every geo in a "
        "panel must cover the same weeks — add the missing rows or trim all geos to a common "
        "range."
    )


def _check_min_weeks(
    dates: np.ndarray, *, date: Any, min_weeks: int, fix: str | None = None
) -> None:
    """Enough distinct weeks to fit; ``fix`` is the caller's advice (see ``hints``)."""
    weeks = np.unique(dates)
    if len(weeks) < min_weeks:
        advice = (
            f"min_weeks={min_weeks} are needed; supply a longer history or lower min_weeks"
            if fix is None
            else f"at least {min_weeks} are needed: {fix}"
        )
        raise DataError(
            f"date column {date!r} covers only {_plural(len(weeks), 'distinct week')} "
            f"({_day(weeks[0])} to {_day(weeks[-1])}) but {advice}."
        )


# ---------------------------------------------------------------------------------------------
# Columns without information
# ---------------------------------------------------------------------------------------------


def _check_spend_present(
    values: dict[Any, np.ndarray], channels: list[str], fix: str | None = None
) -> None:
    """Every channel spends at least once; ``fix`` is the caller's advice (see ``hints``)."""
    fix = fix or "drop it from channels (or pass require_spend=False for a scenario frame)"
    for col in channels:
        if not values[col].any():
            n = len(values[col])
            rows = f"all {n} rows are 0" if n > 1 else "its only row is 0"
            raise DataError(
                f"channel {col!r} has no spend at all ({rows}), so "
                f"its effect cannot be estimated; {fix}."
            )


def _check_spend_not_bool(df: pd.DataFrame, channels: list[str], rows: _Rows) -> None:
    """Spend is amounts, not True/False (see the Notes of :func:`validate_frame`)."""
    for col in channels:
        raw = df[col]
        if raw.dtype.kind == "b" or pd.api.types.infer_dtype(raw, skipna=True) == "boolean":
            raise DataError(
                f"channel {col!r} holds True/False values (dtype {raw.dtype}), not spend; give "
                "the amount spent each week in currency. A flag for whether the channel ran "
                "has no spend level to compute ROAS or plan budgets from: pass it in controls "
                "instead, or convert it yourself if 1 really is the amount spent "
                f"(df[{col!r}].astype(float))."
            )


def _check_target_varies(
    y: np.ndarray, geo_codes: np.ndarray, geo_names: Any, *, target: Any, geo: Any
) -> None:
    """The target varies, overall and within every geo (an all-zero KPI is a wrong column)."""
    if y.min() == y.max():
        raise DataError(
            f"target {target!r} is constant (every row is {_value(y[0])}), so there is nothing "
            "to explain; check that the right column is passed as target."
        )
    if geo is None:
        return
    lo = np.full(len(geo_names), np.inf)
    hi = np.full(len(geo_names), -np.inf)
    np.minimum.at(lo, geo_codes, y)
    np.maximum.at(hi, geo_codes, y)
    flat = np.flatnonzero(lo == hi)
    if flat.size:
        g = int(flat[0])
        more = f" ({flat.size} geos in all)" if flat.size > 1 else ""
        raise DataError(
            f"target {target!r} is constant for geo={geo_names[g]} (every week is "
            f"{_value(lo[g])}){more}, so that geo says nothing about media; check its rows "
            "or drop the geo from the frame."
        )


def _warn_negative_target(y: np.ndarray, rows: _Rows, *, target: Any) -> None:
    """Say how a target with negative weeks is modelled (it is allowed)."""
    negative = y < 0
    if not negative.any():
        return
    pos = _first(negative)
    n = int(np.count_nonzero(negative))
    warnings.warn(
        f"target {target!r} is negative in {n} of {len(y)} rows (first {_value(y[pos])} at "
        f"{rows.at(pos)}). That is allowed: each geo's target is divided by its mean absolute "
        "value and fitted as it is, but media contributions are always positive and the "
        "baseline is expected near 75% of the mean, so negative weeks are put down to the "
        "baseline, controls and noise. For a net figure (profit), a positive KPI (revenue) "
        "usually models better.",
        UserWarning,
        stacklevel=3,
    )


def _check_controls_vary(values: dict[Any, np.ndarray], controls: list[str]) -> None:
    """Every control varies somewhere in the frame."""
    for col in controls:
        v = values[col]
        if v.min() == v.max():
            raise DataError(
                f"control {col!r} is constant (every row is {_value(v[0])}), so its effect "
                "cannot be estimated apart from the baseline; drop it from controls."
            )
