"""mmmkit.reading: what the presentation layer selects and reads, on stand-in models.

The selection rules (geos, channels, parameter names) are the same in every chart; the
memo computes a model quantity once per report; plans and results are read the same way by
the charts and the report. Fitted-model behaviour is covered in test_plots.py/test_report.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmkit import reading


class _Model:
    """Three geos, two channels; counts calls of ``contributions``."""

    geo = "geo"
    idata = object()

    def __init__(self):
        self.channels = ["tv", "search"]
        self.calls = 0
        spend = np.arange(3 * 4 * 2, dtype=float).reshape(3, 4, 2)  # (geo, week, channel)
        self.data = SimpleNamespace(geos=["north", "south", "east"], spend=spend)

    def fitted_data(self):
        return self.data

    def contributions(self):
        self.calls += 1
        return self.calls


def test_read_is_memoized_only_inside_memoize():
    model = _Model()
    assert reading.read(model, "contributions") == 1
    assert reading.read(model, "contributions") == 2
    with reading.memoize():
        first = reading.read(model, "contributions")
        with reading.memoize():  # nested: the same memo
            assert reading.read(model, "contributions") == first
        assert reading.read(model, "contributions") == first
    assert reading.read(model, "contributions") == first + 1


def test_read_memoizes_mapping_arguments():
    """A baseline reference may be a mapping: it is memoized by its items, not refused."""
    calls = []

    class Model:
        idata = object()

        def baseline(self, reference="mean"):
            calls.append(reference)
            return len(calls)

    model = Model()
    with reading.memoize():
        assert reading.read(model, "baseline", {"price": 1.0}) == 1
        assert reading.read(model, "baseline", {"price": 1.0}) == 1
        assert reading.read(model, "baseline", {"price": 2.0}) == 2
        assert reading.read(model, "baseline", "min") == 3
        assert reading.read(model, "baseline", ["not", "hashable"]) == 4  # computed, not kept
        assert reading.read(model, "baseline", ["not", "hashable"]) == 5
    assert calls == [{"price": 1.0}, {"price": 2.0}, "min", ["not", "hashable"],
                     ["not", "hashable"]]


def test_select_geos():
    model = _Model()
    assert reading.select_geos(model, None) == ["north", "south", "east"]
    assert reading.select_geos(model, "south") == ["south"]
    assert reading.select_geos(model, ("east", "north")) == ["east", "north"]
    with pytest.raises(ValueError, match="Unknown geo 'atlantis'"):
        reading.select_geos(model, ["north", "atlantis"])
    with pytest.raises(TypeError, match="keyword-only"):
        reading.select_geos(model, 0.9)  # an old positional prob
    national = SimpleNamespace(geo=None, fitted_data=lambda: SimpleNamespace(geos=["all"]))
    assert reading.select_geos(national, "all") == ["all"]
    with pytest.raises(ValueError, match="national"):
        reading.select_geos(national, "north")


def test_one_string_is_one_channel_or_name():
    model = _Model()
    assert reading.select_channels(model, None) == ["tv", "search"]
    assert reading.select_channels(model, "tv") == ["tv"]  # not ["t", "v"]
    assert reading.select_channels(model, ["search"]) == ["search"]
    with pytest.raises(ValueError, match="Unknown channel 'radio'"):
        reading.select_channels(model, "radio")
    assert reading.select_names("sigma", ["a", "b"]) == ["sigma"]
    assert reading.select_names(None, ["a", "b"]) == ["a", "b"]


def test_renamed_geos():
    assert reading.renamed_geos(["north"], None, "fit") == ["north"]
    with pytest.warns(DeprecationWarning, match=r"fit\(geo=...\) is deprecated; use geos="):
        assert reading.renamed_geos(None, "north", "fit") == "north"
    with pytest.raises(TypeError, match="both"):
        reading.renamed_geos("north", "north", "fit")


def test_sum_geos():
    da = xr.DataArray(np.ones((3, 2)), dims=("geo", "date"),
                      coords={"geo": ["north", "south", "east"]})
    np.testing.assert_array_equal(reading.sum_geos(da, ["north", "east"]).values, [2.0, 2.0])
    national = xr.DataArray(np.ones(2), dims=("date",))
    assert reading.sum_geos(national, ["all"]) is national


def test_actual_spend_and_plans():
    model = _Model()
    spend = reading.actual_spend(model)
    np.testing.assert_array_equal(spend.values, model.data.spend.sum(axis=(0, 1)))
    assert list(spend.index) == ["tv", "search"]
    np.testing.assert_array_equal(reading.actual_spend(model, "south").values,
                                  model.data.spend[1].sum(axis=0))
    with pytest.warns(DeprecationWarning):
        reading.actual_spend(model, geo="south")
    # a plan names channels in any order (missing ones get 0); a Series works as a plan
    plan = SimpleNamespace(allocation=pd.Series({"search": 5.0}),
                           historical=pd.Series({"tv": 1.0, "search": 2.0}))
    assert reading.plan_allocation(model, plan).to_dict() == {"tv": 0.0, "search": 5.0}
    assert reading.plan_reference(model, plan).to_dict() == {"tv": 1.0, "search": 2.0}
    assert reading.plan_allocation(model, pd.Series({"tv": 3.0}))["tv"] == 3.0
    pd.testing.assert_series_equal(reading.plan_reference(model, pd.Series({"tv": 3.0})),
                                   spend, check_names=False)
    with pytest.raises(ValueError, match="not a model channel"):
        reading.plan_allocation(model, pd.Series({"radio": 1.0}))


def test_lift_total_and_summary_frame():
    draws = xr.DataArray(np.arange(2 * 50 * 2, dtype=float).reshape(2, 50, 2),
                         dims=("chain", "draw", "channel"))
    mean, lower, upper = reading.lift_total(SimpleNamespace(lift=SimpleNamespace(draws=draws)),
                                            0.9)
    total = draws.sum("channel").values.ravel()
    assert mean == pytest.approx(total.mean())
    assert (lower, upper) == pytest.approx(tuple(np.quantile(total, [0.05, 0.95])))
    assert reading.lift_total(SimpleNamespace(), 0.9) is None
    # without draws: the summary's "total" row
    table = pd.DataFrame({"mean": [1.0, 3.0], "lower": [0.0, 2.0], "upper": [2.0, 4.0]},
                         index=["tv", "total"])
    result = SimpleNamespace(summary=lambda prob: table)
    assert reading.lift_total(SimpleNamespace(lift=result), 0.9) == (3.0, 2.0, 4.0)
    assert reading.summary_frame(result, 0.9) is table
    assert reading.summary_frame(table, 0.9) is table
    assert reading.summary_frame("text", 0.9) is None
