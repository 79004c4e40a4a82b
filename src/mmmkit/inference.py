"""Inference: sampler control, the compile cache and the fitted ``InferenceData``.

Below the estimator: :class:`mmmkit.MMM` hands a built PyMC model here and gets the posterior
back. Compiling takes tens of seconds and sampling a national model a few, so compiled nutpie
models are cached by :func:`compile_key` (the specification and the parameter shapes, not the
weeks: a back-test fold or a refresh reuses the compile).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import arviz as az
import numpy as np
import xarray as xr

from mmmkit._threads import one_blas_thread
from mmmkit.approximate import approximate_posterior, with_advi_start
from mmmkit.calibration import LiftTestArrays, lift_test_structure
from mmmkit.posterior import PosteriorEngine
from mmmkit.priors import prior_structure


def compile_key(config: dict[str, Any], geos: list[str], *,
                media_groups: list[list[str]] | None = None,
                lift_tests: Sequence[LiftTestArrays] = ()) -> str:
    """What fixes the compiled sampler: the graph's structure and the geos.

    ``config`` is :meth:`MMM.config` (without what only labels answers). Of it, the numbers
    that are data in the graph do not count: the ROAS priors' numbers (their family and
    channels do) and the lift tests' values; ``lift_tests`` (the arrays the fit calibrates
    with) count by their layout (channel, geos, weeks), ``media_groups`` by which channels
    share a transform. Nor do the weeks: spend, target and features are data, so a refit on
    other weeks (a back-test fold, an updated data set) reuses the compiled model.
    """
    config = {k: v for k, v in config.items() if k != "lift_tests"}
    config["roas_priors"] = prior_structure(config.get("roas_priors", {}))
    config["media_groups"] = media_groups
    config["lift_tests"] = lift_test_structure(lift_tests)
    return json.dumps({"config": config, "geos": list(geos)}, sort_keys=True)


def assemble_idata(engine: PosteriorEngine, posterior: xr.Dataset, sample_stats: xr.Dataset,
                   seed, *, target: str) -> az.InferenceData:
    """The fitted model's ``InferenceData``: the draws, a posterior predictive drawn with
    ``seed``, the observed target and the data the draws belong to (``engine.data``)."""
    data = engine.data
    rng = np.random.default_rng(None if seed is None else [int(seed), 1])
    predictive = np.empty((engine.n_samples, data.n_geos, data.n_weeks))
    spend = engine.media.reorder(data.spend)
    for sl in engine.chunks(data.n_geos * data.n_weeks * len(data.channels)):
        mean = engine.expected_target(spend, data.dates, data.control_values, sl)
        predictive[sl] = mean + engine.observation_noise(mean.shape, sl, rng)
    geo_date = {"geo": data.geos, "date": data.dates}
    pp = xr.Dataset(
        {target: (("chain", "draw", "geo", "date"), engine.reshape(predictive))},
        coords={"chain": engine.chain_coord, "draw": engine.draw_coord, **geo_date})
    observed = xr.Dataset({target: (("geo", "date"), data.target)}, coords=geo_date)
    constant = xr.Dataset(
        {
            "spend": (("geo", "date", "channel"), data.spend),
            "control_values": (("geo", "date", "control"), data.control_values),
            "spend_scale": (("geo", "channel"), data.spend_scale),
            "target_scale": (("geo",), data.target_scale),
            "control_mean": (("control",), data.control_mean),
            "control_sd": (("control",), data.control_sd),
        },
        coords={**geo_date, "channel": data.channels, "control": data.controls},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.InferenceData(
            posterior=posterior, sample_stats=sample_stats, posterior_predictive=pp,
            observed_data=observed, constant_data=constant,
        )


# Compiled nutpie models by specification (see :func:`compile_key`); compiling takes tens of
# seconds, sampling a national model a few. Bounded, most recent last.
COMPILED: dict[str, Any] = {}
COMPILED_MAX = 8


def compiled_nutpie(model, key: str):
    """nutpie's compile of ``model``, reused from :data:`COMPILED` when ``key`` was compiled
    before: then with ``model``'s data (spend, target, prior numbers, lift tests) and its own
    starting points, so that a reused compile samples exactly as a fresh one would."""
    import dataclasses

    import nutpie

    cached = COMPILED.pop(key, None)
    if cached is None:
        cached = nutpie.compile_pymc_model(model)
    else:
        cached = dataclasses.replace(
            cached.with_data(**{v.name: v.get_value() for v in model.data_vars}),
            initial_point_func=initial_point_function(model))
    COMPILED[key] = cached
    while len(COMPILED) > COMPILED_MAX:
        COMPILED.pop(next(iter(COMPILED)))
    return cached


def initial_point_function(model):
    """``seed -> flat start`` as :func:`nutpie.compile_pymc_model` makes it (PyMC's support
    point of each free variable, jittered uniformly on (-1, 1) on the unconstrained scale),
    for ``model``: the start depends on the prior's numbers, which a reused compile's own
    function would take from the model it was compiled for."""
    import threading

    from pymc.initial_point import make_initial_point_fn

    point_fn = make_initial_point_fn(model=model, jitter_rvs=set(model.free_RVs),
                                     default_strategy="support_point", return_transformed=True)
    names = [model.rvs_to_values[rv].name for rv in model.free_RVs]
    lock = threading.Lock()  # nutpie asks for starts from its chains' threads

    def flat(seed=None):
        with lock:
            point = point_fn(seed)
        return np.concatenate([np.asarray(point[n], dtype="float64").ravel() for n in names])

    return flat


def approximate(model, *, key, method, draws, seed):
    """Draft posterior (:mod:`mmmkit.approximate`) on the cached nutpie compile; returns the
    posterior and sample_stats datasets and ``info`` (timings, ELBO, one chain of draws)."""
    import time

    t0 = time.perf_counter()
    compiled = compiled_nutpie(model, key)
    compile_seconds = time.perf_counter() - t0
    posterior, sample_stats, info = approximate_posterior(
        compiled, model, method=method, draws=draws, seed=seed)
    return posterior, sample_stats, {"draws": draws, "chains": 1,
                                     "compile_seconds": compile_seconds, **info}


def sample(model, *, key, sampler, draws, tune, chains, seed, target_accept, progress, cores,
            low_rank=False, init="jitter"):
    """Run NUTS; returns the posterior and sample_stats datasets and timings (seconds)."""
    import time

    import pymc as pm

    cores = cores or min(chains, available_cores())
    t0 = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        compiled = compiled_nutpie(model, key)
        t1 = time.perf_counter()
        # chains are threads: BLAS's own threads would fight them for the cores
        with one_blas_thread():
            if init == "advi":
                compiled, _ = with_advi_start(compiled, seed=seed)
            idata = nutpie.sample(
                compiled, draws=draws, tune=tune, chains=chains, cores=cores, seed=seed,
                target_accept=target_accept, progress_bar=progress, save_warmup=False,
                low_rank_modified_mass_matrix=low_rank,
            )
    else:
        t1 = t0
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            idata = pm.sample(
                draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                target_accept=target_accept, progressbar=progress, nuts_sampler=sampler,
                compute_convergence_checks=False,
            )
    t2 = time.perf_counter()
    check_complete(idata, model, draws=draws, chains=chains)
    posterior = idata.posterior
    keep = [v for v in posterior.data_vars if not v.endswith("__")]
    stats = idata.sample_stats
    return posterior[keep], stats, {"compile_seconds": t1 - t0, "sampling_seconds": t2 - t1}


def check_complete(idata, model, *, draws: int, chains: int) -> None:
    """Raise ``KeyboardInterrupt`` for the partial trace an interrupted sampler returns.

    ``nutpie.sample`` and PyMC's own samplers catch Ctrl-C and return the draws made so far
    instead of raising: nutpie ends the draw axis at the longest chain (no draws at all when
    warm-up was cut) and pads the shorter chains with NaN. Taking that trace would mark the
    model fitted on uneven chains (NaN or ``IndexError`` from every reading method). Sampled
    variables are never NaN at a real draw, so a NaN in one is padding.
    """
    posterior = idata.posterior if "posterior" in idata.groups() else None
    made = (0, 0) if posterior is None else (posterior.sizes.get("chain", 0),
                                             posterior.sizes.get("draw", 0))
    unchanged = "the model is unchanged; fit again to sample."
    if made != (chains, draws):
        raise KeyboardInterrupt(f"Sampling was interrupted after {made[0]} chain(s) x "
                                f"{made[1]} draws of {chains} x {draws}: {unchanged}")
    names = [rv.name for rv in model.free_RVs if rv.name in posterior.data_vars]
    short = sorted({int(c) for n in names
                    for c in np.flatnonzero(np.isnan(posterior[n].values).reshape(chains, -1)
                                            .any(axis=1))})
    if short:
        raise KeyboardInterrupt(f"Sampling was interrupted: chain(s) {short} stopped before "
                                f"{draws} draws: {unchanged}")


def available_cores() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def prior_parameters(pm_model, draws: int, seed: int | None) -> xr.Dataset:
    """Prior draws of every model variable ``(chain=1, draw)``, from PyMC's own graph.

    ``pm_model`` is :meth:`MMM.build_model`'s. The intercept's prior term is not applied (see
    :func:`mmmkit.evaluation.prior_predictive`); the media parameters' prior is the model's up
    to that term's negligible tilt.
    """
    import logging

    import pymc as pm

    names = [v.name for v in pm_model.free_RVs + pm_model.deterministics]
    log = logging.getLogger("pymc")
    level = log.level
    log.setLevel(logging.WARNING)  # PyMC logs "Sampling: [...]" at INFO on every call
    try:
        with pm_model, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyMC notes terms it cannot sample: see the caller
            prior = pm.sample_prior_predictive(draws=draws, var_names=names, random_seed=seed)
    finally:
        log.setLevel(level)
    return prior.prior
