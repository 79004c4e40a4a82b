"""Tests for mmmkit.validation: the cleaned frame, the call itself, and frame_to_arrays.

The checks themselves are tested next to the modules that hold them (test_columns, test_dates,
test_cells, test_weeks, test_informative), all through validate_frame and the helpers of
weekly_frames, which assert that the caller's frame is left exactly as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmmkit.errors import DataError
from mmmkit.validation import frame_to_arrays
from weekly_frames import NATIONAL, PANEL, fails, national, ok, panel

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


def test_min_weeks_and_no_spend_advice_can_be_the_callers():
    df = national()
    msg = fails(df, r"at least 20 are needed: give more weeks\.$", **NATIONAL, min_weeks=20,
                hints={"min_weeks": "give more weeks"})
    assert "min_weeks" not in msg
    df["radio"] = 0.0
    msg = fails(df, r"no spend at all .*; drop it from the MMM\.$", **NATIONAL,
                hints={"no_spend": "drop it from the MMM"})
    assert "require_spend" not in msg


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
