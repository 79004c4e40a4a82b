"""contribution_summary: the contributions' summary without holding every draw."""

from __future__ import annotations

import numpy as np
import pytest

from mmmkit.stats import summarize
from mmmkit.summaries import STATS, contribution_summary


def _from_draws(model, prob, by_week=True):
    """The summary the direct way: every draw of contributions(), then summarize()."""
    da = model.contributions()
    if not by_week:
        da = da.sum("date")
    flat = da.stack(sample=("chain", "draw")).transpose("sample", ...)
    return summarize(flat.values, prob), flat


@pytest.mark.parametrize("block_elements", [10**9, 1])  # one block; one geo per block
def test_panel_summary_equals_the_summary_of_all_draws(panel_fit, block_elements):
    expected, flat = _from_draws(panel_fit, 0.8)
    table = contribution_summary(panel_fit, prob=0.8, block_elements=block_elements)
    assert list(table.columns) == list(STATS)
    assert table.index.names == ["date", "geo", "channel"]
    assert len(table) == flat["date"].size * flat["geo"].size * flat["channel"].size
    assert table.attrs["prob"] == 0.8 and "per week" in table.attrs["units"]
    for name in STATS:  # contributions() is (date, geo, channel) in row-major order
        np.testing.assert_allclose(table[name].to_numpy(), expected[name].ravel(),
                                   rtol=1e-12, atol=1e-9)
    first = table.index[0]
    assert first == (flat["date"].values[0], flat["geo"].values[0], flat["channel"].values[0])


def test_period_totals_of_a_panel_and_a_national_model(panel_fit, national_fit):
    expected, _ = _from_draws(panel_fit, 0.9, by_week=False)
    table = contribution_summary(panel_fit, by_week=False, block_elements=1)
    assert table.index.names == ["geo", "channel"]
    np.testing.assert_allclose(table["median"].to_numpy(), expected["median"].ravel(),
                               rtol=1e-12)
    expected, _ = _from_draws(national_fit, 0.9)
    table = contribution_summary(national_fit)
    assert table.index.names == ["date", "channel"]
    for name in STATS:
        np.testing.assert_allclose(table[name].to_numpy(), expected[name].ravel(),
                                   rtol=1e-12, atol=1e-9)
    with pytest.raises(ValueError, match="block_elements"):
        contribution_summary(national_fit, block_elements=0)
