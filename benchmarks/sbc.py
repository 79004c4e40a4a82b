"""Simulation-based calibration (Talts et al. 2018) of mmmkit's model against its own prior.

If the model is right, the rank of a true quantity among its posterior draws is uniform over
replicates whose truths are drawn from the prior. Intervals must be calibrated in that case
before they can be judged on data the model did not write (``benchmarks/recovery/``).

Per replicate: one draw of every parameter from the model's prior (PyMC's own graph), the
target it implies with observation noise (mmmkit's numpy engine, through the public
``MMM.from_posterior``), a NUTS fit to that target, and the rank of the true value among
``L`` thinned posterior draws, for each channel's ROAS, its log effect level, the media share
and the adstock and saturation parameters. Uniformity: a chi-square test on ``B`` rank bins
per quantity, and a KS test of the pooled normalised ranks.

Two details make the prior draws the model's actual prior:

* the intercept's prior is a ``Potential`` on ``level - mean media``, which
  ``pm.sample_prior_predictive`` ignores: draws are importance-resampled with its density;
* the model scales the target by its own mean, so its priors are in units of the data it
  sees. Replicates are kept only when the drawn ``level`` (the scaled target's mean) lies
  within 1% of 1, so that the fitted scale matches the scale the truth was drawn in.

Usage::

    .venv/bin/python benchmarks/sbc.py --replicates 100 --out benchmarks/results/sbc.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

import mmmkit as mk


def _spec() -> tuple[mk.MMM, pd.DataFrame]:
    sim = mk.simulate.simulate(n_geos=1, n_weeks=104, n_channels=3, n_controls=1, seed=0)
    kwargs = sim.model_kwargs()
    model = mk.MMM(**kwargs, adstock=mk.GeometricAdstock(max_lag=6),
                   saturation=mk.HillSaturation(), seasonality=1, trend=True)
    return model, sim.data


def _prior_draws(model: mk.MMM, df: pd.DataFrame, n: int, seed: int) -> xr.Dataset:
    import logging

    import pymc as pm

    pm_model = model.build_model(model.prepare(df))
    names = [v.name for v in pm_model.free_RVs + pm_model.deterministics]
    logging.getLogger("pymc").setLevel(logging.WARNING)
    with pm_model, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm.sample_prior_predictive(draws=n, var_names=names, random_seed=seed).prior


def _select(prior: xr.Dataset, model: mk.MMM, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` draws of the model's prior with ``level`` within 1% of 1."""
    level = prior["level"].values[0, :, 0]
    intercept = prior["intercept"].values[0, :, 0]
    keep = np.flatnonzero(np.abs(level - 1.0) < 0.01)
    logw = np.asarray(model.model_priors["intercept"].logp(intercept[keep]).eval())
    w = np.exp(logw - logw.max())
    if len(keep) < 2 * k:
        raise RuntimeError(f"only {len(keep)} prior draws near level 1: raise --prior-draws")
    return rng.choice(keep, size=k, replace=False, p=w / w.sum())


def _quantities(model: mk.MMM) -> dict[str, np.ndarray]:
    """Flattened draws ``(S,)`` of each checked quantity."""
    post = model.idata.posterior
    out = {f"roas[{ch}]": model.roas_draws().sel(channel=ch).values.ravel()
           for ch in model.channels}
    mu = post["channel_effect_mu"]
    dim = next(d for d in mu.dims if d not in ("chain", "draw"))
    for ch in mu[dim].values:
        out[f"log_effect[{ch}]"] = mu.sel({dim: ch}).values.ravel()
    if "media_share" in post:
        out["media_share"] = post["media_share"].values.ravel()
    for name in model.media.variable_names():
        var = post[name]
        dim = next(d for d in var.dims if d not in ("chain", "draw"))
        for ch in var[dim].values:
            out[f"{name}[{ch}]"] = var.sel({dim: ch}).values.ravel()
    return out


def run(replicates: int, prior_draws: int, draws: int, tune: int, chains: int, thin_to: int,
        seed: int) -> dict:
    rng = np.random.default_rng(seed)
    model, df = _spec()
    prior = _prior_draws(model, df, prior_draws, seed)
    chosen = _select(prior, model, replicates, rng)
    ranks: dict[str, list[int]] = {}
    diag = []
    t0 = time.perf_counter()
    for r, i in enumerate(chosen):
        truth_post = prior.isel(draw=[int(i)]).assign_coords(draw=[0])
        truth = model.clone().from_posterior(df, truth_post, seed=int(seed + r))
        y = truth.predict(df, include_noise=True).values.ravel()
        data = df.copy()
        data[model.target] = y
        true_q = {k: float(v[0]) for k, v in _quantities(truth).items()}
        fit = model.clone()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit.fit(data, draws=draws, tune=tune, chains=chains, seed=int(seed + r),
                    progress=False)
        d = fit.diagnostics()
        diag.append({k: float(d[k]) for k in ("divergences", "max_r_hat", "min_ess_bulk")})
        post_q = _quantities(fit)
        for name, value in true_q.items():
            values = post_q[name]
            idx = np.linspace(0, len(values) - 1, thin_to).astype(int)  # thinning
            ranks.setdefault(name, []).append(int(np.sum(values[idx] < value)))
        print(f"replicate {r + 1}/{replicates}: {time.perf_counter() - t0:.0f} s, "
              f"divergences {d['divergences']:.0f}, r-hat {d['max_r_hat']:.3f}", flush=True)
    bins = 10
    table = {}
    for name, rk in ranks.items():
        rk = np.asarray(rk)
        counts = np.histogram(rk, bins=bins, range=(0, thin_to + 1))[0]
        chi = stats.chisquare(counts)
        u = (rk + rng.uniform(size=rk.size)) / (thin_to + 1)  # ranks to (0, 1), ties broken
        ks = stats.kstest(u, "uniform")
        cover = float(np.mean((rk >= 0.05 * (thin_to + 1)) & (rk < 0.95 * (thin_to + 1))))
        table[name] = {"chi2_p": float(chi.pvalue), "ks_p": float(ks.pvalue),
                       "coverage_90": cover, "counts": counts.tolist()}
    return {"replicates": replicates, "draws": draws, "tune": tune, "chains": chains,
            "thin_to": thin_to, "seed": seed, "quantities": table, "diagnostics": diag,
            "seconds": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--prior-draws", type=int, default=60_000)
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--thin-to", type=int, default=99)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    a = parser.parse_args()
    result = run(a.replicates, a.prior_draws, a.draws, a.tune, a.chains, a.thin_to, a.seed)
    print(f"\n{'quantity':28s} {'chi2 p':>8s} {'KS p':>8s} {'90% cover':>10s}  rank counts")
    for name, row in result["quantities"].items():
        print(f"{name:28s} {row['chi2_p']:8.3f} {row['ks_p']:8.3f} {row['coverage_90']:10.2f}"
              f"  {row['counts']}")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(result, fh, indent=1)


if __name__ == "__main__":
    main()
