"""Refreshing a fitted model on an extended history: the same specification and scales.

:meth:`mmmkit.MMM.refresh` (``refresh_model`` here) returns a new fitted model; the old one is
left as it is, so :func:`mmmkit.compare_models` can set the two side by side.

**Scales held fixed.** A refit derives its scales from its data (:mod:`mmmkit.scaling`): a new
mean spend per active week would move every saturation parameter's meaning and a new mean KPI
every effect's. A refresh passes the previous fit's :class:`~mmmkit.design.Scales` instead,
so every parameter keeps its units (the scaling choice, stated: the old fit's scales, kept
until a user refits without ``refresh``). The trend's time axis is the one exception: it
spans the fitted period (-0.5 to +0.5), so its slope is per fitted period in both fits.

**Two ways to learn from the new weeks.**

* ``informed=False`` (default), a full refit: the original priors, every week in the
  likelihood. The posterior is exactly the one a first fit of the whole history would give.
* ``informed=True``, sequential updating: the previous posterior becomes the prior, and only
  the weeks after the previous fit's last week enter the likelihood (``fit(observe_from=)``;
  earlier weeks still carry over into them and centre the media term). Counting the old weeks
  again under a prior that already holds them would count them twice and shrink every
  interval by up to ``sqrt(2)``: the old weeks are refitted, never re-counted.

  Which parameters are informed, and how: each parameter's posterior draws are moment-matched
  to one distribution per parameter element (per channel, geo, Fourier term or control) in a
  family of the original prior's support: ``Beta`` for (0, 1), ``LogNormal`` on the log
  draws for positive parameters, ``Normal`` for real ones, ``TruncatedNormal`` within a
  ``Uniform``'s or truncated prior's bounds. Informed (slowly changing): every adstock and
  saturation parameter, each channel's effect level (``channel_effect_mu``, replacing the
  spend-share prior; ROAS priors likewise from ``channel_roas``, the other channels of such a
  model keeping their effect prior), the geos' effect spread,
  the seasonality, the controls' coefficients and the Student-t ``nu``. The trend is informed
  with its standard deviation doubled (a base level moves faster than media curves) and its
  slope rescaled to the longer period. Kept at the original prior and learnt from the new
  weeks: the base level, the intercept, the noise and the drift, and on a panel each geo's
  deviation from its channel's effect (its standard-normal offset): the new weeks alone must
  place those, so the geo-level answers of an informed refresh are wider than a full refit's.
  The product of per-parameter marginals drops the posterior's correlations, so an informed
  refresh is somewhat less certain than the full refit, never more by construction.

  Lift tests of the previous fit are in the prior already and are not applied again; new
  ones (``lift_tests=``) are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mmmkit.design import ModelData, Scales
from mmmkit.errors import DataError
from mmmkit.io import model_from_config
from mmmkit.media_prior import ABSOLUTE
from mmmkit.priors import Prior
from mmmkit.revisions import data_changes

__all__ = ["FIT_SETTINGS", "INFORMED_PRIORS", "TREND_WIDEN", "first_observed_week",
           "fit_record", "informed_config", "moment_prior", "refresh_model"]

# fit() arguments a refresh takes from the previous fit unless given
FIT_SETTINGS = ("draws", "tune", "chains", "seed", "sampler", "target_accept", "method", "init")
# model-level priors an informed refresh takes from the previous posterior (see the docstring)
INFORMED_PRIORS = ("seasonality", "seasonality_geo_sigma", "control_coef",
                   "channel_effect_sigma", "nu", "trend")
TREND_WIDEN = 2.0
# families by the support of the parameter they put a prior on
_POSITIVE = ("HalfNormal", "LogNormal", "Gamma", "Exponential", "HalfStudentT")
_REAL = ("Normal", "StudentT", "Laplace")


def first_observed_week(data: ModelData, observe_from) -> int:
    """Index of the first week in the likelihood for ``fit(observe_from=)`` (0 for ``None``).

    Raises
    ------
    ValueError : ``observe_from`` is not a date, or no fitted week is on or after it.
    """
    if observe_from is None:
        return 0
    try:
        start = pd.Timestamp(observe_from)
    except (TypeError, ValueError):
        raise ValueError(f"observe_from must be a date (e.g. '2024-01-01'), got "
                         f"{observe_from!r}.") from None
    later = np.flatnonzero(data.dates >= start)
    if not later.size:
        raise ValueError(f"observe_from={start:%Y-%m-%d} is after the last week of the data "
                         f"({data.dates[-1]:%Y-%m-%d}): no week would be in the likelihood.")
    return int(later[0])


def fit_record(data: ModelData, first: int, scales: Scales | None) -> dict[str, Any]:
    """The plain values ``fit_info_`` gets for ``observe_from`` and fixed ``scales``."""
    record: dict[str, Any] = {}
    if first:
        record["observe_from"] = f"{data.dates[first]:%Y-%m-%d}"
    if scales is not None:
        record["scales_from"] = " to ".join(scales.period) if any(scales.period) else "given"
    if not data.fully_observed:  # an uneven panel (missing_weeks="mask")
        record["unobserved_cells"] = int((~data.observed).sum())
    return record


def refresh_model(model, df: pd.DataFrame, *, informed: bool = False,
                  lift_tests: pd.DataFrame | None = None, **fit_kwargs):
    """:meth:`mmmkit.MMM.refresh`: a new fitted model of ``df`` (see the module docstring)."""
    if not isinstance(informed, bool):
        raise ValueError(f"informed must be True or False, got {informed!r}.")
    for name in ("scales", "observe_from"):
        if name in fit_kwargs:
            raise ValueError(f"refresh sets {name}= itself; call fit() to choose it.")
    old = model.fitted_data()
    settings = {k: model.fit_info_[k] for k in FIT_SETTINGS if k in model.fit_info_}
    if settings.get("method") not in (None, "nuts", "advi"):  # draws given, not fitted
        settings.pop("method")
    if settings.get("method") == "advi":  # a draft's draws count all chains as one
        settings.pop("tune", None)
    settings.update(fit_kwargs)
    data = model.prepare(df)
    if data.geos != old.geos:
        raise DataError(
            f"the refresh data have geos {data.geos[:10]}, the fit had {old.geos[:10]}: a "
            "refresh keeps the fitted geos (same scales). Fit a new MMM for other geos.")
    scales = old.scales_used()
    if not informed:
        fresh = model.clone()
        fresh.fit(df, scales=scales, lift_tests=lift_tests, **settings)
        return _mark(fresh, model, "full")
    first_new = _check_sequential(model, old, data)
    ratio = (data.n_weeks - 1) / max(old.n_weeks - 1, 1)
    fresh = model_from_config(type(model), informed_config(model, span_ratio=ratio))
    fresh.fit(df, scales=scales, observe_from=first_new, lift_tests=lift_tests, **settings)
    return _mark(fresh, model, "informed")


def _check_sequential(model, old: ModelData, data: ModelData) -> pd.Timestamp:
    """The first new week; ``DataError`` when an informed refresh cannot be sequential."""
    later = data.dates[data.dates > old.dates[-1]]
    if not len(later):
        raise DataError(
            f"the refresh data end on {data.dates[-1]:%Y-%m-%d}, no week after the previous "
            f"fit's last one ({old.dates[-1]:%Y-%m-%d}): an informed refresh learns only from "
            "new weeks. Add them, or pass informed=False for a full refit.")
    before = data.dates[data.dates < old.dates[0]]
    if len(before):
        raise DataError(
            f"the refresh data start on {before[0]:%Y-%m-%d}, before the previous fit's first "
            f"week ({old.dates[0]:%Y-%m-%d}): those weeks are in no prior and would never be "
            "counted. Drop them, or pass informed=False for a full refit.")
    revised = data_changes(old, data, old_target=model.target, new_target=model.target).revised
    if len(revised):
        row = revised.iloc[0]
        raise DataError(
            f"column {row['column']!r} on {row['date']:%Y-%m-%d} (geo {row['geo']!r}) was "
            f"{row['old']:.6g} in the previous fit and is {row['new']:.6g} now ({len(revised)} "
            "revised values in all): the previous posterior was learnt from the old values, so "
            "an informed refresh would keep them. Pass informed=False for a full refit.")
    return later[0]


def _mark(fresh, model, how: str):
    """Record in the new fit where it came from (plain values: saved with the model)."""
    origin = {"refresh": how,
              "refreshed_from": (model.provenance_ or {}).get("data", {}).get("fingerprint")}
    fresh.fit_info_ = {**fresh.fit_info_, **origin}
    if fresh.provenance_ is not None:
        fresh.provenance_ = {**fresh.provenance_,
                             "fit": {**fresh.provenance_["fit"], **origin}}
    return fresh


# -- informed priors ------------------------------------------------------------------------
def informed_config(model, *, span_ratio: float = 1.0) -> dict[str, Any]:
    """``model.config()`` with priors moment-matched to ``model``'s posterior (module
    docstring) and no lift tests (they are in that posterior). ``span_ratio``: the refreshed
    period's length over the fitted one's, by which the trend's slope (per period) grows."""
    post = model.idata.posterior
    config = model.config()
    for g in model.media.groups:
        for part, transform in (("adstock", g.adstock), ("saturation", g.saturation)):
            informed = {p: moment_prior(_draws(post, g.var(part, p)), transform.priors[p])
                        for p in transform.param_names}
            for ch in g.channels:
                config[part][ch]["priors"] = {
                    **config[part][ch]["priors"],
                    **{p: prior.to_dict() for p, prior in informed.items()}}
    priors = {k: Prior.from_dict(v) for k, v in config["priors"].items()}
    for name in INFORMED_PRIORS:
        if name in priors and name in post:
            draws = _draws(post, name)
            widen = 1.0
            if name == "trend":
                draws = draws * span_ratio
                widen = TREND_WIDEN
            priors[name] = moment_prior(draws, priors[name], widen=widen)
    if "channel_effect_mu" in post and not model.roas_priors:
        priors[ABSOLUTE] = moment_prior(_draws(post, "channel_effect_mu"), Prior("Normal",
                                                                               sigma=1.0))
    config["priors"] = {k: p.to_dict() for k, p in priors.items()}
    if model.roas_priors and "channel_roas" in post:
        roas = post["channel_roas"]
        dim = roas.dims[-1]
        config["roas_priors"] = {
            str(ch): moment_prior(roas.sel({dim: ch}).values.reshape(-1, 1),
                                  Prior("LogNormal", sigma=1.0)).to_dict()
            for ch in roas[dim].values if ch in model.roas_priors}
    config["lift_tests"] = None
    return config


def _draws(post, name: str) -> np.ndarray:
    """``(samples, ...)`` draws of posterior variable ``name``."""
    values = np.asarray(post[name].values, dtype=float)
    return values.reshape(-1, *values.shape[2:])


def moment_prior(draws: np.ndarray, original: Prior, *, widen: float = 1.0) -> Prior:
    """A prior matching ``draws`` ``(samples[, k])``'s mean and spread per element, in a
    family of ``original``'s support (see the module docstring); ``widen`` multiplies the
    standard deviation.

    Returns a :class:`~mmmkit.priors.Prior` with one value per element (scalars for 1-d
    draws).
    """
    draws = np.asarray(draws, dtype=float)
    flat = draws.reshape(draws.shape[0], -1)
    scalar = draws.ndim == 1

    def out(values: np.ndarray):
        return float(values[0]) if scalar else [float(v) for v in values]

    dist = original.dist
    if dist == "Beta":
        m = np.clip(flat.mean(axis=0), 1e-4, 1 - 1e-4)
        v = (flat.std(axis=0) * widen) ** 2
        k = np.maximum(m * (1 - m) / np.maximum(v, 1e-12) - 1.0, 2.0)
        return Prior("Beta", alpha=out(m * k), beta=out((1 - m) * k))
    if dist in _POSITIVE:
        logs = np.log(np.maximum(flat, 1e-300))
        return Prior("LogNormal", mu=out(logs.mean(axis=0)),
                     sigma=out(np.maximum(logs.std(axis=0) * widen, 1e-6)))
    sd = np.maximum(flat.std(axis=0) * widen, 1e-6)
    if dist in ("Uniform", "TruncatedNormal"):
        lo = original.params.get("lower", 0.0 if dist == "Uniform" else -np.inf)
        hi = original.params.get("upper", 1.0 if dist == "Uniform" else np.inf)
        return Prior("TruncatedNormal", mu=out(flat.mean(axis=0)), sigma=out(sd),
                     lower=lo, upper=hi)
    return Prior("Normal", mu=out(flat.mean(axis=0)), sigma=out(sd))
