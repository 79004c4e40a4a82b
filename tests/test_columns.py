"""Tests for mmmkit.columns: column names, roles and their presence in the frame."""

from __future__ import annotations

import pandas as pd
import pytest

from mmmkit.columns import as_name_list, check_columns, check_roles
from mmmkit.errors import DataError
from weekly_frames import NATIONAL, PANEL, fails, national


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
# The module's functions called directly
# ------------------------------------------------------------------------------------------------


def test_as_name_list_copies_any_sequence_but_refuses_a_string():
    names = ("tv", "radio")
    assert as_name_list(names, "channels") == ["tv", "radio"]
    with pytest.raises(DataError, match=r"controls must be a list .*controls=\['price'\]"):
        as_name_list("price", "controls")


def test_check_columns_cuts_a_long_list_of_available_columns():
    df = pd.DataFrame({f"c{i}": [1.0] for i in range(40)})
    with pytest.raises(DataError, match=r"'c29', \.\.\. \(40 columns\)\.$"):
        check_columns(df, date="c0", geo=None, target="c1", channels=["c2", "tv"], controls=[])
    check_roles(date="c0", target=None, channels=["c1"], geo=None, controls=["c2"])
