"""Tests for mmmkit.cells: geo names and numbers read cell by cell, and checks on single cells."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from weekly_frames import NATIONAL, PANEL, fails, national, ok, panel, row_of


def test_integer_geo_codes_become_str_and_float_codes_lose_point_zero():
    df = panel()
    df["region"] = df["region"].map({"Geo1": 1, "Geo2": 2, "Geo3": 3})
    out = ok(df, **PANEL)
    assert out["region"].unique().tolist() == ["1", "2", "3"]
    df["region"] = df["region"].astype(float)
    out = ok(df, **PANEL)
    assert out["region"].unique().tolist() == ["1", "2", "3"]


def test_booleans_and_nullable_numbers_are_accepted():
    df = national()
    df["price"] = [True, False] * 4
    df["tv"] = df["tv"].astype("Int64")
    df["radio"] = pd.Series([0, 5, 5, 5, 5, 5, 5, 5], dtype=object)
    out = ok(df, **NATIONAL)
    assert out["price"].tolist() == [1.0, 0.0] * 4
    assert out["tv"].dtype == np.float64 and out["radio"].dtype == np.float64


def test_numbers_written_as_text_are_accepted():
    df = national()
    df["tv"] = df["tv"].astype(str)  # "0", "10", ... as read from a text-only source
    out = ok(df, **NATIONAL)
    assert out["tv"].tolist() == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]


# ------------------------------------------------------------------------------------------------
# 6-8: numbers
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1,200", "n/a", "$50", "TRUE"])
def test_text_in_numeric_column(bad):
    df = national()
    df["tv"] = df["tv"].astype(object)
    df.loc[4, "tv"] = bad
    msg = fails(df, r"column 'tv' has '.*', which is not a number", **NATIONAL)
    assert repr(bad) in msg
    assert "row date=2021-02-01 (index 4)" in msg


def test_text_in_panel_names_date_geo_and_count():
    df = panel()
    df["sales"] = df["sales"].astype(str)
    first, second = row_of(df, "2021-01-11", "Geo1"), row_of(df, "2021-01-25", "Geo1")
    df.loc[[first, second], "sales"] = "n/a"
    msg = fails(df, r"column 'sales' has 'n/a', which is not a number", **PANEL)
    assert f"row date=2021-01-11, geo=Geo1 (index {first}) (2 rows in all)" in msg


def test_dates_in_numeric_column():
    df = national()
    df["price"] = pd.Timestamp("2021-01-01")
    fails(df, r"column 'price' holds dates .*not numbers", **NATIONAL)


def test_nan_in_target():
    df = national()
    df.loc[6, "sales"] = np.nan
    msg = fails(
        df,
        r"column 'sales' is missing \(NaN\).*fill in a finite value or drop the week",
        **NATIONAL,
    )
    assert "row date=2021-02-15 (index 6)" in msg


def test_missing_in_nullable_and_object_columns():
    df = national()
    df["tv"] = pd.array([0, 10, None, 30, 40, 50, 60, 70], dtype="Int64")
    msg = fails(
        df, r"column 'tv' is missing \(NaN\) at row date=2021-01-18 \(index 2\)", **NATIONAL
    )
    assert "fill in the spend (0 if nothing ran that week)" in msg
    df = national()
    df["radio"] = pd.Series([1, None, 3, 4, 5, 6, 7, 8], dtype=object)
    fails(df, r"column 'radio' is missing \(NaN\) at row date=2021-01-11", **NATIONAL)


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_control(bad):
    df = national()
    df.loc[1, "price"] = bad
    fails(
        df,
        rf"column 'price' is infinite \({re.escape(repr(bad))}\) at row date=2021-01-11",
        **NATIONAL,
    )


def test_nan_in_several_columns_mentions_the_others():
    df = national()
    df.loc[1, "tv"] = np.nan
    df.loc[2, "price"] = np.nan
    fails(df, r"column 'tv' is missing \(NaN\).*\(also in 'price'\)", **NATIONAL)


def test_negative_spend_message_names_column_row_and_value():
    df = panel()
    label = row_of(df, "2021-01-25", "Geo1")
    df.loc[label, "tv"] = -120.0
    msg = fails(df, r"column 'tv' has negative spend -120.0", **PANEL)
    assert msg == (
        f"column 'tv' has negative spend -120.0 at row date=2021-01-25, geo=Geo1 (index {label});"
        " spend must be >= 0 — fix or drop the row."
    )


def test_negative_controls_and_target_are_fine():
    df = national()
    df["price"] = -df["price"]
    df["sales"] = df["sales"] - 500.0
    ok(df, **NATIONAL)


@pytest.mark.parametrize("dtype", [bool, "boolean", object])
def test_bool_spend_is_refused(dtype):
    df = national()
    df["tv"] = pd.Series([True, False] * 4, dtype=dtype)
    fails(df, r"channel 'tv' holds True/False values .*currency.*controls", **NATIONAL)


# ------------------------------------------------------------------------------------------------
# 15: geo names
# ------------------------------------------------------------------------------------------------


def test_missing_geo_value():
    df = panel()
    df["region"] = df["region"].astype(object)
    label = row_of(df, "2021-02-01", "Geo2")
    df.loc[label, "region"] = None
    msg = fails(
        df, rf"geo column 'region' is missing at row date=2021-02-01 \(index {label}\)", **PANEL
    )
    assert "fill it in or drop the row" in msg


def test_geo_values_that_collide_as_text():
    df = panel(("1", "2"))
    df["region"] = df["region"].astype(object)
    df.loc[100, "region"] = 1  # the number 1 next to the text "1"
    fails(df, r"different values that all read as '1'", **PANEL)
