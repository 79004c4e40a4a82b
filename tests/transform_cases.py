"""Shared cases, strategies and reference implementations for the transform tests
(``test_adstock.py``, ``test_saturation.py``): hypothesis draws of parameters and spend,
numpy/PyTensor evaluators in two compile modes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytensor
import pytensor.tensor as pt
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mmmkit.adstock import (
    Adstock,
    BinomialAdstock,
    DelayedAdstock,
    GeometricAdstock,
    WeibullAdstock,
)
from mmmkit.priors import Prior
from mmmkit.saturation import (
    HillSaturation,
    LogisticSaturation,
    MichaelisMentenSaturation,
    Saturation,
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
        AdstockCase(
            "weibull_survival",
            lambda L: WeibullAdstock(L, kind="survival"),
            lambda L: {"lam": floats(0.5, 10.0), "k": floats(0.3, 5.0)},
        ),
        AdstockCase("binomial", BinomialAdstock, lambda L: {"alpha": floats(0.01, 0.99)}),
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


COMPILED: dict[tuple, Callable] = {}


def adstock_fn(case: str, max_lag: int, mode: str) -> Callable:
    """f(x3, x1, *vector params, *scalar params) -> (w_vec, y3, w_scalar, y1)."""
    key = ("adstock", case, max_lag, mode)
    if key not in COMPILED:
        a = ADSTOCK_CASES[case].make(max_lag)
        x3 = pt.tensor3("x3", dtype="float64")
        x1 = pt.vector("x1", dtype="float64")
        vec = {n: pt.vector(f"{n}_vec", dtype="float64") for n in a.param_names}
        sca = {n: pt.scalar(f"{n}_sca", dtype="float64") for n in a.param_names}
        outs = [a.weights(**vec), a.apply(x3, **vec), a.weights(**sca), a.apply(x1, **sca)]
        COMPILED[key] = pytensor.function(
            [x3, x1, *vec.values(), *sca.values()], outs, mode=MODES[mode]
        )
    return COMPILED[key]


def saturation_fn(case: str, mode: str) -> Callable:
    """f(x3, x1, *vector params, *scalar params) -> (y3, y1)."""
    key = ("saturation", case, mode)
    if key not in COMPILED:
        s = SATURATION_CASES[case].make()
        x3 = pt.tensor3("x3", dtype="float64")
        x1 = pt.vector("x1", dtype="float64")
        vec = {n: pt.vector(f"{n}_vec", dtype="float64") for n in s.param_names}
        sca = {n: pt.scalar(f"{n}_sca", dtype="float64") for n in s.param_names}
        outs = [s.apply(x3, **vec), s.apply(x1, **sca)]
        COMPILED[key] = pytensor.function(
            [x3, x1, *vec.values(), *sca.values()], outs, mode=MODES[mode]
        )
    return COMPILED[key]


def saturation_grad_fn(case: str, mode: str) -> Callable:
    """f(x, *vector params) -> d sum(curve(x)) / d param, one array per parameter."""
    key = ("saturation_grad", case, mode)
    if key not in COMPILED:
        s = SATURATION_CASES[case].make()
        x = pt.matrix("x", dtype="float64")
        vec = {n: pt.vector(n, dtype="float64") for n in s.param_names}
        total = s.apply(x, **vec).sum()
        grads = pytensor.grad(total, list(vec.values()))
        COMPILED[key] = pytensor.function([x, *vec.values()], grads, mode=MODES[mode])
    return COMPILED[key]


def check_adstock_agreement(data, case_name: str, mode: str, max_lag_strategy) -> None:
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


def draw_saturation(data, case_name: str, n: int | None = None):
    case = SATURATION_CASES[case_name]
    if n is None:
        params = {k: data.draw(s, label=k) for k, s in case.params.items()}
    else:
        params = {k: draw_vec(data, s, n) for k, s in case.params.items()}
    return case.make(), params


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
    WeibullAdstock(max_lag=5, kind="survival"),
    BinomialAdstock(),
    BinomialAdstock(max_lag=3, priors={"alpha": Prior("Beta", alpha=2.0, beta=2.0)}),
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
