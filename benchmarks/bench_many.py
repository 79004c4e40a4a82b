"""Many national models: ``mmmkit.many.fit_many`` in a loop here against a Dask LocalCluster.

Usage::

    .venv/bin/python benchmarks/bench_many.py                 # 16 brands, 2 workers
    .venv/bin/python benchmarks/bench_many.py --n 6 --draws 300 --tune 300
    .venv/bin/python benchmarks/bench_many.py --n 32 --workers 4 --cores-per-fit 1

Simulates ``--n`` national "brands" (``mmmkit.simulate.simulate``, one geo each, their own
seeds), fits the same specification to each with ``fit_many(jobs)`` in this process, then
with ``fit_many(jobs, client)`` on a ``LocalCluster(n_workers=--workers,
threads_per_worker=1, processes=True)``, and checks that both gave identical posteriors
(same jobs, same seed).

Printed (stderr: fit_many's progress lines; stdout: the figures, then one JSON line):

* ``wall``: seconds of the whole fan-out (cluster start-up excluded, printed apart);
* ``per job``: ``wall / n``, and the mean of each job's own seconds on its worker
  (``ManyFits.table["seconds"]``: fit and diagnostics);
* ``compiles``: jobs that compiled (one per process for one specification) and their
  seconds, then the mean seconds of the jobs that reused a compile (the steady state);
* ``speed-up``: local wall / Dask wall;
* ``overhead per job``: ``(workers * wall - sum of the jobs' own seconds) / n``, the worker
  seconds per job spent outside the fits (scheduling, moving frames and models between
  processes, workers idle while the last jobs run).

Each fit samples its chains as ``MMM.fit`` does (nutpie threads, ``cores`` = chains up to the
cores visible): on a machine with fewer cores than ``workers x chains`` the workers' chains
share cores, which ``--cores-per-fit 1`` makes explicit.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings


def simulate_jobs(args) -> dict:
    import mmmkit as mk

    sims = [mk.simulate.simulate(n_geos=1, n_weeks=args.weeks, n_channels=args.channels,
                                 seed=1000 + k) for k in range(args.n)]
    spec = mk.MMM(**sims[0].model_kwargs(), adstock=mk.GeometricAdstock(max_lag=args.max_lag))
    return {f"brand_{k:03d}": (spec, sim.data) for k, sim in enumerate(sims)}


def describe(name: str, fits, workers: int) -> dict:
    """The figures of one fan-out, printed and returned."""
    table = fits.table
    n = len(table)
    compiled = table[table["compile_reused"].eq(False)]  # None: not a nutpie fit
    job_seconds = float(table["seconds"].sum())
    reused = table.loc[table["compile_reused"].eq(True), "seconds"]  # after the compile
    record = {
        "where": name, "workers": workers, "jobs": n, "failed": int((table["status"] ==
                                                                     "failed").sum()),
        "wall_seconds": fits.seconds, "per_job_wall_seconds": fits.seconds / n,
        "per_job_fit_seconds": job_seconds / n, "compiles": len(compiled),
        "compile_seconds": [round(float(s), 1) for s in compiled["compile_seconds"]],
        "overhead_per_job_seconds": (workers * fits.seconds - job_seconds) / n,
        "per_job_seconds_after_compile": float(reused.mean()) if len(reused) else None,
    }
    print(f"{name:>6}: wall {fits.seconds:7.1f} s | per job {fits.seconds / n:6.2f} s wall, "
          f"{job_seconds / n:6.2f} s own | {len(compiled)} compile(s) "
          f"{record['compile_seconds']} s, then {reused.mean():5.2f} s per job | overhead "
          f"per job {record['overhead_per_job_seconds']:6.2f} worker-s", flush=True)
    return record


def same_posteriors(a, b) -> bool:
    import numpy as np

    return all(np.array_equal(a[k].idata.posterior[v].values, b[k].idata.posterior[v].values)
               for k in a for v in a[k].idata.posterior.data_vars)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=16, help="national models (brands) to fit")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    p.add_argument("--weeks", type=int, default=104)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--max-lag", type=int, default=6)
    p.add_argument("--draws", type=int, default=500)
    p.add_argument("--tune", type=int, default=500)
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--cores-per-fit", type=int, default=None,
                   help="MMM.fit(cores=...) of each job (default: MMM.fit's own)")
    p.add_argument("--seed", type=int, default=0, help="fit_many's root seed")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from dask.distributed import Client, LocalCluster

    import mmmkit as mk
    from mmmkit.many import fit_many

    warnings.simplefilter("ignore", mk.FitWarning)  # short chains: each job's status says so
    jobs = simulate_jobs(args)
    fit_kwargs = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    if args.cores_per_fit:
        fit_kwargs["cores"] = args.cores_per_fit
    print(f"{args.n} national models x {args.weeks} weeks x {args.channels} channels, "
          f"{args.chains} chains x ({args.tune} tune + {args.draws} draws); "
          f"{len(os.sched_getaffinity(0))} cores visible", flush=True)
    local = fit_many(jobs, fit_kwargs=fit_kwargs, seed=args.seed)
    records = [describe("local", local, 1)]
    t0 = time.perf_counter()
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        startup = time.perf_counter() - t0
        remote = fit_many(jobs, client, fit_kwargs=fit_kwargs, seed=args.seed)
    records.append(describe("dask", remote, args.workers))
    records[-1]["cluster_startup_seconds"] = startup
    identical = same_posteriors(local, remote)
    speedup = local.seconds / remote.seconds
    print(f"cluster start-up {startup:.1f} s (not in the wall above); speed-up "
          f"{speedup:.2f}x with {args.workers} workers; identical posteriors: {identical}",
          flush=True)
    print(json.dumps({"config": vars(args), "runs": records, "speedup": speedup,
                      "identical_posteriors": identical}), flush=True)
    return 0 if identical and not any(r["failed"] for r in records) else 1


if __name__ == "__main__":  # the workers are spawned processes: they import this file too
    sys.exit(main())
