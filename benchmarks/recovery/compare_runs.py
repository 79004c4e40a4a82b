"""Two zoo runs side by side, per data set: how far ROAS is off, what the intervals cover, the
lift, the optimiser and the sampler's health.

Usage::

    .venv/bin/python benchmarks/recovery/compare_runs.py A.jsonl B.jsonl [--labels a b]

Both files are ``run_zoo.py`` outputs (JSON lines). Per data set and run: the median
|relative error| of the posterior mean ROAS over its channels, how many 90% ROAS intervals
cover the truth, the reallocation lift's relative error and coverage, the optimiser's gain
share and divergences / max r-hat; then the summary rows of each run side by side.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def per_dataset(rows: list[dict], form: str = "single") -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in rows:
        if "dataset" not in r or r.get("form", "single") != form:  # summary rows, other form
            continue
        entry = out.setdefault(r["dataset"], {"roas": [], "lift": None, "opt": None,
                                                      "fit": None})
        if r["kind"] == "roas":
            entry["roas"].append(r)
        elif r["kind"] == "lift":
            entry["lift"] = r
        elif r["kind"] == "optimizer":
            entry["opt"] = r
        elif r["kind"] == "fit":
            entry["fit"] = r
    return out


def _cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    roas = entry["roas"]
    err = np.median([abs(r["rel_error"]) for r in roas]) if roas else math.nan
    cov = f"{sum(r['covered'] for r in roas)}/{len(roas)}"
    lift = entry["lift"]
    lift_text = (f"{lift['rel_error']:+.0%}{'' if lift['covered'] else '!'}" if lift else "-")
    opt = entry["opt"]
    gain = f"{opt['gain_share']:.2f}" if opt and opt.get("gain_share") is not None else "-"
    fit = entry["fit"] or {}
    div = fit.get("divergences")
    rhat = fit.get("max_r_hat")
    health = (f"{div:.0f}/{rhat:.3f}" if div is not None and rhat is not None else "-")
    return f"{err:6.1%} {cov:>5s} {lift_text:>6s} {gain:>5s} {health:>10s}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs=2, type=Path)
    p.add_argument("--labels", nargs=2, default=None)
    p.add_argument("--forms", nargs=2, default=["single", "single"],
                   help="which rows of each run: 'single' fits or the 'average' (run_zoo.py "
                        "--average), e.g. --forms single average on one file twice")
    args = p.parse_args(argv)
    labels = args.labels or [path.stem for path in args.runs]
    runs = [_rows(path) for path in args.runs]
    sets = [per_dataset(rows, form) for rows, form in zip(runs, args.forms, strict=True)]
    names = list(dict.fromkeys([*sets[0], *sets[1]]))
    head = "  |err|   cov   lift  gain  div/r-hat"
    print(f"{'data set':26s} {labels[0]:>38s} | {labels[1]:>38s}")
    print(f"{'':26s} {head:>38s} | {head:>38s}")
    for name in names:
        print(f"{name:26s} {_cell(sets[0].get(name)):>38s} | {_cell(sets[1].get(name)):>38s}")
    print("(|err|: median over channels of |posterior mean ROAS / truth - 1|; cov: 90% ROAS "
          "intervals covering; lift: the reallocation's relative error, ! = 90% interval "
          "misses; gain: the optimiser's share of the attainable gain)")
    prefix = ["average_" if form == "average" else "" for form in args.forms]
    summaries = [{r["metric"][len(pre):]: r["value"] for r in rows if r["kind"] == "summary"
                  and r["metric"].startswith(pre)
                  and (pre or not r["metric"].startswith("average_"))}
                 for rows, pre in zip(runs, prefix, strict=True)]
    if all(summaries):
        print(f"\n{'summary':44s} {labels[0]:>12s} {labels[1]:>12s}")
        for metric in summaries[0]:
            a, b = summaries[0].get(metric), summaries[1].get(metric)
            print(f"{metric:44s} {_g(a):>12s} {_g(b):>12s}")
    return 0


def _g(x) -> str:
    return "-" if x is None else f"{x:.3g}"


if __name__ == "__main__":
    raise SystemExit(main())
