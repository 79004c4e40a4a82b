"""Tests for mmmkit.weeks: one row per week, no gaps, the same weeks in every geo, enough weeks."""

from __future__ import annotations

import pandas as pd
import pytest

from weekly_frames import NATIONAL, PANEL, fails, national, ok, panel, row_of

# ------------------------------------------------------------------------------------------------
# 9-11: the calendar
# ------------------------------------------------------------------------------------------------


def test_duplicate_week_national():
    df = national()
    df.loc[3, "week"] = df.loc[2, "week"]
    fails(
        df, r"has week 2021-01-18 2 times \(index 2, 3\); keep exactly one row per week", **NATIONAL
    )


def test_duplicate_week_in_one_geo():
    df = panel()
    a, b = row_of(df, "2021-01-11", "Geo1"), row_of(df, "2021-01-18", "Geo1")
    df.loc[b, "week"] = "2021-01-11"
    fails(df, rf"has week 2021-01-11 2 times for geo=Geo1 \(index {a}, {b}\)", **PANEL)


def test_duplicate_after_normalising_times():
    df = national()
    df["week"] = pd.to_datetime(df["week"])
    df.loc[3, "week"] = df.loc[2, "week"] + pd.Timedelta(hours=8)
    fails(df, r"has week 2021-01-18 2 times", **NATIONAL)


def test_missing_week_national():
    df = national().drop(index=3)
    msg = fails(df, r"date column 'week' is missing week 2021-01-25", **NATIONAL)
    assert "between 2021-01-18 (index 2) and 2021-02-01 (index 4)" in msg
    assert "add the missing week" in msg


def test_several_missing_weeks_in_a_geo():
    df = panel()
    df = df.drop(index=[row_of(df, "2021-01-18", "Geo1"), row_of(df, "2021-01-25", "Geo1")])
    fails(df, r"missing 2 weeks \(2021-01-18, 2021-01-25\) for geo=Geo1", **PANEL)


def test_daily_data_is_not_weekly():
    df = national()
    df["week"] = pd.date_range("2021-01-04", periods=len(df), freq="D").strftime("%Y-%m-%d")
    msg = fails(df, r"date column 'week' is not weekly", **NATIONAL)
    assert "1 day later" in msg and "one row per week" in msg


def test_dates_on_different_weekdays():
    df = national()
    df.loc[4, "week"] = "2021-02-02"  # a Tuesday among Mondays
    msg = fails(df, r"is not weekly: 2021-01-25 \(index 3\), a Monday", **NATIONAL)
    assert "2021-02-02 (index 4), a Tuesday" in msg and "same weekday" in msg


def test_geo_lacking_weeks():
    df = panel()
    df = df.drop(index=row_of(df, "2021-02-08", "Geo1"))  # Geo2 and Geo3 still have it
    fails(df, r"geo=Geo1 lacks week 2021-02-08 that the other geos have", **PANEL)


def test_geo_with_extra_weeks():
    df = panel()
    extra = df.loc[[row_of(df, "2021-02-08", "Geo3")]].assign(week="2021-02-15")  # Geo3 only
    df = pd.concat([df, extra.set_axis([999])])
    fails(df, r"geo=Geo3 has week 2021-02-15 that geo=Geo1, geo=Geo2 lack", **PANEL)


def test_two_geos_with_different_ranges():
    df = panel(("A", "B"))
    df = df.drop(index=row_of(df, "2021-01-04", "B"))  # B starts a week later
    fails(df, r"geo=A has week 2021-01-04 that geo=B lacks", **PANEL)


def test_geos_on_different_weekdays():
    df = panel()
    sundays = pd.to_datetime(df["week"]) - pd.Timedelta(days=1)
    df["week"] = df["week"].where(df["region"] != "Geo3", sundays.dt.strftime("%Y-%m-%d"))
    fails(df, r"weeks of geo=Geo3 fall on Sundays but those of geo=Geo1 on Mondays", **PANEL)


@pytest.mark.parametrize("codes", [False, True], ids=["names", "numeric codes"])
def test_panel_without_geo_suggests_the_geo_column(codes):
    df = panel()
    if codes:
        df["region"] = df["region"].map({"Geo1": 1, "Geo2": 2, "Geo3": 3})
    msg = fails(df, r"has week 2021-01-04 3 times .*pass geo='region'", **NATIONAL)
    assert "sum or drop" not in msg
    # Without such a column it says a panel needs geo=, and only then offers summing.
    fails(df.drop(columns="region"), r"6 of 6 weeks repeat; if the frame holds several series",
          **NATIONAL)


# ------------------------------------------------------------------------------------------------
# 13: length
# ------------------------------------------------------------------------------------------------


def test_too_few_weeks():
    df = national()
    msg = fails(df, r"covers only 8 distinct weeks .*min_weeks=52", **NATIONAL, min_weeks=52)
    assert "2021-01-04 to 2021-02-22" in msg
    ok(df, **NATIONAL, min_weeks=8)


def test_panel_counts_distinct_weeks_not_rows():
    fails(panel(), r"covers only 6 distinct weeks", **PANEL, min_weeks=10)
