"""Small hand-made weekly frames and checked calls shared by the input-data tests.

Frames are small so each test shows exactly which cell is wrong. Every call, failing or not, is
made through :func:`ok` or :func:`fails`, which assert the caller's frame is left exactly as it
was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmmkit.errors import DataError
from mmmkit.validation import validate_frame

# Column arguments of validate_frame for national() and panel().
NATIONAL = {"date": "week", "target": "sales", "channels": ["tv", "radio"], "controls": ["price"]}
PANEL = {**NATIONAL, "geo": "region"}


def national(n: int = 8) -> pd.DataFrame:
    """Eight Monday weeks as an analyst would read them from CSV: dates as text."""
    weeks = pd.date_range("2021-01-04", periods=n, freq="7D")
    return pd.DataFrame(
        {
            "week": weeks.strftime("%Y-%m-%d"),
            "sales": np.linspace(100.0, 170.0, n),
            "tv": np.arange(n) * 10,  # int64 on purpose: output must be float64
            "radio": np.r_[0.0, np.full(n - 1, 5.0)],
            "price": np.arange(n) % 3 + 1.0,
            "notes": ["x"] * n,  # unused column: dropped from the output
        }
    )


def panel(geos: tuple[str, ...] = ("Geo2", "Geo1", "Geo3"), n: int = 6) -> pd.DataFrame:
    """A geo panel stored geo by geo, geos not in sorted order, index labels 100, 101, ..."""
    weeks = pd.date_range("2021-01-04", periods=n, freq="7D")
    frames = []
    for k, g in enumerate(geos):
        frames.append(
            pd.DataFrame(
                {
                    "week": weeks.strftime("%Y-%m-%d"),
                    "region": g,
                    "sales": 1000.0 * (k + 1) + np.arange(n),
                    "tv": 10.0 * (k + 1) + np.arange(n),
                    "radio": np.full(n, 2.0 + k),
                    "price": np.arange(n) % 2 + k,
                }
            )
        )
    df = pd.concat(frames)
    df.index = pd.RangeIndex(100, 100 + len(df))
    return df


def ok(df: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """validate_frame, asserting that it succeeds and leaves ``df`` untouched."""
    before = df.copy(deep=True)
    out = validate_frame(df, **kwargs)
    pd.testing.assert_frame_equal(
        df, before, check_exact=True, check_index_type=True, check_column_type=True
    )
    return out


def fails(df, match: str, **kwargs) -> str:
    """validate_frame, asserting it raises DataError matching ``match``; ``df`` untouched."""
    before = df.copy(deep=True) if isinstance(df, pd.DataFrame) else None
    with pytest.raises(DataError, match=match) as info:
        validate_frame(df, **kwargs)
    if before is not None:
        pd.testing.assert_frame_equal(
            df, before, check_exact=True, check_index_type=True, check_column_type=True
        )
    return str(info.value)


def row_of(df: pd.DataFrame, week: str, region: str | None = None) -> object:
    """Index label of the row for ``week`` (and ``region``)."""
    mask = df["week"] == week
    if region is not None:
        mask &= df["region"] == region
    (label,) = df.index[mask]
    return label
