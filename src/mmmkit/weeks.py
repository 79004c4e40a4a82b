"""Checks that the parsed dates of a table form a weekly calendar.

mmmkit models one row per week (per geo, for a panel), every week 7 days after the previous
one, with the same weeks in every geo. The checks below run on dates already read by
:func:`mmmkit.dates.parse_dates` and raise :class:`~mmmkit.errors.DataError` naming the week,
the geo and the rows' index labels:

* :func:`check_duplicate_weeks`: at most one row per (geo, week);
* :func:`check_weekly`: consecutive weeks of each geo exactly 7 days apart, no gaps;
* :func:`check_same_weeks`: every geo of a panel covers the same weeks;
* :func:`check_min_weeks`: enough distinct weeks to fit.

Geos are passed as integer codes (``geo_codes``, one per row; all 0 for a national series).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.errors import DataError
from mmmkit.rows import MAX_LISTED, Rows, day_text, first_true, label_text, plural, weeks_text

__all__ = ["check_duplicate_weeks", "check_min_weeks", "check_same_weeks", "check_weekly"]

_DAY_NS = 86_400 * 10**9


def check_duplicate_weeks(
    rows: Rows,
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

    Parameters
    ----------
    rows : Rows
        With ``dates`` (and ``geos``, for a panel) filled in.
    geo_codes : numpy.ndarray
        Integer geo code of each row.
    date
        Name of the date column, for messages.
    df : pandas.DataFrame, optional
        The caller's frame, searched for a geo column when a national frame repeats weeks.
    used : sequence, default ()
        Columns already in a role (never suggested as the geo); ``None`` entries are skipped.
    """
    dates = rows.dates
    dup = pd.DataFrame({"g": geo_codes, "d": dates}).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    pos = first_true(dup)
    same = np.flatnonzero((geo_codes == geo_codes[pos]) & (dates == dates[pos]))
    labels = ", ".join(label_text(rows.index[i]) for i in same[:MAX_LISTED])
    where = f" for geo={rows.geos[pos]}" if rows.geos is not None else ""
    head = f"date column {date!r} has week {day_text(dates[pos])} {len(same)} times{where} " \
        f"(index {labels})"
    if rows.geos is None and df is not None:
        _refuse_stacked_series(head, df, dates, used)
    per = "per geo and week" if rows.geos is not None else "per week"
    raise DataError(f"{head}; keep exactly one row {per} — sum or drop the duplicates.")


def _refuse_stacked_series(head: str, df: pd.DataFrame, dates: np.ndarray,
                           used: Sequence[Any]) -> None:
    """Raise if a national frame with repeated weeks looks like several series stacked."""
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


def check_weekly(rows: Rows, geo_codes: np.ndarray, order: np.ndarray, *, date: Any,
                 gaps_ok: bool = False) -> None:
    """Consecutive dates of each geo are exactly 7 days apart (a whole number of weeks
    apart with ``gaps_ok``: the missing weeks of an uneven panel).

    ``order`` sorts the rows by ``(geo, date)``. A gap that is not a whole number of weeks
    (daily or monthly data, weeks dated on different weekdays) is reported before any missing
    weeks. Where ``rows.date_note`` is set, its advice replaces the check's own.
    """
    dates = rows.dates[order]
    codes = geo_codes[order]
    same_geo = codes[1:] == codes[:-1]
    gap_days = np.diff(dates.astype(np.int64)) // _DAY_NS

    def where(pos: int) -> str:
        return f" for geo={rows.geos[pos]}" if rows.geos is not None else ""

    def dated(i: int) -> str:
        return f"{day_text(dates[i])} (index {label_text(rows.index[order[i]])})"

    # A gap that is not a whole number of weeks means the data is not weekly at all (daily,
    # monthly, or weeks dated on different weekdays); report that before any missing weeks.
    off = same_geo & (gap_days % 7 != 0)
    if off.any():
        i = first_true(off)
        day_a = pd.Timestamp(dates[i]).day_name()
        day_b = pd.Timestamp(dates[i + 1]).day_name()
        raise DataError(
            f"date column {date!r} is not weekly{where(order[i])}: {dated(i)}, a {day_a}, is "
            f"followed by {dated(i + 1)}, a {day_b}, {plural(int(gap_days[i]), 'day')} later; "
            + (rows.date_note or "mmmkit expects one row per week with every date on the same "
               "weekday — aggregate to weeks or align the dates to one week-start day")
            + "."
        )
    gaps = same_geo & (gap_days > 7)
    if gaps.any() and not gaps_ok:
        i = first_true(gaps)
        lost = np.arange(dates[i] + np.timedelta64(7, "D"), dates[i + 1], np.timedelta64(7, "D"))
        what = weeks_text(lost)
        n_total = int((gap_days[gaps] // 7 - 1).sum())
        total = f"; {n_total} weeks are missing in all" if n_total > len(lost) else ""
        raise DataError(
            f"date column {date!r} is missing {what}{where(order[i])}, between {dated(i)} and "
            f"{dated(i + 1)}{total}; "
            + (rows.date_note or "mmmkit needs a row for every week — add the missing "
               "week(s), with 0 spend if nothing ran, or pass missing_weeks=\"mask\" if "
               "the KPI of those weeks is unknown for a reason (a closure)")
            + "."
        )


def check_same_weeks(
    rows: Rows, geo_codes: np.ndarray, geo_names: list[str], *, date: Any,
    coverage_ok: bool = False,
) -> None:
    """Every geo of a panel covers the same weeks (each geo is already weekly by itself);
    with ``coverage_ok`` only their weeks' weekday must agree (an uneven panel)."""
    dates = rows.dates
    n_geo = len(geo_names)
    if n_geo < 2:
        return
    # Each geo is internally weekly by now, so one date fixes its weekday.
    _, first_pos = np.unique(geo_codes, return_index=True)
    weekday = pd.DatetimeIndex(dates[first_pos]).day_of_week.to_numpy()
    if (weekday != weekday[0]).any():
        g = first_true(weekday != weekday[0])
        day0 = pd.Timestamp(dates[first_pos[0]]).day_name()
        day_g = pd.Timestamp(dates[first_pos[g]]).day_name()
        raise DataError(
            f"date column {date!r}: the weeks of geo={geo_names[g]} fall on {day_g}s but those "
            f"of geo={geo_names[0]} on {day0}s; date every geo's weeks by the same weekday."
        )
    if coverage_ok:
        return
    weeks, week_idx = np.unique(dates, return_inverse=True)
    has = np.zeros((n_geo, len(weeks)), dtype=bool)
    has[geo_codes, week_idx] = True
    # Weeks most geos have are the reference; a geo lacking one of them "lacks" it, a week
    # only a minority has is "extra" there (with two geos, the one having it has it extra).
    usual = 2 * has.sum(axis=0) > n_geo
    odd = (has != usual[None, :]).any(axis=1)
    if not odd.any():
        return
    g = first_true(odd)
    raise DataError(
        f"date column {date!r}: geo={geo_names[g]} "
        f"{' and '.join(_coverage_problems(has, weeks, usual, g, geo_names))}; every geo in a "
        "panel must cover the same weeks — add the missing rows or trim all geos to a common "
        "range, or pass missing_weeks=\"mask\" for geos that joined late, left early or "
        "closed (their missing weeks are then left out of the likelihood)."
    )


def _coverage_problems(
    has: np.ndarray, weeks: np.ndarray, usual: np.ndarray, g: int, geo_names: list[str]
) -> list[str]:
    """What geo ``g`` lacks and has extra, against the weeks most geos have (``usual``)."""
    lacks = weeks[usual & ~has[g]]
    extra = weeks[has[g] & ~usual]
    problems = []
    if len(lacks):
        problems.append(f"lacks {weeks_text(lacks)} that the other geos have")
    if len(extra):
        # Name the geos without these weeks: with two geos, "extra" here is "missing" there.
        without = np.flatnonzero(~has[:, np.searchsorted(weeks, extra)].any(axis=1))
        names = ", ".join(f"geo={geo_names[k]}" for k in without[:MAX_LISTED])
        more = ", ..." if len(without) > MAX_LISTED else ""
        verb = "lacks" if len(without) == 1 else "lack"
        problems.append(f"has {weeks_text(extra)} that {names}{more} {verb}")
    return problems


def check_min_weeks(
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
            f"date column {date!r} covers only {plural(len(weeks), 'distinct week')} "
            f"({day_text(weeks[0])} to {day_text(weeks[-1])}) but {advice}."
        )
