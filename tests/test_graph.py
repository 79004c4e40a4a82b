"""The PyMC model's media term: each channel group runs the computation its curve names.

With channels on different curves, the graph holds one fused kernel Op per group whose curve
class declares a kernel (and none with ``fused_media=False``), and the expected media term at a
parameter point is every channel's own curve applied by hand, whichever path computed it.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytest
from pytensor.graph.traversal import ancestors, apply_ancestors

import mmmkit as mk
from mmmkit.graph import OBSERVED, build_pymc_model
from test_media import MAX_LAG, RTOL, Steeper, hill, media_by_hand, steeper


@pytest.fixture(scope="module")
def mixed():
    """Two channels on the Hill curve (its kernel) and one on a subclass (its own code)."""
    sim = mk.simulate.simulate(n_geos=2, n_weeks=24, n_channels=3, n_controls=0, seed=5)
    tv, search, social = sim.channels
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=MAX_LAG),
                   saturation={tv: mk.HillSaturation(), search: Steeper(),
                               social: mk.HillSaturation()},
                   seasonality=0, trend=False)
    return model, model.prepare(sim.data)


def _media_term(model, data, fused):
    pm_model = build_pymc_model(
        data, model.media, seasonality=model.seasonality, trend=model.trend,
        likelihood=model.likelihood, priors=model.model_priors, fused_media=fused)
    obs = pm_model[OBSERVED]
    mu = obs.owner.op.dist_params(obs.owner)[0]
    return pm_model, mu - pm_model["intercept"][:, None]


@pytest.mark.parametrize("fused", [True, False])
def test_kernel_ops_are_those_the_groups_declare(mixed, fused):
    model, data = mixed
    assert [g.saturation.kernel for g in model.media.groups] == ["hill", None]
    _, term = _media_term(model, data, fused)
    kernels = [node.op.kernel for node in apply_ancestors([term])
               if type(node.op).__name__ == "AdstockSaturation"]
    assert kernels == (["hill"] if fused else [])


@pytest.mark.parametrize("fused", [True, False])
def test_media_term_is_each_channels_curve_by_hand(mixed, fused):
    model, data = mixed
    media = model.media
    pm_model, term = _media_term(model, data, fused)
    rng = np.random.default_rng(6)
    n_geos = data.n_geos
    point = {"level": np.array([1.2, 0.8]),
             "channel_effect": rng.uniform(0.05, 0.3, (n_geos, len(media.order)))}
    by_channel = {}  # channel -> (alpha, K, s)
    for g in media.groups:
        values = {p: rng.uniform(0.2, 0.7, len(g.channels)) if p == "alpha"
                  else rng.lognormal(0.0, 0.4, len(g.channels))
                  for p in ("alpha", "half_saturation", "slope")}
        point[g.var("adstock", "alpha")] = values["alpha"]
        point[g.var("saturation", "half_saturation")] = values["half_saturation"]
        point[g.var("saturation", "slope")] = values["slope"]
        for j, ch in enumerate(g.channels):
            by_channel[ch] = tuple(values[p][j] for p in ("alpha", "half_saturation", "slope"))
    replace = {pm_model[k]: pytensor.tensor.constant(v) for k, v in point.items()}
    (evaluated,) = pytensor.clone_replace([term], replace=replace)
    free = set(pm_model.free_RVs)
    assert not [v for v in ancestors([evaluated]) if v in free]
    got = evaluated.eval()

    x = media.reorder(data.scaled_spend())  # internal order, as channel_effect
    want = np.zeros_like(got)
    for c, ch in enumerate(media.order):
        curve = steeper if isinstance(media.saturation_of(ch), Steeper) else hill
        alpha, k, s = (np.array([v]) for v in by_channel[ch])
        want += media_by_hand(curve, x[..., c:c + 1], alpha, k, s,
                              point["channel_effect"][:, c:c + 1])[..., 0]
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-14)


def test_geo_seasonality_recovers_each_geos_own_yearly_pattern():
    """A panel whose geos' yearly swings differ (a known per-geo sine added to simulated
    sales): MMM(geo_seasonality=True) recovers each geo's deviation from the shared pattern."""
    import warnings

    import pandas as pd

    from conftest import FAST_FIT

    sim = mk.simulate.simulate(n_geos=4, n_weeks=104, n_channels=1, seed=8, noise=0.03)
    df = sim.data.copy()
    swing = dict(zip(sim.geos, [0.12, -0.12, 0.06, -0.06], strict=True))  # share of level
    level = dict(zip(sim.geos, sim.params["level"], strict=True))
    years = (df["date"] - pd.Timestamp("1970-01-01")).dt.days / 365.25
    df["sales"] += df["geo"].map(swing) * df["geo"].map(level) * np.sin(2 * np.pi * years)
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=4),
                   geo_seasonality=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(df, **FAST_FIT)
    data = model.fitted_data()
    sin1 = model.idata.posterior["seasonality_geo"].sel(fourier="sin_1")
    fitted = sin1.mean(("chain", "draw")).sel(geo=data.geos).values
    truth = np.array([swing[g] * level[g] for g in data.geos]) / data.target_scale
    np.testing.assert_allclose(fitted - fitted.mean(), truth - truth.mean(), atol=0.02)
    # the geos really differ: the spread sits well away from zero (its truth here is ~0.04)
    assert float(model.idata.posterior["seasonality_geo_sigma"].mean()) > 0.02
