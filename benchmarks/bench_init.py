"""Warm-up cost of NUTS from nutpie's jittered start against mmmkit's ADVI start.

For one ``mmmkit.simulate`` scenario, compiles the model once, then samples it twice with the
same seed: chains starting near zero (nutpie's default) and chains starting at draws from a
short ADVI fit (``MMM.fit``'s default ``init="advi"``). Prints, per start: wall seconds (ADVI
included), leapfrog steps per chain during warm-up, mean steps per kept draw, divergences.

Run: ``.venv/bin/python benchmarks/bench_init.py geo --tune 300 --draws 200``
"""

from __future__ import annotations

import argparse
import time
import warnings

import mmmkit as mk
from mmmkit.approximate import with_advi_start
from mmmkit.inference import compiled_nutpie


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import nutpie

    sim = mk.simulate.scenario(args.scenario, seed=0)
    model = mk.MMM(**sim.model_kwargs(), adstock=mk.GeometricAdstock(max_lag=int(sim.max_lag)),
                   seasonality=2)
    data = model.prepare(sim.data)
    compiled = compiled_nutpie(model.build_model(data), model.compile_key(data))
    for label in ("jitter", "advi"):
        t0 = time.perf_counter()
        start = with_advi_start(compiled, seed=args.seed)[0] if label == "advi" else compiled
        idata = nutpie.sample(start, draws=args.draws, tune=args.tune, chains=args.chains,
                              cores=args.chains, seed=args.seed, progress_bar=False,
                              low_rank_modified_mass_matrix=True, target_accept=0.9,
                              save_warmup=True)
        seconds = time.perf_counter() - t0
        warm = int(idata.warmup_sample_stats.n_steps.sum()) // args.chains
        kept = float(idata.sample_stats.n_steps.mean())
        div = int(idata.sample_stats.diverging.sum())
        print(f"{args.scenario} start={label:6s} wall {seconds:6.1f} s  warm-up steps/chain "
              f"{warm:6d}  steps/kept draw {kept:5.1f}  divergences {div}", flush=True)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    main()
