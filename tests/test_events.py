"""Events and holidays as weekly indicator columns (:mod:`mmmkit.events`); no model fits."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit import DataError
from mmmkit.events import event_columns, event_names, holiday_calendar


def _weekly(n: int = 6, start: str = "2023-01-02", **extra) -> pd.DataFrame:
    """A national weekly frame, weeks starting on Mondays."""
    weeks = pd.date_range(start, periods=n, freq="7D")
    return pd.DataFrame({"week": weeks.strftime("%Y-%m-%d"), "sales": np.arange(n, dtype=float),
                         **extra})


def _cal(*rows: tuple) -> pd.DataFrame:
    """A calendar of ``(event, date)`` rows."""
    return pd.DataFrame(list(rows), columns=["event", "date"])


# --- week assignment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2023-01-09", [0, 1, 0, 0, 0, 0]),  # on the row's own date
        ("2023-01-15", [0, 1, 0, 0, 0, 0]),  # day 6 of that week: still that row
        ("2023-01-16", [0, 0, 1, 0, 0, 0]),  # day 7: the next week
        ("2023-01-01", [0, 0, 0, 0, 0, 0]),  # the day before the first week: no row
        ("2023-02-12", [0, 0, 0, 0, 0, 1]),  # the last week's last day
        ("2023-02-13", [0, 0, 0, 0, 0, 0]),  # past the last week
    ],
)
def test_an_event_marks_the_week_whose_seven_days_hold_it(day, expected):
    out = event_columns(_weekly(), _cal(("Launch", day)), date="week")
    assert out["event_launch"].tolist() == expected
    assert out["event_launch"].dtype == np.float64


def test_rows_need_not_be_sorted_and_dates_may_be_timestamps():
    df = _weekly().iloc[::-1]
    df["week"] = pd.to_datetime(df["week"])
    cal = _cal(("Launch", pd.Timestamp("2023-01-10")))
    out = event_columns(df, cal, date="week")
    assert out.index.tolist() == df.index.tolist()
    assert out.loc[1, "event_launch"] == 1.0
    assert out["event_launch"].sum() == 1.0


def test_window_marks_weeks_before_and_after():
    cal = _cal(("Promo", "2023-01-18"))  # week 2023-01-16, row 2
    out = event_columns(_weekly(), cal, date="week", window=(2, 1))
    assert out["event_promo"].tolist() == [1, 1, 1, 1, 0, 0]
    out = event_columns(_weekly(), cal, date="week", window=(0, 2))
    assert out["event_promo"].tolist() == [0, 0, 1, 1, 1, 0]


def test_window_reaches_into_the_frame_from_an_event_outside_it():
    cal = _cal(("Christmas", "2023-02-14"))  # the week after the frame's last week
    out = event_columns(_weekly(), cal, date="week", window=(2, 0))
    assert out["event_christmas"].tolist() == [0, 0, 0, 0, 1, 1]


def test_per_occurrence_before_and_after_override_the_window():
    cal = pd.DataFrame({"event": ["Sale", "Sale"], "date": ["2023-01-03", "2023-02-01"],
                        "before": [np.nan, 1], "after": [np.nan, 0]})
    out = event_columns(_weekly(), cal, date="week", window=(0, 1))
    # first occurrence: window (0, 1) -> rows 0, 1; second: (1, 0) -> rows 3, 4
    assert out["event_sale"].tolist() == [1, 1, 0, 1, 1, 0]


def test_overlapping_occurrences_stay_zero_one():
    cal = _cal(("Sale", "2023-01-09"), ("Sale", "2023-01-11"))
    out = event_columns(_weekly(), cal, date="week", window=(1, 1))
    assert set(out["event_sale"]) == {0.0, 1.0}
    assert out["event_sale"].tolist() == [1, 1, 1, 0, 0, 0]


# --- geos -------------------------------------------------------------------------------------


def _panel() -> pd.DataFrame:
    a, b = _weekly(4), _weekly(4)
    a["region"], b["region"] = "North", "South"
    return pd.concat([a, b], ignore_index=True)


def test_geo_specific_and_national_events():
    cal = pd.DataFrame({"event": ["Fair", "Holiday"], "date": ["2023-01-10", "2023-01-17"],
                        "geo": ["South", np.nan]})
    out = event_columns(_panel(), cal, date="week", geo="region")
    assert out["event_fair"].tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    assert out["event_holiday"].tolist() == [0, 0, 1, 0, 0, 0, 1, 0]


def test_blank_geo_is_every_geo_and_needs_no_geo_argument():
    cal = pd.DataFrame({"event": ["Holiday"], "date": ["2023-01-17"], "geo": [""]})
    out = event_columns(_weekly(), cal, date="week")
    assert out["event_holiday"].tolist() == [0, 0, 1, 0, 0, 0]


def test_numeric_geo_codes_with_blanks_match_the_frame():
    df = _panel().assign(region=lambda d: d["region"].map({"North": 1, "South": 2}))
    cal = pd.DataFrame({"event": ["Fair", "Holiday"], "date": ["2023-01-10", "2023-01-17"],
                        "geo": [2, np.nan]})
    out = event_columns(df, cal, date="week", geo="region")
    assert out["event_fair"].tolist() == [0, 0, 0, 0, 0, 1, 0, 0]


def test_geo_events_without_geo_argument_are_refused():
    cal = pd.DataFrame({"event": ["Fair"], "date": ["2023-01-10"], "geo": ["South"]})
    with pytest.raises(DataError, match=r"geo-specific events \('South' at row index 0\).*geo="):
        event_columns(_panel(), cal, date="week")


def test_unknown_geo_is_named_with_the_frames_geos():
    cal = pd.DataFrame({"event": ["Fair"], "date": ["2023-01-10"], "geo": ["south"]})
    with pytest.raises(DataError, match=r"geo 'south' at row index 0 .*'North', 'South'"):
        event_columns(_panel(), cal, date="week", geo="region")


# --- the caller's frame and the names ---------------------------------------------------------


def test_the_callers_frame_and_calendar_are_not_changed():
    df, cal = _weekly(), _cal(("Launch", "2023-01-10"), ("Big Sale!", "2023-01-20"))
    df_before, cal_before = df.copy(deep=True), cal.copy(deep=True)
    out = event_columns(df, cal, date="week", window=(1, 1))
    pd.testing.assert_frame_equal(df, df_before)
    pd.testing.assert_frame_equal(cal, cal_before)
    assert out is not df
    assert list(out.columns) == [*df.columns, "event_launch", "event_big_sale"]


def test_event_names_are_the_new_columns_in_calendar_order():
    cal = _cal(("New Year's Day", "2023-01-01"), ("Black Friday", "2023-11-24"),
               ("New Year's Day", "2024-01-01"))
    assert event_names(cal) == ["event_new_year_s_day", "event_black_friday"]
    assert event_names(cal, prefix="h_") == ["h_new_year_s_day", "h_black_friday"]
    out = event_columns(_weekly(), cal, date="week")
    assert list(out.columns[-2:]) == event_names(cal)


def test_package_exports_events():
    assert mk.events.event_columns is event_columns
    assert "events" in mk.__all__


# --- errors -----------------------------------------------------------------------------------


def test_new_column_clashing_with_the_frame_is_named():
    df = _weekly(event_launch=0.0)
    with pytest.raises(DataError, match=r"'event_launch'.*event 'Launch'.*prefix="):
        event_columns(df, _cal(("Launch", "2023-01-10")), date="week")


def test_two_names_giving_one_column_are_refused():
    cal = _cal(("Black Friday", "2023-11-24"), ("black-friday", "2022-11-25"))
    with pytest.raises(DataError, match=r"'Black Friday' and 'black-friday'.*'event_black_friday'"):
        event_names(cal)


def test_repeated_occurrence_is_named():
    cal = _cal(("Launch", "2023-01-10"), ("Other", "2023-01-11"), ("Launch", "2023-01-10"))
    with pytest.raises(DataError, match=r"'Launch' on 2023-01-10 twice \(row index 0 and 2\)"):
        event_columns(_weekly(), cal, date="week")


def test_same_event_same_day_in_two_geos_is_fine():
    cal = pd.DataFrame({"event": ["Fair", "Fair"], "date": ["2023-01-10"] * 2,
                        "geo": ["North", "South"]})
    out = event_columns(_panel(), cal, date="week", geo="region")
    assert out["event_fair"].tolist() == [0, 1, 0, 0, 0, 1, 0, 0]


@pytest.mark.parametrize(
    ("calendar", "pattern"),
    [
        (pd.DataFrame({"event": ["A"]}), r"no 'date' column"),
        (pd.DataFrame({"Event": ["A"], "date": ["2023-01-10"]}),
         r"no 'event' column \(rename 'Event' to 'event'\)"),
        (pd.DataFrame({"event": ["A"], "date": ["2023-01-10"], "Geo": ["x"]}),
         r"column 'Geo' event_columns does not read"),
        (pd.DataFrame({"event": ["A", None], "date": ["2023-01-10"] * 2}),
         r"'event' is blank at row index 1"),
        (pd.DataFrame({"event": ["A", "!!"], "date": ["2023-01-10"] * 2}),
         r"event '!!' has no letters or digits"),
        (pd.DataFrame({"event": ["A", "B"], "date": ["2023-01-10", "soon"]}),
         r"in the calendar: .*'soon'.*row index 1"),
        (pd.DataFrame({"event": ["A"], "date": ["2023-01-10"], "before": [1.5]}),
         r"'before' is 1.5 at row index 0.*whole number"),
        ([("A", "2023-01-10")], r"calendar must be a pandas DataFrame"),
    ],
)
def test_bad_calendars_are_named(calendar, pattern):
    with pytest.raises(DataError, match=pattern):
        event_columns(_weekly(), calendar, date="week")


def test_frame_column_errors_are_named():
    cal = _cal(("A", "2023-01-10"))
    with pytest.raises(DataError, match=r"date column 'Week' not found"):
        event_columns(_weekly(), cal, date="Week")
    with pytest.raises(DataError, match=r"geo column 'geo' not found"):
        event_columns(_weekly(), cal, date="week", geo="geo")


@pytest.mark.parametrize("window", [(1,), (-1, 0), (0.5, 0), "1", (True, 0)])
def test_bad_window_is_refused(window):
    with pytest.raises(ValueError, match=r"window must be \(before, after\)"):
        event_columns(_weekly(), _cal(("A", "2023-01-10")), date="week", window=window)


def test_day_first_dates_follow_dayfirst():
    df = _weekly()
    df["week"] = pd.to_datetime(df["week"]).dt.strftime("%d/%m/%Y")
    cal = _cal(("A", "10/01/2023"))
    out = event_columns(df, cal, date="week", dayfirst=True)
    assert out["event_a"].tolist() == [0, 1, 0, 0, 0, 0]


# --- holidays ---------------------------------------------------------------------------------

needs_holidays = pytest.mark.skipif(importlib.util.find_spec("holidays") is None,
                                    reason='pip install "mmmkit[events]"')


def _on(cal: pd.DataFrame, name: str) -> list[str]:
    return cal.loc[cal["event"] == name, "date"].dt.strftime("%Y-%m-%d").tolist()


@needs_holidays
def test_us_holidays_2023():
    cal = holiday_calendar("US", "2023-01-01", "2023-12-31")
    assert list(cal.columns) == ["event", "date"]
    assert cal["date"].dtype == "datetime64[ns]"
    assert _on(cal, "Christmas Day") == ["2023-12-25"]
    assert _on(cal, "Thanksgiving Day") == ["2023-11-23"]
    assert cal["date"].is_monotonic_increasing
    assert not cal["event"].str.contains("observed").any()


@needs_holidays
def test_range_is_inclusive_and_case_insensitive_country():
    cal = holiday_calendar("us", "2023-11-23", "2023-12-25")
    assert cal["event"].tolist() == ["Thanksgiving Day", "Christmas Day"]


@needs_holidays
def test_subdiv_adds_regional_holidays():
    national = holiday_calendar("US", "2023-01-01", "2023-12-31")
    california = holiday_calendar("US", "2023-01-01", "2023-12-31", subdiv="CA")
    assert len(california) > len(national)
    assert "Cesar Chavez Day" in set(california["event"]) - set(national["event"])


@needs_holidays
def test_names_filter_is_case_insensitive():
    cal = holiday_calendar("US", "2022-01-01", "2023-12-31",
                           names=["christmas day", "THANKSGIVING DAY"])
    assert _on(cal, "Christmas Day") == ["2022-12-25", "2023-12-25"]
    assert set(cal["event"]) == {"Christmas Day", "Thanksgiving Day"}


@needs_holidays
def test_unknown_holiday_name_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"no holiday named 'Xmas'.*'Christmas Day'"):
        holiday_calendar("US", "2023-01-01", "2023-12-31", names=["Xmas"])


@needs_holidays
def test_unknown_country_and_subdiv_say_how_to_list_codes():
    with pytest.raises(ValueError, match=r"'XX'.*holidays.list_supported_countries\(\)"):
        holiday_calendar("XX", "2023-01-01", "2023-12-31")
    with pytest.raises(ValueError, match=r"subdiv 'ZZ'.*list_supported_countries\(\)\['US'\]"):
        holiday_calendar("US", "2023-01-01", "2023-12-31", subdiv="ZZ")


@needs_holidays
def test_bad_range_is_refused():
    with pytest.raises(ValueError, match=r"end .* is before start"):
        holiday_calendar("US", "2023-12-31", "2023-01-01")
    with pytest.raises(ValueError, match=r"start='someday' cannot be read"):
        holiday_calendar("US", "someday", "2023-01-01")


@needs_holidays
def test_holiday_calendar_feeds_event_columns():
    df = _weekly(8, start="2023-11-06")
    cal = holiday_calendar("US", "2023-11-06", "2023-12-31",
                           names=["Thanksgiving Day", "Christmas Day"])
    out = event_columns(df, cal, date="week", window=(1, 0))
    assert event_names(cal) == ["event_thanksgiving_day", "event_christmas_day"]
    assert out["event_thanksgiving_day"].tolist() == [0, 1, 1, 0, 0, 0, 0, 0]
    assert out["event_christmas_day"].tolist() == [0, 0, 0, 0, 0, 0, 1, 1]


def test_missing_holidays_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "holidays", None)  # import holidays -> ImportError
    with pytest.raises(ImportError, match=r'pip install "mmmkit\[events\]"'):
        holiday_calendar("US", "2023-01-01", "2023-12-31")
