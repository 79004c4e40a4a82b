"""The two golden models and the answers recorded for them (see ``make_golden.py``)."""

from __future__ import annotations

import warnings

import numpy as np

import mmmkit as mk
from mmmkit import scenarios
from mmmkit.simulate import scenario, simulate


def national():
    sim = scenario("national-small", seed=0)
    return sim.data, mk.MMM(**sim.model_kwargs())


def panel():
    sim = simulate(n_geos=3, n_weeks=60, n_channels=3, n_controls=1, seed=5)
    kwargs = sim.model_kwargs()
    channels = kwargs["channels"]
    return sim.data, mk.MMM(
        **kwargs,
        adstock={channels[0]: mk.GeometricAdstock(max_lag=4),
                 channels[1]: mk.DelayedAdstock(max_lag=6),
                 channels[2]: mk.WeibullAdstock(max_lag=6)},
        saturation={channels[0]: mk.HillSaturation(),
                    channels[1]: mk.LogisticSaturation(),
                    channels[2]: mk.MichaelisMentenSaturation()},
    )


CASES = {"national": national, "panel": panel}


def _frame(df) -> dict:
    return {str(k): [float(v) for v in row] for k, row in
            zip(df.index.map(str), df.select_dtypes("number").to_numpy(), strict=True)}


def answers(model: mk.MMM, df) -> dict:
    """Every public answer of a fitted model, as plain floats keyed by name."""
    ch = model.channels
    out = {
        "roas": _frame(model.roas()),
        "mroas": _frame(model.roas(marginal=True)),
        "contributions": [float(v) for v in
                          model.contributions().mean(("chain", "draw")).sum("date")
                          .values.ravel()],
        "baseline": float(model.baseline().mean(("chain", "draw")).sum()),
        "predict": [float(v) for v in model.predict(df, include_noise=False)
                    .mean(("chain", "draw")).values.ravel()[:40]],
    }
    if model.geo is not None:
        out["roas_by_geo"] = _frame(model.roas(by_geo=True).reset_index(drop=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = float(df[ch[0]].sum())
        out["move"] = _frame(scenarios.move(model, 0.2 * total, ch[0], ch[1:]).summary())
        out["shift"] = _frame(scenarios.shift(model, {ch[0]: -0.1, ch[-1]: 0.1}).summary())
        out["curves"] = _frame(scenarios.response_curves(
            model, multipliers=[0.5, 1.0, 1.5]).summary().reset_index(drop=True))
        plan = scenarios.optimize_budget(model, seed=0)
        out["plan"] = [float(v) for v in plan.allocation.to_numpy()]
        out["plan_lift"] = _frame(plan.lift.summary())
    out["checksum"] = float(np.sum(model.idata.posterior_predictive[model.target].values))
    return out
