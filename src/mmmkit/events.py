"""Named events and public holidays as weekly indicator columns, ready to use as controls.

A *calendar* is a table of named events, one row per occurrence: columns ``event`` (the name)
and ``date``, and optionally ``geo`` (the event happens in that geo only; blank means every
geo), ``before`` and ``after`` (weeks around the event week to mark as well, overriding the
``window`` given to :func:`event_columns`). :func:`holiday_calendar` writes such a calendar of
a country's public holidays with the `holidays <https://pypi.org/project/holidays/>`_ package
(``pip install "mmmkit[events]"``); :func:`event_columns` turns any calendar into one 0/1
column per event name on a copy of the caller's weekly frame, and :func:`event_names` gives
those columns' names to pass to :class:`~mmmkit.MMM` as ``controls``::

    cal = mk.events.holiday_calendar("US", "2022-01-01", "2024-12-31")
    df2 = mk.events.event_columns(df, cal, date="week", window=(1, 0))
    new_columns = mk.events.event_names(cal)
    model = mk.MMM(date="week", target="sales", channels=[...],
                   controls=["price", *new_columns])

Each event is then a control of its own, with its own line in ``model.baseline()`` and in the
report's waterfall.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.columns import check_columns
from mmmkit.dates import check_date_options, parse_dates
from mmmkit.errors import DataError
from mmmkit.rows import MAX_LISTED, Rows, count_note, first_true, label_text, value_text

__all__ = ["event_columns", "event_names", "holiday_calendar"]

#: The calendar columns :func:`event_columns` reads; any other column is refused (a typo such
#: as ``"Geo"`` would otherwise silently make a geo's event national).
CALENDAR_COLUMNS = ("event", "date", "geo", "before", "after")
_INSTALL = 'pip install "mmmkit[events]"'


# --- holidays ---------------------------------------------------------------------------------


def holiday_calendar(
    country: str,
    start: Any,
    end: Any,
    *,
    subdiv: str | None = None,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A country's public holidays between two dates, as a calendar for :func:`event_columns`.

    The dates come from the `holidays <https://pypi.org/project/holidays/>`_ package (a
    maintained, tested table of 200+ countries and their subdivisions), never from a table in
    mmmkit. Each holiday is dated on its actual day, not the weekday it is "observed" on when it
    falls on a weekend (``observed=False``): for weekly data the shift is at most a day, and
    ``"Christmas Day (observed)"`` would otherwise become a second, near-duplicate control.
    Two holidays on the same day give two rows. Names are in the package's default language for
    the country (German for ``"DE"``: ``"Erster Weihnachtstag"``).

    Parameters
    ----------
    country : str
        ISO 3166-1 alpha-2 code, e.g. ``"US"``, ``"GB"``, ``"DE"``; case-insensitive. The codes
        available: ``holidays.list_supported_countries()``.
    start, end : date-like
        First and last day (inclusive) of the range, anything :class:`pandas.Timestamp` reads
        (``"2022-01-01"``, ``datetime.date``). For a weekly frame, ``end`` should reach 6 days
        past the last week's date so that week's holidays are included.
    subdiv : str, optional
        A subdivision (state, province, ...) whose regional holidays are added to the national
        ones, e.g. ``"CA"`` for California with ``"US"``, ``"BY"`` for Bavaria with ``"DE"``.
        The codes: ``holidays.list_supported_countries()[country]``.
    names : sequence of str, optional
        Keep only these holidays (case-insensitive, exact names as the package writes them,
        e.g. ``["Christmas Day", "Thanksgiving Day"]``). By default every holiday is kept.

    Returns
    -------
    pandas.DataFrame
        Columns ``event`` (str, the holiday's name) and ``date`` (``datetime64[ns]``, midnight),
        one row per holiday and day, sorted by date then name, with a fresh ``RangeIndex``.

    Raises
    ------
    ImportError
        If the ``holidays`` package is not installed; the message says how to install it.
    ValueError
        If ``country`` or ``subdiv`` is not a code the package knows (the message says how to
        list them), ``start``/``end`` cannot be read as dates or ``end`` is before ``start``, or
        a name in ``names`` is not a holiday of the range (the message lists those that are).

    Examples
    --------
    >>> cal = holiday_calendar("US", "2023-01-01", "2023-12-31",
    ...                        names=["Thanksgiving Day", "Christmas Day"])
    >>> cal["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2023-11-23', '2023-12-25']
    """
    holidays = _import_holidays()
    first, last = _day(start, "start"), _day(end, "end")
    if last < first:
        raise ValueError(f"end ({last.date()}) is before start ({first.date()}); swap them.")
    code = _country_code(holidays, country)
    supported = holidays.list_supported_countries()
    if subdiv is not None and str(subdiv).upper() not in {s.upper() for s in supported[code]}:
        shown = ", ".join(supported[code][:40]) or "none"
        raise ValueError(
            f"subdiv {subdiv!r} is not a subdivision of {code} the holidays package knows; "
            f"available: {shown} (holidays.list_supported_countries()[{code!r}])."
        )
    table = holidays.country_holidays(
        code, subdiv=subdiv, years=range(first.year, last.year + 1), observed=False
    )
    rows = [
        (name, pd.Timestamp(day))
        for day in sorted(table)
        if first <= pd.Timestamp(day) <= last
        for name in table.get_list(day)
    ]
    cal = pd.DataFrame(rows, columns=["event", "date"])
    cal["event"] = cal["event"].astype(object)
    cal["date"] = pd.to_datetime(cal["date"]).astype("datetime64[ns]")
    if names is not None:
        cal = _keep_names(cal, names, where=f"{code} between {first.date()} and {last.date()}")
    return cal.sort_values(["date", "event"], kind="stable").reset_index(drop=True)


def _import_holidays() -> Any:
    """The ``holidays`` module, or an ``ImportError`` saying how to install it."""
    try:
        import holidays
    except ImportError as exc:
        raise ImportError(
            "holiday_calendar needs the 'holidays' package, which is not installed: "
            f"{_INSTALL} (or pip install holidays). A calendar of your own (columns event, "
            "date) works with event_columns without it."
        ) from exc
    return holidays


def _day(value: Any, what: str) -> pd.Timestamp:
    """``value`` as a midnight timestamp; ``ValueError`` naming the argument if unreadable."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}={value!r} cannot be read as a date; write e.g. "
                         "'2023-01-01'.") from exc
    if stamp is pd.NaT:
        raise ValueError(f"{what} is missing; write a date such as '2023-01-01'.")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _country_code(holidays: Any, country: Any) -> str:
    """``country`` as the package's code; ``ValueError`` saying how to list the codes."""
    supported = holidays.list_supported_countries()
    code = str(country).strip().upper() if isinstance(country, str) else None
    if code not in supported:
        raise ValueError(
            f"country {country!r} is not a country code the holidays package knows; pass an "
            "ISO 3166-1 alpha-2 code such as 'US', 'GB' or 'DE' (list them with "
            "holidays.list_supported_countries())."
        )
    return code


def _keep_names(cal: pd.DataFrame, names: Sequence[str], *, where: str) -> pd.DataFrame:
    """The rows of ``cal`` whose event is one of ``names`` (case-insensitive)."""
    if isinstance(names, str):
        raise ValueError(f"names must be a list of holiday names, not the string {names!r}; "
                         f"write names=[{names!r}].")
    available = list(dict.fromkeys(cal["event"]))
    lower = {n.casefold(): n for n in available}
    unknown = [n for n in names if str(n).casefold() not in lower]
    if unknown:
        raise ValueError(
            f"no holiday named {', '.join(repr(n) for n in unknown)} in {where}; the holidays "
            f"there: {', '.join(repr(n) for n in available) or 'none'}."
        )
    wanted = {str(n).casefold() for n in names}
    return cal[cal["event"].str.casefold().isin(wanted)]


# --- indicator columns ------------------------------------------------------------------------


def event_names(calendar: pd.DataFrame, *, prefix: str = "event_") -> list[str]:
    """The names of the columns :func:`event_columns` adds for ``calendar``, in its order.

    Pass them to :class:`~mmmkit.MMM` as controls::

        df2 = mk.events.event_columns(df, cal, date="week")
        new_columns = mk.events.event_names(cal)
        mk.MMM(..., controls=[*other_controls, *new_columns])

    Parameters
    ----------
    calendar : pandas.DataFrame
        As for :func:`event_columns`.
    prefix : str, default "event_"
        As for :func:`event_columns`.

    Returns
    -------
    list of str
        ``prefix + slug(event)`` for each distinct event name, in order of first appearance:
        the name lowercased, each run of characters other than ``a-z``/``0-9`` replaced by
        ``_`` (``"New Year's Day"`` -> ``"event_new_year_s_day"``).

    Raises
    ------
    DataError
        As :func:`event_columns` does for a calendar without an ``event`` column, a blank
        name, or two names that give the same column.
    """
    _check_calendar_shape(calendar)
    return list(_name_columns(calendar, prefix).values())


def event_columns(
    df: pd.DataFrame,
    calendar: pd.DataFrame,
    *,
    date: str,
    geo: str | None = None,
    window: tuple[int, int] = (0, 0),
    prefix: str = "event_",
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> pd.DataFrame:
    """A copy of a weekly frame with one 0/1 indicator column per event of a calendar.

    A row dated ``d`` covers the 7 days ``d .. d + 6``; its column for an event is 1 when one of
    the event's dates falls in those days, or when the event's week is at most ``before`` weeks
    after or ``after`` weeks before the row's week (``window=(2, 0)``: the event week and the 2
    weeks before it, e.g. Christmas shopping). The frame need not be sorted; rows whose weeks
    hold none of the event's dates get 0. An event with no date in the frame's weeks gives an
    all-zero column, which :class:`~mmmkit.MMM` refuses as a constant control when fitting:
    leave it out of ``controls`` (or of the calendar).

    How to fit them: every new column is a control, with its own contribution line in
    ``model.baseline()`` and in the report::

        df2 = mk.events.event_columns(df, cal, date="week")
        new_columns = mk.events.event_names(cal)
        model = mk.MMM(date="week", target="sales", channels=[...],
                       controls=[*other_controls, *new_columns])
        model.fit(df2)

    Parameters
    ----------
    df : pandas.DataFrame
        One row per week (per geo, for a panel). Never modified.
    calendar : pandas.DataFrame
        One row per occurrence of an event. Columns: ``event`` (its name; rows with the same
        name are one control), ``date`` (the day it happens, date-like), and optionally
        ``geo`` (the geo it happens in, as written in ``df[geo]``; blank or NaN = every geo;
        needs ``geo=``), ``before`` and ``after`` (whole weeks >= 0 marked before/after this
        occurrence's week, overriding ``window``; blank = ``window``). Other columns are
        refused. :func:`holiday_calendar` writes one.
    date : str
        ``df``'s date column (the first day of each row's week).
    geo : str, optional
        ``df``'s geo column, for a panel; needed when the calendar has geo-specific events.
    window : (int, int), default (0, 0)
        ``(before, after)``: weeks before and after each event's week also marked 1, for every
        occurrence without its own ``before``/``after``.
    prefix : str, default "event_"
        Start of every new column's name (see :func:`event_names`).
    dayfirst, date_format
        How to read numeric text dates in ``df[date]`` and the calendar's ``date``, as for
        :func:`mmmkit.validation.validate_frame`.

    Returns
    -------
    pandas.DataFrame
        ``df``'s columns, index and row order unchanged, followed by one ``float64`` column of
        0.0/1.0 per distinct event name, named and ordered as :func:`event_names` gives.

    Raises
    ------
    DataError
        If ``df[date]`` (or ``df[geo]``) is missing or its dates unreadable; the calendar is not
        a frame, lacks ``event`` or ``date``, has another column, a blank name, an unreadable
        date, a ``before``/``after`` that is not a whole number >= 0, the same event twice on
        the same day (and geo), or a geo that is not in ``df[geo]`` (or geo events without
        ``geo=``); two names give the same column; or a new column is already in ``df``.
        Each message names the column or calendar row and what to change.
    ValueError
        If ``window`` is not two whole numbers >= 0, or ``dayfirst``/``date_format`` are
        unusable.
    """
    before, after = _check_window(window)
    check_date_options(dayfirst, date_format)
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"event_columns expects a pandas DataFrame, got {type(df).__name__}.")
    check_columns(df, date=date, geo=geo, target=None, channels=[], controls=[])
    _check_calendar_shape(calendar)
    columns = _name_columns(calendar, prefix)
    clash = [c for c in columns.values() if c in df.columns]
    if clash:
        raise DataError(
            f"the frame already has a column {clash[0]!r}{_also(clash[1:])}, the name "
            f"event_columns gives event {_event_of(columns, clash[0])!r}; pass another "
            "prefix=, rename the event in the calendar, or drop the frame's column."
        )
    row_days = parse_dates(df[date], name=date, rows=Rows(df.index), dayfirst=dayfirst,
                           date_format=date_format).astype("datetime64[D]").astype(np.int64)
    events = _read_calendar(calendar, df, geo=geo, dayfirst=dayfirst, date_format=date_format)
    row_geos = df[geo].astype(str).to_numpy() if geo is not None else None
    out = df.copy()
    for name, column in columns.items():
        out[column] = _indicator(events[events["event"] == name], row_days, row_geos,
                                 before=before, after=after)
    return out


def _check_window(window: Any) -> tuple[int, int]:
    """``window`` as ``(before, after)`` whole numbers >= 0, else ``ValueError``."""
    ok = (isinstance(window, tuple | list) and len(window) == 2
          and all(_whole(w) and w >= 0 for w in window))
    if not ok:
        raise ValueError(
            f"window must be (before, after), two whole numbers of weeks >= 0 such as (2, 0) "
            f"for the event week and the 2 weeks before it; got {window!r}."
        )
    return int(window[0]), int(window[1])


def _whole(value: Any) -> bool:
    """Whether ``value`` is a whole number (``2``, ``np.int64(2)``, ``2.0``), not a bool."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    return isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value)


def _check_calendar_shape(calendar: Any) -> None:
    """A frame with ``event`` and ``date`` columns, no others but ``CALENDAR_COLUMNS``."""
    if not isinstance(calendar, pd.DataFrame):
        raise DataError(
            f"the calendar must be a pandas DataFrame with columns event and date, got "
            f"{type(calendar).__name__}; e.g. pd.DataFrame({{'event': ['Launch'], "
            "'date': ['2023-05-01']}})."
        )
    for name in ("event", "date"):
        if name not in calendar.columns:
            near = [c for c in calendar.columns if str(c).strip().casefold() == name]
            hint = f" (rename {near[0]!r} to {name!r})" if near else ""
            raise DataError(
                f"the calendar has no {name!r} column{hint}; it needs 'event' (the name) and "
                "'date' (the day), and may have 'geo', 'before' and 'after'."
            )
    other = [c for c in calendar.columns if c not in CALENDAR_COLUMNS]
    if other:
        raise DataError(
            f"the calendar has a column {other[0]!r}{_also(other[1:])} event_columns does not "
            f"read; its columns are {', '.join(CALENDAR_COLUMNS)} — rename or drop it."
        )
    dup = [c for c in CALENDAR_COLUMNS if int(np.count_nonzero(calendar.columns == c)) > 1]
    if dup:
        raise DataError(f"the calendar has more than one {dup[0]!r} column; keep one.")


def _name_columns(calendar: pd.DataFrame, prefix: str) -> dict[str, str]:
    """``{event name: column}`` in order of first appearance; raises on blank or clashing."""
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be text such as 'event_', got {prefix!r}.")
    raw = calendar["event"]
    blank = raw.isna().to_numpy() | np.array([str(v).strip() == "" for v in raw], dtype=bool)
    if blank.any():
        pos = first_true(blank)
        raise DataError(
            f"the calendar's 'event' is blank at row index {label_text(calendar.index[pos])}"
            f"{count_note(blank)}; name every event, or drop the row."
        )
    columns: dict[str, str] = {}
    owner: dict[str, str] = {}
    for name in dict.fromkeys(str(v).strip() for v in raw):
        slug = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
        if not slug:
            raise DataError(
                f"the calendar's event {name!r} has no letters or digits to name a column "
                "after; rename it."
            )
        column = prefix + slug
        if column in owner:
            raise DataError(
                f"the calendar's events {owner[column]!r} and {name!r} both give the column "
                f"{column!r}; rename one of them, or write both the same way if they are one "
                "event."
            )
        owner[column] = name
        columns[name] = column
    return columns


def _read_calendar(
    calendar: pd.DataFrame,
    df: pd.DataFrame,
    *,
    geo: str | None,
    dayfirst: bool | None,
    date_format: str | None,
) -> pd.DataFrame:
    """The calendar as ``event`` (str), ``day`` (int days since 1970), ``geo`` (str, ``""``
    for every geo),
    ``before``/``after`` (float, NaN = the window); raises on bad cells."""
    try:
        days = parse_dates(calendar["date"], name="date", rows=Rows(calendar.index),
                           dayfirst=dayfirst, date_format=date_format)
    except DataError as exc:
        raise DataError(f"in the calendar: {exc}") from exc
    events = pd.DataFrame({
        "event": [str(v).strip() for v in calendar["event"]],
        "day": days.astype("datetime64[D]").astype(np.int64),
        "geo": _calendar_geos(calendar, df, geo=geo),
    }, index=calendar.index)
    for side in ("before", "after"):
        events[side] = _calendar_weeks(calendar, side)
    keys = list(zip(events["event"], events["day"], events["geo"], strict=True))
    seen: dict[tuple, int] = {}
    for pos, key in enumerate(keys):
        if key in seen:
            raise DataError(
                f"the calendar lists event {key[0]!r} on {np.datetime64(int(key[1]), 'D')}"
                f"{f' in geo {key[2]!r}' if key[2] else ''} twice (row index "
                f"{label_text(calendar.index[seen[key]])} and "
                f"{label_text(calendar.index[pos])}); drop the repeated row."
            )
        seen[key] = pos
    return events


def _calendar_geos(calendar: pd.DataFrame, df: pd.DataFrame, *, geo: str | None) -> list:
    """Each calendar row's geo as ``str``, ``""`` for every geo; raises on unknown geos."""
    if "geo" not in calendar.columns:
        return [""] * len(calendar)
    # Geo codes 1, 2 read as 1.0, 2.0 when the column also has blanks: written as the frame's.
    cells = ["" if pd.isna(v) else str(int(v)) if isinstance(v, float) and v.is_integer()
             else str(v).strip() for v in calendar["geo"]]
    named = np.array([c != "" for c in cells], dtype=bool)
    if not named.any():
        return cells
    pos = first_true(named)
    where = f"row index {label_text(calendar.index[pos])}"
    if geo is None:
        raise DataError(
            f"the calendar has geo-specific events ({value_text(cells[pos])} at {where}"
            f"{count_note(named)}) but no geo= was given; pass geo= with the frame's geo "
            "column, or blank the calendar's geo column for national events."
        )
    known = set(df[geo].astype(str))
    unknown = np.array([c != "" and c not in known for c in cells], dtype=bool)
    if unknown.any():
        pos = first_true(unknown)
        shown = sorted(known)
        listed = ", ".join(repr(g) for g in shown[:MAX_LISTED])
        listed += ", ..." if len(shown) > MAX_LISTED else ""
        raise DataError(
            f"the calendar's geo {value_text(cells[pos])} at row index "
            f"{label_text(calendar.index[pos])}{count_note(unknown)} is not a geo of the "
            f"frame's column {geo!r} (its geos: {listed}); write it as the frame does, or "
            "leave it blank for every geo."
        )
    return cells


def _calendar_weeks(calendar: pd.DataFrame, side: str) -> np.ndarray:
    """The calendar's ``before``/``after`` as float weeks, NaN where blank or absent."""
    if side not in calendar.columns:
        return np.full(len(calendar), np.nan)
    raw = calendar[side]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = (~raw.isna().to_numpy()) & ~np.array(
        [_whole(v) and v >= 0 for v in values], dtype=bool
    )
    if bad.any():
        pos = first_true(bad)
        raise DataError(
            f"the calendar's {side!r} is {value_text(raw.iloc[pos])} at row index "
            f"{label_text(calendar.index[pos])}{count_note(bad)}; write a whole number of "
            "weeks >= 0, or leave it blank to use window=."
        )
    return values


def _indicator(
    events: pd.DataFrame,
    row_days: np.ndarray,
    row_geos: np.ndarray | None,
    *,
    before: int,
    after: int,
) -> np.ndarray:
    """1.0 for rows whose week holds one of ``events`` (or lies in its window), else 0.0."""
    # Whole weeks from each row's start to each occurrence: 0 = in the row's own 7 days,
    # k > 0 = the event is k weeks later (the row is k weeks before it), k < 0 = earlier.
    weeks = (events["day"].to_numpy()[None, :] - row_days[:, None]) // 7
    lo = -np.where(np.isnan(events["after"]), after, events["after"]).astype(np.int64)
    hi = np.where(np.isnan(events["before"]), before, events["before"]).astype(np.int64)
    hit = (weeks >= lo[None, :]) & (weeks <= hi[None, :])
    geos = events["geo"].to_numpy(dtype=object)
    national = geos == ""
    if row_geos is not None and not national.all():
        hit &= national[None, :] | (row_geos[:, None] == geos[None, :])
    return hit.any(axis=1).astype(np.float64)


def _also(names: list[Any]) -> str:
    """`` (also 'b', 'c')`` for further names, or nothing."""
    return f" (also {', '.join(repr(n) for n in names)})" if names else ""


def _event_of(columns: dict[str, str], column: str) -> str:
    """The event name whose column is ``column``."""
    return next(name for name, col in columns.items() if col == column)
