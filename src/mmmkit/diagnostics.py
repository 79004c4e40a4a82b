"""Sampler diagnostics and the plain-words warnings shown after a fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# Healthy when r-hat <= R_HAT_LIMIT, bulk ESS >= ESS_LIMIT and no divergences; past the
# SEVERE thresholds a fit's numbers should not be read (review: a "problem", report: red).
R_HAT_LIMIT = 1.01
ESS_LIMIT = 400
R_HAT_SEVERE = 1.05
ESS_SEVERE = 100
DIVERGENCE_SEVERE_SHARE = 0.01  # of all kept draws


def summarize_diagnostics(idata) -> pd.Series:
    """Divergences, worst r-hat and smallest bulk/tail ESS over every posterior variable.

    Returns
    -------
    Series with ``divergences`` (count over all chains), ``max_r_hat``, ``min_ess_bulk``,
    ``min_ess_tail`` (effective draws), and ``draws`` (total kept draws).
    """
    import arviz as az

    posterior = idata.posterior
    divergences = int(np.asarray(idata.sample_stats["diverging"]).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if posterior.sizes["chain"] > 1:
            r_hat = _extreme(az.rhat(posterior), np.nanmax)
        else:
            r_hat = float("nan")
        bulk = _extreme(az.ess(posterior, method="bulk"), np.nanmin)
        tail = _extreme(az.ess(posterior, method="tail"), np.nanmin)
    return pd.Series(
        {
            "divergences": divergences,
            "max_r_hat": r_hat,
            "min_ess_bulk": bulk,
            "min_ess_tail": tail,
            "draws": int(posterior.sizes["chain"] * posterior.sizes["draw"]),
        },
        name="diagnostics",
    )


def _extreme(dataset, reduce) -> float:
    values = [np.asarray(v).ravel() for v in dataset.data_vars.values()]
    values = [v for v in values if v.size]
    if not values:
        return float("nan")
    return float(reduce(np.concatenate(values)))


def convergence_warnings(diag: pd.Series, target_accept: float = 0.9) -> list[str]:
    """Plain-words warnings for a fit that should not be trusted as is, with what to try."""
    messages = []
    draws = int(diag.get("draws", 0))
    if diag["divergences"] > 0:
        messages.append(
            f"{int(diag['divergences'])} of {draws} posterior draws ended in a divergence: the "
            "sampler met a region of the posterior it could not explore, so the intervals may "
            "be too narrow or shifted. Try fit(target_accept=0.95) or higher, tighter priors "
            "on the saturation parameters, or check mmmkit.review.review(model) for channels "
            "the data cannot tell apart."
        )
    if np.isfinite(diag["max_r_hat"]) and diag["max_r_hat"] > R_HAT_LIMIT:
        messages.append(
            f"The chains disagree (largest r-hat {diag['max_r_hat']:.3f}, want <= "
            f"{R_HAT_LIMIT}): they have not converged to the same posterior. Run longer "
            "(more tune and draws), or simplify the model (fewer channels with free curves, "
            "tighter priors)."
        )
    if np.isfinite(diag["min_ess_bulk"]) and diag["min_ess_bulk"] < ESS_LIMIT:
        messages.append(
            f"Some estimates rest on few effective draws (smallest bulk ESS "
            f"{diag['min_ess_bulk']:.0f}, want >= {ESS_LIMIT}): intervals are noisy. Run more "
            "draws or chains."
        )
    return messages
