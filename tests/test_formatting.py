"""mmmkit.formatting: how levels, intervals, currencies, periods and numbers read.

No fitted model needed: a stand-in with ``fitted_data()`` is enough for the labels.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmkit import formatting as fmt
from mmmkit import stats


def _model(geo="geo", geos=("north", "south", "east")):
    data = SimpleNamespace(dates=pd.date_range("2021-01-04", periods=10, freq="W-MON"),
                           geos=list(geos))
    return SimpleNamespace(geo=geo, fitted_data=lambda: data)


def test_levels_and_intervals():
    assert fmt.level(0.9) == "90%"
    assert fmt.level(0.895) == "89.5%"
    assert fmt.interval_label(0.8) == "80% credible interval"
    assert fmt.interval_label(0.5, "predictive") == "50% predictive interval"


def test_currency_labels():
    model = SimpleNamespace()
    assert fmt.currency_label(model, None) == "currency units"
    assert fmt.currency_label(model, "EUR") == "EUR"
    assert fmt.per_currency(model, None) == "currency unit"
    assert fmt.per_currency(SimpleNamespace(currency="USD"), None) == "USD"


def test_period_and_geo_label():
    model = _model()
    assert fmt.period(model) == "04 Jan 2021 – 08 Mar 2021"
    assert fmt.geo_label(model, ["north", "south", "east"]) == "total over 3 geos"
    assert fmt.geo_label(model, ["south"]) == "geo south"
    assert fmt.geo_label(model, ["north", "east"]) == "total over 2 of 3 geos"
    assert fmt.geo_label(_model(geo=None, geos=["all"]), ["all"]) == "national"


def test_numbers():
    assert fmt.number(1234567.4) == "1,234,567"
    assert fmt.number(-0.2) == "0"  # no "-0"
    assert fmt.number(1.23456, 2) == "1.23"
    assert fmt.number(float("nan")) == fmt.number(None) == "—"
    assert fmt.money(1234.0, "EUR") == "EUR 1,234"
    assert fmt.money(-1234.0, "$") == "-$1,234"
    assert fmt.money(1234.0, None) == "1,234"
    assert fmt.percent(0.1234) == "12.3%"
    assert fmt.percent(0.5, 0) == "50%"
    assert fmt.percent(float("nan")) == "—"
    assert fmt.signed(1234.4) == "+1,234"
    assert fmt.signed(-0.3) == fmt.signed(0.2) == "±0"


def test_flat_puts_draws_first():
    values = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    da = xr.DataArray(values, dims=("chain", "draw", "channel")).transpose("channel", ...)
    np.testing.assert_array_equal(fmt.flat(da), values.reshape(6, 4))


def test_band_is_the_stats_interval():
    draws = np.random.default_rng(0).normal(size=(400, 5))
    mean, lower, upper = fmt.band(draws, 0.8)
    lo, hi = stats.interval(draws, 0.8)
    np.testing.assert_array_equal(mean, draws.mean(axis=0))
    np.testing.assert_array_equal(lower, lo)
    np.testing.assert_array_equal(upper, hi)
    # the same numbers np.quantile gives at the equal-tailed levels
    np.testing.assert_array_equal(lower, np.quantile(draws, (1 - 0.8) / 2, axis=0))
    with pytest.raises(ValueError, match="prob"):
        fmt.band(draws, 1.5)
