"""Benchmark of mmmkit.scenarios on a large synthetic posterior (no MCMC fit needed).

10 channels x 50 geos x 52 weeks x 1000 draws: the posterior is the simulator's truth with
5% log-normal jitter per draw (``tests/truth.py``). Prints one JSON line with wall times in
seconds:

* ``optimize_seconds``: ``optimize_budget`` at the historical total budget (multi-start on a
  subsample, polish on all draws, per-draw uncertainty on 40 draws, and the plan's lift);
* ``lift_seconds``: ``incremental_lift`` of a full-period plan (every channel changed);
* ``shift_seconds``: ``shift`` of two channels over a 13-week window;
* with ``--by-geo``, ``by_geo_seconds``: ``optimize_budget(per_geo=True)`` (one variable per
  geo-channel cell, no per-draw uncertainty).

Run: ``.venv/bin/python benchmarks/bench_scenarios.py [--draws 1000] [--geos 50] ...``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import mmmkit as mk
from mmmkit import scenarios
from truth import model_from_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geos", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--by-geo", action="store_true",
                        help="also time optimize_budget(per_geo=True) (geos x channels cells)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    sim = mk.simulate.simulate(n_geos=args.geos, n_weeks=args.weeks,
                               n_channels=args.channels, seed=args.seed)
    model = model_from_truth(sim, chains=1, draws=args.draws, jitter=0.05, seed=args.seed)
    setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", scenarios.ScenarioWarning)
        plan = scenarios.optimize_budget(model, seed=args.seed)
    optimize = time.perf_counter() - t0

    frame = sim.data[["date", *(["geo"] if sim.geo else []), *sim.channels]].copy()
    rng = np.random.default_rng(1)
    for ch in sim.channels:
        frame[ch] *= rng.uniform(0.7, 1.3)
    t0 = time.perf_counter()
    lift = scenarios.incremental_lift(model, frame)
    lift_time = time.perf_counter() - t0

    t0 = time.perf_counter()
    scenarios.shift(model, {sim.channels[0]: -0.1, sim.channels[1]: 0.1},
                    start=sim.dates[20], end=sim.dates[32])
    shift_time = time.perf_counter() - t0

    extra = {}
    if args.by_geo:
        t0 = time.perf_counter()
        cells = scenarios.optimize_budget(model, seed=args.seed, per_geo=True, n_uncertainty=0)
        extra = {"by_geo_seconds": round(time.perf_counter() - t0, 2),
                 "by_geo_converged": cells.converged,
                 "by_geo_lift_mean": float(cells.lift.total.values.mean())}

    total = plan.lift.total.values
    print(json.dumps({
        "geos": args.geos, "weeks": args.weeks, "channels": args.channels,
        "draws": args.draws, "cpu_count": os.cpu_count(),
        "setup_seconds": round(setup, 2),
        "optimize_seconds": round(optimize, 2),
        "lift_seconds": round(lift_time, 2),
        "shift_seconds": round(shift_time, 2),
        "converged": plan.converged,
        "warnings": len(caught),
        "optimized_lift_mean": float(total.mean()),
        "plan_lift_mean": float(lift.total.values.mean()),
        **extra,
    }))


if __name__ == "__main__":
    main()
