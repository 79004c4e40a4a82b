"""Adstock transforms (:mod:`mmmkit.adstock`): numpy and PyTensor agree, weights are
normalised, causal and linear, and match hand values and PyMC-Marketing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mmmkit.adstock import (
    DelayedAdstock,
    GeometricAdstock,
    WeibullAdstock,
    adstock_from_config,
)
from mmmkit.saturation import (
    HillSaturation,
)
from transform_cases import (
    ADSTOCK_CASES,
    ADSTOCK_INSTANCES,
    MODES,
    SETTINGS,
    check_adstock_agreement,
    draw_adstock,
    draw_vec,
    floats,
    naive_adstock,
    spend,
)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_numpy_matches_pytensor(case_name, data):
    check_adstock_agreement(data, case_name, "as_written", st.integers(1, 13))


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_adstock_numpy_matches_optimised_pytensor(case_name, data):
    check_adstock_agreement(data, case_name, "optimised", st.sampled_from([1, 13]))


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_weights_normalised_and_shaped(case_name, data):
    # scalar parameters -> (max_lag,)
    a, params = draw_adstock(data, case_name)
    w = a.weights(**params)
    assert w.shape == (a.max_lag,)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)

    # (draws, channels) parameters -> (draws, channels, max_lag)
    D, C = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    ranges = ADSTOCK_CASES[case_name].params(a.max_lag)
    params2 = {n: draw_vec(data, s, D * C).reshape(D, C) for n, s in ranges.items()}
    w2 = a.weights(**params2)
    assert w2.shape == (D, C, a.max_lag)
    assert np.all(np.isfinite(w2)) and np.all(w2 >= 0)
    np.testing.assert_allclose(w2.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    # each channel's kernel depends only on that channel's parameters
    d, c = data.draw(st.integers(0, D - 1)), data.draw(st.integers(0, C - 1))
    np.testing.assert_allclose(
        w2[d, c], a.weights(**{n: v[d, c] for n, v in params2.items()}), rtol=1e-14, atol=0
    )


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_matches_explicit_convolution(case_name, data):
    C = data.draw(st.integers(1, 3))
    a, params = draw_adstock(data, case_name, n_channels=C)
    T = data.draw(st.integers(1, 25))
    x = data.draw(spend((T, C)))
    y = a.apply(x, **params)
    np.testing.assert_allclose(y, naive_adstock(x, a.weights(**params)), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_conserves_mass(case_name, data):
    C = data.draw(st.integers(1, 3))
    a, params = draw_adstock(data, case_name, n_channels=C)
    T = data.draw(st.integers(1, 20))
    x = data.draw(spend((T, C)))
    padded = np.concatenate([x, np.zeros((a.max_lag - 1, C))])
    y = a.apply(padded, **params)
    np.testing.assert_allclose(y.sum(axis=0), x.sum(axis=0), rtol=1e-12, atol=1e-9)
    # also with a geo dimension in front
    x3 = np.stack([padded, 2.0 * padded])
    np.testing.assert_allclose(
        a.apply(x3, **params).sum(axis=1), x3.sum(axis=1), rtol=1e-12, atol=1e-9
    )


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_of_zeros_is_zeros(case_name, data):
    C = data.draw(st.integers(1, 3))
    a, params = draw_adstock(data, case_name, n_channels=C)
    T = data.draw(st.integers(1, 20))
    y = a.apply(np.zeros((2, T, C)), **params)
    assert y.shape == (2, T, C)
    assert np.all(y == 0.0)
    _, sparams = draw_adstock(data, case_name, max_lag=st.just(a.max_lag))
    assert np.all(a.apply(np.zeros(T), **sparams) == 0.0)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_is_linear(case_name, data):
    C = data.draw(st.integers(1, 3))
    a, params = draw_adstock(data, case_name, n_channels=C)
    T = data.draw(st.integers(1, 20))
    x = data.draw(spend((T, C)))
    z = data.draw(spend((T, C)))
    p, q = data.draw(floats(-3.0, 3.0)), data.draw(floats(-3.0, 3.0))
    lhs = a.apply(p * x + q * z, **params)
    rhs = p * a.apply(x, **params) + q * a.apply(z, **params)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_impulse_reproduces_weights(case_name, data):
    a, params = draw_adstock(data, case_name)
    L = a.max_lag
    start = data.draw(st.integers(0, 5))
    T = start + L + data.draw(st.integers(0, 5))
    size = data.draw(floats(0.1, 100.0))
    x = np.zeros(T)
    x[start] = size
    y = a.apply(x, **params)
    w = a.weights(**params)
    assert np.all(y[:start] == 0.0)
    np.testing.assert_allclose(y[start : start + L], size * w, rtol=1e-14, atol=0)
    assert np.all(y[start + L :] == 0.0)
    # a unit impulse truncated by the end of the series shows the leading weights
    short = data.draw(st.integers(1, L))
    e = np.zeros(short)
    e[0] = 1.0
    np.testing.assert_allclose(a.apply(e, **params), w[:short], rtol=1e-14, atol=0)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_is_causal(case_name, data):
    C = data.draw(st.integers(1, 3))
    a, params = draw_adstock(data, case_name, n_channels=C)
    T = data.draw(st.integers(2, 20))
    x = data.draw(spend((T, C)))
    t = data.draw(st.integers(0, T - 2))
    future = data.draw(spend((T - t - 1, C)))
    changed = x.copy()
    changed[t + 1 :] = future + 1.0
    y, y_changed = a.apply(x, **params), a.apply(changed, **params)
    # output up to t depends only on x[: t + 1]: bit-identical
    assert np.array_equal(y[: t + 1], y_changed[: t + 1])
    # and spend before the first week is zero: y[0] = w[0] * x[0]
    w = a.weights(**params)
    np.testing.assert_allclose(y[0], w[:, 0] * x[0], rtol=1e-14, atol=0)


@SETTINGS
@given(alpha=floats(0.01, 0.99), max_lag=st.integers(2, 13))
def test_geometric_weights_decrease(alpha, max_lag):
    w = GeometricAdstock(max_lag).weights(alpha=alpha)
    assert np.all(np.diff(w) < 0)
    # successive ratio is alpha
    np.testing.assert_allclose(w[1:] / w[:-1], alpha, rtol=1e-12)


@SETTINGS
@given(data=st.data())
def test_delayed_weights_peak_at_theta(data):
    max_lag = data.draw(st.integers(2, 13))
    theta = data.draw(st.integers(0, max_lag - 1))
    alpha = data.draw(floats(0.01, 0.99))
    w = DelayedAdstock(max_lag).weights(alpha=alpha, theta=float(theta))
    assert int(np.argmax(w)) == round(theta)
    # unimodal around the peak, symmetric in the distance to it
    assert np.all(np.diff(w[: theta + 1]) > 0) and np.all(np.diff(w[theta:]) < 0)
    for d in range(1, min(theta, max_lag - 1 - theta) + 1):
        assert w[theta - d] == pytest.approx(w[theta + d], rel=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
def test_adstock_gradients_finite_and_correct(case_name, mode):
    """Gradients w.r.t. the kernel parameters are finite (NUTS needs them) and correct."""
    rng = np.random.default_rng(0)
    spend_ = rng.gamma(1.0, 1.0, size=(10, 3)) * (rng.random((10, 3)) > 0.3)
    for max_lag in (max(1, ADSTOCK_CASES[case_name].min_lag), 6):
        a = ADSTOCK_CASES[case_name].make(max_lag)
        vec = {n: pt.vector(n, dtype="float64") for n in a.param_names}
        x = pt.matrix("x", dtype="float64")
        total = a.apply(x, **vec).sum()
        grads = pytensor.grad(total, list(vec.values()), disconnected_inputs="ignore")
        f = pytensor.function([x, *vec.values()], grads, mode=MODES[mode], on_unused_input="ignore")
        values = {
            "alpha": [0.01, 0.5, 0.99],
            "theta": [0.0, 0.5, max_lag - 1.0],
            "lam": [0.5, 2.0, 10.0],
            "k": [0.3, 1.0, 5.0],
        }
        params = {n: np.array(values[n]) for n in a.param_names}
        for name, g in zip(params, f(spend_, *params.values()), strict=True):
            assert np.all(np.isfinite(g)), (case_name, max_lag, name, g)
            h = 1e-6 * np.maximum(1.0, np.abs(params[name]))
            up = a.apply(spend_, **{**params, name: params[name] + h}).sum(axis=0)
            down = a.apply(spend_, **{**params, name: params[name] - h}).sum(axis=0)
            np.testing.assert_allclose(g, (up - down) / (2 * h), rtol=1e-5, atol=1e-6)


def test_geometric_hand_values():
    a = GeometricAdstock(max_lag=3)
    np.testing.assert_allclose(a.weights(alpha=0.5), [4 / 7, 2 / 7, 1 / 7], rtol=1e-15)
    # y[t] = 4/7 x[t] + 2/7 x[t-1] + 1/7 x[t-2]
    y = a.apply(np.array([7.0, 0.0, 0.0, 14.0, 7.0]), alpha=0.5)
    np.testing.assert_allclose(y, [4.0, 2.0, 1.0, 8.0, 4.0 + 4.0], rtol=1e-14)
    assert GeometricAdstock(max_lag=1).weights(alpha=0.3) == pytest.approx([1.0])


def test_delayed_hand_values():
    a = DelayedAdstock(max_lag=3)
    # alpha ** ((l - 1)**2) = [0.5, 1, 0.5] -> / 2
    np.testing.assert_allclose(a.weights(alpha=0.5, theta=1.0), [0.25, 0.5, 0.25], rtol=1e-15)
    # theta = 0.5: exponents 0.25, 0.25, 2.25
    raw = np.array([2**-0.25, 2**-0.25, 2**-2.25])
    np.testing.assert_allclose(a.weights(alpha=0.5, theta=0.5), raw / raw.sum(), rtol=1e-14)
    y = a.apply(np.array([4.0, 0.0, 0.0, 0.0]), alpha=0.5, theta=1.0)
    np.testing.assert_allclose(y, [1.0, 2.0, 1.0, 0.0], rtol=1e-15)


def test_weibull_pdf_hand_values():
    # k = 1, lam = 1: pdf(l + 1) = exp(-(l + 1)) -> geometric with ratio 1/e
    e = math.e
    w = WeibullAdstock(3, kind="pdf").weights(lam=1.0, k=1.0)
    np.testing.assert_allclose(w, np.array([1, 1 / e, 1 / e**2]) / (1 + 1 / e + 1 / e**2))
    # k = 2, lam = 2: pdf(t) ∝ (t/2) exp(-(t/2)**2) at t = 1, 2
    raw = np.array([0.5 * math.exp(-0.25), 1.0 * math.exp(-1.0)])
    np.testing.assert_allclose(
        WeibullAdstock(2, kind="pdf").weights(lam=2.0, k=2.0), raw / raw.sum(), rtol=1e-14
    )
    # against scipy's Weibull density at lags 1..L
    lam, k, L = 3.0, 1.7, 8
    pdf = stats.weibull_min.pdf(np.arange(1, L + 1), k, scale=lam)
    np.testing.assert_allclose(
        WeibullAdstock(L, kind="pdf").weights(lam=lam, k=k), pdf / pdf.sum(), rtol=1e-12
    )


def test_weibull_cdf_hand_values():
    # survival exp(-(l/lam)**k) at l = 0, 1, 2 with k = 2, lam = 2: 1, exp(-1/4), exp(-1)
    raw = np.array([1.0, math.exp(-0.25), math.exp(-1.0)])
    np.testing.assert_allclose(
        WeibullAdstock(3, kind="cdf").weights(lam=2.0, k=2.0), raw / raw.sum(), rtol=1e-14
    )
    # against scipy's Weibull survival function at lags 0..L-1
    lam, k, L = 3.0, 0.6, 8
    sf = stats.weibull_min.sf(np.arange(L), k, scale=lam)
    np.testing.assert_allclose(
        WeibullAdstock(L, kind="cdf").weights(lam=lam, k=k), sf / sf.sum(), rtol=1e-12
    )
    assert WeibullAdstock(1, kind="cdf").weights(lam=2.0, k=2.0) == pytest.approx([1.0])


@SETTINGS
@given(alpha=floats(0.01, 0.99), max_lag=st.integers(1, 13), x=spend((15,), hi=100.0))
def test_geometric_matches_pymc_marketing_normalized(alpha, max_lag, x):
    # pymc-marketing geometric_adstock(normalize=True): w[l] = alpha**l / sum_l alpha**l, and
    # mode="After": y[t] = sum_l w[l] x[t - l] with zeros before t = 0
    raw = alpha ** np.arange(max_lag)
    w = raw / raw.sum()
    a = GeometricAdstock(max_lag)
    np.testing.assert_allclose(a.weights(alpha=alpha), w, rtol=1e-12)
    expected = naive_adstock(x[:, None], w[None, :])[:, 0]
    np.testing.assert_allclose(a.apply(x, alpha=alpha), expected, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(alpha=floats(0.05, 0.95), data=st.data())
def test_delayed_matches_pymc_marketing_normalized(alpha, data):
    # pymc-marketing delayed_adstock(normalize=True): w[l] = alpha**((l - theta)**2) / sum
    max_lag = data.draw(st.integers(2, 13))
    theta = data.draw(floats(0.0, max_lag - 1.0))
    raw = alpha ** ((np.arange(max_lag) - theta) ** 2)
    np.testing.assert_allclose(
        DelayedAdstock(max_lag).weights(alpha=alpha, theta=theta), raw / raw.sum(), rtol=1e-12
    )


@pytest.mark.parametrize("a", ADSTOCK_INSTANCES, ids=repr)
def test_adstock_config_round_trip(a):
    assert adstock_from_config(a.config()) == a
    # through JSON too (config must be JSON-friendly)
    back = adstock_from_config(json.loads(json.dumps(a.config())))
    assert back == a
    assert back.priors == a.priors and back.max_lag == a.max_lag
    assert hash(back) == hash(a)


def test_bad_construction_raises():
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError):
            GeometricAdstock(max_lag=bad)
    with pytest.raises(ValueError):
        WeibullAdstock(kind="pmf")
    with pytest.raises(TypeError):
        GeometricAdstock().weights(alpha=0.5, theta=1.0)
    with pytest.raises(TypeError):
        HillSaturation().apply(1.0, half_saturation=1.0)


def test_delayed_adstock_needs_two_lags():
    with pytest.raises(ValueError, match="max_lag >= 2"):
        DelayedAdstock(max_lag=1)


def test_weibull_pdf_with_a_short_steep_scale_stays_finite():
    """lam 0.19 and k 5.1 (a posterior draw of a zoo fit): WeibullPDF(l + 1) underflows to 0
    at every lag, and the weights were 0 / 0 = NaN in numpy while the model's graph (PyTensor,
    whose softmax rewrite is stable) was finite; the optimiser then stalled on a NaN."""
    import pytensor.tensor as pt

    ad = WeibullAdstock(max_lag=8, kind="pdf")
    lam, k = np.array([0.19379, 2.0]), np.array([5.10508, 1.5])
    w = ad.weights(lam=lam, k=k)
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(axis=-1), 1.0)
    assert w[0, 0] == pytest.approx(1.0)  # all weight on lag 0: the others are exp(-4000+)
    graph = ad.weights(lam=pt.as_tensor_variable(lam), k=pt.as_tensor_variable(k)).eval()
    np.testing.assert_allclose(w, graph, rtol=1e-12, atol=1e-300)
