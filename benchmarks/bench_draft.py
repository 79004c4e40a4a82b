"""Draft mode on a simulated scenario: how fast, and how close to the truth.

Fits ``mmmkit.simulate.scenario(NAME)`` with ``fit(method="advi")`` and prints one JSON line:
compile seconds, approximation seconds, ROAS error against the truth (mean absolute relative
error of the posterior mean), how many channels' 90% intervals cover the true ROAS (ADVI's
intervals are expected to be too narrow), and peak memory.

Run: ``.venv/bin/python benchmarks/bench_draft.py large``
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings

import numpy as np

import mmmkit as mk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--draws", type=int, default=1000, help="approximate draws kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sim = mk.simulate.scenario(args.scenario, seed=0)
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=int(sim.max_lag)),
                   seasonality=2)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(sim.data, method="advi", draws=args.draws, chains=1, seed=args.seed,
                  progress=False)
    fit_seconds = time.perf_counter() - t0
    roas = model.roas(prob=0.9)
    truth = sim.roas.reindex(roas.index)
    error = (roas["mean"] - truth).abs() / truth
    covered = (roas["lower"] <= truth) & (truth <= roas["upper"])
    info = model.fit_info_
    print(json.dumps({
        "scenario": args.scenario,
        "method": "advi",
        "shape": {"geos": len(sim.geos), "weeks": len(sim.dates), "channels": len(sim.channels)},
        "compile_seconds": round(info["compile_seconds"], 1),
        "approximation_seconds": round(info["approximation_seconds"], 1),
        "iterations": info["iterations"],
        "fit_seconds": round(fit_seconds, 1),
        "roas_error": round(float(error.mean()), 4),
        "roas_error_max": round(float(error.max()), 4),
        "roas_90_covered": f"{int(covered.sum())}/{len(covered)}",
        "roas_interval_width_mean": round(float(((roas["upper"] - roas["lower"]) / truth).mean()),
                                          4),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "elbo": round(float(info["elbo"]), 1) if np.isfinite(info["elbo"]) else None,
    }))


if __name__ == "__main__":
    main()
