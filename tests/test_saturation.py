"""Saturation curves (:mod:`mmmkit.saturation`): numpy and PyTensor agree, curves are
zero at zero, increasing and bounded, and match their formulas and hand values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmmkit.adstock import (
    GeometricAdstock,
    WeibullAdstock,
)
from mmmkit.priors import Prior
from mmmkit.saturation import (
    HillSaturation,
    LogisticSaturation,
    MichaelisMentenSaturation,
    saturation_from_config,
)
from transform_cases import (
    MODES,
    SATURATION_CASES,
    SATURATION_INSTANCES,
    SETTINGS,
    TOL,
    draw_saturation,
    draw_vec,
    floats,
    saturation_fn,
    saturation_grad_fn,
    spend,
)


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


def test_hill_keeps_a_nan_input_nan_and_zero_at_zero_in_the_graph():
    """A broken upstream weight must not turn into a silent 0 (issue 14 item 7)."""
    import numpy as np
    import pytensor
    import pytensor.tensor as pt

    import mmmkit as mk

    hill = mk.HillSaturation()
    x = pt.vector("x")
    slope = pt.scalar("slope")
    out = hill.apply(x, half_saturation=0.8, slope=slope)
    grad = pytensor.grad(out.sum(), slope)
    f = pytensor.function([x, slope], [out, grad])
    value, _ = f(np.array([0.0, np.nan, 1.0]), 2.0)
    assert value[0] == 0.0 and np.isnan(value[1]) and 0 < value[2] < 1
    assert np.isfinite(f(np.array([0.0, 1.0]), 2.0)[1])  # the gradient at 0 stays finite
    assert np.isnan(hill.apply(np.array([np.nan]), half_saturation=0.8, slope=2.0)[0])
