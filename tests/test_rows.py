"""Tests for mmmkit.rows: how rows and values of the caller's frame are named in messages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmmkit.rows import (
    MAX_LISTED,
    Rows,
    also_note,
    count_note,
    day_text,
    days_list,
    first_true,
    label_text,
    plural,
    value_text,
    weeks_text,
)


def test_rows_name_date_geo_and_index_label_once_known():
    rows = Rows(pd.Index([100, "b", np.int64(57)], dtype=object))
    assert rows.at(0) == "row index 100"
    assert rows.at(1) == "row index 'b'"
    rows.dates = pd.to_datetime(["2021-03-08", "2021-03-15", "2021-03-22"]).to_numpy()
    assert rows.at(2) == "row date=2021-03-22 (index 57)"
    assert rows.at(2, with_date=False) == "row index 57"
    rows.geos = np.array(["Geo1", "Geo2", "Geo3"], dtype=object)
    assert rows.at(2) == "row date=2021-03-22, geo=Geo3 (index 57)"
    assert rows.at(0, with_date=False) == "row geo=Geo1 (index 100)"
    assert rows.date_note == ""


def test_values_and_labels_are_written_as_the_analyst_types_them():
    assert day_text(np.datetime64("2021-03-08T13:45")) == "2021-03-08"
    assert day_text(pd.Timestamp("2021-03-08").asm8) == "2021-03-08"
    assert label_text("a") == "'a'" and label_text(np.int64(57)) == "57"
    assert value_text(np.float64(-120.0)) == "-120.0" and value_text("1,200") == "'1,200'"


def test_counts_plurals_and_notes():
    assert count_note(np.array([True, False])) == ""
    assert count_note(np.array([True, False, True, True])) == " (3 rows in all)"
    assert first_true(np.array([False, False, True, True])) == 2
    assert also_note([]) == "" and also_note(["a", 1]) == " (also in 'a', 1)"
    assert plural(1, "week") == "1 week" and plural(0, "geo") == "0 geos"


def test_week_lists_are_cut_after_max_listed():
    days = pd.date_range("2021-03-08", periods=MAX_LISTED + 2, freq="7D").to_numpy()
    assert weeks_text(days[:1]) == "week 2021-03-08"
    assert weeks_text(days[:2]) == "2 weeks (2021-03-08, 2021-03-15)"
    listed = days_list(days)
    assert listed.endswith(", ...") and listed.count(",") == MAX_LISTED
    assert weeks_text(days).startswith(f"{MAX_LISTED + 2} weeks (2021-03-08, ")
