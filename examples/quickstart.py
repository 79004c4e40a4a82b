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
from mmmkit import datasets

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

    # What if x1 had spent 10% more every week? Expected extra sales over the same weeks.
    plan = df.assign(x1=df["x1"] * 1.10)
    lift = (model.predict(plan, include_noise=False) - model.predict(df, include_noise=False))
    total = lift.sum("date").values.ravel()
    lo, hi = np.quantile(total, [0.05, 0.95])
    extra = 0.10 * df["x1"].sum()
    print(f"\nScenario: +10% on x1 ({extra:.1f} units of spend) -> {total.mean():,.0f} extra sales "
          f"(90% interval {lo:,.0f} to {hi:,.0f}); {total.mean() / extra:,.0f} sales per extra "
          "unit of spend.")


if __name__ == "__main__":
    main()
