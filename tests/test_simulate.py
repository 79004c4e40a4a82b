"""The simulator: shapes, determinism, realism of spend, and consistency of the true ROAS."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmmkit import GeometricAdstock, WeibullAdstock
from mmmkit.scaling import spend_scale
from mmmkit.simulate import SCENARIOS, SimulatedData, scenario, simulate


@pytest.fixture(scope="module")
def national() -> SimulatedData:
    return simulate(n_geos=1, n_weeks=104, n_channels=4, n_controls=2, seed=3)


@pytest.fixture(scope="module")
def panel() -> SimulatedData:
    return simulate(n_geos=6, n_weeks=80, n_channels=5, n_controls=1, seed=4)


# -- shapes and names --------------------------------------------------------------------------
def test_national_shapes_and_columns(national):
    sim = national
    assert list(sim.data.columns) == [
        "date",
        "sales",
        "tv",
        "search",
        "social",
        "display",
        "control_1",
        "control_2",
    ]
    assert len(sim.data) == 104
    assert sim.geo is None and sim.geos == ["all"]
    assert sim.spend.shape == (1, 104, 4)
    assert sim.contributions.dims == ("date", "geo", "channel")
    assert sim.contributions.shape == (104, 1, 4)
    assert sim.baseline.dims == ("date", "geo") and sim.baseline.shape == (104, 1)
    assert (sim.data["date"].dt.day_of_week == 0).all()
    assert sim.data["date"].is_monotonic_increasing
    assert sim.model_kwargs() == {
        "date": "date",
        "target": "sales",
        "channels": ["tv", "search", "social", "display"],
        "geo": None,
        "controls": ["control_1", "control_2"],
    }


def test_panel_shapes_and_columns(panel):
    sim = panel
    assert list(sim.data.columns) == [
        "date",
        "geo",
        "sales",
        "tv",
        "search",
        "social",
        "display",
        "radio",
        "control_1",
    ]
    assert len(sim.data) == 6 * 80
    assert sim.geo == "geo"
    assert sim.geos == [f"geo_0{g}" for g in range(6)]
    # sorted by geo, then date
    expected = sim.data.sort_values(["geo", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(sim.data, expected)
    assert sim.data.groupby("geo").size().eq(80).all()
    assert sim.spend.shape == (6, 80, 5)
    assert sim.contributions.shape == (80, 6, 5)
    assert list(sim.contributions["geo"].values) == sim.geos
    assert list(sim.contributions["channel"].values) == sim.channels
    # frame columns and the spend array agree
    for c, name in enumerate(sim.channels):
        np.testing.assert_array_equal(sim.data[name].to_numpy(), sim.spend[:, :, c].ravel())
    assert sim.params["effect"].shape == (6, 5)
    assert sim.params["level"].shape == (6,)
    assert sim.params["spend_scale"].shape == (6, 5)
    np.testing.assert_allclose(sim.params["spend_scale"], spend_scale(sim.spend))
    assert sim.model_kwargs()["geo"] == "geo"


def test_no_controls():
    sim = simulate(n_geos=2, n_weeks=30, n_channels=2, n_controls=0)
    assert sim.controls == []
    assert list(sim.data.columns) == ["date", "geo", "sales", "tv", "search"]


# -- determinism ------------------------------------------------------------------------------
def test_same_seed_same_data_and_different_seed_differs():
    a = simulate(n_geos=3, n_weeks=52, n_channels=3, seed=11)
    b = simulate(n_geos=3, n_weeks=52, n_channels=3, seed=11)
    c = simulate(n_geos=3, n_weeks=52, n_channels=3, seed=12)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_series_equal(a.roas, b.roas)
    assert not np.allclose(a.data["sales"], c.data["sales"])
    assert not np.allclose(a.spend, c.spend)


# -- data sanity and realism ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["national", "panel"])
def test_values_are_clean(name, request):
    sim = request.getfixturevalue(name)
    assert not sim.data.isna().any().any()
    assert (sim.spend >= 0).all()
    assert (sim.spend.sum(axis=(0, 1)) > 0).all()
    # every geo spends on every channel, and the plans have some dark weeks
    assert (sim.spend.sum(axis=1) > 0).all()
    assert (sim.spend == 0).any()
    assert (sim.data["sales"] > 0).all()


def test_media_share_and_roas_ranges(panel, national):
    for sim in (panel, national):
        media = sim.contributions.sum().item()
        share = media / sim.data["sales"].sum()
        assert 0.1 < share < 0.6
        assert 0.2 < sim.roas.min() and sim.roas.max() < 10


def test_channels_not_collinear():
    sim = scenario("geo")
    corr = np.corrcoef(sim.spend.sum(axis=0).T)
    off_diagonal = corr[~np.eye(len(sim.channels), dtype=bool)]
    assert np.abs(off_diagonal).max() < 0.8


def test_geo_sizes_vary_and_geos_are_not_copies():
    sim = simulate(n_geos=12, n_weeks=104, n_channels=3, seed=2)
    level = sim.params["level"]
    assert level.max() / level.min() == pytest.approx(10.0)
    # spend scales with geo size
    spend_per_geo = sim.spend.sum(axis=(1, 2))
    assert np.corrcoef(np.log(level), np.log(spend_per_geo))[0, 1] > 0.7
    # a channel's weekly pattern differs across geos
    tv = sim.spend[:, :, 0] / sim.spend[:, :, 0].mean(axis=1, keepdims=True)
    corr = np.corrcoef(tv)
    assert corr[np.triu_indices(12, 1)].mean() < 0.95


# -- the truth is self-consistent -------------------------------------------------------------
def test_roas_at_least_in_period_contribution_over_spend(panel):
    in_period = panel.contributions.sum(("date", "geo")).to_series() / panel.spend.sum((0, 1))
    assert (panel.roas.to_numpy() >= in_period.to_numpy() - 1e-12).all()


@pytest.mark.parametrize("name", ["national", "panel"])
def test_roas_is_lift_of_switching_a_channel_off(name, request):
    sim = request.getfixturevalue(name)
    for c, channel in enumerate(sim.channels):
        alt = sim.spend.copy()
        alt[:, :, c] = 0.0
        lift = sim.true_lift(alt)
        total_spend = sim.spend[:, :, c].sum()
        np.testing.assert_allclose(lift[channel], -sim.roas[channel] * total_spend, rtol=1e-9)
        others = lift.drop([channel, "total"])
        np.testing.assert_allclose(others.to_numpy(), 0.0, atol=1e-9)
        assert lift["total"] == pytest.approx(lift[channel], rel=1e-12)


def test_true_lift_reference_and_sign(panel):
    more = panel.spend * 1.2
    up = panel.true_lift(more)
    down = panel.true_lift(panel.spend, spend_ref=more)
    assert (up.drop("total") > 0).all()
    np.testing.assert_allclose(up.to_numpy(), -down.to_numpy(), rtol=1e-12)
    assert panel.true_lift(panel.spend).abs().max() == 0.0


def test_contributions_match_expected_media(panel):
    media = panel.expected_media(panel.spend)
    T = len(panel.dates)
    assert media.shape == (6, T + panel.max_lag - 1, 5)
    np.testing.assert_allclose(
        panel.contributions.transpose("geo", "date", "channel").to_numpy(), media[:, :T, :]
    )
    # the carryover tail exists and fades out
    assert (media[:, T:, :] >= 0).all()
    assert media[:, T:, :].sum() > 0


def test_sales_are_baseline_plus_media_plus_noise(panel):
    T = len(panel.dates)
    expected = panel.baseline + panel.contributions.sum("channel")
    sales = xr.DataArray(
        panel.data["sales"].to_numpy().reshape(len(panel.geos), T).T,
        dims=("date", "geo"),
        coords=expected.coords,
    )
    resid = (sales - expected) / xr.DataArray(panel.params["noise_sd"], dims="geo")
    assert abs(float(resid.mean())) < 0.2
    assert 0.8 < float(resid.std()) < 1.2


def test_expected_media_uses_the_actual_spend_scale():
    sim = simulate(n_geos=1, n_weeks=60, n_channels=2, seed=5)
    # doubling spend must raise the contribution: it is not rescaled by its own mean
    doubled = sim.expected_media(sim.spend * 2).sum(axis=(0, 1))
    actual = sim.expected_media(sim.spend).sum(axis=(0, 1))
    assert (doubled > actual).all()
    # a national series accepts (T, C) plans
    np.testing.assert_allclose(sim.expected_media(sim.spend[0]), sim.expected_media(sim.spend))
    with pytest.raises(ValueError, match="shape"):
        sim.expected_media(np.zeros((2, 60, 2)))
    with pytest.raises(ValueError, match=">= 0"):
        sim.expected_media(-sim.spend)


def test_effect_matches_definition(panel):
    p = panel.params
    assert p["effect"].shape == (6, 5)
    z = np.log(p["effect"] / (p["level"][:, None] * p["share"][None, :])) / p["pooling_sd"]
    assert np.isfinite(z).all()
    np.testing.assert_allclose(p["noise_sd"], 0.05 * p["level"])


# -- transform kinds ---------------------------------------------------------------------------
@pytest.mark.parametrize("adstock", ["geometric", "delayed", "weibull"])
@pytest.mark.parametrize("saturation", ["hill", "logistic", "michaelis_menten"])
def test_each_transform_kind(adstock, saturation):
    sim = simulate(n_geos=3, n_weeks=60, n_channels=4, adstock=adstock, saturation=saturation)
    assert sim.adstock.kind == adstock
    assert sim.saturation.kind == saturation
    assert set(sim.params["adstock"]) == set(sim.adstock.param_names)
    assert set(sim.params["saturation"]) == set(sim.saturation.param_names)
    for value in (*sim.params["adstock"].values(), *sim.params["saturation"].values()):
        assert value.shape == (4,)
    assert not sim.data.isna().any().any()
    assert 0.1 < sim.params["media_share"] < 0.6
    assert (sim.roas > 0.2).all() and (sim.roas < 10).all()
    contrib = sim.contributions.transpose("geo", "date", "channel").to_numpy()
    np.testing.assert_allclose(contrib, sim.expected_media(sim.spend)[:, :60, :])


def test_parameter_ranges():
    sim = simulate(n_channels=10, seed=7)
    alpha = sim.params["adstock"]["alpha"]
    assert ((alpha >= 0.1) & (alpha <= 0.7)).all()
    k = sim.params["saturation"]["half_saturation"]
    assert ((k >= 0.6) & (k <= 2.0)).all()
    # long-carryover channels (tv) decay slower than short ones (search)
    assert alpha[0] > alpha[1]


def test_transform_instances_are_kept():
    adstock = WeibullAdstock(max_lag=6, kind="cdf")
    sim = simulate(n_weeks=40, adstock=adstock)
    assert sim.adstock is adstock and sim.max_lag == 6
    assert sim.expected_media(sim.spend).shape == (1, 45, 3)
    sim = simulate(n_weeks=40, adstock=GeometricAdstock(max_lag=1))
    assert sim.expected_media(sim.spend).shape == (1, 40, 3)


# -- argument checks ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_channels": 11}, "n_channels"),
        ({"n_channels": 0}, "n_channels"),
        ({"n_geos": 0}, "n_geos"),
        ({"adstock": "hill"}, "adstock"),
        ({"saturation": "geometric"}, "saturation"),
        ({"media_share": 1.0}, "media_share"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(**kwargs)


# -- presets ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_preset_builds(name):
    start = time.perf_counter()
    sim = scenario(name)
    elapsed = time.perf_counter() - start
    spec = SCENARIOS[name]
    G, T, C = spec["n_geos"], spec["n_weeks"], spec["n_channels"]
    assert sim.spend.shape == (G, T, C)
    assert len(sim.data) == G * T
    assert (sim.geo is None) == (G == 1)
    assert elapsed < 5.0
    corr = np.corrcoef(sim.spend.sum(axis=0).T)
    assert np.abs(corr[~np.eye(C, dtype=bool)]).max() < 0.8


def test_unknown_scenario_lists_names():
    with pytest.raises(ValueError, match="panel-small"):
        scenario("nope")


def test_scenario_seed():
    a, b = scenario("panel-small", seed=0), scenario("panel-small", seed=1)
    assert not a.data.equals(b.data)
    pd.testing.assert_frame_equal(a.data, scenario("panel-small", seed=0).data)
