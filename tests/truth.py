"""Fitted-looking models whose posterior holds the simulator's true parameters.

Scenario answers (lift, response curves, optimal budgets) are deterministic functions of the
posterior draws. A model whose every draw *is* the truth must therefore reproduce the
simulator's own answers (:meth:`mmmkit.simulate.SimulatedData.true_lift`) to rounding error,
without any sampling. With ``jitter > 0`` the draws scatter around the truth, which gives a
large, realistic-looking posterior for benchmarks in milliseconds instead of an MCMC fit.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import mmmkit as mk
from mmmkit.design import fourier_labels
from mmmkit.simulate import SimulatedData


def model_from_truth(
    sim: SimulatedData,
    *,
    chains: int = 1,
    draws: int = 2,
    jitter: float = 0.0,
    seed: int = 0,
) -> mk.MMM:
    """An :class:`mmmkit.MMM` for ``sim.data`` whose posterior draws are the true parameters.

    Parameters
    ----------
    sim : the simulated data set (its ``adstock`` and ``saturation`` become the model's).
    chains, draws : size of the synthetic posterior.
    jitter : sd of multiplicative log-normal noise put on each draw's media parameters
        (adstock, saturation, effects). ``0`` makes every draw exactly the truth.
    seed : seeds the jitter (and the posterior predictive noise).

    Notes
    -----
    The model's effect is anchored at a typical week (scaled spend 1) and in shares of the
    geo's mean target, the simulator's at full saturation and in sales units, so
    ``channel_effect[g, c] = effect[g, c] / target_scale[g] * saturation_c(1)``; both scale
    spend by the same ``spend_scale`` (computed from the same spend), so the media terms are
    then identical. Baseline parameters are placeholders: no scenario depends on them.
    """
    model = mk.MMM(**sim.model_kwargs(), adstock=sim.adstock, saturation=sim.saturation)
    data = model.prepare(sim.data)
    media = model.media
    if len(media.groups) != 1:  # pragma: no cover - the simulator uses one transform pair
        raise ValueError("model_from_truth expects one adstock and one saturation.")
    group = media.groups[0]
    rng = np.random.default_rng(seed)
    n = chains * draws
    G, C = data.n_geos, len(media.order)

    def draws_of(value: np.ndarray) -> np.ndarray:
        value = np.broadcast_to(value, (n, *np.shape(value)))
        if jitter <= 0:
            return np.array(value, dtype=float)
        return value * np.exp(jitter * rng.standard_normal(value.shape))

    adstock = {p: draws_of(media.reorder(np.asarray(v, dtype=float)))
               for p, v in sim.params["adstock"].items()}
    if "alpha" in adstock:  # retention rates must stay inside (0, 1)
        adstock["alpha"] = np.clip(adstock["alpha"], 1e-3, 0.98)
    saturation = {p: draws_of(media.reorder(np.asarray(v, dtype=float)))
                  for p, v in sim.params["saturation"].items()}
    effect = draws_of(media.reorder(np.asarray(sim.params["effect"], dtype=float)))  # (n, G, C)
    at_one = group.saturation.apply(1.0, **saturation)  # (n, C): the curve at a typical week
    channel_effect = effect / data.target_scale[None, :, None] * at_one[:, None, :]

    def var(dims: tuple[str, ...], values: np.ndarray):
        values = np.asarray(values)
        return ("chain", "draw", *dims), values.reshape(chains, draws, *values.shape[1:])

    order = max(model.seasonality, 0)
    variables = {
        group.var("adstock", p): var(("channel",), v) for p, v in adstock.items()
    }
    variables.update({group.var("saturation", p): var(("channel",), v)
                      for p, v in saturation.items()})
    variables.update({
        "channel_effect": var(("geo", "channel"), channel_effect),
        "channel_effect_mu": var(("channel",), np.log(channel_effect).mean(axis=1)),
        "level": var(("geo",), np.ones((n, G))),
        "intercept": var(("geo",), np.full((n, G), 0.7)),
        "sigma": var((), np.full(n, 0.05)),
    })
    if G > 1:
        variables["channel_effect_sigma"] = var(("channel",), np.full((n, C), 0.2))
        variables["channel_effect_z"] = var(("geo", "channel"), np.zeros((n, G, C)))
    if model.trend:
        variables["trend"] = var(("geo",), np.zeros((n, G)))
    if order > 0:
        variables["seasonality"] = var(("fourier",), np.zeros((n, 2 * order)))
    if model.controls:
        variables["control_coef"] = var(("control",), np.zeros((n, len(model.controls))))
    coords = {
        "chain": np.arange(chains), "draw": np.arange(draws), "geo": data.geos,
        "channel": media.order, "fourier": fourier_labels(order), "control": model.controls,
    }
    posterior = xr.Dataset(variables, coords=coords)
    model.from_posterior(sim.data, posterior, seed=seed)
    model.fit_info_ = {"sampler": "truth", "draws": draws, "chains": chains, "seed": seed,
                       "jitter": jitter}
    return model
