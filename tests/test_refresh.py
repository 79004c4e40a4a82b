"""MMM.refresh: a simulated national series extended by 13 weeks, refitted with the old
scales, fully or sequentially (the old posterior as prior, only the new weeks in the likelihood)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from conftest import FAST_FIT
from mmmkit.design import ModelData
from mmmkit.io import model_from_config
from mmmkit.refresh import informed_config, moment_prior

FIT = dict(FAST_FIT, seed=1)
NEW_WEEKS = 13
OLD_WEEKS = 143
# slowly changing parameters: what an informed refresh takes from the old posterior
SLOW = ("adstock_alpha", "saturation_slope", "saturation_half_saturation", "channel_effect_mu",
        "seasonality")


@pytest.fixture(scope="module")
def series(national_sim):
    """conftest's national series (156 weeks), its first 143 weeks as last quarter's data:
    the specification of ``national_fit``, so every fit here but the informed one reuses its
    compiled sampler."""
    kwargs = national_sim.model_kwargs()
    dates = sorted(national_sim.data["date"].unique())
    old_df = national_sim.data[national_sim.data["date"] <= dates[OLD_WEEKS - 1]]
    return national_sim.data, old_df.reset_index(drop=True), kwargs


def _fit(model, df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        return model.fit(df, **{**FIT, **kw})


def _quiet(call, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        return call(*args, **kw)


@pytest.fixture(scope="module")
def old(series):
    _, old_df, kwargs = series
    return _fit(mk.MMM(**kwargs), old_df)


@pytest.fixture(scope="module")
def full(old, series):
    return _quiet(old.refresh, series[0])


@pytest.fixture(scope="module")
def informed(old, series):
    return _quiet(old.refresh, series[0], informed=True)


def _sd(model, name):
    return model.idata.posterior[name].std(("chain", "draw")).values.ravel()


def test_full_refresh_is_a_fit_with_the_old_scales_and_leaves_the_old_model(old, full, series):
    df = series[0]
    old_data, new_data = old.fitted_data(), full.fitted_data()
    assert len(new_data.dates) == len(old_data.dates) + NEW_WEEKS
    assert old.fitted_data() is old_data and len(old_data.dates) == OLD_WEEKS  # untouched
    for name in ("spend_scale", "target_scale", "control_mean", "control_sd"):
        np.testing.assert_array_equal(getattr(new_data, name), getattr(old_data, name))
    # the refreshed data's own scales differ: holding them is a real choice
    assert not np.allclose(mk.MMM(**series[2]).prepare(df).spend_scale, old_data.spend_scale)
    assert full.config() == old.config()
    assert full.fit_info_["refresh"] == "full"
    assert full.fit_info_["refreshed_from"] == old.provenance_["data"]["fingerprint"]
    assert full.fit_info_["draws"] == FIT["draws"] and full.fit_info_["seed"] == FIT["seed"]
    # exactly a fit with scales= (same seed, same draws)
    again = _fit(mk.MMM(**series[2]), df, scales=old_data.scales_used())
    np.testing.assert_array_equal(again.idata.posterior["adstock_alpha"].values,
                                  full.idata.posterior["adstock_alpha"].values)


def test_a_refreshed_model_reloads_with_its_scales(full, tmp_path):
    path = tmp_path / "refreshed.nc"
    full.save(path)
    back = mk.MMM.load(path)
    for name in ("spend_scale", "target_scale", "control_mean", "control_sd"):
        np.testing.assert_array_equal(getattr(back.fitted_data(), name),
                                      getattr(full.fitted_data(), name))
    np.testing.assert_allclose(back.roas().to_numpy(), full.roas().to_numpy())
    assert back.fit_info_["refresh"] == "full"


def test_informed_refresh_counts_only_the_new_weeks(old, full, informed, series):
    """The informed posterior is about as wide as the full refit's (the same information),
    while a fit that counts the old weeks again under the informed prior is clearly narrower:
    the check below would catch double counting."""
    assert informed.fit_info_["refresh"] == "informed"
    assert informed.fit_info_["observe_from"] == f"{full.fitted_data().dates[OLD_WEEKS]:%Y-%m-%d}"
    assert informed.lift_tests is None
    # all weeks but the first counted again under the informed prior (observe_from the
    # second week keeps the likelihood's index, so this fit reuses the informed compile)
    ratio = (len(series[0]) - 1) / (OLD_WEEKS - 1)  # as the informed refresh rescales
    twice = _fit(model_from_config(mk.MMM, informed_config(old, span_ratio=ratio)), series[0],
                 scales=old.fitted_data().scales_used(),
                 observe_from=old.fitted_data().dates[1])
    ratio_informed = np.median(np.concatenate(
        [_sd(informed, v) / _sd(full, v) for v in SLOW]))
    ratio_twice = np.median(np.concatenate([_sd(twice, v) / _sd(full, v) for v in SLOW]))
    assert ratio_informed >= 0.88, ratio_informed
    assert ratio_twice <= 0.82, ratio_twice
    # and it agrees with the full refit on the answers
    a, b = informed.roas(), full.roas()
    width = (b["upper"] - b["lower"]).to_numpy()
    assert (np.abs(a["mean"] - b["mean"]).to_numpy() < 0.5 * width).all()


def test_informed_priors_follow_the_old_posterior(old):
    config = informed_config(old)
    post = old.idata.posterior
    alpha = config["adstock"]["tv"]["priors"]["alpha"]
    assert alpha["dist"] == "Beta"  # the original family's support, (0, 1)
    mean = np.asarray(alpha["alpha"]) / (np.asarray(alpha["alpha"]) + np.asarray(alpha["beta"]))
    np.testing.assert_allclose(mean, post["adstock_alpha"].mean(("chain", "draw")), rtol=1e-6)
    assert config["priors"]["channel_effect_mu"]["dist"] == "Normal"
    assert "media_share" not in model_from_config(mk.MMM, config).model_priors
    assert config["lift_tests"] is None


def test_moment_prior_matches_moments_by_support():
    rng = np.random.default_rng(0)
    pos = rng.lognormal(0.5, 0.2, size=(4000, 2))
    p = moment_prior(pos, mk.Prior("HalfNormal", sigma=1.0))
    assert p.dist == "LogNormal"
    np.testing.assert_allclose(p.params["mu"], [0.5, 0.5], atol=0.02)
    unit = rng.beta(3, 5, size=4000)
    b = moment_prior(unit, mk.Prior("Beta", alpha=1, beta=1))
    assert b.dist == "Beta" and b.params["alpha"] == pytest.approx(3, rel=0.1)
    wide = moment_prior(rng.normal(1, 2, size=4000), mk.Prior("Normal", sigma=1), widen=2.0)
    assert wide.params["sigma"] == pytest.approx(4, rel=0.05)
    bounded = moment_prior(rng.uniform(0.2, 0.4, size=4000), mk.Prior("Uniform", lower=0,
                                                                       upper=1))
    assert bounded.dist == "TruncatedNormal" and bounded.params["upper"] == 1


def test_informed_refresh_needs_new_and_unrevised_weeks(old, series):
    df, old_df, _ = series
    with pytest.raises(mk.DataError, match="no week after the previous fit's last one"):
        old.refresh(old_df, informed=True)
    revised = df.copy()
    revised.loc[5, "sales"] *= 1.5
    with pytest.raises(mk.DataError, match=r"column 'sales' on .* revised values"):
        old.refresh(revised, informed=True)
    assert revised.loc[5, "sales"] == df.loc[5, "sales"] * 1.5  # the caller's frame as given
    earlier = df.copy()
    earlier["date"] = earlier["date"] - np.timedelta64(7, "D")  # one week earlier
    with pytest.raises(mk.DataError, match="before the previous fit's first week"):
        old.refresh(earlier, informed=True)


def test_refresh_and_fit_arguments_are_checked_before_fitting(old, series):
    df = series[0]
    with pytest.raises(ValueError, match="informed must be True or False"):
        old.refresh(df, informed="yes")
    with pytest.raises(ValueError, match="refresh sets scales= itself"):
        old.refresh(df, scales=old.fitted_data().scales_used())
    model = mk.MMM(**series[2])
    with pytest.raises(ValueError, match=r"observe_from=.* after the last week"):
        model.fit(df, observe_from="2100-01-01", **FIT)
    with pytest.raises(ValueError, match="observe_from must be a date"):
        model.fit(df, observe_from=[1, 2], **FIT)
    assert model.idata is None


def test_scales_must_match_the_data_layout(old, series):
    data = old.fitted_data()
    scales = data.scales_used()
    with pytest.raises(ValueError, match="fixed scales need the same channels"):
        ModelData(dates=data.dates, geos=data.geos, channels=data.channels[::-1],
                  controls=data.controls, spend=data.spend, target=data.target,
                  control_values=data.control_values, scales=scales)
