"""The default channel-effect prior: media share of the KPI, split by share of spend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from mmmkit import media_prior

OLD = {"channel_effect_mu": mk.Prior("Normal", mu=float(np.log(0.1)), sigma=1.0)}


@pytest.fixture(scope="module")
def uneven():
    """Three channels whose budgets differ 60-fold (social gets 1/20 of its simulated spend)."""
    sim = mk.simulate.simulate(n_geos=1, n_weeks=104, n_channels=3, seed=0)
    df = sim.data.copy()
    df["social"] = df["social"] / 20
    return sim, df


def _prior(sim, df, priors=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mk.MMM(**sim.model_kwargs(), priors=priors)
        return mk.evaluation.prior_predictive(model, df, draws=2000, seed=1)


def test_small_channels_get_no_invented_effect(uneven):
    """Before seeing data every unit of currency is as good as any other: each channel's
    prior ROAS has the same median whatever it spends. The old default (one effect level for
    all channels) gave the small channel a prior ROAS 50x the large one's."""
    sim, df = uneven
    roas = _prior(sim, df).roas
    spend = df[list(roas.index)].sum()
    assert spend.max() / spend.min() > 50
    assert roas["median"].max() / roas["median"].min() < 1.3  # Monte Carlo and curve shape
    assert (roas["lower"] < roas["median"]).all() and (roas["median"] < roas["upper"]).all()
    old = _prior(sim, df, OLD).roas
    assert old["median"].max() / old["median"].min() > 20


def test_prior_media_share_is_the_stated_one(uneven):
    """The implied prior share of the KPI that all media drive, from the whole model's prior
    predictive: centred near the media_share prior's median (18%), not near 100%."""
    sim, df = uneven
    result = _prior(sim, df)
    share = result.media_share.values.ravel()
    lo, med, hi = np.quantile(share, [0.05, 0.5, 0.95])
    assert 0.12 < med < 0.28 and lo < 0.08 and hi > 0.4
    assert np.mean(share > 1.0) < 0.05
    assert "ROAS under the priors" in result.describe()


def test_centre_is_the_spend_share_over_the_mean_response():
    spend = np.zeros((2, 4, 2))
    spend[:, :, 0] = 10.0  # always on
    spend[:, :2, 1] = 30.0  # on half the weeks
    scaled = spend / np.array([10.0, 30.0])
    centre = media_prior.log_centre(spend, scaled, np.array([1.0, 3.0]))
    # shares of spend 80/200 and 120/200; mean scaled spend 1 and 0.5 in both geos
    np.testing.assert_allclose(np.exp(centre), [0.4 / 1.0, 0.6 / 0.5])


def test_absolute_prior_replaces_the_media_share(national_sim):
    model = mk.MMM(**national_sim.model_kwargs(), priors=OLD)
    assert "channel_effect_mu" in model.priors and "media_share" not in model.priors
    pm_model = model.build_model(model.prepare(national_sim.data))
    assert "media_share" not in pm_model.named_vars
    default = mk.MMM(**national_sim.model_kwargs())
    assert "channel_effect_mu" not in default.priors
    pm_default = default.build_model(default.prepare(national_sim.data))
    assert {"media_share", "channel_effect_offset", "channel_effect_mu"} <= set(
        pm_default.named_vars)


def test_prior_draws_match_the_graph(national_sim):
    """The numpy draws the review uses have the spread of the graph's own prior."""
    import pymc as pm

    model = mk.MMM(**national_sim.model_kwargs())
    pm_model = model.build_model(model.prepare(national_sim.data))
    graph = pm.draw(pm_model["channel_effect_mu"], draws=20_000, random_seed=0)
    centre = pm_model["channel_effect_centre"].get_value()
    numpy = media_prior.prior_log_effect_draws(
        model.model_priors, np.random.default_rng(0), 20_000, len(centre), centre)
    np.testing.assert_allclose(numpy.mean(axis=0), graph.mean(axis=0), atol=0.03)
    np.testing.assert_allclose(numpy.std(axis=0), graph.std(axis=0), rtol=0.03)
