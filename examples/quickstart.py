"""Quickstart: fit mmmkit on PyMC-Marketing's public demo data and check it against the truth.

The data (bundled with mmmkit) were simulated from a published process: geometric adstock
(alpha 0.4 and 0.2 over 8 weeks) and logistic saturation (lambda 4 and 3) with effects 3000 and
2000 sales. So the ROAS the model reports can be compared with the true counterfactual ROAS.

Run: ``bash scripts/run_example.sh`` (installs first), or ``python examples/quickstart.py``.
Set ``MMMKIT_FAST=1`` for a quick, low-draw run (what the test suite does).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

import mmmkit as mk
from mmmkit import datasets, scenarios

FAST = bool(os.environ.get("MMMKIT_FAST"))


def true_roas(df: pd.DataFrame) -> pd.Series:
    """Counterfactual ROAS of the published data-generating process, carryover included."""
    truth = {"x1": (0.4, 4.0, 3000.0), "x2": (0.2, 3.0, 2000.0)}  # alpha, lambda, beta
    out = {}
    for channel, (alpha, lam, beta) in truth.items():
        spend = np.concatenate([df[channel].to_numpy(), np.zeros(7)])  # 7 weeks of carryover
        adstocked = mk.GeometricAdstock(max_lag=8).apply(spend, alpha=alpha)
        response = beta * mk.LogisticSaturation().apply(adstocked, lam=lam)
        out[channel] = response.sum() / df[channel].sum()
    return pd.Series(out, name="truth")


def main() -> None:
    df = datasets.load("pymc_marketing")
    model = mk.MMM(
        date="date_week",
        target="y",
        channels=["x1", "x2"],
        controls=["event_1", "event_2"],
        adstock=mk.GeometricAdstock(max_lag=8),
        saturation=mk.LogisticSaturation(),
        seasonality=2,
        trend=True,
    )
    draws = 200 if FAST else 1000
    model.fit(df, draws=draws, tune=draws, chains=2 if FAST else 4, seed=0, progress=not FAST)
    info = model.fit_info_
    print(f"\nFitted in {info['compile_seconds']:.0f} s compile + "
          f"{info['sampling_seconds']:.0f} s sampling.")
    print("\nDiagnostics:")
    print(model.diagnostics().round(3).to_string())

    table = model.roas(prob=0.9)
    table["truth"] = true_roas(df)
    print("\nROAS (sales per unit of spend, 90% credible interval) against the published truth:")
    print(table.round(0).to_string())
    print("\nMarginal ROAS (sales per extra unit of spend at today's level):")
    print(model.roas(marginal=True).round(0).to_string())

    # What if 10% of x2's budget had gone to x1 instead? Lift over the same weeks plus the
    # carryover after them, from every posterior draw.
    moved = 0.10 * df["x2"].sum()
    lift = scenarios.move(model, moved, "x2", ["x1"])
    print(f"\nScenario: move {moved:.1f} units of spend from x2 to x1 -> incremental sales:")
    print(lift.summary(prob=0.9).round(2).to_string())

    # The best split of the same total budget, each channel within +/-50% of what it spent.
    plan = scenarios.optimize_budget(model, bounds=scenarios.relative(-0.5, 0.5))
    print("\nOptimised split of the same budget (units of spend):")
    print(pd.DataFrame({"actual": plan.historical, "optimised": plan.allocation}).round(1))
    total = plan.lift.summary(prob=0.9).loc["total"]
    print(f"Expected extra sales: {total['mean']:,.0f} (90% interval {total['lower']:,.0f} to "
          f"{total['upper']:,.0f}); probability it beats the actual split: "
          f"{total['prob_positive']:.0%}.")


if __name__ == "__main__":
    main()
