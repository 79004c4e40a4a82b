"""Draft mode (``fit(method="advi")``): fast, honest about being approximate, and usable."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from mmmkit.approximate import Density
from mmmkit.inference import compiled_nutpie


@pytest.fixture(scope="module")
def draft(national_sim):
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(national_sim.data, method="advi", draws=500, chains=2, seed=1, progress=False)
    return model, [w for w in caught if issubclass(w.category, mk.FitWarning)]


def test_draft_warns_that_its_intervals_are_approximate(draft):
    model, caught = draft
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "draft fit (advi" in text and "approximate" in text and "method='nuts'" in text
    assert model.fit_info_["method"] == "advi"
    assert model.fit_info_["failed_steps"] == 0
    assert np.isfinite(model.fit_info_["elbo"])


def test_draft_posterior_is_one_chain_of_independent_draws(draft):
    model, _ = draft
    post = model.idata.posterior
    assert post.sizes["chain"] == 1 and post.sizes["draw"] == 1000
    diag = model.diagnostics()
    assert diag["divergences"] == 0 and np.isnan(diag["max_r_hat"])
    # every reading method works on the draft
    assert set(model.roas().index) == set(model.channels)
    assert model.contributions().sizes["draw"] == 1000


def test_draft_roas_is_close_to_the_truth_and_to_nuts(draft, national_sim, national_fit):
    """The draft's means are what it is for: within 15% of NUTS and of the known truth."""
    model, _ = draft
    ours = model.roas()["mean"]
    nuts = national_fit.roas()["mean"]
    truth = national_sim.roas
    for ch in model.channels:
        assert abs(ours[ch] / nuts[ch] - 1) < 0.15, (ch, ours[ch], nuts[ch])
        assert abs(ours[ch] / truth[ch] - 1) < 0.15, (ch, ours[ch], truth[ch])


def test_same_seed_same_draft(national_sim, draft):
    model, _ = draft
    again = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        again.fit(national_sim.data, method="advi", draws=500, chains=2, seed=1, progress=False)
    np.testing.assert_array_equal(again.idata.posterior["channel_effect"].values,
                                  model.idata.posterior["channel_effect"].values)


def test_expansion_matches_nutpie(national_sim):
    """Draft draws become model variables through nutpie's own compiled expansion; check the
    layout against the values nutpie itself stores for the same unconstrained draws."""
    import nutpie

    model = mk.MMM(**national_sim.model_kwargs())
    pm_model = model.build_model(model.prepare(national_sim.data))
    compiled = compiled_nutpie(pm_model, model.compile_key(model.prepare(national_sim.data)))
    trace = nutpie.sample(compiled, draws=5, tune=20, chains=1, seed=0, progress_bar=False,
                          store_unconstrained=True)
    x = trace.sample_stats["unconstrained_draw"].values[0]  # (draw, n)
    ours = Density(compiled).expand(x)
    for name in ("channel_effect", "intercept", "adstock_alpha", "sigma"):
        np.testing.assert_allclose(ours[name], trace.posterior[name].values[0], rtol=1e-12)


def test_unknown_method_is_refused(national_sim):
    with pytest.raises(ValueError, match="method must be"):
        mk.MMM(**national_sim.model_kwargs()).fit(national_sim.data, method="vi")


def test_advi_start_puts_chains_in_the_posterior_bulk(national_sim, national_fit):
    """With ``init="advi"`` NUTS's chains start at draws from a short ADVI fit: those starts
    have a far higher log density than nutpie's jitter around zero, and differ by chain
    (over-dispersed starts keep r-hat meaningful)."""
    from mmmkit.approximate import with_advi_start

    data = national_fit.prepare(national_sim.data)
    compiled = compiled_nutpie(national_fit.build_model(data), national_fit.compile_key(data))
    started, info = with_advi_start(compiled, seed=0)
    assert info["init_seconds"] is not None
    density = Density(compiled)
    ours = [density.logp_grad(started.initial_point_func(s))[0] for s in range(4)]
    theirs = [density.logp_grad(compiled.initial_point_func(s))[0] for s in range(4)]
    assert min(ours) > max(theirs) + 50, (ours, theirs)
    assert len({round(v, 6) for v in ours}) == 4
    assert national_fit.fit_info_["init"] == "jitter"  # the default


def test_advi_start_fits(national_sim):
    with pytest.raises(ValueError, match="init must be"):
        mk.MMM(**national_sim.model_kwargs()).fit(national_sim.data, init="pathfinder")
    model = mk.MMM(**national_sim.model_kwargs())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(national_sim.data, draws=100, tune=100, chains=2, init="advi",
                  progress=False)
    assert model.fit_info_["init"] == "advi"
    assert model.diagnostics()["divergences"] == 0
