"""Tests for mmmkit.informative: columns that leave nothing to estimate, and negative targets."""

from __future__ import annotations

import pytest

from weekly_frames import NATIONAL, PANEL, fails, national, ok, panel

# ------------------------------------------------------------------------------------------------
# 12, 14: columns without information
# ------------------------------------------------------------------------------------------------


def test_channel_without_spend():
    df = national()
    df["radio"] = 0.0
    fails(df, r"channel 'radio' has no spend at all \(all 8 rows are 0\).*drop it", **NATIONAL)
    ok(df, **NATIONAL, require_spend=False)


def test_constant_control():
    df = national()
    df["price"] = 3.0
    fails(
        df, r"control 'price' is constant \(every row is 3.0\).*drop it from controls", **NATIONAL
    )


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
