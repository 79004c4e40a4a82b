"""data_changes: weeks, geos and columns added or removed, and every revised value, exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmmkit.design import ModelData
from mmmkit.revisions import data_changes


def _data(weeks: int, geos=("north", "south"), controls=("price",), start="2024-01-01", seed=0):
    rng = np.random.default_rng(seed)
    g, k = len(geos), len(controls)
    return ModelData(dates=pd.date_range(start, periods=weeks, freq="7D"), geos=list(geos),
                     channels=["tv", "search"], controls=list(controls),
                     spend=rng.uniform(0, 100, (g, weeks, 2)),
                     target=rng.uniform(500, 900, (g, weeks)),
                     control_values=rng.normal(size=(g, weeks, k)))


def test_added_weeks_and_revised_cells_are_listed_with_old_and_new_values():
    old = _data(20)
    new = _data(26)
    new.spend[:, :20] = old.spend
    new.target[:, :20] = old.target
    new.control_values[:, :20] = old.control_values
    new.spend[1, 3, 0] += 5.0            # tv, south, week 3
    new.target[0, 7] *= 1.1              # sales, north, week 7
    new.control_values[0, 19, 0] = -9.0  # price, north, last shared week
    new.target[1, 2] *= 1 + 1e-12        # round-off: not a revision
    changes = data_changes(old, new, old_target="sales", new_target="sales")
    assert list(changes.weeks_added) == list(new.dates[20:])
    assert len(changes.weeks_removed) == 0 and not changes.unchanged
    got = changes.revised
    assert list(got.columns) == ["date", "geo", "column", "old", "new"]
    assert list(zip(got["column"], got["geo"], got["date"], strict=True)) == [
        ("price", "north", old.dates[19]), ("sales", "north", old.dates[7]),
        ("tv", "south", old.dates[3])]
    assert got.loc[got["column"] == "tv", "new"].item() == \
        got.loc[got["column"] == "tv", "old"].item() + 5.0


def test_geos_columns_and_removed_weeks():
    old = _data(20, geos=("north", "south"), controls=("price", "promo"))
    new = _data(20, geos=("north", "west"), controls=("price",), start="2024-01-15")
    changes = data_changes(old, new)
    assert changes.geos_added == ["west"] and changes.geos_removed == ["south"]
    assert changes.columns_added == [] and changes.columns_removed == ["promo"]
    assert list(changes.weeks_removed) == list(old.dates[:2])
    assert list(changes.weeks_added) == list(new.dates[-2:])


def test_the_same_data_are_unchanged():
    data = _data(12)
    assert data_changes(data, data).unchanged
