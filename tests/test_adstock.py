"""Adstock transforms (:mod:`mmmkit.adstock`): numpy and PyTensor agree, weights are
normalised, causal and linear, match hand values and PyMC-Marketing, stay finite (values and
gradients) at extreme parameters, and old model files keep their Weibull kernel.
(``test_transforms_reference.py`` holds the independent Robyn / PyMC-Marketing formulas.)"""

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
    BinomialAdstock,
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


def test_weibull_survival_hand_values():
    # survival exp(-(l/lam)**k) at l = 0, 1, 2 with k = 2, lam = 2: 1, exp(-1/4), exp(-1)
    raw = np.array([1.0, math.exp(-0.25), math.exp(-1.0)])
    np.testing.assert_allclose(
        WeibullAdstock(3, kind="survival").weights(lam=2.0, k=2.0), raw / raw.sum(), rtol=1e-14
    )
    # against scipy's Weibull survival function at lags 0..L-1
    lam, k, L = 3.0, 0.6, 8
    sf = stats.weibull_min.sf(np.arange(L), k, scale=lam)
    np.testing.assert_allclose(
        WeibullAdstock(L, kind="survival").weights(lam=lam, k=k), sf / sf.sum(), rtol=1e-12
    )
    assert WeibullAdstock(1, kind="survival").weights(lam=2.0, k=2.0) == pytest.approx([1.0])


def test_weibull_cdf_hand_values():
    # k = 1: prod_{j<=l} exp(-j/lam) = exp(-l (l + 1) / (2 lam))
    lam, L = 2.0, 6
    lags = np.arange(L)
    raw = np.exp(-lags * (lags + 1) / (2 * lam))
    np.testing.assert_allclose(
        WeibullAdstock(L, kind="cdf").weights(lam=lam, k=1.0), raw / raw.sum(), rtol=1e-13
    )
    # k = 2, lam = 2: 1, exp(-1/4), exp(-1/4 - 1)
    raw = np.array([1.0, math.exp(-0.25), math.exp(-1.25)])
    np.testing.assert_allclose(
        WeibullAdstock(3, kind="cdf").weights(lam=2.0, k=2.0), raw / raw.sum(), rtol=1e-14
    )
    # against scipy: the running product of the survival function at lags 1..L-1
    lam, k, L = 3.0, 0.6, 8
    cum = np.cumprod(np.concatenate([[1.0], stats.weibull_min.sf(np.arange(1, L), k, scale=lam)]))
    np.testing.assert_allclose(
        WeibullAdstock(L, kind="cdf").weights(lam=lam, k=k), cum / cum.sum(), rtol=1e-12
    )
    assert WeibullAdstock(1, kind="cdf").weights(lam=2.0, k=2.0) == pytest.approx([1.0])


@SETTINGS
@given(lam=floats(1.0, 10.0), k=floats(0.3, 3.0), data=st.data())  # no tap underflows
def test_weibull_cdf_and_survival_agree_only_up_to_two_lags(lam, k, data):
    short = data.draw(st.integers(1, 2))
    np.testing.assert_allclose(WeibullAdstock(short, kind="cdf").weights(lam=lam, k=k),
                               WeibullAdstock(short, kind="survival").weights(lam=lam, k=k),
                               rtol=1e-13)
    # from the third lag on the cumulative kernel decays faster: lag 2 keeps S(1) S(2) < S(2)
    long = data.draw(st.integers(3, 13))
    cdf = WeibullAdstock(long, kind="cdf").weights(lam=lam, k=k)
    survival = WeibullAdstock(long, kind="survival").weights(lam=lam, k=k)
    assert cdf[2] / cdf[0] < survival[2] / survival[0]


def test_binomial_hand_values():
    # alpha = 1/2: exponent 1, a linear decay to the window's end: 1 - l / (L + 1)
    np.testing.assert_allclose(BinomialAdstock(4).weights(alpha=0.5),
                               np.array([5, 4, 3, 2]) / 14, rtol=1e-14)
    # alpha = 1/4: exponent 3
    raw = (1 - np.arange(3) / 4) ** 3
    np.testing.assert_allclose(BinomialAdstock(3).weights(alpha=0.25), raw / raw.sum(),
                               rtol=1e-14)
    # alpha -> 1: even; alpha -> 0: all in week 0
    np.testing.assert_allclose(BinomialAdstock(5).weights(alpha=1.0), np.full(5, 0.2))
    assert BinomialAdstock(5).weights(alpha=1e-6)[0] == pytest.approx(1.0)
    assert BinomialAdstock(1).weights(alpha=0.3) == pytest.approx([1.0])
    assert BinomialAdstock().priors["alpha"].to_dict() == {"dist": "Beta", "alpha": 1.0,
                                                           "beta": 3.0}


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
    at every lag, and the weights were 0 / 0 = NaN in numpy while the model's graph was finite
    (PyTensor's softmax rewrite; its gradient was NaN, see the extreme-parameter test below);
    the optimiser then stalled on a NaN. Both now normalise in log space."""

    ad = WeibullAdstock(max_lag=8, kind="pdf")
    lam, k = np.array([0.19379, 2.0]), np.array([5.10508, 1.5])
    w = ad.weights(lam=lam, k=k)
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(axis=-1), 1.0)
    assert w[0, 0] == pytest.approx(1.0)  # all weight on lag 0: the others are exp(-4000+)
    graph = ad.weights(lam=pt.as_tensor_variable(lam), k=pt.as_tensor_variable(k)).eval()
    np.testing.assert_allclose(w, graph, rtol=1e-12, atol=1e-300)


def test_weibull_cdf_config_written_before_the_change_loads_as_the_survival_curve():
    """Before "cdf" meant the cumulative kernel, ``kind="cdf"`` was the survival curve and its
    config carried no mark: such a config (a saved model's) rebuilds the survival curve, the
    same numbers as when it was saved. A config of today's "cdf" carries the mark."""
    old = {"class": "WeibullAdstock", "max_lag": 6, "kind": "cdf",
           "priors": WeibullAdstock().config()["priors"]}
    a = adstock_from_config(json.loads(json.dumps(old)))
    assert a.weibull_kind == "survival" and a.max_lag == 6
    lam, k = 3.0, 0.6
    sf = stats.weibull_min.sf(np.arange(6), k, scale=lam)
    np.testing.assert_allclose(a.weights(lam=lam, k=k), sf / sf.sum(), rtol=1e-12)
    # it saves as "survival" from now on, without the mark
    assert a.config()["kind"] == "survival" and "cdf_form" not in a.config()

    new = WeibullAdstock(6, kind="cdf").config()
    assert new["cdf_form"] == "cumulative"
    back = adstock_from_config(json.loads(json.dumps(new)))
    assert back == WeibullAdstock(6, kind="cdf")
    assert not np.allclose(back.weights(lam=lam, k=k), a.weights(lam=lam, k=k))
    assert "cdf_form" not in WeibullAdstock(kind="pdf").config()
    for bad in ({**new, "cdf_form": "product"}, {**new, "kind": "pdf"}):
        with pytest.raises(ValueError, match="cdf_form"):
            adstock_from_config(bad)


def test_weibull_kind_error_names_the_kinds():
    with pytest.raises(ValueError, match="'pdf', 'cdf', 'survival'"):
        WeibullAdstock(kind="CDF")


# lam, k pairs from ordinary to absurd: every tap of the pdf underflows at (0.2, 5); the powers
# (l / lam)**k overflow double precision at (1e-3, 100) and (1e-4, 300)
EXTREME_WEIBULL = {"lam": [0.19379, 0.2, 0.05, 1e-3, 1e-4, 0.01, 2.0, 50.0, 1e3, 3.0],
                   "k": [5.10508, 5.0, 20.0, 100.0, 300.0, 100.0, 1.5, 0.05, 8.0, 0.3]}
EXTREME_BINOMIAL = {"alpha": [1e-300, 1e-12, 0.01, 0.5, 1.0 - 1e-12, 1.0]}


def _mean_lag_and_gradient(a, params, mode):
    """The kernels' mean lags ``(n,)`` and their gradients in each parameter, compiled."""
    vec = {n: pt.vector(n, dtype="float64") for n in a.param_names}
    w = a.weights(**vec)
    total = pt.sum(w * np.arange(a.max_lag), axis=-1).sum()
    f = pytensor.function(list(vec.values()), [w, *pytensor.grad(total, list(vec.values()))],
                          mode=MODES[mode])
    return f(*params.values())


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("case", ["pdf", "cdf", "survival", "binomial"])
def test_kernels_at_extreme_parameters_are_finite_and_equal_the_graph(case, mode):
    """Weights and their gradients are finite wherever the parameters are finite and positive
    (NUTS's early steps go far), on numpy and in the PyTensor graph, as written and after the
    rewrites; and the gradient is the finite difference of the numpy weights."""
    a = BinomialAdstock(8) if case == "binomial" else WeibullAdstock(8, kind=case)
    params = {n: np.array(v) for n, v in
              (EXTREME_BINOMIAL if case == "binomial" else EXTREME_WEIBULL).items()}
    w = a.weights(**params)
    assert np.isfinite(w).all() and (w >= 0).all()
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    graph_w, *grads = _mean_lag_and_gradient(a, params, mode)
    np.testing.assert_allclose(graph_w, w, rtol=1e-12, atol=1e-300)
    for name, g in zip(params, grads, strict=True):
        assert np.isfinite(g).all(), (case, name, g)
        h = 1e-7 * np.abs(params[name])
        up = {**params, name: params[name] + h}
        down = {**params, name: np.maximum(params[name] - h, 1e-300)}
        fd = ((a.weights(**up) - a.weights(**down)) @ np.arange(a.max_lag)
              / (up[name] - down[name]))
        np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-6)


def test_extreme_kernels_take_their_limits():
    """Where every tap under- or overflows, the kernel is its limit, not NaN or uniform."""
    lam, k = np.array(EXTREME_WEIBULL["lam"][:6]), np.array(EXTREME_WEIBULL["k"][:6])
    for kind in ("pdf", "cdf", "survival"):  # a scale far below a week: all in week 0
        np.testing.assert_allclose(WeibullAdstock(8, kind=kind).weights(lam=lam, k=k)[:, 0],
                                   1.0, rtol=0, atol=1e-12)
    w = BinomialAdstock(8).weights(alpha=np.array(EXTREME_BINOMIAL["alpha"]))
    np.testing.assert_allclose(w[:2, 0], 1.0)
    np.testing.assert_allclose(w[-1], 1 / 8)
