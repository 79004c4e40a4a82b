"""Fit-speed and accuracy benchmark: mmmkit, optionally against PyMC-Marketing, on known truth.

Usage::

    python benchmarks/bench_fit.py national
    python benchmarks/bench_fit.py geo --draws 500 --tune 500 --vs pymc-marketing
    python benchmarks/bench_fit.py national --vs pymc-marketing --saturation logistic

The parent process (run with mmmkit's own virtualenv) simulates ``mmmkit.simulate.scenario``,
writes the data to a temporary parquet file, and runs every fit in a fresh child process:

* mmmkit in this same interpreter;
* PyMC-Marketing in the interpreter of a separate virtualenv (``benchmarks/pmm_setup.sh``,
  ``$MMMKIT_PMM_VENV``, default ``/tmp/mmmkit-pmm-venv``), which never imports mmmkit.

One child per fit keeps peak memory and in-process compile caches per library; each child also
gets its own empty PyTensor compile directory (unless ``--cache-dir`` is given), so neither
library starts from the other's on-disk numba cache. With ``--vs pymc-marketing`` the two
libraries alternate (A B, then B A on the next repeat), since wall times on a shared machine
drift.

Stdout carries one JSON line per fit, then one ratio line (mmmkit / PyMC-Marketing) per pair;
sampler progress and library warnings go to stderr. ``benchmarks/README.md`` explains every
field.

This single file is both the parent and the child (``--worker``); the child part imports only
what its library's environment has (no mmmkit in the PyMC-Marketing one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LIBRARIES = ("mmmkit", "pymc-marketing")
DEFAULT_PMM_VENV = "/tmp/mmmkit-pmm-venv"


# =============================================================================================
# Shared by both workers
# =============================================================================================
class NutpieClock:
    """Times the two nutpie calls every fit goes through, whichever library makes them.

    Both mmmkit and PyMC (``pm.sample(nuts_sampler="nutpie")``) look up
    ``nutpie.compile_pymc_model`` and ``nutpie.sample`` on the module at call time, so wrapping
    the module attributes splits a fit into build, compile, sampling and post-processing the
    same way for both libraries, without relying on either library's own timers. The compiled
    model is kept, so the gradient timing uses exactly the function the sampler ran, without
    compiling it again.
    """

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.compiled = None

    def install(self) -> None:
        import nutpie

        compile_fn, sample_fn = nutpie.compile_pymc_model, nutpie.sample

        def timed_compile(*args, **kwargs):
            self.marks["compile_start"] = time.perf_counter()
            try:
                self.compiled = compile_fn(*args, **kwargs)
                return self.compiled
            finally:
                self.marks["compile_end"] = time.perf_counter()

        def timed_sample(*args, **kwargs):
            self.marks["sample_start"] = time.perf_counter()
            try:
                return sample_fn(*args, **kwargs)
            finally:
                self.marks["sample_end"] = time.perf_counter()

        nutpie.compile_pymc_model = timed_compile
        nutpie.sample = timed_sample

    def split(self, fit_start: float, fit_end: float) -> dict[str, float]:
        """Seconds of each phase of a fit that ran between ``fit_start`` and ``fit_end``."""
        m = self.marks
        return {
            "build_and_compile_seconds": m["sample_start"] - fit_start,
            "compile_seconds": m["compile_end"] - m["compile_start"],
            "sampling_seconds": m["sample_end"] - m["sample_start"],
            "postprocess_seconds": fit_end - m["sample_end"],
            "fit_seconds": fit_end - fit_start,
        }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (nutpie's chains are threads in it)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def sampler_diagnostics(idata, var_names: list[str]) -> dict[str, float]:
    """Divergences, worst r-hat and smallest bulk/tail ESS over ``var_names``.

    Restricted to the model's free parameters: deterministics differ between the libraries
    (PyMC-Marketing records per-week contributions), so "all posterior variables" would not
    compare like with like.
    """
    import arviz as az
    import numpy as np

    posterior = idata.posterior[var_names]

    def extreme(dataset, reduce) -> float:
        values = np.concatenate([np.asarray(v).ravel() for v in dataset.data_vars.values()])
        return float(reduce(values))

    return {
        "divergences": int(np.asarray(idata.sample_stats["diverging"]).sum()),
        "max_r_hat": extreme(az.rhat(posterior), np.nanmax),
        "min_ess_bulk": extreme(az.ess(posterior, method="bulk"), np.nanmin),
        "min_ess_tail": extreme(az.ess(posterior, method="tail"), np.nanmin),
    }


def roas_summary(roas_draws, channels: list[str]) -> dict[str, Any]:
    """Posterior mean ROAS per channel and the smallest bulk ESS among the channels.

    ``roas_draws`` is an xarray ``(chain, draw, channel)``. The ROAS ESS is the one quantity
    both libraries define identically, so it is the fairest "effective draws" figure.
    """
    import arviz as az

    ess = az.ess(roas_draws.to_dataset(name="roas"), method="bulk")["roas"]
    return {
        "roas_mean": {c: float(roas_draws.sel(channel=c).mean()) for c in channels},
        "roas_min_ess_bulk": float(ess.min()),
    }


def time_gradient(compiled, seed: int, min_batch_seconds: float = 0.2) -> dict[str, Any]:
    """Seconds per log-density + gradient evaluation, as nutpie's sampler calls it.

    ``compiled`` is the nutpie model the fit sampled with (numba backend). Its C function is
    called through ctypes at one of nutpie's initial points, in batches long enough for the
    timer; the best of five batches is reported (noise on a shared machine only adds time).
    The ~1 microsecond of ctypes call overhead is included.
    """
    import ctypes

    import numpy as np

    n = compiled.n_dim
    grad, logp = np.zeros(n), np.zeros(())
    fn = compiled.compiled_logp_func.ctypes
    double_p = ctypes.POINTER(ctypes.c_double)
    # nutpie's initial points are jittered; like nutpie itself, draw again when one has a
    # non-finite gradient (e.g. a Hill curve's slope gradient at exactly zero spend).
    for attempt in range(100):
        x = np.ascontiguousarray(compiled.initial_point_func(seed + attempt), dtype=np.float64)
        args = (
            ctypes.c_uint64(n), x.ctypes.data_as(double_p), grad.ctypes.data_as(double_p),
            logp.ctypes.data_as(double_p), ctypes.c_void_p(compiled.user_data.ctypes.data),
        )
        if fn(*args) == 0:
            break
    else:
        return {"grad_eval_seconds": None, "n_parameters": int(n)}
    calls = 1
    while True:  # grow the batch until it is long enough to time
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_batch_seconds:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(4):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / calls)
    return {"grad_eval_seconds": best, "n_parameters": int(n)}


def free_parameter_names(model) -> list[str]:
    """Names of the free random variables of a PyMC model (constrained space)."""
    return [v.name for v in model.free_RVs]


# =============================================================================================
# Workers (child processes)
# =============================================================================================
def worker_mmmkit(spec: dict[str, Any], df) -> dict[str, Any]:
    """Fit mmmkit on ``df`` as ``spec`` says; returns timings, diagnostics and ROAS."""
    import mmmkit as mk

    clock = NutpieClock()
    clock.install()
    saturation = (mk.LogisticSaturation() if spec["saturation"] == "logistic"
                  else mk.HillSaturation())
    model = mk.MMM(
        date=spec["date"], target=spec["target"], channels=spec["channels"], geo=spec["geo"],
        controls=spec["controls"], adstock=mk.GeometricAdstock(max_lag=spec["max_lag"]),
        saturation=saturation, seasonality=spec["seasonality"], trend=True,
    )
    t0 = time.perf_counter()
    model.fit(
        df, draws=spec["draws"], tune=spec["tune"], chains=spec["chains"], seed=spec["seed"],
        sampler="nutpie", target_accept=spec["target_accept"], progress=spec["progress"],
        cores=spec["cores"], low_rank=spec["low_rank"]["mmmkit"],
    )
    t1 = time.perf_counter()
    out: dict[str, Any] = {**clock.split(t0, t1), "peak_memory_mb": peak_rss_mb()}
    pymc_model = model.build_model()
    out.update(sampler_diagnostics(model.idata, free_parameter_names(pymc_model)))
    # mmmkit's ROAS counts the carryover into the max_lag - 1 weeks after the period.
    out.update(roas_summary(model.roas_draws(), spec["channels"]))
    out["roas_includes_carryover_tail"] = True
    out.update(time_gradient(clock.compiled, spec["seed"]))
    out["library_version"] = mk.__version__
    return out


def _pmm_priors(spec: dict[str, Any]):
    """PyMC-Marketing transforms and model_config matching mmmkit's model structure.

    Each library keeps its own default prior *families and scales*; only where a parameter
    lives (shared by geos or per geo) is aligned with mmmkit, so both fit the same model:
    adstock and saturation shapes, seasonality and control coefficients shared by all geos;
    intercept and linear trend per geo; one noise sigma; the channel effect (``beta``)
    partially pooled across geos, log-normal and non-centred like mmmkit's. PyMC-Marketing's
    multidimensional defaults would instead give every geo its own unpooled adstock, curve,
    seasonality, controls and sigma (a different, much larger model).
    """
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, HillSaturation, LogisticSaturation
    from pymc_marketing.special_priors import LogNormalPrior

    geo = spec["geo"]
    dims: tuple[str, ...] = (geo,) if geo else ()
    if spec["saturation"] == "logistic":
        cls = LogisticSaturation
        shape = {"lam": Prior("Gamma", alpha=3, beta=1, dims="channel")}
        beta = Prior("HalfNormal", sigma=2, dims="channel")
    else:
        cls = HillSaturation
        shape = {"slope": Prior("HalfNormal", sigma=1.5, dims="channel"),
                 "kappa": Prior("HalfNormal", sigma=1.5, dims="channel")}
        beta = Prior("HalfNormal", sigma=1.5, dims="channel")
    if geo:
        # The hierarchy PyMC Labs use for geo panels in their own MMM parameter-recovery
        # benchmark (pymc-labs/mmm-param-recovery): non-centred log-normal across geos.
        beta = LogNormalPrior(
            mean=Prior("Gamma", mu=0.25, sigma=0.10, dims="channel"),
            std=Prior("Exponential", scale=0.10, dims="channel"),
            dims=(geo, "channel"), centered=False,
        )
    saturation = cls(priors={**shape, "beta": beta})
    adstock = GeometricAdstock(
        l_max=spec["max_lag"], priors={"alpha": Prior("Beta", alpha=1, beta=3, dims="channel")})
    model_config = {
        "intercept": Prior("Normal", mu=0, sigma=2, dims=dims),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=2), dims=("date", *dims)),
        "gamma_control": Prior("Normal", mu=0, sigma=2, dims="control"),
        "gamma_fourier": Prior("Laplace", mu=0, b=1, dims="fourier_mode"),
    }
    # A straight-line trend per geo: one change point at t = 0 makes LinearTrend delta * t.
    trend_prior = {"delta": Prior("Laplace", mu=0, b=0.25, dims=(*dims, "changepoint"))}
    return dims, adstock, saturation, model_config, trend_prior


def _sum_to_channel(da):
    """Sum an xarray over every dimension but chain, draw and channel."""
    return da.sum([d for d in da.dims if d not in ("chain", "draw", "channel")])


def _pmm_tail_contribution(mmm, df, spec: dict[str, Any]):
    """Channel contributions (target units) in the ``max_lag - 1`` weeks after the data.

    Spend is zero in those weeks, so what PyMC-Marketing predicts there is the carryover of the
    fitted period's spend; ``include_last_observations`` feeds the adstock its history.
    """
    import pandas as pd

    date, geo = spec["date"], spec["geo"]
    last = pd.to_datetime(df[date]).max()
    weeks = pd.date_range(last + pd.Timedelta(weeks=1), periods=spec["max_lag"] - 1, freq="7D")
    geos = df[geo].unique() if geo else [None]
    rows = [{date: d, **({geo: g} if geo else {})} for g in geos for d in weeks]
    future = pd.DataFrame(rows)
    for column in [*spec["channels"], *spec["controls"]]:
        future[column] = 0.0
    pp = mmm.sample_posterior_predictive(
        future, extend_idata=False, combined=False, include_last_observations=True,
        var_names=["channel_contribution"], progressbar=False, random_seed=spec["seed"])
    return pp["channel_contribution"] * mmm.scalers["_target"]


def worker_pymc_marketing(spec: dict[str, Any], df) -> dict[str, Any]:
    """Fit PyMC-Marketing's multidimensional MMM on ``df``; same outputs as mmmkit's worker."""
    import pymc_marketing
    import xarray as xr
    from pymc_marketing.mmm.additive_effect import LinearTrendEffect
    from pymc_marketing.mmm.linear_trend import LinearTrend
    from pymc_marketing.mmm.multidimensional import MMM

    clock = NutpieClock()
    clock.install()
    dims, adstock, saturation, model_config, trend_prior = _pmm_priors(spec)
    t0 = time.perf_counter()
    # The classic pymc_marketing.mmm.MMM is deprecated in 0.19 (removal in 0.20); the
    # multidimensional class with dims=() is its national replacement, so one class serves both.
    mmm = MMM(
        date_column=spec["date"], target_column=spec["target"], channel_columns=spec["channels"],
        control_columns=spec["controls"] or None, dims=dims or None, adstock=adstock,
        saturation=saturation, yearly_seasonality=spec["seasonality"], model_config=model_config,
    )
    mmm.mu_effects.append(LinearTrendEffect(
        trend=LinearTrend(n_changepoints=1, dims=dims, priors=trend_prior), prefix="trend"))
    X = df.drop(columns=[spec["target"]])
    y = df[spec["target"]]
    sampler_kwargs: dict[str, Any] = {"cores": spec["cores"]}
    if spec["low_rank"]["pymc-marketing"]:
        sampler_kwargs["low_rank_modified_mass_matrix"] = True
    mmm.fit(
        X, y, draws=spec["draws"], tune=spec["tune"], chains=spec["chains"],
        random_seed=spec["seed"], target_accept=spec["target_accept"], nuts_sampler="nutpie",
        nuts_sampler_kwargs=sampler_kwargs, progressbar=spec["progress"],
    )
    t1 = time.perf_counter()
    out: dict[str, Any] = {**clock.split(t0, t1), "peak_memory_mb": peak_rss_mb()}
    out.update(sampler_diagnostics(mmm.idata, free_parameter_names(mmm.model)))
    # Counterfactual ROAS over the whole period: predicted contribution with the actual spend
    # minus with the period's spend zeroed (PyMC-Marketing's incrementality API). Its
    # include_carryover=True only reaches weeks inside the fitted data, so for the whole period
    # it counts no tail; the carryover into the weeks after the last one is added from a
    # posterior-predictive run on zero-spend future weeks, as mmmkit and the truth count it.
    spend = xr.DataArray(df[spec["channels"]].sum().to_numpy(), dims="channel",
                         coords={"channel": spec["channels"]})
    incr = mmm.incrementality.compute_incremental_contribution(
        frequency="all_time", include_carryover=True)
    in_period = _sum_to_channel(incr)
    tail = _sum_to_channel(_pmm_tail_contribution(mmm, df, spec))
    out.update(roas_summary((in_period + tail) / spend, spec["channels"]))
    out["roas_includes_carryover_tail"] = True
    out["roas_mean_without_tail"] = {
        c: float((in_period / spend).sel(channel=c).mean()) for c in spec["channels"]}
    out.update(time_gradient(clock.compiled, spec["seed"]))
    out["library_version"] = pymc_marketing.__version__
    return out


def run_worker(library: str, spec_path: str, result_path: str) -> None:
    """Child entry point: read the spec and the data, fit, write the result JSON."""
    import warnings

    import pandas as pd

    spec = json.loads(Path(spec_path).read_text())
    df = pd.read_parquet(spec["data_path"])
    warnings.simplefilter("ignore", FutureWarning)  # ArviZ 1.0 notices, deprecations
    worker = worker_mmmkit if library == "mmmkit" else worker_pymc_marketing
    out = worker(spec, df)
    from importlib.metadata import version

    out["versions"] = {p: version(p) for p in ("pymc", "pytensor", "nutpie", "numba")}
    Path(result_path).write_text(json.dumps(out))


# =============================================================================================
# Parent
# =============================================================================================
def pmm_python() -> str:
    """The PyMC-Marketing virtualenv's interpreter, or an error saying how to create it."""
    venv = Path(os.environ.get("MMMKIT_PMM_VENV", DEFAULT_PMM_VENV))
    python = venv / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"No PyMC-Marketing virtualenv at {venv}: run `bash benchmarks/pmm_setup.sh` first "
            "(or point MMMKIT_PMM_VENV at one).")
    return str(python)


def run_fit(library: str, spec: dict[str, Any], workdir: Path, args) -> dict[str, Any]:
    """Run one fit in a fresh child process and return its result record.

    Peak memory comes from two places: the child's own ``ru_maxrss`` right after the fit
    (``peak_memory_mb``), and ``os.wait4``'s for the whole child including the post-fit ROAS
    and gradient timing (``peak_memory_mb_process``).
    """
    tag = f"{library}-{len(list(workdir.glob('result-*')))}"
    spec_path, result_path = workdir / f"spec-{tag}.json", workdir / f"result-{tag}.json"
    spec_path.write_text(json.dumps(spec))
    python = sys.executable if library == "mmmkit" else pmm_python()
    env = dict(os.environ)
    # A cold, private PyTensor/numba compile cache per fit (see the module docstring), unless
    # the caller asks for a persistent one per library.
    cache = (Path(args.cache_dir) / library if args.cache_dir
             else Path(tempfile.mkdtemp(prefix=f"cache-{tag}-", dir=workdir)))
    cache.mkdir(parents=True, exist_ok=True)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache}"
    cmd = [python, os.path.abspath(__file__), "--worker", library, str(spec_path),
           str(result_path)]
    print(f"[bench] {spec['scenario']}: fitting {library} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=sys.stderr, env=env)
    status, rusage, timed_out = _wait(proc, args.time_limit)
    wall = time.perf_counter() - t0
    record: dict[str, Any] = {"scenario": spec["scenario"], "library": library}
    if timed_out or status != 0 or not result_path.exists():
        record.update(status="timeout" if timed_out else f"failed (exit {status})",
                      wall_seconds=wall)
        return record
    record.update(json.loads(result_path.read_text()))
    record["peak_memory_mb_process"] = rusage.ru_maxrss / 1024.0
    record["child_wall_seconds"] = wall
    record["status"] = "ok"
    return record


def _wait(proc: subprocess.Popen, limit: float | None):
    """Wait for ``proc`` (killing it after ``limit`` seconds); returns status, rusage, timeout."""
    deadline = None if limit is None else time.monotonic() + limit
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage, False
        if deadline is not None and time.monotonic() > deadline:
            proc.kill()
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage, True
        time.sleep(0.5)


def score(record: dict[str, Any], true_roas: dict[str, float]) -> None:
    """Add ROAS error against the truth and ESS per second to a finished record, in place."""
    if record.get("status") != "ok":
        return
    errors = {c: abs(record["roas_mean"][c] - t) / t for c, t in true_roas.items()}
    record["roas_true"] = true_roas
    record["roas_error_per_channel"] = errors
    record["roas_error"] = sum(errors.values()) / len(errors)
    record["ess_bulk_per_second"] = record["min_ess_bulk"] / record["sampling_seconds"]
    record["roas_ess_bulk_per_second"] = (
        record["roas_min_ess_bulk"] / record["sampling_seconds"])


RATIO_FIELDS = (
    "ess_bulk_per_second", "roas_ess_bulk_per_second", "sampling_seconds",
    "build_and_compile_seconds", "fit_seconds", "grad_eval_seconds", "peak_memory_mb",
    "roas_error",
)


def ratio(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a / b`` for the headline fields of two finished records."""
    out: dict[str, Any] = {"scenario": a["scenario"], "library": "ratio mmmkit/pymc-marketing"}
    for field in RATIO_FIELDS:
        if a.get("status") == b.get("status") == "ok" and b.get(field):
            out[field] = a[field] / b[field]
    return out


def simulate(args, workdir: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Simulate the scenario, write its data, and return the fit spec and the true ROAS."""
    import mmmkit as mk

    sim = mk.simulate.scenario(args.scenario, seed=args.data_seed)
    data_path = workdir / "data.parquet"
    sim.data.to_parquet(data_path)
    n_geos = len(sim.geos)
    spec = {
        "scenario": args.scenario,
        "data_path": str(data_path),
        **sim.model_kwargs(),
        "max_lag": int(sim.max_lag),
        "seasonality": 2,
        "saturation": args.saturation,
        "draws": args.draws,
        "tune": args.tune,
        "chains": args.chains,
        "seed": args.seed,
        "cores": min(args.chains, len(os.sched_getaffinity(0))),
        "target_accept": args.target_accept,
        "low_rank": {
            "mmmkit": args.mass_matrix in ("library-default", "low-rank"),
            "pymc-marketing": args.mass_matrix == "low-rank",
        },
        "progress": not args.no_progress,
        "shape": {"geos": n_geos, "weeks": len(sim.dates), "channels": len(sim.channels)},
    }
    return spec, {c: float(v) for c, v in sim.roas.items()}


def config_of(spec: dict[str, Any], library: str, args) -> dict[str, Any]:
    """The fit configuration printed with each record."""
    return {
        "draws": spec["draws"], "tune": spec["tune"], "chains": spec["chains"],
        "cores": spec["cores"], "seed": spec["seed"], "sampler": "nutpie",
        "target_accept": spec["target_accept"],
        "mass_matrix": "low-rank" if spec["low_rank"][library] else "diagonal",
        "adstock": f"geometric(l_max={spec['max_lag']})", "saturation": spec["saturation"],
        "yearly_seasonality": spec["seasonality"], "trend": "linear per geo",
        "controls": spec["controls"], "data_seed": args.data_seed, **spec["shape"],
        "compile_cache": "persistent" if args.cache_dir else "cold",
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Time and score mmmkit fits (optionally against PyMC-Marketing) on "
                    "simulated data with a known truth. One JSON line per fit on stdout.")
    p.add_argument("scenario", help="mmmkit.simulate.scenario name: national, geo, large, ...")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=0, help="sampler seed")
    p.add_argument("--data-seed", type=int, default=0, help="simulation seed")
    p.add_argument("--target-accept", type=float, default=0.9)
    p.add_argument("--vs", choices=["pymc-marketing"], help="also fit this library")
    p.add_argument("--saturation", choices=["hill", "logistic"], default="hill",
                   help="saturation curve of both models (the data are always simulated "
                        "with mmmkit's Hill curve)")
    p.add_argument("--mass-matrix", choices=["library-default", "low-rank", "diagonal"],
                   default="library-default",
                   help="nutpie mass matrix: each library's default (mmmkit low-rank, "
                        "PyMC-Marketing via pm.sample diagonal), or the same for both")
    p.add_argument("--repeats", type=int, default=1,
                   help="pairs of fits; the order alternates between repeats")
    p.add_argument("--time-limit", type=float, default=None,
                   help="kill a fit after this many seconds (reported as status=timeout)")
    p.add_argument("--cache-dir", default=None,
                   help="persistent compile cache root (one folder per library) instead of a "
                        "cold cache per fit")
    p.add_argument("--no-progress", action="store_true", help="hide nutpie's progress bar")
    p.add_argument("--only", choices=LIBRARIES, default=None,
                   help="fit only this library (with --vs, to redo one side)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        run_worker(*argv[1:4])
        return 0
    args = parse_args(argv)
    libraries = ["mmmkit"] + ([args.vs] if args.vs else [])
    if args.only:
        libraries = [args.only]
    if "pymc-marketing" in libraries:
        pmm_python()  # fail before simulating, not after the first fit
    with tempfile.TemporaryDirectory(prefix="mmmkit-bench-") as tmp:
        workdir = Path(tmp)
        spec, true_roas = simulate(args, workdir)
        failed = False
        for repeat in range(args.repeats):
            order = libraries if repeat % 2 == 0 else libraries[::-1]
            records = {}
            for library in order:
                record = run_fit(library, spec, workdir, args)
                score(record, true_roas)
                record["config"] = config_of(spec, library, args)
                record["repeat"] = repeat
                records[library] = record
                failed |= record["status"] != "ok"
                print(json.dumps(record), flush=True)
            if len(records) == 2:
                print(json.dumps({**ratio(records["mmmkit"], records[args.vs]),
                                  "repeat": repeat}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
