"""Tests for mmmkit.dates: reading the date column, and the dayfirst/date_format options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmmkit.dates import check_date_options, parse_dates
from mmmkit.errors import DataError
from mmmkit.rows import Rows
from mmmkit.validation import validate_frame
from weekly_frames import NATIONAL, PANEL, fails, national, ok, panel, row_of


def test_dates_normalised_to_midnight_and_other_date_types():
    df = national()
    df["week"] = pd.to_datetime(df["week"]) + pd.Timedelta(hours=13, minutes=45)
    out = ok(df, **NATIONAL)
    assert (out["week"] == out["week"].dt.normalize()).all()
    assert out["week"].dtype == "datetime64[ns]"

    # Time-zone aware dates keep their local calendar date.
    tz = national()
    tz["week"] = pd.to_datetime(tz["week"]).dt.tz_localize("Europe/Berlin")
    out_tz = ok(tz, **NATIONAL)
    assert out_tz["week"].iloc[0] == pd.Timestamp("2021-01-04")

    # Weekly periods are dated by their first day.
    per = national()
    per["week"] = pd.to_datetime(per["week"]).dt.to_period("W-SUN")
    out_per = ok(per, **NATIONAL)
    assert out_per["week"].iloc[0] == pd.Timestamp("2021-01-04")


# ------------------------------------------------------------------------------------------------
# 5: dates
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, np.nan, pd.NaT])
def test_missing_date(missing):
    df = national()
    df["week"] = df["week"].astype(object)
    df.loc[3, "week"] = missing
    msg = fails(df, r"date column 'week' is missing at row index 3.*fill it in or drop", **NATIONAL)
    assert "row index 3" in msg


def test_missing_date_in_panel_names_geo():
    df = panel()
    label = row_of(df, "2021-02-01", "Geo1")
    df.loc[label, "week"] = None
    fails(df, rf"date column 'week' is missing at row geo=Geo1 \(index {label}\)", **PANEL)


@pytest.mark.parametrize("bad", ["week 3", "2021-13-45", "04/01/2021"])
def test_unparseable_date(bad):
    df = national()
    df.loc[5, "week"] = bad
    msg = fails(df, r"date column 'week' has '.*', which cannot be read as a date", **NATIONAL)
    assert repr(bad) in msg and "index 5" in msg and "YYYY-MM-DD" in msg


def test_dates_stored_as_numbers():
    df = national()
    df["week"] = pd.to_datetime(df["week"]).dt.strftime("%Y%m%d").astype(int)
    fails(df, r"date column 'week' holds numbers \(e.g. 20210104.*format='%Y%m%d'", **NATIONAL)


def test_date_out_of_range_typo():
    df = national()
    df.loc[2, "week"] = "3021-01-18"
    fails(df, r"'3021-01-18' at row index 2, outside the years", **NATIONAL)


def test_dates_with_mixed_time_zones():
    df = national(2)
    df["week"] = ["2021-01-04T00:00+01:00", "2021-01-11T00:00+02:00"]
    fails(df, r"date column 'week' cannot be read as dates", **NATIONAL, min_weeks=1)


# ------------------------------------------------------------------------------------------------
# Issue 12: day-first dates and date options
# ------------------------------------------------------------------------------------------------


def _dmy(first: str, n: int = 8, fmt: str = "%d/%m/%Y") -> pd.DataFrame:
    """``national(n)`` with dates as text in ``fmt``, the first week on ``first``."""
    df = national(n)
    df["week"] = pd.date_range(first, periods=n, freq="7D").strftime(fmt)
    return df


@pytest.mark.parametrize("first", ["2023-04-03", "2023-04-13"], ids=["03/04 first", "13/04 first"])
def test_day_first_dates_are_read_whatever_the_first_row(first):
    # "03/04/2023" first made pandas guess mm/dd and reject "13/04/2023"; "13/04/2023" first
    # made it guess dd/mm (with a UserWarning). Both orders must give the same, right dates.
    import warnings

    df = _dmy(first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' dayfirst/format warning must not leak
        out = ok(df, **NATIONAL)
        again = ok(df, **NATIONAL, dayfirst=True)
    expected = pd.date_range(first, periods=8, freq="7D")
    assert out["week"].tolist() == expected.tolist()
    assert again["week"].tolist() == expected.tolist()


def test_month_first_dates_and_explicit_format():
    out = ok(_dmy("2023-04-03", fmt="%m/%d/%Y"), **NATIONAL)
    assert out["week"].iloc[0] == pd.Timestamp("2023-04-03")
    out = ok(_dmy("2023-04-03", fmt="%d.%m.%y"), **NATIONAL)
    assert out["week"].iloc[-1] == pd.Timestamp("2023-05-22")
    out = ok(_dmy("2023-04-03", fmt="%d %m %Y"), **NATIONAL, date_format="%d %m %Y")
    assert out["week"].iloc[1] == pd.Timestamp("2023-04-10")
    fails(_dmy("2023-04-03", fmt="%d %m %Y"), r"does not match date_format='%Y %m %d'",
          **NATIONAL, date_format="%Y %m %d")


def test_day_month_errors_suggest_dayfirst_not_one_format_or_weeks():
    df = _dmy("2023-04-03")
    msg = fails(df, r"not a date when read month first \(dayfirst=False\).*pass dayfirst=True",
                **NATIONAL, dayfirst=False)
    assert "one format" not in msg and "aggregate" not in msg
    # Two weeks whose day never exceeds 12: nothing in the data settles the order.
    short = _dmy("2023-04-03", n=2)
    msg = fails(short, r"cannot be told apart.*dayfirst=True for dd/mm/yyyy", **NATIONAL)
    assert "one format" not in msg and "aggregate" not in msg
    # The wrong order given explicitly: the calendar check points at dayfirst, not at weeks.
    msg = fails(short, r"is not weekly.*pass dayfirst=True", **NATIONAL, dayfirst=False)
    assert "aggregate" not in msg
    assert ok(short, **NATIONAL, dayfirst=True)["week"].iloc[1] == pd.Timestamp("2023-04-10")


def test_mixed_day_month_orders_are_refused():
    df = _dmy("2023-04-03")
    df.loc[5, "week"] = "05/08/2023"  # fine either way
    df.loc[6, "week"] = "05/15/2023"  # month first, among day-first dates
    fails(df, r"mixes day-first and month-first dates: '17/04/2023' .* '05/15/2023'", **NATIONAL)


@pytest.mark.parametrize("kwargs, match", [
    ({"dayfirst": "yes"}, "dayfirst must be True"),
    ({"date_format": 3}, "date_format must be"),
    ({"dayfirst": True, "date_format": "%d/%m/%Y"}, "not both"),
])
def test_bad_date_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        validate_frame(national(), **NATIONAL, **kwargs)


# ------------------------------------------------------------------------------------------------
# The module's functions called directly
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"dayfirst": True}, {"dayfirst": np.bool_(False)},
                                    {"date_format": "%d/%m/%Y"}])
def test_check_date_options_accepts_usable_options(kwargs):
    check_date_options(kwargs.get("dayfirst"), kwargs.get("date_format"))


def test_parse_dates_returns_midnight_datetimes_in_row_order():
    raw = pd.Series(pd.to_datetime(["2021-01-11 08:00", "2021-01-04 00:00", "2021-01-18 23:59"]),
                    index=[7, 3, 5])
    rows = Rows(raw.index)
    days = parse_dates(raw, name="week", rows=rows)
    assert days.dtype == "datetime64[ns]"
    expected = pd.to_datetime(["2021-01-11", "2021-01-04", "2021-01-18"]).to_numpy()
    np.testing.assert_array_equal(days, expected)
    assert rows.date_note == ""


def test_parse_dates_notes_an_order_nothing_confirms():
    raw = pd.Series(["03/04/2023", "10/04/2023"])
    rows = Rows(raw.index)
    days = parse_dates(raw, name="week", rows=rows, dayfirst=True)
    assert days[1] == np.datetime64("2023-04-10")
    assert "pass dayfirst=False" in rows.date_note
    with pytest.raises(DataError, match=r"has '13/04/2023', which does not match"):
        parse_dates(pd.Series(["13/04/2023"]), name="week", rows=Rows(pd.RangeIndex(1)),
                    date_format="%Y-%m-%d")
