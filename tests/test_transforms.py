"""Adstock and saturation transforms: the math, on numpy and on PyTensor.

These tests are written to fail if the math is wrong, not only if the code changes:

* numpy and PyTensor evaluations of every transform agree to 1e-10 (same function twice);
* invariants (normalised non-negative kernels, mass conservation, linearity, causality,
  monotone bounded curves, ...) are checked with hypothesis over the valid parameter ranges;
* a few values are computed by hand (or with scipy / an explicit loop), independently of the
  code under test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from mmmkit.adstock import (
    Adstock,
    DelayedAdstock,
    GeometricAdstock,
    WeibullAdstock,
    adstock_from_config,
)
from mmmkit.priors import Prior
from mmmkit.saturation import (
    HillSaturation,
    LogisticSaturation,
    MichaelisMentenSaturation,
    Saturation,
    saturation_from_config,
)

SETTINGS = settings(max_examples=30, deadline=None)
TOL = {"rtol": 1e-10, "atol": 1e-10}

# PyTensor modes. The graph as written (Python linker, no rewrites) compiles in ~0.05 s, so the
# hypothesis test can cover every max_lag in 1..13. The optimised mode (C linker, canonicalising,
# stabilising and specialising rewrites; no elemwise fusion, whose per-graph C code would take
# seconds to compile for every max_lag) runs the rewritten graph, at a few max_lags.
AS_WRITTEN = pytensor.compile.mode.Mode(linker="py", optimizer=None)
OPTIMISED = pytensor.compile.mode.get_mode("FAST_RUN").excluding("fusion")
MODES = {"as_written": AS_WRITTEN, "optimised": OPTIMISED}


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# --- transform cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdstockCase:
    name: str
    make: Callable[[int], Adstock]
    # valid parameter ranges, given max_lag
    params: Callable[[int], dict[str, st.SearchStrategy[float]]]
    min_lag: int = 1  # a delayed peak needs at least two lags


ADSTOCK_CASES = {
    c.name: c
    for c in (
        AdstockCase("geometric", GeometricAdstock, lambda L: {"alpha": floats(0.01, 0.99)}),
        AdstockCase(
            "delayed",
            DelayedAdstock,
            lambda L: {"alpha": floats(0.05, 0.95), "theta": floats(0.0, L - 1.0)},
            min_lag=2,
        ),
        AdstockCase(
            "weibull_pdf",
            lambda L: WeibullAdstock(L, kind="pdf"),
            lambda L: {"lam": floats(0.5, 10.0), "k": floats(0.3, 5.0)},
        ),
        AdstockCase(
            "weibull_cdf",
            lambda L: WeibullAdstock(L, kind="cdf"),
            lambda L: {"lam": floats(0.5, 10.0), "k": floats(0.3, 5.0)},
        ),
    )
}


@dataclass(frozen=True)
class SaturationCase:
    name: str
    make: Callable[[], Saturation]
    params: dict[str, st.SearchStrategy[float]]


SATURATION_CASES = {
    c.name: c
    for c in (
        SaturationCase(
            "hill",
            HillSaturation,
            {"half_saturation": floats(0.05, 20.0), "slope": floats(0.2, 5.0)},
        ),
        SaturationCase("logistic", LogisticSaturation, {"lam": floats(0.01, 5.0)}),
        SaturationCase(
            "michaelis_menten", MichaelisMentenSaturation, {"half_saturation": floats(0.05, 20.0)}
        ),
    )
}


def spend(shape, hi: float = 1e3) -> st.SearchStrategy[np.ndarray]:
    """Non-negative spend with plenty of exact zeros (weeks off air)."""
    return hnp.arrays(
        np.float64, shape, elements=st.one_of(st.just(0.0), floats(0.0, hi)), fill=st.just(0.0)
    )


def draw_vec(data, strategy, n: int) -> np.ndarray:
    return np.array(data.draw(st.lists(strategy, min_size=n, max_size=n)), dtype=float)


def naive_adstock(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Reference: ``y[t, c] = sum_{l <= t} w[c, l] x[t - l, c]`` by explicit loops.

    ``x`` is ``(T, C)``, ``w`` is ``(C, L)``.
    """
    T, C = x.shape
    y = np.zeros((T, C))
    for t in range(T):
        for c in range(C):
            for lag in range(w.shape[-1]):
                if t - lag >= 0:
                    y[t, c] += w[c, lag] * x[t - lag, c]
    return y


# --- compiled PyTensor functions, one per (transform, max_lag, mode) ----------------------------

_COMPILED: dict[tuple, Callable] = {}


def adstock_fn(case: str, max_lag: int, mode: str) -> Callable:
    """f(x3, x1, *vector params, *scalar params) -> (w_vec, y3, w_scalar, y1)."""
    key = ("adstock", case, max_lag, mode)
    if key not in _COMPILED:
        a = ADSTOCK_CASES[case].make(max_lag)
        x3 = pt.tensor3("x3", dtype="float64")
        x1 = pt.vector("x1", dtype="float64")
        vec = {n: pt.vector(f"{n}_vec", dtype="float64") for n in a.param_names}
        sca = {n: pt.scalar(f"{n}_sca", dtype="float64") for n in a.param_names}
        outs = [a.weights(**vec), a.apply(x3, **vec), a.weights(**sca), a.apply(x1, **sca)]
        _COMPILED[key] = pytensor.function(
            [x3, x1, *vec.values(), *sca.values()], outs, mode=MODES[mode]
        )
    return _COMPILED[key]


def saturation_fn(case: str, mode: str) -> Callable:
    """f(x3, x1, *vector params, *scalar params) -> (y3, y1)."""
    key = ("saturation", case, mode)
    if key not in _COMPILED:
        s = SATURATION_CASES[case].make()
        x3 = pt.tensor3("x3", dtype="float64")
        x1 = pt.vector("x1", dtype="float64")
        vec = {n: pt.vector(f"{n}_vec", dtype="float64") for n in s.param_names}
        sca = {n: pt.scalar(f"{n}_sca", dtype="float64") for n in s.param_names}
        outs = [s.apply(x3, **vec), s.apply(x1, **sca)]
        _COMPILED[key] = pytensor.function(
            [x3, x1, *vec.values(), *sca.values()], outs, mode=MODES[mode]
        )
    return _COMPILED[key]


def saturation_grad_fn(case: str, mode: str) -> Callable:
    """f(x, *vector params) -> d sum(curve(x)) / d param, one array per parameter."""
    key = ("saturation_grad", case, mode)
    if key not in _COMPILED:
        s = SATURATION_CASES[case].make()
        x = pt.matrix("x", dtype="float64")
        vec = {n: pt.vector(n, dtype="float64") for n in s.param_names}
        total = s.apply(x, **vec).sum()
        grads = pytensor.grad(total, list(vec.values()))
        _COMPILED[key] = pytensor.function([x, *vec.values()], grads, mode=MODES[mode])
    return _COMPILED[key]


# =================================================================================================
# 1. numpy == PyTensor
# =================================================================================================


def _check_adstock_agreement(data, case_name: str, mode: str, max_lag_strategy) -> None:
    case = ADSTOCK_CASES[case_name]
    max_lag = max(data.draw(max_lag_strategy, label="max_lag"), case.min_lag)
    G, T, C = (data.draw(st.integers(1, n)) for n in (3, 20, 3))
    ranges = case.params(max_lag)
    vec = {n: draw_vec(data, s, C) for n, s in ranges.items()}
    sca = {n: data.draw(s, label=n) for n, s in ranges.items()}
    x3 = data.draw(spend((G, T, C)), label="x3")
    x1 = data.draw(spend((T,)), label="x1")

    a = case.make(max_lag)
    w_vec, y3, w_sca, y1 = adstock_fn(case_name, max_lag, mode)(
        x3, x1, *vec.values(), *sca.values()
    )
    np.testing.assert_allclose(w_vec, a.weights(**vec), **TOL)
    np.testing.assert_allclose(w_sca, a.weights(**sca), **TOL)
    np.testing.assert_allclose(y3, a.apply(x3, **vec), **TOL)
    np.testing.assert_allclose(y1, a.apply(x1, **sca), **TOL)
    assert y3.shape == x3.shape and y1.shape == x1.shape
    assert w_vec.shape == (C, max_lag) and w_sca.shape == (max_lag,)


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@SETTINGS
@given(data=st.data())
def test_adstock_numpy_matches_pytensor(case_name, data):
    _check_adstock_agreement(data, case_name, "as_written", st.integers(1, 13))


@pytest.mark.parametrize("case_name", list(ADSTOCK_CASES))
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_adstock_numpy_matches_optimised_pytensor(case_name, data):
    _check_adstock_agreement(data, case_name, "optimised", st.sampled_from([1, 13]))


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("case_name", list(SATURATION_CASES))
@SETTINGS
@given(data=st.data())
def test_saturation_numpy_matches_pytensor(case_name, mode, data):
    case = SATURATION_CASES[case_name]
    G, T, C = (data.draw(st.integers(1, n)) for n in (3, 20, 3))
    vec = {n: draw_vec(data, s, C) for n, s in case.params.items()}
    sca = {n: data.draw(s, label=n) for n, s in case.params.items()}
    x3 = data.draw(spend((G, T, C), hi=50.0), label="x3")
    x1 = data.draw(spend((T,), hi=50.0), label="x1")

    s = case.make()
    y3, y1 = saturation_fn(case_name, mode)(x3, x1, *vec.values(), *sca.values())
    np.testing.assert_allclose(y3, s.apply(x3, **vec), **TOL)
    np.testing.assert_allclose(y1, s.apply(x1, **sca), **TOL)
    assert y3.shape == x3.shape and y1.shape == x1.shape


# =================================================================================================
# 2. Adstock properties
# =================================================================================================


def draw_adstock(data, case_name: str, n_channels: int | None = None, max_lag=None):
    """An adstock and parameters: vectors of ``n_channels`` or scalars when None."""
    case = ADSTOCK_CASES[case_name]
    max_lag = data.draw(st.integers(1, 13) if max_lag is None else max_lag, label="max_lag")
    max_lag = max(max_lag, case.min_lag)
    ranges = case.params(max_lag)
    if n_channels is None:
        params = {n: data.draw(s, label=n) for n, s in ranges.items()}
    else:
        params = {n: draw_vec(data, s, n_channels) for n, s in ranges.items()}
    return case.make(max_lag), params


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


# =================================================================================================
# 3. Saturation properties
# =================================================================================================


def draw_saturation(data, case_name: str, n: int | None = None):
    case = SATURATION_CASES[case_name]
    if n is None:
        params = {k: data.draw(s, label=k) for k, s in case.params.items()}
    else:
        params = {k: draw_vec(data, s, n) for k, s in case.params.items()}
    return case.make(), params


@pytest.mark.parametrize("case_name", list(SATURATION_CASES))
@SETTINGS
@given(data=st.data())
def test_saturation_zero_at_zero(case_name, data):
    s, params = draw_saturation(data, case_name)
    with np.errstate(divide="raise", invalid="raise", over="raise"):  # no log(0) on the way
        assert s.apply(0.0, **params) == 0.0
        assert np.all(s.apply(np.zeros((4, 3)), **params) == 0.0)
    # and in PyTensor, as written and rewritten
    for mode in MODES:
        y3, y1 = saturation_fn(case_name, mode)(
            np.zeros((1, 2, 1)),
            np.zeros(3),
            *(np.atleast_1d(v) for v in params.values()),
            *params.values(),
        )
        assert np.all(y3 == 0.0) and np.all(y1 == 0.0)


@pytest.mark.parametrize("case_name", list(SATURATION_CASES))
@SETTINGS
@given(data=st.data())
def test_saturation_monotone_and_bounded(case_name, data):
    C = data.draw(st.integers(1, 3))
    s, params = draw_saturation(data, case_name, n=C)
    x = np.sort(data.draw(spend((data.draw(st.integers(2, 30)), C), hi=5.0)), axis=0)
    y = s.apply(x, **params)
    assert y.shape == x.shape
    assert np.all(np.diff(y, axis=0) >= 0)
    # in [0, 1): x <= 5 keeps every curve away from rounding to 1.0 in float64
    assert np.all(y >= 0) and np.all(y < 1)
    assert np.all(y[x == 0] == 0) and np.all(y[x >= 1e-3] > 0)
    # far out the curve approaches 1 but never exceeds it
    big = s.apply(np.full((1, C), 1e12), **params)
    assert np.all(big <= 1.0) and np.all(big > 0.5)


@SETTINGS
@given(half=floats(0.01, 100.0), slope=floats(0.1, 10.0))
def test_hill_half_at_half_saturation(half, slope):
    assert HillSaturation().apply(half, half_saturation=half, slope=slope) == pytest.approx(
        0.5, abs=1e-14
    )


@SETTINGS
@given(x=spend((12,), hi=100.0), half=floats(0.01, 100.0))
def test_michaelis_menten_is_hill_with_slope_one(x, half):
    mm = MichaelisMentenSaturation().apply(x, half_saturation=half)
    hill = HillSaturation().apply(x, half_saturation=half, slope=1.0)
    np.testing.assert_allclose(mm, hill, rtol=1e-12, atol=1e-15)
    # and both equal x / (K + x)
    np.testing.assert_allclose(mm, x / (half + x), rtol=1e-15, atol=0)


@SETTINGS
@given(x=spend((12,), hi=100.0), half=floats(0.01, 100.0), slope=floats(0.1, 5.0))
def test_hill_formula(x, half, slope):
    y = HillSaturation().apply(x, half_saturation=half, slope=slope)
    expected = x**slope / (x**slope + half**slope)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-300)


@SETTINGS
@given(x=spend((12,), hi=20.0), lam=floats(0.01, 5.0))
def test_logistic_formula(x, lam):
    y = LogisticSaturation().apply(x, lam=lam)
    expected = (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case_name", list(SATURATION_CASES))
@SETTINGS
@given(data=st.data())
def test_saturation_gradients_finite_and_correct(case_name, data):
    C = data.draw(st.integers(1, 3))
    s, params = draw_saturation(data, case_name, n=C)
    x = data.draw(spend((data.draw(st.integers(1, 8)), C), hi=20.0))
    x[0] = 0.0  # always some zero spend
    # both graphs: the rewrites can hide a NaN gradient that the graph as written has
    mode = data.draw(st.sampled_from(list(MODES)), label="mode")
    grads = saturation_grad_fn(case_name, mode)(x, *params.values())
    for name, g in zip(params, grads, strict=True):
        assert np.all(np.isfinite(g)), (name, g)
        # central finite differences of the numpy curve, channel by channel
        v = params[name]
        h = 1e-6 * np.maximum(1.0, np.abs(v))
        up = {**params, name: v + h}
        down = {**params, name: v - h}
        fd = (s.apply(x, **up) - s.apply(x, **down)).sum(axis=0) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)


# =================================================================================================
# 4. Hand-computed values (independent of the code under test)
# =================================================================================================


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


def test_saturation_hand_values():
    hill = HillSaturation()
    # K = 2, s = 2: x = 1 -> 1 / (1 + 4); x = 4 -> 16 / (16 + 4)
    np.testing.assert_allclose(
        hill.apply(np.array([0.0, 1.0, 2.0, 4.0]), half_saturation=2.0, slope=2.0),
        [0.0, 0.2, 0.5, 0.8],
        rtol=1e-14,
    )
    mm = MichaelisMentenSaturation()
    np.testing.assert_allclose(
        mm.apply(np.array([0.0, 1.0, 3.0, 9.0]), half_saturation=3.0), [0, 0.25, 0.5, 0.75]
    )
    logistic = LogisticSaturation()
    # lam x = ln 3: (1 - 1/3) / (1 + 1/3) = 1/2; lam x = ln 7: (6/7) / (8/7) = 3/4
    np.testing.assert_allclose(
        logistic.apply(np.array([0.0, math.log(3.0), math.log(7.0)]), lam=1.0),
        [0.0, 0.5, 0.75],
        rtol=1e-14,
    )
    # per-channel parameters broadcast on the last axis
    y = hill.apply(np.array([[1.0, 1.0]]), half_saturation=np.array([1.0, 3.0]), slope=1.0)
    np.testing.assert_allclose(y, [[0.5, 0.25]], rtol=1e-14)


# =================================================================================================
# 5. pymc-marketing conventions (hand-computed: pymc-marketing is not a dependency)
# =================================================================================================


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


# =================================================================================================
# 6. Configuration round trips
# =================================================================================================

ADSTOCK_INSTANCES = [
    GeometricAdstock(),
    GeometricAdstock(max_lag=3, priors={"alpha": Prior("Beta", alpha=1.0, beta=[2.0, 3.0])}),
    DelayedAdstock(max_lag=5),
    DelayedAdstock(
        max_lag=12,
        priors={
            "theta": Prior("Uniform", lower=0.0, upper=11.0),
            "alpha": Prior("Beta", alpha=3, beta=1),
        },
    ),
    WeibullAdstock(),
    WeibullAdstock(max_lag=6, kind="cdf"),
    WeibullAdstock(
        max_lag=4, kind="pdf", priors={"k": Prior("Gamma", mu=2.0, sigma=np.float64(0.5))}
    ),
]
SATURATION_INSTANCES = [
    HillSaturation(),
    HillSaturation(priors={"slope": Prior("HalfNormal", sigma=np.array([1.0, 2.0]))}),
    LogisticSaturation(),
    LogisticSaturation(priors={"lam": Prior("Exponential", lam=1.0)}),
    MichaelisMentenSaturation(),
    MichaelisMentenSaturation(priors={"half_saturation": Prior("LogNormal", mu=0.5, sigma=1)}),
]


@pytest.mark.parametrize("a", ADSTOCK_INSTANCES, ids=repr)
def test_adstock_config_round_trip(a):
    assert adstock_from_config(a.config()) == a
    # through JSON too (config must be JSON-friendly)
    back = adstock_from_config(json.loads(json.dumps(a.config())))
    assert back == a
    assert back.priors == a.priors and back.max_lag == a.max_lag
    assert hash(back) == hash(a)


@pytest.mark.parametrize("s", SATURATION_INSTANCES, ids=repr)
def test_saturation_config_round_trip(s):
    assert saturation_from_config(s.config()) == s
    back = saturation_from_config(json.loads(json.dumps(s.config())))
    assert back == s and back.priors == s.priors
    assert hash(back) == hash(s)


def test_config_equality_sees_differences():
    assert GeometricAdstock(max_lag=3) != GeometricAdstock(max_lag=4)
    assert WeibullAdstock(kind="pdf") != WeibullAdstock(kind="cdf")
    assert GeometricAdstock() != GeometricAdstock(priors={"alpha": Prior("Beta", alpha=1, beta=1)})
    assert HillSaturation() != HillSaturation(priors={"slope": Prior("LogNormal", mu=0, sigma=1)})
    assert HillSaturation() != MichaelisMentenSaturation()


@pytest.mark.parametrize(
    "p",
    [
        Prior("Normal", mu=0.0, sigma=1.0),
        Prior("Beta", alpha=2, beta=3),
        Prior("TruncatedNormal", mu=0.0, sigma=2.0, lower=0.0, upper=7.0),
        Prior("HalfNormal", sigma=[1.0, 2.0, 3.0]),
        Prior("LogNormal", mu=np.array([0.0, 1.0]), sigma=np.float64(0.5)),
        Prior("StudentT", nu=4, mu=0, sigma=1),
    ],
    ids=repr,
)
def test_prior_dict_round_trip(p):
    assert Prior.from_dict(p.to_dict()) == p
    assert Prior.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert hash(Prior.from_dict(p.to_dict())) == hash(p)


def test_unknown_prior_parameter_names_raise():
    with pytest.raises(ValueError, match="alpha") as info:
        GeometricAdstock(priors={"decay": Prior("Beta", alpha=1, beta=1)})
    assert "decay" in str(info.value)
    with pytest.raises(ValueError, match=r"half_saturation.*slope"):
        HillSaturation(priors={"K": Prior("LogNormal", mu=0, sigma=1)})
    with pytest.raises(ValueError, match=r"k.*lam"):
        WeibullAdstock(priors={"scale": Prior("LogNormal", mu=0, sigma=1)})
    with pytest.raises(TypeError):
        GeometricAdstock(priors={"alpha": {"dist": "Beta", "alpha": 1, "beta": 1}})


def test_unknown_distribution_raises():
    with pytest.raises(ValueError, match="Nope") as info:
        Prior("Nope")
    assert "Normal" in str(info.value) and "Beta" in str(info.value)
    with pytest.raises(ValueError):
        Prior.from_dict({"dist": "Cauchy", "alpha": 0, "beta": 1})


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
