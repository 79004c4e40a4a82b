"""Calibration with experiments and ROAS priors, against a known truth.

The data make one channel weakly identified: ``social`` spends almost in lockstep with
``search``, so the data alone cannot split credit between them. An experiment on ``social`` (a
lift test) or a prior on its ROAS must then move its estimate — towards the truth when the
information is right.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from mmmkit.calibration import validate_lift_tests
from mmmkit.review import review

FIT = dict(draws=400, tune=400, chains=2, seed=11, progress=False)


class Collinear:
    """A simulation whose ``social`` spend tracks ``search``, with target and truth rebuilt."""

    def __init__(self, seed: int = 2):
        sim = mk.simulate.simulate(n_geos=1, n_weeks=130, n_channels=3, seed=seed, noise=0.03)
        rng = np.random.default_rng(seed)
        a, b = sim.channels.index("search"), sim.channels.index("social")
        spend = sim.spend.copy()
        ratio = spend[..., b].sum() / spend[..., a].sum()
        spend[..., b] = spend[..., a] * ratio * np.exp(rng.normal(0, 0.05, spend[..., a].shape))
        T = len(sim.dates)
        old = sim.expected_media(sim.spend)[:, :T].sum(-1)
        new = sim.expected_media(spend)[:, :T].sum(-1)
        self.data = sim.data.copy()
        self.data["sales"] = sim.data["sales"].to_numpy() + (new - old)[0]
        self.data["social"] = spend[0, :, b]
        self.sim, self.spend, self.b = sim, spend, b
        self.roas = {}
        for c, ch in enumerate(sim.channels):
            zero = spend.copy()
            zero[..., c] = 0
            self.roas[ch] = -sim.true_lift(zero, spend)[ch] / spend[..., c].sum()

    def lift_test(self, start: int, weeks: int, change: float, measure_extra: int = 4):
        """The true lift of raising social's spend by ``change`` (share) for ``weeks`` weeks."""
        alt = self.spend.copy()
        window = slice(start, start + weeks)
        alt[:, window, self.b] *= 1 + change
        T = len(self.sim.dates)
        diff = (self.sim.expected_media(alt) - self.sim.expected_media(self.spend))[:, :T]
        end_measure = start + weeks + measure_extra
        lift = diff[:, start:end_measure, self.b].sum()
        dates = self.sim.dates
        return pd.DataFrame({
            "channel": ["social"], "start": [dates[start]], "end": [dates[start + weeks - 1]],
            "measure_end": [dates[end_measure - 1]],
            "spend_change": [self.spend[:, window, self.b].sum() * change],
            "lift": [lift], "lift_se": [0.1 * abs(lift)],
        })


@pytest.fixture(scope="module")
def collinear():
    return Collinear()


def _fit(data, **kwargs):
    lift_tests = kwargs.pop("lift_tests", None)
    model = mk.MMM(**collinear_kwargs(), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(data, lift_tests=lift_tests, **FIT)
    return model


def collinear_kwargs():
    return dict(date="date", target="sales", channels=["tv", "search", "social"],
                controls=["control_1"])


@pytest.fixture(scope="module")
def uncalibrated(collinear):
    return _fit(collinear.data)


def _social(model, truth):
    row = model.roas().loc["social"]
    return abs(row["mean"] / truth - 1), row["upper"] - row["lower"], row


def test_the_review_flags_the_collinear_pair_before_calibration(uncalibrated):
    flags = review(uncalibrated).flags
    pair = flags[(flags["topic"] == "collinearity") & flags["channel"].str.contains("search")
                 & flags["channel"].str.contains("social")]
    assert len(pair) >= 1 and (pair["severity"] == "problem").all()
    assert "tv" not in " ".join(flags.loc[flags["topic"] == "collinearity", "channel"])


def test_a_lift_test_sharpens_a_weakly_identified_channel(collinear, uncalibrated):
    truth = collinear.roas["social"]
    error_before, width_before, _ = _social(uncalibrated, truth)
    # a go-dark experiment (8 weeks paused, 4 more measured): it measures the whole effect of
    # the spend removed, which is what ROAS is about (a +x% test would measure the slope)
    tests = collinear.lift_test(start=40, weeks=8, change=-1.0)
    calibrated = _fit(collinear.data, lift_tests=tests)
    error_after, width_after, row = _social(calibrated, truth)
    model_lift = calibrated.idata.posterior["lift_test_model"].mean().item()
    print(f"\nsocial ROAS truth {truth:.3f}: before error {error_before:.2f} width "
          f"{width_before:.2f}; after error {error_after:.2f} width {width_after:.2f}; "
          f"lift measured {tests['lift'].iloc[0]:,.0f} model {model_lift:,.0f}")
    assert width_after < 0.7 * width_before
    assert error_after < error_before or error_after < 0.05
    assert row["lower"] <= truth <= row["upper"]
    # the model reproduces the experiment it was given, within its standard error
    assert abs(model_lift - tests["lift"].iloc[0]) < 2 * tests["lift_se"].iloc[0]


def test_a_right_roas_prior_lands_near_the_truth_and_a_wrong_one_pulls(collinear, uncalibrated):
    truth = collinear.roas["social"]
    right = _fit(collinear.data, roas_priors={
        "social": mk.Prior("LogNormal", mu=float(np.log(truth)), sigma=0.1)})
    row = right.roas().loc["social"]
    assert abs(row["mean"] / truth - 1) < 0.1
    assert "channel_roas" in right.idata.posterior
    # ROAS as the parameter means the same thing as model.roas(): they agree draw by draw
    np.testing.assert_allclose(
        right.idata.posterior["channel_roas"].sel(roas_channel="social").values,
        right.roas_draws().sel(channel="social").values, rtol=1e-8)

    wrong_centre = 3.0 * truth
    wrong = _fit(collinear.data, roas_priors={
        "social": mk.Prior("LogNormal", mu=float(np.log(wrong_centre)), sigma=0.1)})
    # another ROAS prior's numbers are data: the same compiled sampler
    assert wrong.fit_info_["compile_seconds"] < 0.2 * right.fit_info_["compile_seconds"]
    pulled = wrong.roas().loc["social", "mean"]
    free = uncalibrated.roas().loc["social", "mean"]
    # visibly pulled towards the wrong prior, away from where the data alone put it
    assert pulled > 1.5 * truth and abs(pulled - wrong_centre) < abs(free - wrong_centre)
    # ... and the review says the data pull against it
    flags = review(wrong).flags
    conflict = flags[(flags["topic"] == "prior conflict") & (flags["channel"] == "social")]
    assert len(conflict) == 1, flags
    assert not review(right).flags["topic"].eq("prior conflict").any()


def test_lift_test_table_is_checked():
    with pytest.raises(mk.DataError, match="lift_se"):
        validate_lift_tests(pd.DataFrame({"channel": ["tv"], "start": ["2021-01-04"],
                                          "end": ["2021-01-11"], "spend_change": [100.0],
                                          "lift": [50.0], "lift_se": [0.0]}), ["tv"], None)
    with pytest.raises(mk.DataError, match="not one of the model's channels"):
        validate_lift_tests(pd.DataFrame({"channel": ["radio"], "start": ["2021-01-04"],
                                          "end": ["2021-01-11"], "spend_change": [100.0],
                                          "lift": [50.0], "lift_se": [5.0]}), ["tv"], None)
    with pytest.raises(mk.DataError, match="column 'start' is missing"):
        validate_lift_tests(pd.DataFrame({"channel": ["tv"]}), ["tv"], None)


def test_roas_priors_must_share_a_family():
    with pytest.raises(ValueError, match="same distribution"):
        mk.MMM("date", "y", ["a", "b"], roas_priors={
            "a": mk.Prior("LogNormal", mu=0, sigma=1), "b": mk.Prior("Gamma", mu=1, sigma=1)})
    with pytest.raises(ValueError, match="not channels"):
        mk.MMM("date", "y", ["a"], roas_priors={"z": mk.Prior("LogNormal", mu=0, sigma=1)})


class _PlainHill(mk.HillSaturation):
    """Hill computed by its own code, not the fused kernel (a subclass inherits no kernel)."""


@pytest.mark.parametrize("saturation", [mk.HillSaturation(), _PlainHill()],
                         ids=["kernel", "own-code"])
def test_the_graphs_experiment_lift_is_the_engines_on_the_same_draws(national_sim, saturation):
    """The likelihood's model lift for an experiment equals the numpy engine's difference in
    expected target over the test's measurement window, spend changed in proportion."""
    import pymc as pm

    from mmmkit.posterior import PosteriorEngine

    dates = pd.to_datetime(national_sim.data[national_sim.date]).reset_index(drop=True)
    spend = national_sim.data["tv"].to_numpy()
    tests = pd.DataFrame({"channel": ["tv", "tv"], "start": [dates[3], dates[60]],
                          "end": [dates[8], dates[63]], "measure_end": [dates[12], dates[63]],
                          "spend_change": [0.2 * spend[3:9].sum(), -spend[60:64].sum()],
                          "lift": [500.0, -900.0], "lift_se": [100.0, 200.0]})
    model = mk.MMM(**national_sim.model_kwargs(), saturation=saturation)
    model.add_lift_tests(tests)
    data = model.prepare(national_sim.data)
    with model.build_model(data), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        prior = pm.sample_prior_predictive(draws=3, random_seed=4).prior
    engine = PosteriorEngine(prior, data, model.media, seasonality=model.seasonality,
                             trend=model.trend, likelihood=model.likelihood)
    base = model.media.reorder(data.spend)
    c = model.media.order.index("tv")
    for i, (t0, t1, t2) in enumerate([(3, 9, 13), (60, 64, 64)]):
        alt = base.copy()
        window = alt[:, t0:t1, c]
        alt[:, t0:t1, c] = window + tests["spend_change"].iloc[i] * window / window.sum()
        for s in range(3):
            sl = slice(s, s + 1)
            delta = (engine.expected_target(alt, data.dates, data.control_values, sl)
                     - engine.expected_target(base, data.dates, data.control_values, sl))
            np.testing.assert_allclose(prior["lift_test_model"].values[0, s, i],
                                       delta[0][:, t0:t2].sum(), rtol=1e-8)
