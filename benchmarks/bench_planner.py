"""Size and build time of the scenario planner page (mmmkit.planner) for a 10-channel model.

The model is a national one (156 weeks) whose posterior is the simulator's truth with 15%
log-normal jitter per draw (``tests/truth.py``), 4 chains x 1000 draws as a default fit
stores them, so no MCMC fit is needed. Prints one JSON line: ``build_seconds`` (one call of
``write_planner``: response curves on every draw, the optimiser at five budgets, packing and
writing), ``bytes``, and the page's draws and grid.

Run: ``.venv/bin/python benchmarks/bench_planner.py [--channels 10] [--draws 1000] ...``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import mmmkit as mk
from mmmkit import planner
from truth import model_from_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--geos", type=int, default=1)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000, help="model draws per chain")
    parser.add_argument("--page-draws", type=int, default=planner.DEFAULT_DRAWS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    sim = mk.simulate.simulate(n_geos=args.geos, n_weeks=args.weeks, n_channels=args.channels,
                               seed=args.seed)
    model = model_from_truth(sim, chains=args.chains, draws=args.draws, jitter=0.15,
                             seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an optimiser's ScenarioWarning is not the point here
        start = time.perf_counter()
        path = planner.write_planner(model, os.path.join(tmp, "planner.html"), currency="EUR",
                                     draws=args.page_draws)
        seconds = time.perf_counter() - start
        size = os.path.getsize(path)
    print(json.dumps({
        "channels": args.channels, "geos": args.geos, "weeks": args.weeks,
        "model_draws": args.chains * args.draws, "page_draws": args.page_draws,
        "grid_points": len(planner.DEFAULT_MULTIPLIERS), "build_seconds": round(seconds, 2),
        "bytes": size, "megabytes": round(size / 1e6, 3),
    }))


if __name__ == "__main__":
    main()
