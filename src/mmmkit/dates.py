"""Reading the date column of a weekly table.

:func:`parse_dates` turns the cells of a date column (text, ``datetime``, time-zone aware or
``Period``) into ``datetime64[ns]`` dates at midnight, and raises
:class:`~mmmkit.errors.DataError` naming the row of the first cell it cannot read. Numeric
dates written year last (``03/04/2023``) are read here rather than by pandas, so whether they
are day or month first is decided by every row, not by the first one alone (see
:func:`parse_dates`). :func:`check_date_options` checks the ``dayfirst`` and ``date_format``
options that steer this.

Whether the dates form a weekly calendar is checked afterwards, in :mod:`mmmkit.weeks`.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.errors import DataError
from mmmkit.rows import Rows, count_note, first_true, value_text

__all__ = ["check_date_options", "parse_dates"]

# datetime64[ns] covers 1677-09-21 .. 2262-04-11; a date outside is almost always a typo
# ("2201" for "2021"), and casting it would raise an unhelpful OutOfBoundsDatetime.
_EARLIEST = np.datetime64("1677-09-22", "D")
_LATEST = np.datetime64("2262-04-10", "D")
# A numeric date written year last: 03/04/2023, 3.4.23, 03-04-2023 00:00:00 (spreadsheet
# exports add a time). Whether it is day or month first cannot be told from one such date, so
# these are read by :func:`_read_day_month`, never left to pandas, which guesses the order from
# the first row alone. Dates written year first (2023-04-03) are unambiguous and go to pandas.
_YEAR_LAST = re.compile(
    r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$"
)
# Column types pandas would read as nanoseconds since 1970 rather than as dates.
_NUMBERS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "complex"}


def check_date_options(dayfirst: Any, date_format: Any) -> None:
    """Raise ``ValueError`` unless ``dayfirst`` and ``date_format`` are usable together.

    Shared by :func:`~mmmkit.validation.validate_frame` and the :class:`~mmmkit.MMM`
    constructor, so a bad option fails when the model is specified rather than at the first
    fit.
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


def parse_dates(
    raw: pd.Series,
    *,
    name: Any,
    rows: Rows,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> np.ndarray:
    """Dates as ``datetime64[ns]`` at midnight; raises on missing or unreadable values.

    Parameters
    ----------
    raw : pandas.Series
        The caller's date column, unchanged.
    name
        The column's name, for messages.
    rows : Rows
        Names rows in messages. Its ``date_note`` is set when text dates were read in the
        order ``dayfirst`` gives but could be read the other way too.
    dayfirst, date_format
        As for :func:`mmmkit.validation.validate_frame` (checked by
        :func:`check_date_options`).

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` dates, truncated to the day, in the frame's row order.

    Raises
    ------
    DataError
        If the column holds numbers, a date is missing or cannot be read, or falls outside
        the years ``datetime64[ns]`` can hold.
    """
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    _refuse_numbers_and_gaps(raw, inferred, name=name, rows=rows)
    parsed = _to_timestamps(
        raw, text=inferred == "string", name=name, rows=rows, dayfirst=dayfirst,
        date_format=date_format,
    )
    if getattr(parsed.dt, "tz", None) is not None:
        # Weeks are calendar weeks where the data was recorded: keep the local wall date.
        parsed = parsed.dt.tz_localize(None)
    return _checked_days(parsed, raw, name=name, rows=rows)


def _refuse_numbers_and_gaps(raw: pd.Series, inferred: str, *, name: Any, rows: Rows) -> None:
    """A date column holds no numbers and no missing cells."""
    nonmissing = ~raw.isna().to_numpy()
    # pandas reads numbers as nanoseconds since 1970, so 20210104 would silently become
    # 1970-01-01; refuse numbers outright. (An all-missing column is reported as missing.)
    if nonmissing.any() and (raw.dtype.kind in "biufc" or inferred in _NUMBERS):
        pos = first_true(nonmissing)
        raise DataError(
            f"date column {name!r} holds numbers (e.g. {value_text(raw.iloc[pos])} at "
            f"{rows.at(pos)}), not dates; convert it, e.g. pd.to_datetime(df[{name!r}]"
            ".astype(str), format='%Y%m%d'), or write dates as YYYY-MM-DD."
        )
    missing = ~nonmissing
    if missing.any():
        pos = first_true(missing)
        raise DataError(
            f"date column {name!r} is missing at {rows.at(pos, with_date=False)}"
            f"{count_note(missing)}; every row needs its week's date — fill it in or drop the "
            "row."
        )


def _to_timestamps(
    raw: pd.Series,
    *,
    text: bool,
    name: Any,
    rows: Rows,
    dayfirst: bool | None,
    date_format: str | None,
) -> pd.Series:
    """Every cell as a timestamp (``NaT`` where pandas cannot read it), by the column's kind."""
    cells = raw.to_numpy(dtype=object)
    if isinstance(raw.dtype, pd.PeriodDtype):
        # to_datetime turns periods into NaT; a weekly period is dated by its first day.
        return raw.dt.to_timestamp(how="start")
    if text and date_format is not None:
        return _read_format(cells, name=name, rows=rows, date_format=date_format)
    if text and _year_last(cells, name=name, rows=rows):
        return _read_day_month(cells, name=name, rows=rows, dayfirst=dayfirst)
    try:
        # pandas warns when it guesses a format or falls back to parsing row by row; the
        # checks below report any date it cannot read, so the warning is only noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(raw, errors="coerce")
    except (ValueError, TypeError) as exc:
        # e.g. offsets +01:00 and +02:00 in one column (daylight saving).
        raise DataError(
            f"date column {name!r} cannot be read as dates ({exc}); write plain dates like "
            "2021-01-04 without times or time zones."
        ) from exc


def _read_format(cells: np.ndarray, *, name: Any, rows: Rows, date_format: str) -> pd.Series:
    """Text dates in the caller's ``date_format``; raises on the first cell that differs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(pd.Series(cells, dtype=object), format=date_format,
                                errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = first_true(bad)
        raise DataError(
            f"date column {name!r} has {value_text(cells[pos])}, which does not match "
            f"date_format={date_format!r}, at {rows.at(pos, with_date=False)}"
            f"{count_note(bad)}; fix the cell, or pass the date_format the column is written in."
        )
    return parsed


def _checked_days(parsed: pd.Series, raw: pd.Series, *, name: Any, rows: Rows) -> np.ndarray:
    """Timestamps truncated to the day; raises on unreadable (``NaT``) or out-of-range ones."""
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = first_true(bad)
        raise DataError(
            f"date column {name!r} has {value_text(raw.iloc[pos])}, which cannot be read as a "
            f"date, at {rows.at(pos, with_date=False)}{count_note(bad)}; write every date in "
            "one format, e.g. YYYY-MM-DD."
        )
    day = parsed.to_numpy().astype("datetime64[D]")
    out_of_range = (day < _EARLIEST) | (day > _LATEST)
    if out_of_range.any():
        pos = first_true(out_of_range)
        raise DataError(
            f"date column {name!r} has {value_text(raw.iloc[pos])} at "
            f"{rows.at(pos, with_date=False)}{count_note(out_of_range)}, outside the years "
            "1678-2261 mmmkit can represent; check it for a typo."
        )
    # Truncating to the day normalises to midnight in the same step.
    return day.astype("datetime64[ns]")


def _year_last(cells: np.ndarray, *, name: Any, rows: Rows) -> bool:
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
    pos = first_true(odd)
    usual = cells[first_true(~odd)]
    raise DataError(
        f"date column {name!r} has {value_text(cells[pos])}, which cannot be read as a date, "
        f"at {rows.at(pos, with_date=False)}{count_note(odd)}, while other rows are written "
        f"like {value_text(usual)}; write every date in one format, e.g. YYYY-MM-DD."
    )


def _read_day_month(
    cells: np.ndarray, *, name: Any, rows: Rows, dayfirst: bool | None
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
    if dayfirst is None:
        dayfirst = _infer_order(cells, first, second, name=name, rows=rows)
    else:
        _check_order(cells, first, second, name=name, rows=rows, dayfirst=dayfirst)
    day, month = (first, second) if dayfirst else (second, first)
    parsed = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
    )
    bad = parsed.isna().to_numpy()
    if bad.any():
        pos = first_true(bad)
        raise DataError(
            f"date column {name!r} has {value_text(cells[pos])} at "
            f"{rows.at(pos, with_date=False)}{count_note(bad)}, which is not a calendar date "
            f"read as day {day[pos]} of month {month[pos]} (dayfirst={dayfirst}); check it for "
            "a typo."
        )
    return parsed


def _cell_at(cells: np.ndarray, mask: np.ndarray, rows: Rows) -> str:
    """``'13/04/2023' at row index 5`` for the first cell where ``mask`` holds."""
    pos = first_true(mask)
    return f"{value_text(cells[pos])} at {rows.at(pos, with_date=False)}"


def _infer_order(cells: np.ndarray, first: np.ndarray, second: np.ndarray, *, name: Any,
                 rows: Rows) -> bool:
    """``dayfirst`` as the data show it; raises if they show both orders or neither."""
    day_first_only, month_first_only = first > 12, second > 12
    if day_first_only.any() and month_first_only.any():
        raise DataError(
            f"date column {name!r} mixes day-first and month-first dates: "
            f"{_cell_at(cells, day_first_only, rows)} can only be day/month but "
            f"{_cell_at(cells, month_first_only, rows)} only month/day; write every date in "
            "one order (e.g. YYYY-MM-DD) or fix the typo."
        )
    if not (day_first_only.any() or month_first_only.any()):
        raise DataError(
            f"date column {name!r} holds dates like {value_text(cells[0])} whose day and month "
            "cannot be told apart (no number above 12 settles it); pass dayfirst=True "
            "for dd/mm/yyyy or dayfirst=False for mm/dd/yyyy, or write the dates as "
            "YYYY-MM-DD."
        )
    return bool(day_first_only.any())


def _check_order(cells: np.ndarray, first: np.ndarray, second: np.ndarray, *, name: Any,
                 rows: Rows, dayfirst: bool) -> None:
    """Every date reads in the order given; notes on ``rows`` if none confirms that order."""
    day_first_only, month_first_only = first > 12, second > 12
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
            f"date column {name!r} has {_cell_at(cells, wrong, rows)}, which is not a date "
            f"when read {order} first (dayfirst={dayfirst}){count_note(wrong)}; {fix}."
        )
    if not (day_first_only.any() or month_first_only.any()):
        # Nothing confirms the order given: later calendar checks say so if they fail.
        rows.date_note = (
            f"the dates were read {'day' if dayfirst else 'month'} first (dayfirst="
            f"{dayfirst}) and each could be read the other way: if they are "
            f"{'mm/dd/yyyy' if dayfirst else 'dd/mm/yyyy'}, pass dayfirst={not dayfirst}"
        )
