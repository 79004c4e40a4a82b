"""The model review: plain-words flags, each with its channel, number and what to do.

Fits here use conftest's national specification (``national_fit``), so they reuse its compiled
sampler.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

import mmmkit as mk
from conftest import FAST_FIT
from mmmkit.review import SLOW_P_LIMIT, Review, correlated_pairs, review, slow_residual, vif


# -- helpers on hand-made spend ----------------------------------------------------------------
def test_vif_by_hand():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 200))
    # two channels: VIF = 1 / (1 - r^2) for both
    two = pd.DataFrame({"a": a, "b": a + 0.5 * b})
    r = np.corrcoef(two["a"], two["b"])[0, 1]
    np.testing.assert_allclose(vif(two).to_numpy(), 1 / (1 - r**2), rtol=1e-10)
    # one channel the sum of two others: infinitely inflated; an independent one near 1
    frame = pd.DataFrame({"a": a, "b": b, "ab": a + b, "c": c})
    out = vif(frame)
    assert np.isinf(out[["a", "b", "ab"]]).all()
    assert out["c"] == pytest.approx(1.0, abs=0.1)
    # a constant channel has no movement to explain
    assert np.isnan(vif(pd.DataFrame({"a": a, "k": np.ones(200)}))["k"])
    # arrays get positional names
    assert list(vif(np.column_stack([a, b])).index) == ["x0", "x1"]


def test_correlated_pairs_by_hand():
    rng = np.random.default_rng(1)
    tv = rng.gamma(2.0, 1.0, 100)
    frame = pd.DataFrame({"tv": tv, "search": 1.1 * tv + rng.normal(0, 0.05, 100),
                          "social": rng.gamma(2.0, 1.0, 100), "flat": np.full(100, 3.0)})
    pairs = correlated_pairs(frame, threshold=0.8)
    assert len(pairs) == 1
    row = pairs.iloc[0]
    assert (row["channel_a"], row["channel_b"]) == ("tv", "search")
    assert row["correlation"] == pytest.approx(np.corrcoef(tv, frame["search"])[0, 1])
    # negative correlation counts too (one channel replaces the other)
    frame["anti"] = -frame["social"]
    pairs = correlated_pairs(frame)
    anti = pairs[(pairs["channel_a"] == "social") & (pairs["channel_b"] == "anti")]
    assert anti["correlation"].tolist() == [pytest.approx(-1.0)]
    assert correlated_pairs(frame.drop(columns="anti"), threshold=0.99999).empty


# -- the review on fitted models ---------------------------------------------------------------
@pytest.fixture(scope="module")
def clean_review(national_fit):
    return review(national_fit)


@pytest.fixture(scope="module")
def collinear_fit(national_sim):
    """search := 1.1 x tv + a little noise; the target is left as simulated (review reads spend)."""
    df = national_sim.data.copy()
    rng = np.random.default_rng(1)
    df["search"] = 1.1 * df["tv"] + np.abs(rng.normal(0.0, 0.02 * df["tv"].mean(), len(df)))
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(df, **FAST_FIT)
    return model


def _topic(rev: Review, topic: str, severity: str | None = None) -> pd.DataFrame:
    f = rev.flags
    keep = f["topic"] == topic
    if severity is not None:
        keep &= f["severity"] == severity
    return f[keep]


def test_review_flags_the_collinear_pair(collinear_fit):
    rev = review(collinear_fit)
    print(rev)
    flags = _topic(rev, "collinearity", "problem")
    assert len(flags) == 1
    flag = flags.iloc[0]
    assert set(flag["channel"].split(", ")) == {"tv", "search"}
    assert flag["value"] > 0.95
    assert "tv" in flag["message"] and "search" in flag["message"]
    assert flag["what_to_do"]
    assert (rev.checks.loc[["tv", "search"], "vif"] > 5).all()
    assert rev.checks.loc["social", "vif"] < 5
    assert not rev.ok
    assert "[PROBLEM] collinearity - tv, search" in str(rev)


def test_clean_fit_has_no_collinearity_or_baseline_problems(clean_review):
    print(clean_review)
    assert _topic(clean_review, "collinearity").empty
    assert _topic(clean_review, "baseline").empty
    assert _topic(clean_review, "spend variation").empty
    assert list(clean_review.flags.columns[:5]) == [
        "severity", "topic", "channel", "message", "what_to_do"]
    assert set(clean_review.flags["severity"]) <= {"problem", "warning", "info"}
    # the data move every channel's effect far from the prior on this simulated set
    assert (clean_review.checks["effect_sd_ratio"] < 0.5).all()
    assert _topic(clean_review, "identification", "warning").empty


def test_short_fit_gets_convergence_problems(national_sim, clean_review):
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(national_sim.data, draws=20, tune=50, chains=2, seed=1, progress=False)
    rev = review(model)
    problems = _topic(rev, "convergence", "problem")
    print(problems[["message", "value"]].to_string())
    assert len(problems) >= 1
    assert any("ESS" in m or "r-hat" in m for m in problems["message"])
    # the reference fit (300 draws) may earn warnings, but no convergence problem
    assert _topic(clean_review, "convergence", "problem").empty


def test_negative_baseline_and_media_share_are_flagged(national_fit, clean_review):
    before = national_fit.idata.posterior["intercept"].values.copy()
    twin = copy.copy(national_fit)
    twin.idata_ = national_fit.idata.copy()
    post = twin.idata.posterior
    post["intercept"] = post["intercept"] - 2.0  # baseline 2x the average week lower
    post["channel_effect"] = post["channel_effect"] * 20.0
    rev = review(twin)
    flags = _topic(rev, "baseline")
    print(flags[["severity", "message"]].to_string())
    negative = flags[flags["severity"] == "problem"]
    assert len(negative) == 1 and negative.iloc[0]["value"] < 0
    share = flags[flags["message"].str.startswith("Media is credited with")
                  & (flags["severity"] == "warning")]
    assert len(share) == 1 and share.iloc[0]["value"] > 0.8
    # the original model is untouched
    np.testing.assert_array_equal(national_fit.idata.posterior["intercept"].values, before)
    assert _topic(clean_review, "baseline").empty


def test_roas_prior_conflict(national_fit, clean_review):
    roas = national_fit.roas()
    twin = copy.copy(national_fit)
    # an analyst's prior 10x the data's answer for tv, one matching it for social
    twin.roas_priors = {
        "tv": mk.Prior("LogNormal", mu=float(np.log(10 * roas.loc["tv", "mean"])), sigma=0.2),
        "social": mk.Prior("LogNormal", mu=float(np.log(roas.loc["social", "mean"])),
                           sigma=0.3),
    }
    rev = review(twin)
    flags = _topic(rev, "prior conflict")
    assert list(flags["channel"]) == ["tv"]
    assert "pull against your prior" in flags.iloc[0]["message"]
    # the value is the distance from the prior's centre in prior sds of log ROAS: log(10)/0.2
    median = national_fit.roas().loc["tv", "median"]
    expected = abs(np.log(median) - np.log(10 * roas.loc["tv", "mean"])) / 0.2
    assert flags.iloc[0]["value"] == pytest.approx(expected, rel=0.05)
    assert flags.iloc[0]["severity"] == "problem"
    assert _topic(clean_review, "prior conflict").empty  # no roas_priors: no check


def test_review_of_a_geo_panel(panel_fit):
    rev = review(panel_fit)
    print(rev)
    assert list(rev.checks.index) == panel_fit.channels
    assert _topic(rev, "collinearity", "problem").empty
    assert _topic(rev, "baseline", "problem").empty
    assert rev.checks["effect_sd_ratio"].notna().all()


def test_a_control_that_is_a_channel_is_flagged(national_sim, national_fit):
    """A control column that copies tv's spend (clicks driven by tv, say): the review names
    both and says the control may take tv's credit. The draws are national_fit's (the review
    reads spend and controls; no fit needed)."""
    df = national_sim.data.copy()
    control = national_sim.controls[0]
    rng = np.random.default_rng(3)
    df[control] = df["tv"] * (1 + rng.normal(0, 0.05, len(df)))
    model = mk.MMM(**national_sim.model_kwargs()).from_posterior(df, national_fit.idata.posterior)
    flags = _topic(review(model), "collinearity", "problem")
    hit = flags[flags["message"].str.contains(f"Control {control} moves with tv")]
    assert len(hit) == 1 and hit.iloc[0]["channel"] == "tv" and hit.iloc[0]["value"] > 0.95
    assert "drop it from the controls" in hit.iloc[0]["what_to_do"]
    # the simulated control is unrelated to spend: no such flag on the original
    clean = _topic(review(national_fit), "collinearity")
    assert not clean["message"].str.contains("Control ").any()


# -- a slow residual level: the baseline bends where the trend cannot ------------------------
def test_slow_residual_tells_a_bent_level_from_noise():
    dates = pd.date_range("2022-01-03", periods=156, freq="7D")
    rng = np.random.default_rng(4)
    noise = rng.normal(0.0, 0.04, (3, 156))
    weeks = np.arange(156.0)
    kink = np.where(weeks < 78, 0.08 * weeks, 0.08 * 78 - 0.06 * (weeks - 78)) / 52
    p_noise, size_noise = slow_residual(noise, dates, trend=True)
    p_kink, size_kink = slow_residual(noise + kink, dates, trend=True)
    assert p_noise > 0.01 and size_noise < 0.01
    assert p_kink < 1e-9 and size_kink > 0.01
    # a straight line is the trend's, not a slow residual, when the model has a trend
    line = 0.002 * weeks
    assert slow_residual(noise + line, dates, trend=True)[0] == pytest.approx(p_noise)
    assert slow_residual(noise + line, dates, trend=False)[0] < 1e-9


def test_a_baseline_the_trend_cannot_follow_is_flagged(national_fit, clean_review):
    """The fitted target with a kinked level added: what the model leaves is slow, and the
    review says to try a drifting level."""
    twin = copy.copy(national_fit)
    data = copy.copy(national_fit.data_)
    weeks = np.arange(data.n_weeks, dtype=float)
    half = data.n_weeks // 2
    kink = np.where(weeks < half, 0.1 * weeks, 0.1 * half - 0.1 * (weeks - half)) / 52
    data.target = data.target + kink[None, :] * data.target_scale[:, None]
    twin.data_ = data
    flags = _topic(review(twin), "baseline", "warning")
    slow = flags[flags["message"].str.contains("moves slowly")]
    assert len(slow) == 1 and slow.iloc[0]["value"] < SLOW_P_LIMIT
    assert "drift=True" in slow.iloc[0]["what_to_do"]
    assert _topic(clean_review, "baseline").empty  # the fit's own data: nothing slow left
