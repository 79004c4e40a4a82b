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


def test_units_come_from_the_model():
    plain = SimpleNamespace(target="sales", kpi_label="sales", kpi_is_revenue=False,
                            currency=None)
    conversions = SimpleNamespace(target="y", kpi_label="conversions", kpi_is_revenue=False,
                                  currency="EUR")
    revenue = SimpleNamespace(target="revenue", kpi_label="EUR", kpi_is_revenue=True,
                              currency="EUR")
    assert fmt.kpi_label(conversions) == "conversions"
    assert fmt.kpi_label(SimpleNamespace(target="sales")) == "sales"  # no kpi_label: the name
    assert fmt.roas_unit(plain, None) == "sales per currency unit"
    assert fmt.roas_unit(conversions, None) == "conversions per EUR"  # the model's currency
    assert fmt.roas_unit(conversions, "$") == "conversions per $"  # the caller's wins
    assert fmt.currency_label(conversions, None) == "EUR"
    assert fmt.is_revenue(revenue) and not fmt.is_revenue(conversions)
    assert not fmt.is_revenue(SimpleNamespace())
    assert fmt.cpa_label(conversions, None) == "Cost per conversion (EUR)"
    assert fmt.cpa_label(plain, None) == "Cost per sale (currency units)"
    for label, one in (("sales", "sale"), ("new customers", "new customer"), ("EUR", "EUR"),
                       ("business", "business"), ("units", "unit")):
        assert fmt.one_kpi(SimpleNamespace(kpi_label=label)) == one


def test_column_labels_are_words():
    assert fmt.column_label("mean", prob=0.9) == "Mean"
    assert fmt.column_label("median", prob=0.9) == "Median"
    assert fmt.column_label("lower", prob=0.8) == "80% interval, low"
    assert fmt.column_label("upper", prob=0.9) == "90% interval, high"
    assert fmt.column_label("prob_positive", prob=0.9) == "Chance of an increase"
    assert fmt.column_label("spend_change", prob=0.9) == "Spend change"
    assert fmt.column_label("at_lower_bound", prob=0.9) == "At lower bound (share of draws)"
    assert fmt.column_label("at_upper_bound", prob=0.9) == "At upper bound (share of draws)"
    assert fmt.column_label("reading", prob=0.9) == "Reading"
    assert fmt.column_label("actual spend", prob=0.9) == "Actual spend"
    assert fmt.column_label("channel", prob=0.9) == "Channel"


def test_table_html_renames_only_the_rendering():
    frame = pd.DataFrame({"mean": [1234.5], "lower": [1000.0], "upper": [1500.0],
                          "prob_positive": [0.93], "spend_change": [2500.0],
                          "reading": ["held at <its> bound"]},
                         index=pd.Index(["tv"], name="channel"))
    page = fmt.table_html(frame, prob=0.8, money_cols=("spend_change",), currency="EUR")
    for header in ("Channel", "Mean", "80% interval, low", "80% interval, high",
                   "Chance of an increase", "Spend change", "Reading"):
        assert f"<th>{header}</th>" in page
    assert "<td>1,234</td>" in page or "<td>1,235</td>" in page
    assert "<td>93%</td>" in page and "<td>EUR 2,500</td>" in page
    assert "held at &lt;its&gt; bound" in page  # text is escaped
    assert list(frame.columns) == ["mean", "lower", "upper", "prob_positive", "spend_change",
                                   "reading"]  # the frame itself is unchanged
    frame.attrs["prob"] = 0.9  # a frame that knows its own level is labelled with it
    assert "90% interval, low" in fmt.table_html(frame, prob=0.8)
    assert fmt.with_interval({"mean": 1.5, "lower": 1.0, "upper": 2.0},
                             lambda v: f"{v:.1f}", prob=0.9) == (
        "<b>1.5</b><br><span class='ci'>90%: 1.0 to 2.0</span>")
    assert fmt.ratio(1.234) == "1.23" and fmt.ratio(np.inf) == "∞"
    assert fmt.ratio(np.nan) == "—"


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


def test_compact():
    assert fmt.compact(1_234_567) == "1.23M"
    assert fmt.compact(1_200_000) == "1.2M"
    assert fmt.compact(350_000) == "350k"
    assert fmt.compact(999_999) == "1M"  # rounded first, not "1e+03k"
    assert fmt.compact(2_500_000_000) == "2.5B"
    assert fmt.compact(-45_000) == "-45k"
    assert fmt.compact(12.5) == "12.5" and fmt.compact(0.0) == fmt.compact(-0.0) == "0"
    assert fmt.compact(float("nan")) == "—"


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
