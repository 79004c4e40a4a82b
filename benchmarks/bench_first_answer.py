"""Time to first answer: a national fit from a fresh Python process, ``MMM(...)`` to ``roas()``.

Usage::

    python benchmarks/bench_first_answer.py            # cold, then warm (same cache), one line each
    python benchmarks/bench_first_answer.py --scenario national --draws 1000 --tune 1000

Each run is a new interpreter with ``PYTENSOR_FLAGS=base_compiledir=DIR`` and
``NUMBA_CACHE_DIR=DIR`` pointed at one fresh folder: the first run finds it empty (cold, as on a
fresh machine), the second finds what the first wrote (warm: a second process, same
specification). Each prints one JSON line: import, fit (of which compile and sampling, from
``fit_info_``), ``roas()`` and the wall time from ``MMM(...)`` to the ROAS table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import mmmkit as mk
t1 = time.perf_counter()
args = json.loads(sys.argv[1])
sim = mk.simulate.scenario(args["scenario"], seed=0)
t2 = time.perf_counter()
model = mk.MMM(**sim.model_kwargs())
with warnings.catch_warnings():
    warnings.simplefilter("ignore", mk.FitWarning)
    model.fit(sim.data, draws=args["draws"], tune=args["tune"], chains=args["chains"],
              seed=0, progress=False)
t3 = time.perf_counter()
roas = model.roas()
t4 = time.perf_counter()
print(json.dumps({"import_seconds": round(t1 - t0, 2), "fit_seconds": round(t3 - t2, 2),
                  "compile_seconds": round(model.fit_info_["compile_seconds"], 2),
                  "sampling_seconds": round(model.fit_info_["sampling_seconds"], 2),
                  "roas_seconds": round(t4 - t3, 2),
                  "mmm_to_roas_seconds": round(t4 - t2, 2),
                  "process_seconds": round(t4 - t0, 2)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="national")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTENSOR_FLAGS": f"base_compiledir={cache}/pytensor",
               "NUMBA_CACHE_DIR": f"{cache}/numba"}
        for run in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(vars(args))],
                                 env=env, capture_output=True, text=True, check=True)
            line = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps({"run": run, "scenario": args.scenario, **line}), flush=True)


if __name__ == "__main__":
    main()
