"""The PyMC model: one hierarchical graph for a national series (one geo) or a geo panel.

On the scaled data of :mod:`mmmkit.scaling` (target divided by the geo's mean, spend by the
geo-channel's typical active week), for geo ``g``, week ``t``, channel ``c``::

    y[g, t] ~ Normal(mu[g, t], sigma)            (or StudentT(nu, mu, sigma))
    mu[g, t] = intercept[g] + trend[g] * time[t] + season[t] + controls[g, t] @ control
               + drift[g, t]   (optional, a smooth moving level: mmmkit.drift)
               + sum_c channel_effect[g, c] * response_c(spend[g, t, c])
    response_c(x) = saturation_c(adstock_c(x)) / saturation_c(1)
    log channel_effect[g, c] = channel_effect_mu[c] + channel_effect_sigma[c] * z[g, c]

* ``channel_effect`` is positive (media never hurts): the channel's weekly contribution, as a
  share of the geo's mean target, when it spends a typical active week's amount (scaled spend
  1) week after week. Anchoring the effect there, rather than at full saturation, decouples it
  from the curve's shape, which the data identify far less well. Across geos it is partially
  pooled on the log scale, non-centred (``z ~ Normal(0, 1)``), which samples well when geos
  carry little information each. With one geo the pooling terms vanish: same graph, no
  second code path.
* Adstock and saturation shapes are shared by all geos of a channel: a geo rarely has enough
  data to learn a curve on its own.
* ``time`` runs from -0.5 (first fitted week) to +0.5 (last), so ``intercept`` is the level
  mid-period and ``trend`` the change over the fitted period. Seasonality is yearly Fourier
  terms shared by geos; controls are standardised and shared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mmmkit import media_prior
from mmmkit.calibration import LiftTestArrays
from mmmkit.design import ModelData, fourier_features, fourier_labels
from mmmkit.drift import Drift, build_drift, drift_priors
from mmmkit.media import MediaBlock, shared_data
from mmmkit.priors import Prior

OBSERVED = "target_obs"
#: the observation models :func:`build_pymc_model` knows
LIKELIHOODS = ("normal", "studentt")

DEFAULT_PRIORS: dict[str, Prior] = {
    # baseline level (mid-period, at zero media) as a share of the geo's mean target: media
    # typically drives 10-40% of a KPI, so the baseline is centred at 75%; the data move it.
    "intercept": Prior("Normal", mu=0.75, sigma=0.25),
    # the mean level of the scaled target (about 1 by construction); only a weak guard, since
    # the intercept's prior above is what carries the belief about the baseline
    "level": Prior("Normal", mu=1.0, sigma=2.0),
    "trend": Prior("Normal", mu=0.0, sigma=0.5),
    "seasonality": Prior("Normal", mu=0.0, sigma=0.25),
    "control_coef": Prior("Normal", mu=0.0, sigma=0.25),
    # channel effect levels: media share of the KPI split by share of spend, see
    # mmmkit.media_prior ("channel_effect_mu", an absolute prior, may be given instead)
    **media_prior.DEFAULTS,
    "channel_effect_sigma": Prior("HalfNormal", sigma=0.3),
    "sigma": Prior("HalfNormal", sigma=0.5),
    "nu": Prior("Gamma", alpha=2.0, beta=0.1),
}


# with MMM(geo_seasonality=True): the spread of the geos' Fourier coefficients around the shared
# ones (shares of each geo's mean KPI; the shared pattern's prior sd is 0.25)
GEO_SEASONALITY_PRIORS = {"seasonality_geo_sigma": Prior("HalfNormal", sigma=0.05)}


def merge_model_priors(overrides: Mapping[str, Prior] | None,
                       drift: Drift | None = None,
                       geo_seasonality: bool = False) -> dict[str, Prior]:
    """The model-level priors: :data:`DEFAULT_PRIORS` (and the drift's, with a ``drift``,
    and :data:`GEO_SEASONALITY_PRIORS` with ``geo_seasonality``) updated with ``overrides``.

    ``channel_effect_mu`` is not a default: giving it replaces the media-share prior of
    :mod:`mmmkit.media_prior` with a free prior on each channel's absolute log effect level.
    """
    from mmmkit.priors import merge_priors

    if drift is None and any(name.startswith("drift_") for name in overrides or {}):
        raise ValueError("priors name a drift prior, but the model has no drift: pass "
                         "drift=True (or mk.Drift(...)) to MMM, or drop those priors.")
    if not geo_seasonality and any(name in GEO_SEASONALITY_PRIORS for name in overrides or {}):
        raise ValueError("priors name seasonality_geo_sigma, but the model has no per-geo "
                         "seasonality: pass geo_seasonality=True to MMM, or drop that prior.")
    known = {**DEFAULT_PRIORS, **drift_priors(drift),
             **(GEO_SEASONALITY_PRIORS if geo_seasonality else {}),
             media_prior.ABSOLUTE: media_prior.ABSOLUTE_DEFAULT}
    merged = merge_priors(known, overrides, "MMM")
    if media_prior.ABSOLUTE in (overrides or {}):
        for name in media_prior.DEFAULTS:
            merged.pop(name)
    else:
        merged.pop(media_prior.ABSOLUTE)
    return merged


def _effect_level(data: ModelData, media: MediaBlock, priors: Mapping[str, Prior],
                  channels: list[str], dim: str):
    """``channel_effect_mu`` for ``channels`` (log effect level, dims ``dim``); called once
    per model."""
    import pymc as pm
    import pytensor.tensor as pt

    if not media_prior.spend_share_mode(priors):
        return priors[media_prior.ABSOLUTE].create(media_prior.ABSOLUTE, dims=dim)
    idx = [media.order.index(ch) for ch in channels]
    spend = media.reorder(data.spend)
    centre = media_prior.log_centre(spend, media.reorder(data.scaled_spend()),
                                    data.target_scale)[idx]
    # data, not a constant: a compiled sampler reused for other data gets their centre
    centre = shared_data("channel_effect_centre", centre, dims=dim)
    share = priors[media_prior.MEDIA_SHARE].create(media_prior.MEDIA_SHARE)
    offset = priors[media_prior.OFFSET].create(media_prior.OFFSET, dims=dim)
    return pm.Deterministic(media_prior.ABSOLUTE, pt.log(share) + centre + offset, dims=dim)


def build_pymc_model(
    data: ModelData,
    media: MediaBlock,
    *,
    seasonality: int,
    trend: bool,
    likelihood: str,
    priors: Mapping[str, Prior],
    drift: Drift | None = None,
    roas_priors: Mapping[str, Prior] | None = None,
    lift_tests: Sequence[LiftTestArrays] = (),
    fused_media: bool = True,
    first_observed: int = 0,
    geo_seasonality: bool = False,
):
    """The PyMC model for ``data``; see the module docstring for the equations.

    The likelihood counts the geo-weeks whose KPI is observed (``data.observed``; NaN
    targets of an uneven panel are left out) from week ``first_observed`` on: earlier weeks'
    spend still carries over and they still centre the media term, but their KPI is not
    counted (``MMM.fit(observe_from=)``, the sequential refresh that must not count the old
    weeks a second time). The observed cells are a data index, so a compiled sampler is
    reused for another mask. ``geo_seasonality`` gives each geo of a panel its own yearly
    pattern, partially pooled around the shared one (:func:`_with_baseline`).

    ``roas_priors`` (``{channel: Prior}``) makes those channels' ROAS the parameter and
    derives their effect level from it; ``lift_tests`` adds each experiment's measured lift
    to the likelihood (:mod:`mmmkit.calibration`). ``fused_media=False`` builds the media
    block from generic PyTensor pieces instead of the fused kernel (the same function; the
    reference for tests).
    """
    import pymc as pm
    import pytensor.tensor as pt

    roas_priors = dict(roas_priors or {})
    n_geos = data.n_geos
    roas_channels = [ch for ch in media.order if ch in roas_priors]
    free_channels = [ch for ch in media.order if ch not in roas_priors]
    coords = _coords(data, media, seasonality, roas_channels, free_channels, len(lift_tests))
    if drift is not None:
        knots = drift.knot_dates(data.dates)
        coords |= {"knot": knots, "knot_step": knots[1:]}
    spend = media.reorder(data.scaled_spend())
    # ROAS counts carryover after the period, so its channels need the response in the tail
    tail = media.max_lag - 1 if roas_channels else 0
    if tail:
        spend = np.concatenate([spend, np.zeros((n_geos, tail, spend.shape[2]))], axis=1)
    # check_bounds off: every parameter lives on its support (transforms) and every prior's
    # numbers were checked when it was made; the checks would only add nodes to compile
    with pm.Model(coords=coords, check_bounds=False) as model:
        y = shared_data("target_scaled", np.nan_to_num(data.scaled_target()),
                        dims=("geo", "date"), weeks_axis=1)
        media_graph, transform_params = media.build(spend, fused=fused_media)
        effect = _channel_effect(data, media, priors, roas_priors, media_graph)

        # Centred media (as one centres predictors in a regression): NUTS moves each geo's mean
        # level, which the data fix tightly, and the intercept is derived. Otherwise every geo's
        # intercept trades off against the common media level along one long ridge.
        media_term = media_graph.weighted(effect)  # (G, T + tail)
        if tail:  # counted from the end: the weeks are not fixed in the compiled graph
            media_term = media_term[:, :-tail]
        level = priors["level"].create("level", dims="geo")
        media_mean = pt.mean(media_term, axis=1)
        intercept = pm.Deterministic("intercept", level - media_mean, dims="geo")
        # the intercept's own prior, exactly: (level, ...) -> (intercept, ...) is a shift.
        # Written as an observed term, not a Potential: PyMC rewrites observed terms and
        # potentials apart, and two copies of the media kernel would then run per gradient.
        intercept_prior = priors["intercept"]
        pm.CustomDist(
            "intercept_prior", intercept,
            logp=lambda _value, icpt: intercept_prior.logp(icpt),
            random=lambda icpt, rng=None, size=None: np.zeros(np.shape(icpt)),
            observed=np.zeros(n_geos), dims="geo")
        mu = level[:, None] + (media_term - media_mean[:, None])
        mu = _with_baseline(mu, data, priors, seasonality=seasonality, trend=trend,
                            geo_seasonality=geo_seasonality)
        if drift is not None:
            mu = mu + build_drift(drift, data, priors, trend=trend)

        if lift_tests:
            _lift_test_likelihood(data, media, lift_tests, transform_params, effect)

        _likelihood(model, mu, y, data, priors, likelihood, first_observed)
    return model


def _likelihood(model, mu, y, data: ModelData, priors: Mapping[str, Prior], likelihood: str,
                first_observed: int) -> None:
    """The observed target's term: every geo-week, or (an uneven panel, a sequential
    refresh) only the cells :func:`observed_mask` keeps, gathered by a data index."""
    import pymc as pm

    sigma = priors["sigma"].create("sigma")
    dims = ("geo", "date")
    mask = observed_mask(data, first_observed)
    if not mask.all():
        cells = np.flatnonzero(mask.ravel())
        model.add_coord("observation", np.arange(cells.size))
        index = shared_data("observed_index", cells, dims="observation", weeks_axis=0)
        mu, y, dims = mu.ravel()[index], y.ravel()[index], ("observation",)
    if likelihood == "normal":
        pm.Normal(OBSERVED, mu=mu, sigma=sigma, observed=y, dims=dims)
    elif likelihood == "studentt":
        nu = priors["nu"].create("nu")
        pm.StudentT(OBSERVED, nu=nu, mu=mu, sigma=sigma, observed=y, dims=dims)
    else:  # pragma: no cover - checked in MMM.__init__
        raise ValueError(likelihood)


def _channel_effect(data: ModelData, media: MediaBlock, priors: Mapping[str, Prior],
                    roas_priors: Mapping[str, Prior], media_graph):
    """``channel_effect`` ``(G, C)``: the log effect level per channel (from its ROAS where
    one is given), plus the geos' partially pooled deviations from it."""
    import pymc as pm
    import pytensor.tensor as pt

    roas_channels = [ch for ch in media.order if ch in roas_priors]
    free_channels = [ch for ch in media.order if ch not in roas_priors]
    if data.n_geos > 1:
        effect_sd = priors["channel_effect_sigma"].create("channel_effect_sigma", dims="channel")
        z = pm.Normal("channel_effect_z", 0.0, 1.0, dims=("geo", "channel"))
        deviation = effect_sd[None, :] * z
    else:
        deviation = pt.zeros((1, len(media.order)))
    if roas_channels:
        effect_mu = _effect_mu_from_roas(
            data, media, priors, roas_priors, roas_channels, free_channels,
            media_graph.response(), deviation)  # response (G, T + tail, C)
    else:
        effect_mu = _effect_level(data, media, priors, list(media.order), "channel")
    log_effect = effect_mu[None, :] + deviation
    return pm.Deterministic("channel_effect", pt.exp(log_effect), dims=("geo", "channel"))


def _coords(data: ModelData, media: MediaBlock, seasonality: int, roas_channels: list[str],
            free_channels: list[str], n_lift_tests: int) -> dict[str, list]:
    coords = {
        "geo": data.geos,
        "date": data.dates,
        "channel": media.order,
        "control": data.controls,
        "fourier": fourier_labels(seasonality),
        **media.coords(),
    }
    if roas_channels:
        coords |= {"roas_channel": roas_channels, "channel_free": free_channels}
    if n_lift_tests:
        coords["lift_test"] = list(range(n_lift_tests))
    return coords


def _with_baseline(mu, data: ModelData, priors: Mapping[str, Prior], *, seasonality: int,
                   trend: bool, geo_seasonality: bool = False):
    """``mu`` ``(G, T)`` plus the trend, seasonality and control terms the model has.

    With ``geo_seasonality`` (and more than one geo) each geo's Fourier coefficients are the
    shared ones plus a deviation ``seasonality_geo_sigma * z[g, f]`` (non-centred, so it
    samples well when the geos agree): ``seasonality_geo`` ``(geo, fourier)``.
    """
    import pytensor.tensor as pt

    if trend:
        time = shared_data("time", data.trend(), dims="date", weeks_axis=0)
        slope = priors["trend"].create("trend", dims="geo")
        mu = mu + slope[:, None] * time[None, :]
    if seasonality > 0:
        fourier = shared_data("fourier_features", fourier_features(data.dates, seasonality),
                              dims=("date", "fourier"), weeks_axis=0)
        gamma = priors["seasonality"].create("seasonality", dims="fourier")
        if geo_seasonality and data.n_geos > 1:
            import pymc as pm

            spread = priors["seasonality_geo_sigma"].create("seasonality_geo_sigma")
            z = pm.Normal("seasonality_geo_z", 0.0, 1.0, dims=("geo", "fourier"))
            per_geo = pm.Deterministic("seasonality_geo", gamma[None, :] + spread * z,
                                       dims=("geo", "fourier"))
            mu = mu + pt.dot(per_geo, fourier.T)
        else:
            mu = mu + pt.dot(fourier, gamma)[None, :]
    if data.controls:
        controls = shared_data("controls_scaled", data.scaled_controls(),
                               dims=("geo", "date", "control"), weeks_axis=1)
        coef = priors["control_coef"].create("control_coef", dims="control")
        mu = mu + pt.dot(controls, coef)
    return mu


def _effect_mu_from_roas(data, media, priors, roas_priors, roas_channels, free_channels,
                         response, deviation):
    """Log effect level per channel, derived from a ROAS parameter where one is given.

    For a ROAS channel ``c`` the model's counterfactual ROAS (carryover tail included) is
    ``sum_g target_scale[g] * exp(mu[c] + deviation[g, c]) * R[g, c] / spend[c]`` with
    ``R[g, c]`` the channel's response summed over the period and its tail. Solving for
    ``mu[c]`` makes ROAS itself the sampled parameter, with the analyst's prior on it (Zhang et
    al. 2024, "Media Mix Model Calibration With Bayesian Priors").
    """
    import pytensor.tensor as pt

    from mmmkit.calibration import combine_roas_priors

    order = media.order
    roas_idx = np.array([order.index(ch) for ch in roas_channels])
    # numbers as data: a refit with another ROAS prior reuses the compiled sampler
    roas = combine_roas_priors(roas_priors, roas_channels).create(
        "channel_roas", dims="roas_channel", as_data=True)
    total = pt.sum(response, axis=1)[:, roas_idx]  # (G, C_roas): R[g, c]
    # data, not constants: a compiled sampler reused on other weeks gets their totals
    spend = shared_data("roas_spend", media.reorder(data.spend).sum(axis=(0, 1))[roas_idx],
                        dims="roas_channel")  # currency
    scale = shared_data("roas_target_scale", data.target_scale, dims="geo")
    reach = pt.sum(scale[:, None] * pt.exp(deviation[:, roas_idx]) * total, axis=0)
    mu_roas = pt.log(roas * spend) - pt.log(reach)
    if not free_channels:
        return mu_roas[np.argsort(roas_idx)]
    mu_free = _effect_level(data, media, priors, free_channels, "channel_free")
    free_idx = np.array([order.index(ch) for ch in free_channels])
    position = np.argsort(np.concatenate([free_idx, roas_idx]))
    return pt.concatenate([mu_free, mu_roas])[position]


def _lift_test_likelihood(data, media, lift_tests, params, effect) -> None:
    """``lift ~ Normal(model lift, lift_se)`` for every experiment (target units)."""
    import pymc as pm
    import pytensor.tensor as pt

    # the experiments' spend, lifts and errors are data: other values of the same layout
    # (calibration.lift_test_structure) reuse the compiled sampler
    predicted = []
    for i, test in enumerate(lift_tests):
        c = media.order.index(test.channel)
        base, alt = (media.channel_response(
            test.channel, shared_data(f"lift_test_{i}_{case}_lags", getattr(test, f"{case}_lags")),
            params) for case in ("base", "alt"))  # (G', W) each
        scale = shared_data(f"lift_test_{i}_target_scale", data.target_scale[test.geo_index])
        weight = scale * effect[test.geo_index, c]  # (G',)
        predicted.append(pt.sum(weight[:, None] * (alt - base)))
    model_lift = pm.Deterministic("lift_test_model", pt.stack(predicted), dims="lift_test")
    lift_se = shared_data("lift_test_se", np.array([t.lift_se for t in lift_tests]))
    lift = shared_data("lift_test_lift", np.array([t.lift for t in lift_tests]))
    pm.Normal("lift_test_obs", mu=model_lift, sigma=lift_se, observed=lift, dims="lift_test")


def observed_mask(data: ModelData, first_observed: int = 0) -> np.ndarray:
    """``(G, T)`` bool: the geo-weeks in the likelihood (observed, from ``first_observed``)."""
    mask = data.observed.copy()
    mask[:, :first_observed] = False
    return mask
