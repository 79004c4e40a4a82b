"""The media block computes one function: the curve its transform objects define.

A curve runs the fused kernel only when its own class declares it
(:attr:`mmmkit.saturation.Saturation.kernel`). A subclass of a built-in that overrides the
curve and declares nothing is computed with its own code everywhere: the PyMC graph, the numpy
evaluation on draws, and the answers built on it (ROAS, scenarios). Each is checked here against
the subclass's function applied by hand (adstock weights, the curve, times the effect).
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytest
import xarray as xr
from pytensor.graph.traversal import ancestors, apply_ancestors

import mmmkit as mk
from mmmkit import media_kernel
from mmmkit.graph import OBSERVED
from mmmkit.saturation import SATURATIONS

MAX_LAG = 3
RTOL = 1e-10  # the same double-precision function in a different order of operations


class Steeper(mk.HillSaturation):
    """Hill's parameters and priors, another curve: ``1 - exp(-slope x / half_saturation)``."""

    def _curve(self, xp, x, half_saturation, slope):
        return 1.0 - xp.exp(-slope * x / half_saturation)


class HillWithOtherPriors(mk.HillSaturation):
    """Keeps Hill's curve and says so: the kernel is declared again."""

    kernel = "hill"


def steeper(x, k, s):
    return 1.0 - np.exp(-s * x / k)


def hill(x, k, s):
    with np.errstate(divide="ignore"):
        return np.where(x > 0, x**s / (x**s + k**s), 0.0)


def media_by_hand(curve, x, alpha, k, s, effect):
    """Each channel's term ``(G, T, C)``: geometric adstock by an explicit loop over lags, the
    curve relative to its value at scaled spend 1, times ``effect`` ``(G, C)``."""
    _, n_weeks, n_channels = x.shape
    out = np.zeros(x.shape)
    for c in range(n_channels):
        w = alpha[c] ** np.arange(MAX_LAG)
        w = w / w.sum()
        for t in range(n_weeks):
            a = sum(w[lag] * x[:, t - lag, c] for lag in range(MAX_LAG) if t - lag >= 0)
            out[:, t, c] = effect[:, c] * curve(a, k[c], s[c]) / curve(1.0, k[c], s[c])
    return out


@pytest.fixture(scope="module")
def sim():
    return mk.simulate.simulate(n_geos=2, n_weeks=24, n_channels=2, n_controls=0, seed=3)


def _model(sim, saturation):
    return mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=MAX_LAG),
                  saturation=saturation, seasonality=0, trend=False)


def _draws(n_draws, n_geos, n_channels, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "adstock_alpha": rng.uniform(0.2, 0.7, (n_draws, n_channels)),
        "saturation_half_saturation": rng.lognormal(0.0, 0.4, (n_draws, n_channels)),
        "saturation_slope": rng.lognormal(0.3, 0.3, (n_draws, n_channels)),
        "channel_effect": rng.uniform(0.05, 0.3, (n_draws, n_geos, n_channels)),
    }


def _hand(curve, x, draws, d):
    return media_by_hand(curve, x, draws["adstock_alpha"][d],
                         draws["saturation_half_saturation"][d], draws["saturation_slope"][d],
                         draws["channel_effect"][d])


def _kernel_ops(outputs):
    return [node for node in apply_ancestors(outputs)
            if type(node.op).__name__.startswith("AdstockSaturation")]


def test_a_kernel_counts_only_for_the_class_declaring_it():
    assert mk.HillSaturation.kernel == "hill"
    assert mk.LogisticSaturation.kernel == "logistic"
    assert mk.MichaelisMentenSaturation.kernel == "michaelis_menten"
    assert Steeper.kernel is None and Steeper().kernel is None
    assert HillWithOtherPriors.kernel == "hill"
    # the kernels' parameter order is the declaring classes' own
    assert media_kernel.CURVES == {cls.kernel: cls.param_names for cls in SATURATIONS.values()}


def test_the_subclass_curve_and_slope_are_its_own_on_numpy():
    x = np.array([0.0, 0.3, 1.0, 2.5])
    k, s = np.array(0.8), np.array(1.7)
    curve = Steeper()
    np.testing.assert_allclose(curve.apply(x, half_saturation=k, slope=s), steeper(x, k, s),
                               rtol=1e-14)
    # the derivative of its own curve (a central difference), not Hill's closed form
    exact = s / k * np.exp(-s * x / k)
    np.testing.assert_allclose(curve.slope(x, half_saturation=k, slope=s), exact, rtol=1e-6)
    np.testing.assert_allclose(mk.HillSaturation().apply(x, half_saturation=k, slope=s),
                               hill(x, k, s), rtol=1e-14)


@pytest.mark.parametrize(("saturation", "curve", "fused"), [
    (Steeper(), steeper, False), (mk.HillSaturation(), hill, True),
    (HillWithOtherPriors(), hill, True)], ids=["subclass", "builtin", "redeclared"])
def test_graph_media_term_is_the_curve_by_hand(sim, saturation, curve, fused):
    """The PyMC model's expected media term (``mu - intercept``), evaluated at a parameter
    point with PyTensor (no sampling), is the transform's own curve applied by hand; only a
    curve whose class declares a kernel runs it."""
    model = _model(sim, saturation)
    data = model.prepare(sim.data)
    pm_model = model.build_model(data)
    obs = pm_model[OBSERVED]
    mu = obs.owner.op.dist_params(obs.owner)[0]
    media_term = mu - pm_model["intercept"][:, None]
    assert bool(_kernel_ops([media_term])) is fused

    draws = _draws(1, data.n_geos, len(model.channels), seed=1)
    point = {name: value[0] for name, value in draws.items()}
    point["level"] = np.array([1.1, 0.9])
    replace = {pm_model[name]: pytensor.tensor.constant(value) for name, value in point.items()}
    (evaluated,) = pytensor.clone_replace([media_term], replace=replace)
    free = set(pm_model.free_RVs)
    assert not [v for v in ancestors([evaluated]) if v in free]  # every input is fixed
    got = evaluated.eval()

    want = _hand(curve, data.scaled_spend(), draws, 0).sum(axis=-1)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-14)
    other = hill if curve is steeper else steeper
    assert not np.allclose(want, _hand(other, data.scaled_spend(), draws, 0).sum(axis=-1),
                           rtol=1e-3)


def test_numpy_evaluation_on_draws_is_the_subclass_curve(sim):
    model = _model(sim, Steeper())
    data = model.prepare(sim.data)
    draws = _draws(3, data.n_geos, len(model.channels), seed=2)
    x = data.scaled_spend()
    got = model.media.evaluate(draws, x) * draws["channel_effect"][:, :, None, :]
    for d in range(3):
        np.testing.assert_allclose(got[d], _hand(steeper, x, draws, d), rtol=RTOL, atol=1e-14)


def _fitted(sim, saturation, draws):
    model = _model(sim, saturation)
    data = model.prepare(sim.data)
    n = len(draws["adstock_alpha"])

    def var(dims, values):
        return ("chain", "draw", *dims), np.asarray(values).reshape(1, n, *np.shape(values)[1:])

    posterior = xr.Dataset(
        {name: var(("channel",), draws[name]) for name in
         ("adstock_alpha", "saturation_half_saturation", "saturation_slope")}
        | {"channel_effect": var(("geo", "channel"), draws["channel_effect"]),
           "intercept": var(("geo",), np.full((n, data.n_geos), 0.7)),
           "sigma": var((), np.full(n, 0.05))},
        coords={"chain": [0], "draw": np.arange(n), "geo": data.geos,
                "channel": model.media.order})
    return model.from_posterior(sim.data, posterior, seed=0), data


def test_roas_and_scenarios_use_the_subclass_curve(sim):
    """ROAS (counterfactual, carryover tail included) and a shift scenario's lift on draws of
    a model with the subclass, against the same answers by hand."""
    n_draws = 3
    draws = _draws(n_draws, 2, 2, seed=4)
    model, data = _fitted(sim, Steeper(), draws)
    assert model.media.order == model.channels
    spend = data.spend  # (G, T, C) currency
    tail = np.zeros((data.n_geos, MAX_LAG - 1, spend.shape[2]))
    scale = data.spend_scale[:, None, :]

    def contributions(raw, d):  # (G, T + tail, C) target units
        x = np.concatenate([raw, tail], axis=1) / scale
        return _hand(steeper, x, draws, d) * data.target_scale[:, None, None]

    roas = np.array([contributions(spend, d).sum(axis=(0, 1)) / spend.sum(axis=(0, 1))
                     for d in range(n_draws)])
    np.testing.assert_allclose(model.roas_draws().values[0], roas, rtol=RTOL)
    np.testing.assert_allclose(model.roas()["mean"].values, roas.mean(axis=0), rtol=RTOL)

    channel = model.channels[0]
    lift = mk.scenarios.shift(model, {channel: 0.25})
    plan = spend.copy()
    plan[..., 0] *= 1.25
    want = [(contributions(plan, d) - contributions(spend, d)).sum() for d in range(n_draws)]
    np.testing.assert_allclose(lift.total.values[0], want, rtol=RTOL)
    # and not what the Hill kernel would have said
    hill_model, _ = _fitted(sim, mk.HillSaturation(), draws)
    assert not np.allclose(hill_model.roas_draws().values[0], roas, rtol=1e-3)
