"""Draft mode: a quick approximate posterior for iterating on a specification.

NUTS gives the posterior an analyst can report; it also costs a full warm-up and thousands of
gradient evaluations per chain. While the question is still "which channels, which curves,
which controls", mean-field ADVI (Kucukelbir et al. 2017, "Automatic Differentiation
Variational Inference") answers in a fraction of that time: a Gaussian with a diagonal
covariance in the sampler's unconstrained space, fitted by stochastic gradient ascent on the
evidence lower bound (ELBO), then sampled.

Why not :func:`pymc.fit`: it compiles a second (C) version of the model and spends several
milliseconds of Python per step; on a 3-channel national model it took 220 s where NUTS took
40 s. Here every step calls the numba log-density gradient that nutpie compiled for NUTS (and
that :mod:`mmmkit.model` caches per specification), so a draft costs the compile plus a few
thousand gradient evaluations, and a later NUTS fit of the same specification reuses the
compile.

ADVI ignores posterior correlations, so its intervals are typically too narrow, most of all
for parameters that trade off (a channel's effect against its curve). The draws come back as
one chain of independent draws, so every reading method (ROAS, contributions, scenarios,
plots) works on them unchanged; diagnostics have no r-hat and no divergences, and the fit
warns that its intervals are approximate.
"""

from __future__ import annotations

import ctypes
import time
from typing import Any

import numpy as np
import xarray as xr

from mmmkit._threads import with_one_blas_thread

METHODS = ("advi",)

# Adam steps; each is one log-density gradient at one Monte Carlo draw
DEFAULT_ITERATIONS = 6000
# a rough fit is enough to start NUTS's chains in the posterior's bulk
INIT_ITERATIONS = 1000


class Density:
    """The compiled log density (and its expansion to every model variable), called in-process.

    ``compiled`` is nutpie's numba-compiled model; its two C functions take the model's data
    through ``user_data``, which :meth:`nutpie.CompiledPyMCModel.with_data` keeps current.
    """

    def __init__(self, compiled) -> None:
        self.compiled = compiled
        self.n = int(compiled.n_dim)
        self._grad = np.zeros(self.n)
        self._logp = np.zeros(())
        self._double_p = ctypes.POINTER(ctypes.c_double)
        self._user = ctypes.c_void_p(compiled.user_data.ctypes.data)
        self.n_expanded = int(compiled.n_expanded)

    def logp_grad(self, x: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Log density and its gradient at unconstrained ``x`` ``(n,)``; None where not finite."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        code = self.compiled.compiled_logp_func.ctypes(
            ctypes.c_uint64(self.n), x.ctypes.data_as(self._double_p),
            self._grad.ctypes.data_as(self._double_p), self._logp.ctypes.data_as(self._double_p),
            self._user,
        )
        if code != 0 or not np.isfinite(self._logp) or not np.all(np.isfinite(self._grad)):
            return None
        return float(self._logp), self._grad.copy()

    def expand(self, draws: np.ndarray) -> dict[str, np.ndarray]:
        """Every named model variable at unconstrained ``draws`` ``(S, n)``, as ``(S, ...)``."""
        out = np.zeros((len(draws), self.n_expanded))
        fn = self.compiled.compiled_expand_func.ctypes
        for i, x in enumerate(draws):
            x = np.ascontiguousarray(x, dtype=np.float64)
            code = fn(ctypes.c_uint64(self.n), ctypes.c_uint64(self.n_expanded),
                      x.ctypes.data_as(self._double_p), out[i].ctypes.data_as(self._double_p),
                      self._user)
            if code != 0:
                raise RuntimeError("The model could not be evaluated at an approximate draw.")
        values, start = {}, 0
        # nutpie lays the expanded variables out one after the other, in the order of _shapes
        for name, shape in self.compiled._shapes.items():
            size = int(np.prod(shape, dtype=int))
            values[name] = out[:, start:start + size].reshape((len(draws), *shape))
            start += size
        if start != self.n_expanded:
            raise RuntimeError("Unexpected layout of the model's variables.")
        return values


def optimize_advi(
    density: Density, *, seed: int | None, iterations: int, learning_rate: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Fit the mean-field Gaussian ``x = m + exp(omega) * eps`` by Adam on the ELBO.

    The variational family lives on the sampler's unconstrained space (Jacobians included in
    the log density). Adam ascends a one-draw estimate of the ELBO gradient, ``d/dm = g``,
    ``d/domega = g * eps * exp(omega) + 1``, with the step size decaying as
    ``1/sqrt(1 + t/250)``; the returned parameters are the average over the last quarter of
    the steps, which removes most of the Monte Carlo jitter.

    Returns
    -------
    m, omega : ``(n,)`` each: the approximation's mean and log standard deviation.
    info : ``approximation_seconds``, ``iterations``, ``elbo`` (nats, mean of the last quarter
        of the steps' one-draw estimates), ``failed_steps`` (steps whose draw had a non-finite
        density and were skipped).
    """
    n = density.n
    rng = np.random.default_rng(None if seed is None else [int(seed), 11])
    t0 = time.perf_counter()
    start = np.asarray(density.compiled.initial_point_func(int(rng.integers(2**31))),
                       dtype=float)
    params = np.concatenate([start, np.full(n, -2.0)])  # m, omega: start narrow (sd 0.14)
    first, second = np.zeros(2 * n), np.zeros(2 * n)
    beta1, beta2 = 0.9, 0.999
    keep_from = int(iterations * 0.75)
    mean_params, kept, elbos, failed = np.zeros(2 * n), 0, [], 0
    for t in range(1, iterations + 1):
        m, omega = params[:n], params[n:]
        eps = rng.standard_normal(n)
        scale = np.exp(omega)
        result = density.logp_grad(m + scale * eps)
        if result is None:
            failed += 1
            if failed > iterations // 4:
                raise RuntimeError(
                    "ADVI failed: the model's density was not finite at most draws. Check "
                    "mmmkit.review.review(model) and the priors, or fit with NUTS.")
            continue
        logp, g = result
        grad = np.concatenate([g, g * eps * scale + 1.0])
        first = beta1 * first + (1 - beta1) * grad
        second = beta2 * second + (1 - beta2) * grad**2
        step = learning_rate / np.sqrt(1.0 + t / 250.0)
        params = params + step * (first / (1 - beta1**t)) / (
            np.sqrt(second / (1 - beta2**t)) + 1e-8)
        if t > keep_from:
            mean_params += params
            kept += 1
            elbos.append(logp + omega.sum())
    if kept:
        params = mean_params / kept
    info = {
        "approximation_seconds": time.perf_counter() - t0,
        "iterations": iterations,
        # the entropy's constant n/2 log(2 pi e) is added so the number is the actual ELBO
        "elbo": float(np.mean(elbos) + 0.5 * n * np.log(2 * np.pi * np.e)) if elbos
        else float("nan"),
        "failed_steps": failed,
    }
    return params[:n], params[n:], info


@with_one_blas_thread  # the gradients' products are tiny: BLAS threads only spin
def fit_advi(
    compiled,
    *,
    draws: int,
    seed: int | None,
    iterations: int = DEFAULT_ITERATIONS,
    learning_rate: float = 0.05,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Mean-field ADVI on a nutpie-compiled model, and ``draws`` draws from it.

    Parameters
    ----------
    compiled : ``nutpie.CompiledPyMCModel`` (numba backend).
    draws : independent draws to return.
    seed : makes the optimisation and the draws reproducible.
    iterations : Adam steps (one gradient evaluation each).
    learning_rate : Adam's initial step size, on the unconstrained scale.

    Returns
    -------
    values : ``{variable name: (draws, ...)}`` for every model variable (constrained values
        and deterministics; nutpie's transformed ``*__`` copies included).
    info : see :func:`optimize_advi`.
    """
    density = Density(compiled)
    m, omega, info = optimize_advi(density, seed=seed, iterations=iterations,
                                   learning_rate=learning_rate)
    rng = np.random.default_rng(None if seed is None else [int(seed), 12])
    x = m + np.exp(omega) * rng.standard_normal((draws, density.n))
    return density.expand(x), info


def with_advi_start(compiled, *, seed: int | None, iterations: int = INIT_ITERATIONS):
    """``compiled`` whose chains start at draws from a short ADVI fit instead of near zero.

    nutpie starts each chain near the origin of the unconstrained space. For a model whose
    posterior lies far from there (custom priors on unusual scales, say) early warm-up spends
    many leapfrog steps getting there; starting each chain at its own draw from a mean-field
    approximation (as Zhang et al. 2022 do with Pathfinder) skips that walk. Independent draws,
    not one point, keep the chains over-dispersed enough for r-hat. On mmmkit's own scaled
    parameterisation the origin is already close, and ``benchmarks/bench_init.py`` measured no
    consistent gain, so this is an option, not the default. If the approximation fails, the
    model is returned unchanged.

    Returns
    -------
    (compiled model, info): ``info`` has ``init_seconds`` (``None`` when it fell back).
    """
    import dataclasses

    try:
        m, omega, info = optimize_advi(Density(compiled), seed=seed, iterations=iterations)
    except RuntimeError:
        return compiled, {"init_seconds": None}
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(omega))):
        return compiled, {"init_seconds": None}
    scale = np.exp(omega)

    def initial_point(chain_seed: int) -> np.ndarray:
        rng = np.random.default_rng([int(chain_seed), 13])
        return m + scale * rng.standard_normal(m.size)

    return (dataclasses.replace(compiled, initial_point_func=initial_point),
            {"init_seconds": info["approximation_seconds"]})


def approximate_posterior(
    compiled, model, *, method: str, draws: int, seed: int | None,
    iterations: int = DEFAULT_ITERATIONS,
) -> tuple[xr.Dataset, xr.Dataset, dict[str, Any]]:
    """Draft posterior of ``model`` (``pymc.Model``) as ArviZ-style datasets.

    Returns
    -------
    posterior : Dataset ``(chain=1, draw=draws, ...)`` with the model's dims and coords.
    sample_stats : Dataset with ``diverging`` (all False), for uniform diagnostics.
    info : see :func:`fit_advi`.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {('nuts', *METHODS)}, got {method!r}.")
    values, info = fit_advi(compiled, draws=draws, seed=seed, iterations=iterations)
    coords = {"chain": [0], "draw": np.arange(draws)}
    variables = {}
    for name, array in values.items():
        if name.endswith("__"):
            continue
        dims = list(model.named_vars_to_dims.get(name, ()))
        dims += [f"{name}_dim_{i}" for i in range(len(dims), array.ndim - 1)]
        variables[name] = (("chain", "draw", *dims), array[None])
        for dim in dims:
            if dim in model.coords and model.coords[dim] is not None:
                coords[dim] = list(model.coords[dim])
    posterior = xr.Dataset(variables, coords=coords)
    stats = xr.Dataset(
        {"diverging": (("chain", "draw"), np.zeros((1, draws), dtype=bool))},
        coords={"chain": [0], "draw": np.arange(draws)},
    )
    return posterior, stats, info


def approximation_warning(method: str, info: dict[str, Any]) -> str:
    """The plain-words warning every draft fit carries."""
    return (
        f"This is a draft fit ({method}, {info['approximation_seconds']:.0f} s): a variational "
        "approximation, not MCMC. Means are usually close; credible intervals are approximate "
        "and typically too narrow, and there are no convergence diagnostics. Use it to compare "
        "specifications quickly, then refit with method='nuts' before reporting or planning "
        "budgets on it."
    )
