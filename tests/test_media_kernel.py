"""The fused adstock-saturation kernel computes exactly the reference media block."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mmmkit as mk
from mmmkit import media_kernel
from mmmkit.adstock import GeometricAdstock, WeibullAdstock
from mmmkit.saturation import HillSaturation, LogisticSaturation, MichaelisMentenSaturation

CURVE_CLASSES = {"hill": HillSaturation, "logistic": LogisticSaturation,
                 "michaelis_menten": MichaelisMentenSaturation}


def _inputs(kind, n_channels=3, n_geos=4, n_weeks=30, max_lag=5, seed=0):
    rng = np.random.default_rng(seed)
    spend = rng.gamma(1.0, 1.0, (n_channels, n_geos, n_weeks))
    spend[spend < 0.3] = 0.0  # dark weeks: the Hill curve's a = 0 branch
    spend[0, 1, :] = 0.0  # a geo that never spends on a channel
    weights = WeibullAdstock(max_lag=max_lag, kind="pdf").weights(
        lam=rng.uniform(0.8, 2.0, n_channels), k=rng.uniform(0.8, 2.0, n_channels))
    params = {"half_saturation": rng.lognormal(0.0, 0.5, n_channels),
              "slope": rng.lognormal(0.0, 0.4, n_channels),
              "lam": rng.gamma(3.0, 0.5, n_channels)}
    curve_params = tuple(params[p] for p in media_kernel.CURVES[kind])
    coef = rng.uniform(0.1, 1.0, (n_geos, n_channels))
    return spend, weights, curve_params, coef


def _reference(kind, spend, weights, curve_params):
    """The same function from the transforms' numpy code: ``(C, G, T)``."""
    from mmmkit.adstock import convolve

    x = spend.transpose(1, 2, 0)  # (G, T, C)
    adstocked = convolve(np, x, weights, weights.shape[-1])
    curve = CURVE_CLASSES[kind]()
    named = dict(zip(media_kernel.CURVES[kind], curve_params, strict=True))
    return (curve.apply(adstocked, **named) / curve.apply(1.0, **named)).transpose(2, 0, 1)


def test_polynomial_log_and_exp_are_accurate_to_the_last_bits():
    rng = np.random.default_rng(1)
    x = np.concatenate([10.0 ** rng.uniform(-300, 300, 3000), rng.uniform(0.5, 2.0, 3000),
                        [1.0, 2.0, 0.5, np.sqrt(2.0), np.sqrt(0.5), np.nextafter(1.0, 2.0)]])
    log = np.array([media_kernel.scalar_log(v) for v in x])
    np.testing.assert_allclose(log, np.log(x), rtol=5e-16, atol=5e-16)
    z = np.concatenate([rng.uniform(-700.0, 700.0, 3000), rng.uniform(-1.0, 1.0, 3000), [0.0]])
    exp = np.array([media_kernel.scalar_exp(v) for v in z])
    np.testing.assert_allclose(exp, np.exp(z), rtol=5e-16)


@pytest.mark.parametrize("kind", sorted(media_kernel.CURVES))
def test_kernel_equals_the_transforms(kind):
    spend, weights, params, coef = _inputs(kind)
    reference = _reference(kind, spend, weights, params)
    curve = media_kernel.adstock_saturation(kind, spend, weights, *params)
    np.testing.assert_allclose(curve, reference, rtol=1e-13, atol=1e-15)
    assert np.all(curve[0, 1] == 0.0)
    weighted = media_kernel.adstock_saturation(kind, spend, weights, *params, coef=coef)
    np.testing.assert_allclose(weighted, np.einsum("cgt,gc->gt", reference, coef), rtol=1e-13)
    # the posterior engine's batch over draws: two draws, the second with other parameters
    other = tuple(p * 1.3 for p in params)
    draws = media_kernel.adstock_saturation_draws(
        kind, spend.transpose(1, 2, 0), np.stack([weights, weights[:, ::-1]]),
        *(np.stack(pair) for pair in zip(params, other, strict=True)))
    np.testing.assert_allclose(draws[0], reference.transpose(1, 2, 0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        draws[1], _reference(kind, spend, weights[:, ::-1], other).transpose(1, 2, 0),
        rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kind", sorted(media_kernel.CURVES))
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_gradient_equals_finite_differences(kind, weighted):
    spend, weights, params, coef = _inputs(kind, seed=2)
    coef = coef if weighted else None
    rng = np.random.default_rng(3)
    shape = spend.shape[1:] if weighted else spend.shape
    upstream = rng.normal(size=shape)

    def loss(w, ps, cf):
        out = media_kernel.adstock_saturation(kind, spend, w, *ps, coef=cf)
        return float(np.sum(out * upstream))

    grads = media_kernel.adstock_saturation_grad(kind, spend, weights, *params,
                                                 upstream=upstream, coef=coef)
    np.testing.assert_allclose(
        grads[0], _central_difference(lambda w: loss(w, params, coef), weights),
        rtol=1e-6, atol=1e-7)
    for j in range(len(params)):
        def loss_of_param(value, j=j):
            return loss(weights, [*params[:j], value, *params[j + 1:]], coef)

        np.testing.assert_allclose(grads[1 + j], _central_difference(loss_of_param, params[j]),
                                   rtol=1e-6, atol=1e-7)
    if weighted:
        np.testing.assert_allclose(
            grads[-1], _central_difference(lambda cf: loss(weights, params, cf), coef),
            rtol=1e-6, atol=1e-7)


def _central_difference(f, x, eps=1e-6):
    """Numerical gradient of the scalar ``f`` at array ``x``, one entry at a time."""
    numeric = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (f(up) - f(down)) / (2 * eps)
    return numeric


@pytest.mark.parametrize("weighted", [False, True])
def test_numba_backend_equals_python_perform(weighted):
    """nutpie samples the numba-compiled Op; everything else runs its Python ``perform``."""
    import pytensor
    import pytensor.tensor as pt

    spend, weights, params, coef = _inputs("hill", seed=4)
    w, k, s, cf = pt.dmatrix("w"), pt.dvector("k"), pt.dvector("s"), pt.dmatrix("coef")
    out = media_kernel.adstock_saturation_op("hill", pt.constant(spend), w, k, s,
                                             coef=cf if weighted else None)
    upstream = np.random.default_rng(5).normal(size=spend.shape[1:] if weighted
                                               else spend.shape)
    loss = pt.sum(out * upstream)
    inputs = [w, k, s, cf] if weighted else [w, k, s]
    outputs = [loss, *pytensor.grad(loss, inputs)]
    values = [weights, *params, coef][: len(inputs)]
    numba_fn = pytensor.function(inputs, outputs, mode="NUMBA")
    python_fn = pytensor.function(inputs, outputs, mode="FAST_COMPILE")
    for ours, theirs in zip(numba_fn(*values), python_fn(*values), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


def test_fused_and_reference_models_have_the_same_log_density():
    """The whole PyMC model, fused kernel or generic PyTensor pieces: same logp and gradient,
    with curves the kernel covers and a custom one it does not, and ROAS priors (which need
    each channel's response over the carryover tail)."""
    import pytensor

    from mmmkit.graph import build_pymc_model

    class SquareRootSaturation(mk.HillSaturation):
        """Declares no kernel of its own (Hill's is not inherited): the generic path."""

    sim = mk.simulate.simulate(n_geos=3, n_weeks=40, n_channels=4, seed=7)
    channels = sim.channels
    model = mk.MMM(
        **sim.model_kwargs(),
        adstock={ch: GeometricAdstock(max_lag=4) if i % 2 else WeibullAdstock(max_lag=5)
                 for i, ch in enumerate(channels)},
        saturation={channels[0]: HillSaturation(), channels[1]: LogisticSaturation(),
                    channels[2]: MichaelisMentenSaturation(),
                    channels[3]: SquareRootSaturation()},
        roas_priors={channels[1]: mk.Prior("LogNormal", mu=0.0, sigma=0.5)},
    )
    data = model.prepare(sim.data)
    dens = []
    for fused in (True, False):
        pm_model = build_pymc_model(
            data, model.media, seasonality=model.seasonality, trend=model.trend,
            likelihood=model.likelihood, priors=model.model_priors,
            roas_priors=model.roas_priors, fused_media=fused)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            logp, dlogp = pm_model.logp(), pm_model.dlogp()
        fn = pytensor.function(pm_model.value_vars, [logp, dlogp], mode="FAST_COMPILE")
        start = pm_model.initial_point()
        rng = np.random.default_rng(8)  # the same three points for both models
        points = [{k: v + rng.normal(0.0, 0.3, np.shape(v)) for k, v in start.items()}
                  for _ in range(3)]
        dens.append([fn(**point) for point in points])
    for (lp_f, g_f), (lp_r, g_r) in zip(*dens, strict=True):
        np.testing.assert_allclose(lp_f, lp_r, rtol=1e-11)
        np.testing.assert_allclose(g_f, g_r, rtol=1e-9, atol=1e-9)
