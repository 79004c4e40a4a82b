"""Tests for mmmkit.validation: every check fires with a message that locates the problem.

Frames are small and hand-made so each test shows exactly which cell is wrong. Every call, failing
or not, is made through helpers that assert the caller's frame is left exactly as it was.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mmmkit.errors import DataError
from mmmkit.validation import frame_to_arrays, validate_frame

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


# ------------------------------------------------------------------------------------------------
# The cleaned frame
# ------------------------------------------------------------------------------------------------


def test_national_output_columns_dtypes_and_index():
    df = national()
    out = ok(df, **NATIONAL)
    assert list(out.columns) == ["week", "sales", "tv", "radio", "price"]
    assert out["week"].dtype == "datetime64[ns]"
    for col in ["sales", "tv", "radio", "price"]:
        assert out[col].dtype == np.float64
    assert isinstance(out.index, pd.RangeIndex)
    assert out.index.equals(pd.RangeIndex(len(df)))
    assert out["week"].iloc[0] == pd.Timestamp("2021-01-04")
    np.testing.assert_array_equal(out["tv"], df["tv"].to_numpy(dtype=float))


def test_panel_output_sorted_by_geo_then_date_with_str_geos():
    df = panel()
    # Shuffle the rows so the sort cannot pass by accident.
    df = df.iloc[np.random.default_rng(0).permutation(len(df))]
    out = ok(df, **PANEL)
    assert list(out.columns) == ["week", "region", "sales", "tv", "radio", "price"]
    assert out["region"].tolist() == ["Geo1"] * 6 + ["Geo2"] * 6 + ["Geo3"] * 6
    assert all(type(g) is str for g in out["region"])
    for _, block in out.groupby("region"):
        assert block["week"].is_monotonic_increasing
    assert out.index.equals(pd.RangeIndex(len(df)))
    # Values travel with their row: Geo2 was built with k=0, so its tv starts at 10.
    geo2 = out[out["region"] == "Geo2"]
    assert geo2["tv"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]


def test_output_shares_no_memory_with_input():
    df = national()
    df["sales"] = df["sales"].astype(np.float64)
    out = ok(df, **NATIONAL)
    assert not np.shares_memory(out["sales"].to_numpy(), df["sales"].to_numpy())
    out.loc[0, "sales"] = -1.0
    assert df.loc[0, "sales"] == 100.0


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


def test_target_none_drops_target_and_allows_constant_controls():
    df = national()
    df["price"] = 2.0
    out = ok(df, **{**NATIONAL, "target": None})
    assert list(out.columns) == ["week", "tv", "radio", "price"]


def test_non_unique_index_and_unused_duplicate_columns_are_fine():
    df = national()
    df.index = ["a"] * len(df)
    df.insert(5, "notes", 0, allow_duplicates=True)  # a second 'notes' column, never used
    out = ok(df, **NATIONAL)
    assert out.index.equals(pd.RangeIndex(len(df)))


def test_large_panel_validates():
    # 100 geos x 250 weeks = 25,000 rows: must be vectorised, not a loop over rows.
    weeks = pd.date_range("2018-01-01", periods=250, freq="7D")
    geos = [f"G{k:03d}" for k in range(100)]
    df = pd.DataFrame(
        {
            "week": np.tile(weeks, len(geos)),
            "region": np.repeat(geos, len(weeks)),
            "sales": np.random.default_rng(1).gamma(5.0, size=25_000),
            "tv": np.random.default_rng(2).gamma(2.0, size=25_000),
            "radio": np.random.default_rng(3).gamma(2.0, size=25_000),
            "price": np.random.default_rng(4).normal(size=25_000),
        }
    )
    out = ok(df, **PANEL, min_weeks=104)
    assert len(out) == 25_000


# ------------------------------------------------------------------------------------------------
# 1-2: the frame and the channel list
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, [1, 2], {"week": ["2021-01-04"]}, np.zeros((3, 3))])
def test_not_a_dataframe(bad):
    fails(bad, "expects a pandas DataFrame", **NATIONAL)


def test_zero_rows():
    fails(national().iloc[:0], "no rows", **NATIONAL)


def test_no_channels():
    fails(national(), "no channels given", **{**NATIONAL, "channels": []})


def test_channels_as_bare_string():
    fails(
        national(), r"channels must be a list.*channels=\['tv'\]", **{**NATIONAL, "channels": "tv"}
    )


# ------------------------------------------------------------------------------------------------
# 3-4: columns
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"date": "Week"}, r"date column 'Week' not found.*did you mean 'week'"),
        ({"target": "revenue"}, r"target column 'revenue' not found"),
        ({"channels": ["tv", "search"]}, r"channel column 'search' not found"),
        ({"controls": ["temp"]}, r"control column 'temp' not found"),
    ],
)
def test_missing_column_lists_available_columns(override, match):
    msg = fails(national(), match, **{**NATIONAL, **override})
    assert "available columns: 'week', 'sales', 'tv', 'radio', 'price', 'notes'" in msg


def test_missing_geo_column_has_own_wording():
    msg = fails(national(), r"geo column 'region' not found", **PANEL)
    assert "geo=None for a national series" in msg


def test_date_in_index_is_pointed_out():
    df = national().set_index("week")
    fails(df, r"'week' is the frame's index: call df.reset_index\(\)", **NATIONAL)


def test_duplicated_column_name_in_frame():
    df = national()
    df.insert(3, "tv", 1.0, allow_duplicates=True)
    fails(df, r"2 columns named 'tv'.*rename or drop", **NATIONAL)


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"controls": ["tv"]}, r"'tv' is used both as a channel and as a control"),
        ({"channels": ["sales", "tv"]}, r"'sales' is used both as the target and as a channel"),
        ({"channels": ["tv", "radio", "tv"]}, r"'tv' is listed twice in channels"),
        ({"controls": ["price", "price"]}, r"'price' is listed twice in controls"),
        ({"geo": "week"}, r"'week' is used both as the date and as the geo"),
    ],
)
def test_column_in_two_roles(override, match):
    fails(national(), match, **{**NATIONAL, **override})


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


# ------------------------------------------------------------------------------------------------
# 12-15: columns without information, length, geo
# ------------------------------------------------------------------------------------------------


def test_channel_without_spend():
    df = national()
    df["radio"] = 0.0
    fails(df, r"channel 'radio' has no spend at all \(all 8 rows are 0\).*drop it", **NATIONAL)
    ok(df, **NATIONAL, require_spend=False)


def test_too_few_weeks():
    df = national()
    msg = fails(df, r"covers only 8 distinct weeks .*min_weeks=52", **NATIONAL, min_weeks=52)
    assert "2021-01-04 to 2021-02-22" in msg
    ok(df, **NATIONAL, min_weeks=8)


def test_panel_counts_distinct_weeks_not_rows():
    fails(panel(), r"covers only 6 distinct weeks", **PANEL, min_weeks=10)


def test_constant_control():
    df = national()
    df["price"] = 3.0
    fails(
        df, r"control 'price' is constant \(every row is 3.0\).*drop it from controls", **NATIONAL
    )


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


# ------------------------------------------------------------------------------------------------
# frame_to_arrays
# ------------------------------------------------------------------------------------------------


def test_arrays_national():
    clean = ok(national(), **NATIONAL)
    arrays = frame_to_arrays(clean, **NATIONAL)
    assert arrays["geos"] == ["all"]
    assert isinstance(arrays["dates"], pd.DatetimeIndex)
    assert arrays["dates"].is_monotonic_increasing and len(arrays["dates"]) == 8
    assert arrays["spend"].shape == (1, 8, 2) and arrays["spend"].dtype == np.float64
    assert arrays["target"].shape == (1, 8)
    assert arrays["controls"].shape == (1, 8, 1)
    np.testing.assert_array_equal(arrays["spend"][0, :, 0], clean["tv"])
    np.testing.assert_array_equal(arrays["target"][0], clean["sales"])


def test_arrays_panel_values_land_in_their_cell():
    clean = ok(panel(), **PANEL)
    # Row order must not matter.
    shuffled = clean.iloc[::-1].reset_index(drop=True)
    arrays = frame_to_arrays(shuffled, **PANEL)
    assert arrays["geos"] == ["Geo1", "Geo2", "Geo3"]
    assert arrays["spend"].shape == (3, 6, 2)
    assert arrays["target"].shape == (3, 6)
    assert arrays["controls"].shape == (3, 6, 1)
    # panel(): Geo1 is k=1 -> tv = 20 + week, radio = 3; Geo3 is k=2 -> sales = 3000 + week.
    assert arrays["spend"][0, 4, 0] == 24.0
    assert arrays["spend"][0, 4, 1] == 3.0
    assert arrays["target"][2, 5] == 3005.0
    assert arrays["controls"][1, 1, 0] == 1.0  # Geo2 (k=0): price = week % 2
    assert arrays["dates"][4] == pd.Timestamp("2021-02-01")


def test_arrays_without_target_or_controls():
    clean = ok(panel(), **{**PANEL, "target": None, "controls": ()})
    arrays = frame_to_arrays(clean, **{**PANEL, "target": None, "controls": ()})
    assert arrays["target"] is None
    assert arrays["controls"].shape == (3, 6, 0)


def test_arrays_refuse_unbalanced_frame():
    clean = ok(panel(), **PANEL).drop(index=3)
    with pytest.raises(DataError, match="exactly one row per geo and week"):
        frame_to_arrays(clean, **PANEL)


# ------------------------------------------------------------------------------------------------
# Issue 12, inputs and configuration
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


def test_min_weeks_and_no_spend_advice_can_be_the_callers():
    df = national()
    msg = fails(df, r"at least 20 are needed: give more weeks\.$", **NATIONAL, min_weeks=20,
                hints={"min_weeks": "give more weeks"})
    assert "min_weeks" not in msg
    df["radio"] = 0.0
    msg = fails(df, r"no spend at all .*; drop it from the MMM\.$", **NATIONAL,
                hints={"no_spend": "drop it from the MMM"})
    assert "require_spend" not in msg


@pytest.mark.parametrize("value", [0.0, 5.0])
def test_constant_or_all_zero_target(value):
    df = national()
    df["sales"] = value
    fails(df, rf"target 'sales' is constant \(every row is {value}\)", **NATIONAL)
    ok(df, **{**NATIONAL, "target": None})  # a scoring frame has no target to check


def test_target_constant_in_one_geo():
    df = panel()
    df.loc[df["region"] == "Geo3", "sales"] = 0.0
    fails(df, r"target 'sales' is constant for geo=Geo3 \(every week is 0.0\)", **PANEL)


def test_negative_target_weeks_warn_how_they_are_modelled():
    df = national()
    df.loc[2, "sales"] = -30.0
    with pytest.warns(UserWarning, match=r"negative in 1 of 8 rows .*mean absolute value"):
        out = ok(df, **NATIONAL)
    assert out["sales"].iloc[2] == -30.0


@pytest.mark.parametrize("dtype", [bool, "boolean", object])
def test_bool_spend_is_refused(dtype):
    df = national()
    df["tv"] = pd.Series([True, False] * 4, dtype=dtype)
    fails(df, r"channel 'tv' holds True/False values .*currency.*controls", **NATIONAL)
