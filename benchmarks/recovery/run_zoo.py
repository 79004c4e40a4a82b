"""Fit mmmkit to every data set of the recovery zoo and score its answers against the truth.

Usage::

    .venv/bin/python benchmarks/recovery/run_zoo.py                       # all, NUTS 4 x 1000
    .venv/bin/python benchmarks/recovery/run_zoo.py --only lockstep always_on --draws 500
    .venv/bin/python benchmarks/recovery/run_zoo.py --draft --only pymc_marketing_example
    .venv/bin/python benchmarks/recovery/run_zoo.py --list

For each data set (``dgps.ZOO``) the runner builds ``mk.MMM`` from the set's ``model_kwargs``,
fits it, and scores:

* per channel, ROAS and marginal ROAS (``model.roas(prob=0.9[, marginal=True])``): true value,
  posterior mean, median, 90% interval, whether it covers the truth, the signed relative error
  of the mean and the interval's width relative to the truth, and the review's verdict on the
  channel (``mk.review.review(model)``: flagged when a warning or problem names it);
* the stated reallocation (``mmmkit.scenarios.move``): lift mean and 90% interval vs the truth;
* the optimiser (``mmmkit.scenarios.optimize_budget(model, n_uncertainty=0)``, default
  bounds): gain share = true lift of its allocation / true optimum lift;
* diagnostics (``model.diagnostics()``) and fit seconds.

It prints one table per data set, then summary rows, and writes every row as a JSON line to
``--out``. A data set (or one step of it) that fails becomes an ``error`` row; the run goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import dgps  # noqa: E402  (after the path: the generators live beside this file)

import mmmkit as mk  # noqa: E402
from mmmkit import scenarios  # noqa: E402
from mmmkit.adstock import ADSTOCK_KINDS  # noqa: E402
from mmmkit.saturation import SATURATION_KINDS  # noqa: E402

PROB = 0.9
SERIOUS = ("problem", "warning")  # review severities that count as "flagged"


# =============================================================================================
# Building and fitting
# =============================================================================================
def build_model(kwargs: dict[str, Any]) -> mk.MMM:
    """``mk.MMM`` from a data set's plain-data ``model_kwargs``."""
    kw = dict(kwargs)
    kind, options = kw.pop("adstock")
    kw["adstock"] = ADSTOCK_KINDS[kind](**options)
    kind, options = kw.pop("saturation")
    kw["saturation"] = SATURATION_KINDS[kind](**options)
    return mk.MMM(**kw)


def _messages(caught) -> list[str]:
    """Distinct warning texts, shortened."""
    out: list[str] = []
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"[:300]
        if text not in out:
            out.append(text)
    return out


def alternatives(kwargs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The candidate forms ``--average`` weighs: the set's own specification, the other curve
    (logistic for Hill, Hill otherwise) and Weibull carryover (geometric for Weibull)."""
    curve, _ = kwargs["saturation"]
    carry, options = kwargs["adstock"]
    lag = {"max_lag": options.get("max_lag", 8)}
    return {
        "given": kwargs,
        "other_curve": {**kwargs, "saturation": ("logistic" if curve == "hill" else "hill", {})},
        "other_carryover": {**kwargs, "adstock": (
            "geometric" if carry == "weibull" else "weibull", lag)},
    }


def fit(ds: dgps.ZooDataset, args, kwargs: dict[str, Any] | None = None
        ) -> tuple[mk.MMM, float, list[str]]:
    """Fit the set's model (or ``kwargs``); returns the model, wall seconds and the warnings
    raised."""
    kwargs = ds.model_kwargs if kwargs is None else kwargs
    model = build_model({**kwargs, "drift": True} if args.drift else kwargs)
    extra = {"method": "advi"} if args.draft else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        model.fit(ds.data, draws=args.draws, tune=args.tune, chains=args.chains,
                  seed=args.seed, progress=False, **extra)
        seconds = time.perf_counter() - t0
    return model, seconds, _messages(caught)


# =============================================================================================
# Scoring
# =============================================================================================
def _score(true: float, mean: float, median: float, lower: float, upper: float) -> dict:
    """Interval coverage, signed relative error of the mean, relative interval width."""
    scale = abs(true) if true != 0 else float("nan")
    return {"true": true, "mean": mean, "median": median, "lower": lower, "upper": upper,
            "covered": bool(lower <= true <= upper), "rel_error": (mean - true) / scale,
            "rel_width": (upper - lower) / scale}


def review_by_channel(review, channels: list[str]) -> dict[str, dict[str, Any]]:
    """Per channel: ``flagged`` (a warning or problem names it, alone or in a pair), the
    ``flags`` (``"severity topic: message"``), informational ``notes``, and short ``codes`` of
    both (``"identification(W)"``, ``"identification(I)"``); plus ``"_model"`` for the flags
    that name no channel (baseline, convergence)."""
    out = {ch: {"flagged": False, "flags": [], "codes": [], "notes": []} for ch in channels}
    out["_model"] = {"flagged": False, "flags": [], "codes": [], "notes": []}
    for row in review.flags.itertuples():
        named = [c.strip() for c in str(row.channel).split(",") if c.strip()] or ["_model"]
        text = f"{row.severity} {row.topic}: {row.message}"
        code = f"{row.topic}({row.severity[0].upper()})"
        for ch in named:
            entry = out.setdefault(ch, {"flagged": False, "flags": [], "codes": [], "notes": []})
            if row.severity in SERIOUS:
                entry["flagged"] = True
                entry["flags"].append(text)
                entry["codes"].append(code)
            else:
                entry["notes"].append(text)
                entry["codes"].append(code)
    return out


def channel_rows(ds: dgps.ZooDataset, model, verdicts: dict) -> list[dict]:
    """ROAS and mROAS rows of a fitted model (or a ``mk.ModelAverage``)."""
    rows = []
    for marginal, kind, key in ((False, "roas", "roas"), (True, "mroas", "mroas")):
        table = model.roas(prob=PROB, marginal=marginal)
        for ch in ds.channels:
            est = table.loc[ch]
            row = {"kind": kind, "channel": ch,
                   **_score(ds.truth["channels"][ch][key], float(est["mean"]),
                            float(est["median"]), float(est["lower"]), float(est["upper"])),
                   "flagged": verdicts[ch]["flagged"], "review_flag": "; ".join(
                       verdicts[ch]["codes"]), "review_text": verdicts[ch]["flags"],
                   "review_notes": verdicts[ch]["notes"]}
            rows.append(row)
    return rows


def lift_row(ds: dgps.ZooDataset, model) -> dict:
    """The stated reallocation's lift, of a fitted model or a ``mk.ModelAverage``."""
    move = ds.truth["reallocation"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(model, mk.ModelAverage):
            total = model.summary(lambda m: scenarios.move(
                m, move["amount"], move["from"], move["to"]).total, prob=PROB).loc["mixture"]
        else:
            result = scenarios.move(model, move["amount"], move["from"], move["to"])
            total = result.summary(PROB).loc["total"]
    return {"kind": "lift", "channel": f"{move['from']}->{move['to']}", "share": move["share"],
            "amount": move["amount"],
            **_score(move["lift"], float(total["mean"]), float(total["median"]),
                     float(total["lower"]), float(total["upper"])),
            "warnings": _messages(caught)}


def bounded_optimum(ds: dgps.ZooDataset, bounds, budget: float) -> tuple[float, dict]:
    """The true optimum (its lift and allocation) within the optimiser's own bounds.

    ``bounds``: DataFrame indexed by channel with ``lower`` and ``upper`` totals (currency).
    SLSQP on the true lift from the historical split and 8 random feasible splits.
    """
    from scipy.optimize import minimize

    channels = list(ds.channels)
    lo = np.array([float(bounds.loc[ch, "lower"]) for ch in channels])
    hi = np.minimum([float(bounds.loc[ch, "upper"]) for ch in channels], budget)
    scale = budget

    def neg(x):
        return -ds.true_lift(dict(zip(channels, x * scale, strict=True))) / scale

    hist = np.array([ds.truth["historical"][ch] for ch in channels]) / scale
    rng = np.random.default_rng(0)
    starts = [np.clip(hist, lo / scale, hi / scale)]
    starts += [lo / scale + rng.dirichlet(np.ones(len(channels))) * max(1 - lo.sum() / scale, 0)
               for _ in range(8)]
    best_x, best_v = None, np.inf
    for x0 in starts:
        res = minimize(neg, np.clip(x0, lo / scale, hi / scale), method="SLSQP",
                       bounds=list(zip(lo / scale, hi / scale, strict=True)),
                       constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0}],
                       options={"maxiter": 300, "ftol": 1e-12})
        if res.fun < best_v and abs(res.x.sum() - 1) < 1e-6:
            best_x, best_v = res.x, res.fun
    return -best_v * scale, {ch: float(v * scale) for ch, v in zip(channels, best_x, strict=True)}


def optimizer_row(ds: dgps.ZooDataset, model) -> dict:
    """The optimiser's plan (default bounds) of a fitted model or a ``mk.ModelAverage``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        if isinstance(model, mk.ModelAverage):
            plan = model.optimize_budget(n_uncertainty=0)
        else:
            plan = scenarios.optimize_budget(model, n_uncertainty=0)
        seconds = time.perf_counter() - t0
    allocation = {ch: float(v) for ch, v in plan.allocation.items()}
    plan_lift = ds.true_lift(allocation)
    best = ds.truth["optimum_lift"]
    bounds = getattr(plan, "bounds", None)
    if bounds is not None:  # the attainable gain is the true optimum within the same bounds
        best, optimum = bounded_optimum(ds, bounds, float(plan.allocation.sum()))
    else:
        optimum = ds.truth["optimum"]
    return {"kind": "optimizer", "gain_share": plan_lift / best if best > 0 else float("nan"),
            "plan_true_lift": plan_lift, "optimum_lift": best,
            "plan_model_lift": float(plan.lift.total.mean()), "allocation": allocation,
            "optimum": optimum, "historical": ds.truth["historical"],
            "converged": plan.converged, "seconds": seconds, "warnings": _messages(caught)}


def evaluate(name: str, ds: dgps.ZooDataset, args) -> list[dict]:
    """Every row of one data set; a failing step becomes an ``error`` row."""
    base = {"dataset": name, "panel": ds.is_panel, "method": "advi" if args.draft else "nuts",
            "seed": args.seed, "drift": bool(args.drift), "form": "single"}
    rows: list[dict] = []

    def error(step: str, exc: BaseException) -> None:
        rows.append({**base, "kind": "error", "step": step, "error": repr(exc),
                     "traceback": traceback.format_exc(limit=6)})

    try:
        model, seconds, fit_warnings = fit(ds, args)
    except Exception as exc:  # one set's failure must not stop the run
        error("fit", exc)
        return rows
    fit_row = {**base, "kind": "fit", "fit_seconds": seconds,
               "weeks": int(ds.baseline.shape[1]), "geos": int(ds.baseline.shape[0]),
               "channels": ds.channels, "media_share": ds.truth["media_share"],
               "noise_cv": ds.truth["noise_cv"], "warnings": fit_warnings,
               "fit_info": {k: v for k, v in model.fit_info_.items()
                            if isinstance(v, (int, float, str, bool))}}
    try:
        fit_row.update({k: float(v) for k, v in model.diagnostics().items()})
    except Exception as exc:
        error("diagnostics", exc)
    verdicts = {ch: {"flagged": False, "flags": [], "codes": [], "notes": []}
                for ch in [*ds.channels, "_model"]}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verdicts = review_by_channel(mk.review.review(model), ds.channels)
        fit_row["review_model_flags"] = verdicts["_model"]["flags"]
    except Exception as exc:
        error("review", exc)
    rows.append(fit_row)
    for step, fn in (("roas", lambda: channel_rows(ds, model, verdicts)),
                     ("lift", lambda: [lift_row(ds, model)]),
                     ("optimizer", lambda: [optimizer_row(ds, model)])):
        try:
            rows += [{**base, **r} for r in fn()]
        except Exception as exc:
            error(step, exc)
    if args.average:
        rows += averaged_rows(ds, args, model, {**base, "form": "average"}, verdicts)
    return rows


def averaged_rows(ds: dgps.ZooDataset, args, model: mk.MMM, base: dict,
                  verdicts: dict) -> list[dict]:
    """The same answers from ``mk.ModelAverage`` over :func:`alternatives` (stacking
    weights), the given form's model reused; rows carry ``form="average"``."""
    models = {"given": model}
    try:
        for label, kwargs in alternatives(ds.model_kwargs).items():
            if label != "given":
                models[label] = fit(ds, args, kwargs)[0]
        average = mk.ModelAverage(models)
    except Exception as exc:
        return [{**base, "kind": "error", "step": "average", "error": repr(exc),
                 "traceback": traceback.format_exc(limit=6)}]
    rows = [{**base, "kind": "weights", **{f"weight_{k}": float(v)
                                           for k, v in average.weights_.items()}}]
    for step, fn in (("roas", lambda: channel_rows(ds, average, verdicts)),
                     ("lift", lambda: [lift_row(ds, average)]),
                     ("optimizer", lambda: [optimizer_row(ds, average)])):
        try:
            rows += [{**base, **r} for r in fn()]
        except Exception as exc:
            rows.append({**base, "kind": "error", "step": f"average {step}",
                         "error": repr(exc), "traceback": traceback.format_exc(limit=6)})
    return rows


# =============================================================================================
# Summary
# =============================================================================================
def _median(values) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else float("nan")


def _mean(values) -> float:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def summarize(rows: list[dict]) -> list[dict]:
    """Summary rows over all scored data sets: the single fits', then (with ``--average``)
    the same metrics of the model averages, prefixed ``average_``."""
    single = [r for r in rows if r.get("form", "single") == "single"]
    averaged = [r for r in rows if r.get("form") == "average"]
    out = _summary(single)
    if averaged:
        out += [{**r, "metric": f"average_{r['metric']}"} for r in _summary(averaged)
                if not r["metric"].endswith(("_panels", "_national"))
                or "optimizer" in r["metric"]]
    return out


def _summary(rows: list[dict]) -> list[dict]:
    def of(kind, **where):
        return [r for r in rows if r.get("kind") == kind
                and all(r.get(k) == v for k, v in where.items())]

    out = []

    def add(metric, value, n, note=""):
        out.append({"kind": "summary", "metric": metric, "value": value, "n": n, "note": note})

    roas, mroas, lift = of("roas"), of("mroas"), of("lift")
    add("roas_bias_median", _median(r["rel_error"] for r in roas), len(roas),
        "median signed relative error of the posterior mean ROAS")
    add("roas_bias_median_of_medians", _median(
        (r["median"] - r["true"]) / abs(r["true"]) for r in roas if r["true"]), len(roas),
        "median signed relative error of the posterior median ROAS")
    add("roas_coverage90", _mean(r["covered"] for r in roas), len(roas),
        "share of 90% ROAS intervals covering the truth")
    add("lift_coverage90", _mean(r["covered"] for r in lift), len(lift),
        "share of 90% reallocation-lift intervals covering the truth")
    add("mroas_coverage90", _mean(r["covered"] for r in mroas), len(mroas),
        "share of 90% marginal-ROAS intervals covering the truth")
    add("roas_rel_width_mean", _mean(r["rel_width"] for r in roas), len(roas),
        "mean width of the 90% ROAS interval over the true ROAS")
    add("mroas_rel_width_mean", _mean(r["rel_width"] for r in mroas), len(mroas),
        "mean width of the 90% mROAS interval over the true mROAS")
    for label, panel in (("panels", True), ("national", False)):
        ok = [r for r in of("roas", panel=panel) if not r["flagged"]]
        add(f"roas_abs_error_median_unflagged_{label}",
            _median(abs(r["rel_error"]) for r in ok), len(ok),
            "median |relative error| of ROAS on channels the review does not flag")
        flagged = [r for r in of("roas", panel=panel) if r["flagged"]]
        add(f"roas_abs_error_median_flagged_{label}",
            _median(abs(r["rel_error"]) for r in flagged), len(flagged),
            "the same on channels the review flags")
        opt = of("optimizer", panel=panel)
        add(f"optimizer_gain_share_median_{label}", _median(r["gain_share"] for r in opt),
            len(opt), "true lift of the plan / true optimum lift")
        add(f"optimizer_gain_share_min_{label}",
            min((r["gain_share"] for r in opt if np.isfinite(r["gain_share"])),
                default=float("nan")), len(opt), "")
    add("errors", len(of("error")), len(of("error")), "steps that raised")
    return out


# =============================================================================================
# Printing and output
# =============================================================================================
def _g(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}g}"


def _pct(x) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:+.0f}%"


def print_dataset(name: str, ds: dgps.ZooDataset, rows: list[dict]) -> None:
    fit_rows = [r for r in rows if r["kind"] == "fit"]
    head = f"== {name}: {'panel' if ds.is_panel else 'national'}, " \
           f"{ds.baseline.shape[0]} geo(s) x {ds.baseline.shape[1]} weeks, " \
           f"{len(ds.channels)} channels, media {ds.truth['media_share']:.0%} of KPI"
    if fit_rows:
        f = fit_rows[0]
        head += (f"; fit {f['fit_seconds']:.1f} s [{f['method']}], divergences "
                 f"{_g(f.get('divergences'))}, max r-hat {_g(f.get('max_r_hat'))}, "
                 f"min ESS {_g(f.get('min_ess_bulk'))}")
    print(head)
    line = (f"  {'what':6s} {'channel':22s} {'true':>9s} {'mean':>9s} {'median':>9s} "
            f"{'lo':>9s} {'hi':>9s} {'cov':>4s} {'rel.err':>8s}  review")
    print(line)
    for r in rows:
        avg = r.get("form") == "average"
        if r["kind"] in ("roas", "mroas", "lift"):
            kind = ("a." if avg else "") + r["kind"]  # a. = from the model average
            print(f"  {kind:6s} {r['channel']:22s} {_g(r['true']):>9s} {_g(r['mean']):>9s} "
                  f"{_g(r['median']):>9s} {_g(r['lower']):>9s} {_g(r['upper']):>9s} "
                  f"{'yes' if r['covered'] else 'NO':>4s} {_pct(r['rel_error']):>8s}  "
                  f"{r.get('review_flag', '')}")
        elif r["kind"] == "weights":
            print("  model average weights: " + ", ".join(
                f"{k[7:]} {v:.2f}" for k, v in r.items() if k.startswith("weight_")))
        elif r["kind"] == "optimizer":
            print(f"  {'averaged ' if avg else ''}optimizer: gain share "
                  f"{_g(r['gain_share'], 3)} (plan's true lift "
                  f"{_g(r['plan_true_lift'])} of the optimum {_g(r['optimum_lift'])}; "
                  f"converged {r['converged']})")
        elif r["kind"] == "error":
            print(f"  ERROR in {r['step']}: {r['error']}")
    for f in fit_rows:
        for text in f.get("review_model_flags", []):
            print(f"  review (model): {text[:160]}")
    sys.stdout.flush()


def print_summary(summary: list[dict]) -> None:
    print("== summary")
    for r in summary:
        print(f"  {r['metric']:44s} {_g(r['value'], 3):>8s}  (n={r['n']})  {r['note']}")
    sys.stdout.flush()


def _clean(x):
    """JSON-safe: numpy scalars to Python, NaN/inf to null."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer, int)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(x) else None
    return x


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", metavar="NAME", help=f"data sets: {', '.join(dgps.ZOO)}")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--seed", type=int, default=0, help="seeds the data and the fit")
    p.add_argument("--draft", action="store_true",
                   help='fit with method="advi" (a fast smoke test, approximate intervals)')
    p.add_argument("--out", type=Path, default=None,
                   help="JSON lines file (default benchmarks/results/zoo-YYYY-MM-DD[-draft].jsonl)")
    p.add_argument("--drift", action="store_true",
                   help="fit every set with a drifting base level (MMM(drift=True))")
    p.add_argument("--average", action="store_true",
                   help="also answer from mk.ModelAverage over the set's form, the other curve "
                        "and the other carryover (rows with form='average')")
    p.add_argument("--list", action="store_true", help="list the data sets and exit")
    p.add_argument("--pool", nargs="+", type=Path, metavar="JSONL", default=None,
                   help="fit nothing: print the summary rows over these runs' rows together "
                        "(e.g. the same zoo at several seeds)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.pool:
        pooled = [json.loads(line) for path in args.pool
                  for line in path.read_text().splitlines() if line.strip()]
        pooled = [row for row in pooled if row.get("kind") != "summary"]
        pairs = {(r.get("dataset"), r.get("seed")) for r in pooled}
        print(f"pooled {len(args.pool)} runs: {len(pairs)} (data set, seed) pairs")
        print_summary(summarize(pooled))
        return 0
    if args.list:
        for name, factory in dgps.ZOO.items():
            print(f"{name:26s} {factory(seed=args.seed).description}")
        return 0
    names = args.only or list(dgps.ZOO)
    unknown = [n for n in names if n not in dgps.ZOO]
    if unknown:
        print(f"unknown data set(s) {unknown}; choose from {list(dgps.ZOO)}", file=sys.stderr)
        return 2
    suffix = (("-draft" if args.draft else "") + ("-drift" if args.drift else "")
              + ("-average" if args.average else ""))
    out = args.out or ROOT / "benchmarks" / "results" / f"zoo-{dt.date.today()}{suffix}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with out.open("w") as fh:
        for name in names:
            try:
                ds = dgps.ZOO[name](seed=args.seed)
            except Exception as exc:
                new = [{"dataset": name, "kind": "error", "step": "generate", "error": repr(exc),
                        "traceback": traceback.format_exc(limit=6)}]
                print(f"== {name}: ERROR generating: {exc!r}")
            else:
                new = evaluate(name, ds, args)
                print_dataset(name, ds, new)
            for r in new:
                fh.write(json.dumps(_clean(r)) + "\n")
            fh.flush()
            rows += new
        summary = summarize(rows)
        for r in summary:
            fh.write(json.dumps(_clean(r)) + "\n")
    print_summary(summary)
    print(f"rows written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
