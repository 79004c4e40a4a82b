"""Reading the geo and numeric cells of a weekly table, and checks on single cells.

Every cell of the geo, target, channel and control columns must be readable: geo names
present and distinct as text, numbers that are numbers (not text, dates or True/False spend),
finite, and spend never negative. Each check raises :class:`~mmmkit.errors.DataError` at the
first bad cell, naming its row through :class:`~mmmkit.rows.Rows` and counting the others.
Dates are read in :mod:`mmmkit.dates`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmmkit.errors import DataError
from mmmkit.rows import Rows, also_note, count_note, day_text, first_true, label_text, value_text

__all__ = [
    "check_finite",
    "check_nonnegative_spend",
    "check_spend_not_bool",
    "parse_geo",
    "parse_numeric",
]


def parse_geo(df: pd.DataFrame, *, geo: str, date: str, rows: Rows) -> np.ndarray:
    """Geo names as an object array of ``str``; no missing values, no merged names.

    Whole-number float codes (``1.0``) become ``"1"``. Raises if a geo is missing (naming the
    row by its raw, not yet parsed, date) or if different values read the same as text
    (``1`` and ``"1"``), which would silently merge two geos.
    """
    raw = df[geo]
    missing = raw.isna().to_numpy()
    if missing.any():
        pos = first_true(missing)
        raise DataError(
            f"geo column {geo!r} is missing at row {_raw_date(df[date].iloc[pos])} (index "
            f"{label_text(rows.index[pos])}){count_note(missing)}; every row of a panel needs "
            "its geo name — fill it in or drop the row."
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
        name = str_uniques[pairs["str"].to_numpy()[first_true(clash)]]
        variants = pd.unique(raw[names == name])
        raise DataError(
            f"geo column {geo!r} holds different values that all read as {name!r} "
            f"({', '.join(value_text(v) for v in variants)}); make each geo's name unique."
        )
    return names


def _raw_date(raw_date: Any) -> str:
    """``date=2021-03-08`` for a date cell not yet parsed, or its raw value if unreadable."""
    # Dates are not parsed yet: show the raw cell, which is what the analyst typed.
    try:
        return f"date={day_text(pd.Timestamp(raw_date).asm8)}"
    except (ValueError, TypeError):
        return f"date={raw_date!r}"


def parse_numeric(raw: pd.Series, *, name: Any, rows: Rows) -> np.ndarray:
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
        pos = first_true(not_number)
        raise DataError(
            f"column {name!r} has {value_text(cells[pos])}, which is not a number, at "
            f"{rows.at(pos)}{count_note(not_number)}; write plain numbers (no thousands "
            "separators, currency signs or placeholder text) and fill or drop weeks with "
            "missing values."
        )
    return values


def check_finite(values: dict[Any, np.ndarray], channels: list[str], rows: Rows,
                 missing_ok: tuple = (), target: Any = None) -> None:
    """No NaN or +/-inf in target, channels or controls (``values`` maps column to floats);
    the columns in ``missing_ok`` may hold NaN (an uneven panel's unobserved KPI weeks)."""
    def bad_of(col):
        v = values[col]
        return np.isinf(v) if col in missing_ok else ~np.isfinite(v)

    bad_cols = [col for col in values if bad_of(col).any()]
    if not bad_cols:
        return
    col = bad_cols[0]
    v = values[col]
    bad = bad_of(col)
    pos = first_true(bad)
    what = "is missing (NaN)" if np.isnan(v[pos]) else f"is infinite ({value_text(v[pos])})"
    fill = "the spend (0 if nothing ran that week)" if col in channels else "a finite value"
    unknown = (', or pass missing_weeks="mask" to leave weeks whose KPI is unknown out of the '
               "likelihood" if col == target and target is not None and np.isnan(v[pos])
               else "")
    raise DataError(
        f"column {col!r} {what} at {rows.at(pos)}{count_note(bad)}{also_note(bad_cols[1:])}; "
        f"fill in {fill} or drop the week{unknown}."
    )


def check_nonnegative_spend(
    values: dict[Any, np.ndarray], channels: list[str], rows: Rows
) -> None:
    """Spend is never negative."""
    bad_cols = [c for c in channels if (values[c] < 0).any()]
    if not bad_cols:
        return
    col = bad_cols[0]
    bad = values[col] < 0
    pos = first_true(bad)
    raise DataError(
        f"column {col!r} has negative spend {value_text(values[col][pos])} at {rows.at(pos)}"
        f"{count_note(bad)}{also_note(bad_cols[1:])}; spend must be >= 0 — fix or drop the row."
    )


def check_spend_not_bool(df: pd.DataFrame, channels: list[str], rows: Rows) -> None:
    """Spend is amounts, not True/False (see the Notes of :func:`~mmmkit.validate_frame`)."""
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
