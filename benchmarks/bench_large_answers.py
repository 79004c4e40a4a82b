"""The 150-geo panel end to end: the fit, then the answers on its 4000 draws (issue 17).

Usage::

    python benchmarks/bench_large_answers.py                     # large: 150 x 156 x 10
    python benchmarks/bench_large_answers.py --scenario geo --draws 500 --tune 500

Prints one JSON line: fit time (compile, sampling), convergence (divergences, max r-hat,
smallest bulk ESS), then the seconds and the peak resident memory after each answer:
``roas()``, ``roas(marginal=True)``, a budget-neutral ``scenarios.move`` of 10% of the
first channel's spend into the second, and ``scenarios.optimize_budget`` of the same budget.
Peak memory is the process's ``ru_maxrss`` (it only grows), so each figure is "so far".
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()

    import mmmkit as mk
    from mmmkit import scenarios
    from mmmkit.diagnostics import summarize_diagnostics

    sim = mk.simulate.scenario(args.scenario, seed=0)
    model = mk.MMM(**sim.model_kwargs())
    out: dict = {"scenario": args.scenario, "draws": args.draws, "tune": args.tune,
                 "chains": args.chains}
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mk.FitWarning)
        model.fit(sim.data, draws=args.draws, tune=args.tune, chains=args.chains, seed=0,
                  progress=False)
    out["fit_seconds"] = round(time.perf_counter() - t, 1)
    out["compile_seconds"] = round(model.fit_info_["compile_seconds"], 1)
    out["sampling_seconds"] = round(model.fit_info_["sampling_seconds"], 1)
    diag = summarize_diagnostics(model.idata)
    out |= {k: float(diag[k]) for k in ("divergences", "max_r_hat", "min_ess_bulk")}
    out["peak_mb_after_fit"] = round(peak_mb())
    first, second = model.channels[0], model.channels[1]
    spend = float(sim.data[first].sum())
    answers = {
        "roas": lambda: model.roas(),
        "marginal_roas": lambda: model.roas(marginal=True),
        "move_10pct": lambda: scenarios.move(model, 0.1 * spend, first, second).summary(),
        "optimize_budget": lambda: scenarios.optimize_budget(model),
    }
    for name, answer in answers.items():
        t = time.perf_counter()
        answer()
        out[f"{name}_seconds"] = round(time.perf_counter() - t, 1)
        out[f"peak_mb_after_{name}"] = round(peak_mb())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
