"""Naming the rows and values of the caller's frame in error messages.

A message about bad input is only useful if the analyst can find the cell in the spreadsheet
they started from. :class:`Rows` names a row as ``date=YYYY-MM-DD`` (plus ``geo=...`` for a
panel) and the frame's own index label; the small functions below write dates, index labels,
cell values and counts the same way in every message.

This module sits at the bottom of the input-data layer: it imports only numpy and pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MAX_LISTED",
    "Rows",
    "also_note",
    "count_note",
    "day_text",
    "days_list",
    "first_true",
    "label_text",
    "plural",
    "value_text",
    "weeks_text",
]

#: Long lists (missing weeks, geos, index labels) are cut after this many entries.
MAX_LISTED = 5


class Rows:
    """Names rows of the caller's frame the way the analyst sees them.

    ``dates`` and ``geos`` are filled in as soon as they have been checked, so later messages
    can say ``date=2021-03-08, geo=Geo3 (index 57)``.

    Parameters
    ----------
    index : pandas.Index
        The caller's row labels, in the frame's order.

    Attributes
    ----------
    index : pandas.Index
        As given.
    dates : numpy.ndarray or None
        ``datetime64[ns]`` date of each row, once parsed.
    geos : numpy.ndarray or None
        Object array of each row's geo name as ``str``, once checked (panels only).
    date_note : str
        Advice calendar errors give instead of their own, set when text dates were read in
        the order the caller gave (``dayfirst``) but could be read the other way too.
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
            parts.append(f"date={day_text(self.dates[pos])}")
        if self.geos is not None:
            parts.append(f"geo={self.geos[pos]}")
        label = f"index {label_text(self.index[pos])}"
        return f"row {', '.join(parts)} ({label})" if parts else f"row {label}"


def day_text(value: Any) -> str:
    """A date as ``YYYY-MM-DD``."""
    return str(np.datetime_as_string(np.datetime64(value, "ns"), unit="D"))


def label_text(value: Any) -> str:
    """An index label as the analyst would type it: quoted if text, plain otherwise."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        value = value.item()  # np.int64(57) -> 57
    return str(value)


def value_text(value: Any) -> str:
    """A cell value for a message: ``-120.0``, ``'1,200'``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def count_note(mask: np.ndarray) -> str:
    """`` (3 rows in all)`` when more than one row is affected, else nothing."""
    n = int(np.count_nonzero(mask))
    return f" ({n} rows in all)" if n > 1 else ""


def first_true(mask: np.ndarray) -> int:
    """Position of the first ``True`` (the caller has checked there is one)."""
    return int(np.flatnonzero(mask)[0])


def also_note(cols: list[Any]) -> str:
    """Mention further columns with the same problem: `` (also in 'a', 'b')``, or nothing."""
    if not cols:
        return ""
    return " (also in " + ", ".join(repr(c) for c in cols) + ")"


def plural(n: int, noun: str) -> str:
    """``1 week``, ``3 weeks``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def weeks_text(days: np.ndarray) -> str:
    """``week 2021-03-08`` or ``3 weeks (2021-03-08, 2021-03-15, 2021-03-22)``."""
    if len(days) == 1:
        return f"week {day_text(days[0])}"
    return f"{len(days)} weeks ({days_list(days)})"


def days_list(days: np.ndarray) -> str:
    """``2021-03-08, 2021-03-15, ...`` cut after :data:`MAX_LISTED` entries."""
    shown = ", ".join(day_text(d) for d in days[:MAX_LISTED])
    return shown + (", ..." if len(days) > MAX_LISTED else "")
