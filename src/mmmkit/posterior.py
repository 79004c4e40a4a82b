"""Evaluate the fitted model on posterior draws with numpy, in target units.

Every answer mmmkit gives — contributions, ROAS, predictions, scenarios — is the model's
expected target under some spend plan, computed draw by draw. This module is that one
computation, chunked over draws so that memory stays bounded on large panels.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import xarray as xr

from mmmkit.design import ModelData, fourier_features
from mmmkit.drift import Drift, drift_term
from mmmkit.media import MediaBlock

# Cap on elements of one (draws, geo, week, channel) block: ~256 MB of float64.
_CHUNK_ELEMENTS = 32_000_000


class PosteriorEngine:
    """Posterior draws flattened to ``S = chains x draws`` and the model's functions of them.

    Parameters
    ----------
    posterior : the ``posterior`` group of the fit.
    data : the fitted :class:`ModelData`.
    media : the model's :class:`MediaBlock`.
    seasonality, trend, likelihood, drift : the model's options.
    """

    def __init__(
        self,
        posterior: xr.Dataset,
        data: ModelData,
        media: MediaBlock,
        *,
        seasonality: int,
        trend: bool,
        likelihood: str,
        drift: Drift | None = None,
    ) -> None:
        self.data = data
        self.media = media
        self.seasonality = seasonality
        self.trend = trend
        self.likelihood = likelihood
        self.drift = drift
        self.n_chains = posterior.sizes["chain"]
        self.n_draws = posterior.sizes["draw"]
        self.chain_coord = posterior["chain"].values
        self.draw_coord = posterior["draw"].values
        self.params: dict[str, np.ndarray] = {}
        for name, var in posterior.data_vars.items():
            values = np.asarray(var.values, dtype=float)
            self.params[name] = values.reshape(self.n_samples, *values.shape[2:])
        # channel_effect is stored with dims (geo, channel) in internal channel order
        self.spend_scale = media.reorder(data.spend_scale)  # (G, C) internal order

    @property
    def n_samples(self) -> int:
        return self.n_chains * self.n_draws

    def chunks(self, per_draw_elements: int) -> Iterator[slice]:
        """Slices of draws whose blocks hold at most ~``_CHUNK_ELEMENTS`` numbers."""
        size = max(1, _CHUNK_ELEMENTS // max(per_draw_elements, 1))
        for start in range(0, self.n_samples, size):
            yield slice(start, min(start + size, self.n_samples))

    def take(self, sl: slice) -> dict[str, np.ndarray]:
        return {k: v[sl] for k, v in self.params.items()}

    # -- pieces of the expected target ------------------------------------------------------------
    def media_contribution(self, spend: np.ndarray, sl: slice) -> np.ndarray:
        """Each channel's expected contribution, ``(s, G, T', C)`` in target units.

        ``spend`` is raw spend ``(G, T', C)`` in *internal* channel order; weeks before its
        first week count as zero spend, so callers prepend history to carry it in.
        """
        params = self.take(sl)
        saturated = self.media.evaluate(params, spend / self.spend_scale[:, None, :])
        effect = params["channel_effect"]  # (s, G, C)
        return saturated * (effect * self.data.target_scale[None, :, None])[:, :, None, :]

    def baseline_parts(
        self, dates, controls: np.ndarray | None, sl: slice
    ) -> dict[str, np.ndarray]:
        """Baseline components ``{name: (s, G, T')}`` in target units for the given weeks.

        Names: ``intercept``, ``trend``, ``seasonality``, ``drift`` and one per control.
        ``controls`` is raw ``(G, T', K)`` (ignored when the model has none).
        """
        params = self.take(sl)
        scale = self.data.target_scale[None, :, None]
        n_weeks = len(dates)
        out = {"intercept": np.repeat(params["intercept"][:, :, None], n_weeks, axis=2) * scale}
        if self.trend:
            time = self.data.trend(dates)
            out["trend"] = params["trend"][:, :, None] * time[None, None, :] * scale
        if self.seasonality > 0:
            features = fourier_features(dates, self.seasonality)  # (T, F)
            if "seasonality_geo" in params:  # each geo's own pattern, (s, G, F)
                season = np.einsum("tf,sgf->sgt", features, params["seasonality_geo"])
                out["seasonality"] = season * scale
            else:
                season = features @ params["seasonality"].T  # (T, s)
                out["seasonality"] = season.T[:, None, :] * scale
        if self.drift is not None:
            out["drift"] = drift_term(self.drift, self.data.dates, dates, params["drift"],
                                      trend=self.trend) * scale
        out.update(self.control_parts(controls, sl))
        return out

    def control_parts(self, controls: np.ndarray | None, sl: slice) -> dict[str, np.ndarray]:
        """Each control's term ``{name: (s, G, T')}`` in target units at the raw control
        values ``controls`` ``(G, T', K)`` (``{}`` when the model has none)."""
        if not self.data.controls:
            return {}
        params = self.take(sl)
        scale = self.data.target_scale[None, :, None]
        scaled = self.data.scaled_controls(controls)  # (G, T', K)
        coef = params["control_coef"]  # (s, K)
        return {name: coef[:, k, None, None] * scaled[None, :, :, k] * scale
                for k, name in enumerate(self.data.controls)}

    def expected_target(self, spend: np.ndarray, dates, controls: np.ndarray | None,
                        sl: slice, history: int = 0) -> np.ndarray:
        """Expected target ``(s, G, T' - history)`` in target units: media plus baseline.

        ``spend`` is raw ``(G, T', C)`` in internal channel order; its first ``history`` weeks
        only carry spend into the weeks after them, and ``dates``/``controls`` cover the
        weeks after them.
        """
        media = self.media_contribution(spend, sl).sum(axis=-1)[:, :, history:]
        base = self.baseline_parts(dates, controls, sl)
        return media + sum(base.values())

    def observation_noise(self, shape: tuple[int, ...], sl: slice, rng) -> np.ndarray:
        """Draws of the observation noise ``(s, G, T')`` in target units."""
        sigma = self.params["sigma"][sl][:, None, None] * self.data.target_scale[None, :, None]
        if self.likelihood == "studentt":
            nu = self.params["nu"][sl][:, None, None]
            return sigma * rng.standard_t(np.broadcast_to(nu, shape))
        return sigma * rng.standard_normal(shape)

    # -- assembled answers --------------------------------------------------------------------
    def reshape(self, flat: np.ndarray) -> np.ndarray:
        """``(S, ...)`` back to ``(chain, draw, ...)``."""
        return flat.reshape(self.n_chains, self.n_draws, *flat.shape[1:])

    def channel_totals(
        self, spend: np.ndarray, weeks: slice | None = None
    ) -> np.ndarray:
        """Summed media contribution per draw, geo and channel, ``(S, G, C)`` target units.

        ``spend`` ``(G, T', C)`` internal order; ``weeks`` restricts the sum over time.
        """
        G, T, C = spend.shape
        out = np.empty((self.n_samples, G, C))
        for sl in self.chunks(G * T * C):
            contrib = self.media_contribution(spend, sl)
            if weeks is not None:
                contrib = contrib[:, :, weeks, :]
            out[sl] = contrib.sum(axis=2)
        return out


def with_tail(spend: np.ndarray, n_weeks: int) -> np.ndarray:
    """``spend`` ``(G, T, C)`` followed by ``n_weeks`` weeks of zero spend (carryover tail)."""
    pad = np.zeros((spend.shape[0], n_weeks, spend.shape[2]))
    return np.concatenate([spend, pad], axis=1)


def subset_geos(engine: PosteriorEngine, geo_idx: list[int]) -> PosteriorEngine:
    """A view of ``engine`` restricted to some geos (for predicting a subset of them)."""
    if geo_idx == list(range(engine.data.n_geos)):
        return engine
    import copy

    sub = copy.copy(engine)
    data = copy.copy(engine.data)
    data.geos = [engine.data.geos[i] for i in geo_idx]
    data.target_scale = engine.data.target_scale[geo_idx]
    data.spend_scale = engine.data.spend_scale[geo_idx]
    sub.data = data
    sub.spend_scale = engine.spend_scale[geo_idx]
    geo_params = {"channel_effect", "intercept", "trend", "channel_effect_z", "drift",
                  "drift_geo_z", "seasonality_geo", "seasonality_geo_z"}
    sub.params = {k: (v[:, geo_idx] if k in geo_params else v) for k, v in engine.params.items()}
    return sub


def squeeze_national(da: xr.DataArray, national: bool) -> xr.DataArray:
    """``da`` as users see it: a national model (``national=True``) drops the placeholder
    ``geo`` dimension of its single series."""
    if national and "geo" in da.dims:
        return da.squeeze("geo", drop=True)
    return da


def baseline_references(reference, data: ModelData) -> np.ndarray | None:
    """The raw control values ``(G, T, K)`` that contributions are measured from, for
    :meth:`mmmkit.MMM.baseline`'s ``reference`` (``None`` for the model's own centring)."""
    if isinstance(reference, str):
        if reference == "mean":
            return None
        if reference != "min":
            raise ValueError(f"reference must be 'mean', 'min' or {{control: value}}, got "
                             f"{reference!r}.")
        floor = data.control_values.min(axis=1, keepdims=True)  # per geo
        return np.broadcast_to(floor, data.control_values.shape).copy()
    if not isinstance(reference, Mapping):
        raise ValueError(f"reference must be 'mean', 'min' or {{control: value}}, got "
                         f"{reference!r}.")
    unknown = sorted(set(reference) - set(data.controls))
    if unknown:
        raise ValueError(f"reference names {unknown}, which are not controls {data.controls}.")
    out = np.broadcast_to(data.control_mean, data.control_values.shape).copy()
    for k, name in enumerate(data.controls):
        if name in reference:
            value = float(reference[name])
            if not np.isfinite(value):
                raise ValueError(f"reference[{name!r}] must be a finite number, got {value}.")
            out[..., k] = value
    return out


def rereference(parts: dict[str, np.ndarray], at_reference: dict[str, np.ndarray],
                controls: list[str], *, by_floor: bool) -> dict[str, np.ndarray]:
    """Baseline components ``{name: (s, G, T)}`` measured from a reference: each control
    minus its value at the reference controls; with ``by_floor`` also the trend from the
    first week (the drift too) and seasonality from its lowest week. The intercept takes up
    the difference, so the components' sum is unchanged."""
    out = dict(parts)
    shift = np.zeros_like(parts["intercept"])
    for name in controls:
        out[name] = parts[name] - at_reference[name]
        shift += at_reference[name]
    if by_floor:
        for name in ("trend", "drift"):
            if name in parts:
                start = parts[name][:, :, :1]
                out[name] = parts[name] - start
                shift += start
        if "seasonality" in parts:
            low = parts["seasonality"].min(axis=2, keepdims=True)
            out["seasonality"] = parts["seasonality"] - low
            shift += low
    out["intercept"] = parts["intercept"] + shift
    return out


def describe_reference(reference) -> str:
    """``reference`` in words, for the baseline's ``attrs``."""
    if isinstance(reference, str):
        return {"mean": "controls from their mean, trend and seasonality centred",
                "min": "controls from their lowest value, trend from the first week, "
                       "seasonality from its lowest week"}.get(reference, reference)
    return "controls from " + ", ".join(f"{k} = {v:g}" for k, v in reference.items())
