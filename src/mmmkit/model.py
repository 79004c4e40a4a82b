"""``MMM``: the estimator analysts build, fit and read.

Follows scikit-learn's contract: the constructor only stores configuration; :meth:`MMM.fit`
validates the frame, builds the PyMC model (:mod:`mmmkit.graph`), samples, and stores the fitted
state in attributes ending in ``_`` plus :attr:`MMM.idata`. Reading methods evaluate the model on
posterior draws (:mod:`mmmkit.posterior`) and return labelled arrays in target units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit import hooks, provenance
from mmmkit.adstock import ADSTOCK_KINDS, Adstock, GeometricAdstock
from mmmkit.approximate import METHODS as APPROX_METHODS
from mmmkit.approximate import approximation_warning
from mmmkit.calibration import (
    combine_roas_priors,
    lift_test_arrays,
    lift_tests_to_records,
    validate_lift_tests,
)
from mmmkit.design import NATIONAL, ModelData, Scales
from mmmkit.diagnostics import convergence_warnings, summarize_diagnostics
from mmmkit.drift import Drift, resolve_drift
from mmmkit.errors import FitWarning, warn_user
from mmmkit.forecast import predict_frame
from mmmkit.graph import LIKELIHOODS, OBSERVED, build_pymc_model, merge_model_priors
from mmmkit.inference import approximate, assemble_idata, compile_key, sample
from mmmkit.io import check_evaluates, model_from_config, read_model, save_model
from mmmkit.media import MediaBlock
from mmmkit.posterior import (
    PosteriorEngine,
    baseline_references,
    describe_reference,
    rereference,
    squeeze_national,
    with_tail,
)
from mmmkit.priors import Prior
from mmmkit.refresh import first_observed_week, fit_record, refresh_model
from mmmkit.saturation import SATURATION_KINDS, HillSaturation, Saturation
from mmmkit.specification import (
    check_column_names,
    check_seasonality,
    check_unit,
    frame_hints,
    resolve_transforms,
)
from mmmkit.stats import check_prob, summarize
from mmmkit.validation import (
    check_date_options,
    check_fit_args,
    check_missing_weeks,
    frame_to_arrays,
    validate_frame,
)

# specification fields that change no part of the PyMC graph (kept out of the compile key)
DISPLAY_FIELDS = ("dayfirst", "date_format", "kpi_unit", "currency", "missing_weeks")
SAMPLERS = ("nutpie", "pymc", "numpyro", "blackjax")
MIN_WEEKS = 20
class NotFittedError(RuntimeError):
    """A reading method was called before :meth:`MMM.fit` (or :meth:`MMM.load`)."""


class MMM:
    """A Bayesian media mix model with adstock, saturation and a geo hierarchy.

    Parameters
    ----------
    date, target : column names of the week and of the KPI (sales, revenue, conversions).
    channels : spend columns, one per channel, in currency units (>= 0).
    geo : column of the market/region label for a geo panel; ``None`` for one national series.
    controls : columns of non-media drivers (price, promotions, macro series ...).
    adstock : carryover transform for all channels, or ``{channel: transform}``.
        Default ``GeometricAdstock(max_lag=8)``.
    saturation : diminishing-returns curve for all channels, or ``{channel: transform}``.
        Default ``HillSaturation()``.
    seasonality : order of the yearly Fourier seasonality (``0`` for none).
    trend : include a linear trend per geo.
    drift : a smooth, slowly moving base level per geo for baselines that bend or break
        (``True`` or ``mk.Drift(knot_weeks=26)``; off by default), see :mod:`mmmkit.drift`.
    geo_seasonality : a panel's geos each get their own yearly pattern, partially pooled
        around the shared one (prior ``seasonality_geo_sigma``; off by default).
    likelihood : ``"normal"`` or ``"studentt"`` (robust to outlier weeks).
    priors : overrides of the model-level priors by name, e.g.
        ``{"sigma": mk.Prior("HalfNormal", sigma=0.2)}``; see :attr:`MMM.priors` for all
        names, including the transforms' (set those on the transform objects).
    roas_priors : ``{channel: Prior}`` priors on ROAS itself (target units per unit of spend,
        over the fitted period with carryover, as :meth:`roas` reports it), e.g.
        ``{"tv": mk.Prior("LogNormal", mu=np.log(2.0), sigma=0.3)}``. Those channels' effect
        is derived from their ROAS; the others keep the effect prior. All ROAS priors must
        share one distribution family.
    dayfirst : how to read text dates written year last (``03/04/2023``): ``True`` for
        dd/mm/yyyy, ``False`` for mm/dd/yyyy; default ``None`` decides from the data (any day
        above 12 settles it) and asks for this option if no date does. See
        :func:`mmmkit.validate_frame`.
    date_format : an explicit :func:`pandas.to_datetime` format for text dates, e.g.
        ``"%d.%m.%Y"``; instead of ``dayfirst``.
    kpi_unit : what the target counts, as answers should name it: ``"EUR"`` for revenue,
        ``"conversions"``, ``"units"``. Default: the target column's name.
    currency : the spend's currency, e.g. ``"EUR"``. When ``kpi_unit`` equals it the KPI is
        revenue (:attr:`kpi_is_revenue`): ROAS is a return (break-even at 1); otherwise ROAS
        reads as KPI per currency unit and :meth:`cpa` gives the cost per KPI unit.
    missing_weeks : ``"error"`` (default) refuses gaps and geos covering different weeks;
        ``"mask"`` fits an uneven panel (geos that join late, leave early or close for a
        while): missing rows get 0 spend, NaN targets stay unknown and out of the likelihood
        (see :func:`mmmkit.validate_frame`).

    Adstock and saturation may also be given by name, as a default instance of the transform:
    ``adstock="geometric"``, ``"delayed"`` or ``"weibull"``; ``saturation="hill"``,
    ``"logistic"`` or ``"michaelis_menten"`` (also per channel, ``{"tv": "weibull", ...}``).

    Raises
    ------
    ValueError
        For a configuration that cannot be fitted, before any data is seen: column names that
        are not strings, an unknown transform name or an object that is not a transform,
        ``seasonality`` not a whole number in ``0 .. 26``, a bad ``likelihood``, ``dayfirst``
        or ``date_format``, unknown prior names, ROAS priors for non-channels.

    Notes
    -----
    The model is documented in :mod:`mmmkit.graph`, its scales in :mod:`mmmkit.scaling`.
    """

    def __init__(
        self,
        date: str,
        target: str,
        channels: Sequence[str],
        geo: str | None = None,
        controls: Sequence[str] | None = None,
        adstock: Adstock | Mapping[str, Adstock] | None = None,
        saturation: Saturation | Mapping[str, Saturation] | None = None,
        seasonality: int = 2,
        trend: bool = True,
        drift: bool | Drift = False,
        geo_seasonality: bool = False,
        likelihood: str = "normal",
        priors: Mapping[str, Prior] | None = None,
        roas_priors: Mapping[str, Prior] | None = None,
        dayfirst: bool | None = None,
        date_format: str | None = None,
        kpi_unit: str | None = None,
        currency: str | None = None,
        missing_weeks: str = "error",
    ) -> None:
        if isinstance(channels, str):
            channels = [channels]
        if isinstance(controls, str):  # list("price") would be five one-letter columns
            controls = [controls]
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
        check_seasonality(seasonality)
        check_date_options(dayfirst, date_format)
        check_missing_weeks(missing_weeks)
        self.missing_weeks = missing_weeks
        self.date = date
        self.target = target
        self.channels = list(channels)
        self.geo = geo
        self.controls = list(controls or [])
        check_column_names(date=date, target=target, channels=self.channels, geo=geo,
                            controls=self.controls)
        self.dayfirst = dayfirst
        self.date_format = date_format
        self.kpi_unit = check_unit(kpi_unit, "kpi_unit")
        self.currency = check_unit(currency, "currency")
        adstock = resolve_transforms(adstock, "adstock", Adstock, ADSTOCK_KINDS, self.channels)
        saturation = resolve_transforms(saturation, "saturation", Saturation, SATURATION_KINDS,
                                self.channels)
        self.adstock = adstock if adstock is not None else GeometricAdstock(max_lag=8)
        self.saturation = saturation if saturation is not None else HillSaturation()
        self.seasonality = int(seasonality)
        self.trend = bool(trend)
        self.drift = resolve_drift(drift)
        if not isinstance(geo_seasonality, bool):
            raise ValueError(f"geo_seasonality must be True or False, got {geo_seasonality!r}.")
        self.geo_seasonality = geo_seasonality
        self.likelihood = likelihood
        self.model_priors = merge_model_priors(priors, self.drift, geo_seasonality)
        self.media = MediaBlock(self.channels, self.adstock, self.saturation)
        self.roas_priors = dict(roas_priors or {})
        if self.roas_priors:
            combine_roas_priors(self.roas_priors, list(self.roas_priors))  # fail early
            unknown = [ch for ch in self.roas_priors if ch not in self.channels]
            if unknown:
                raise ValueError(f"roas_priors names {unknown}, which are not channels "
                                 f"{self.channels}.")
        self.lift_tests: pd.DataFrame | None = None
        self.idata_ = None
        self.data_: ModelData | None = None
        self.fit_info_: dict[str, Any] = {}
        self.provenance_: dict[str, Any] | None = None  # mmmkit.provenance.record

    # -- configuration -------------------------------------------------------------------------
    @property
    def priors(self) -> dict[str, Prior]:
        """Every prior of the model by its PyMC variable name (model-level and transforms)."""
        out = dict(self.model_priors)
        for g in self.media.groups:
            for part, transform in (("adstock", g.adstock), ("saturation", g.saturation)):
                for p in transform.param_names:
                    out[g.var(part, p)] = transform.priors[p]
        for channel, prior in self.roas_priors.items():
            out[f"channel_roas[{channel}]"] = prior
        return out

    def config(self) -> dict[str, Any]:
        """JSON-friendly description of the specification (used by :meth:`save`)."""
        return {
            "date": self.date,
            "target": self.target,
            "channels": self.channels,
            "geo": self.geo,
            "controls": self.controls,
            **self.media.config(),
            "seasonality": self.seasonality,
            "trend": self.trend,
            "drift": self.drift.to_config() if self.drift else None,
            "geo_seasonality": self.geo_seasonality,
            "likelihood": self.likelihood,
            "priors": {k: p.to_dict() for k, p in self.model_priors.items()},
            "roas_priors": {k: p.to_dict() for k, p in self.roas_priors.items()},
            "lift_tests": lift_tests_to_records(self.lift_tests),
            "dayfirst": self.dayfirst,
            "date_format": self.date_format,
            "kpi_unit": self.kpi_unit,
            "currency": self.currency,
            "missing_weeks": self.missing_weeks,
        }

    @property
    def kpi_label(self) -> str:
        """How answers name the KPI's unit: ``kpi_unit``, else the target column's name."""
        return self.kpi_unit or self.target

    @property
    def spend_label(self) -> str:
        """How answers name one unit of spend: ``currency``, else ``"unit of spend"``."""
        return self.currency or "unit of spend"

    @property
    def kpi_is_revenue(self) -> bool:
        """Whether the KPI is money in the spend's currency (``kpi_unit == currency``): only
        then is a ROAS of 1 break-even."""
        return (self.kpi_unit is not None and self.currency is not None
                and self.kpi_unit.strip().lower() == self.currency.strip().lower())

    def add_lift_tests(self, tests: pd.DataFrame) -> MMM:
        """Calibrate the next :meth:`fit` with experiments; returns ``self``.

        Parameters
        ----------
        tests : DataFrame with one row per experiment: ``channel``; ``start`` and ``end``, the
            first and last week whose spend changed; ``spend_change``, the change in currency
            over the whole window (negative for a pause); ``lift``, the measured incremental
            target over the measurement window; ``lift_se``, its standard error; optional
            ``geo`` (blank = every geo) and ``measure_end``
            (last measured week, default ``end``; later to include carryover).
            The change is spread over the window's weeks (and geos) in proportion to the
            channel's spend there, so ``spend_change = -spend`` is a pause. Each experiment
            enters the likelihood through the model's own counterfactual lift for that
            channel, window, geo and spend change, carryover included.
        """
        self.lift_tests = validate_lift_tests(tests, self.channels, self.geo)
        return self

    def __repr__(self) -> str:
        geo = f", geo={self.geo!r}" if self.geo else ""
        return (f"MMM(target={self.target!r}, channels={self.channels}{geo}, "
                f"controls={self.controls}, fitted={self.idata_ is not None})")

    # -- fitting -------------------------------------------------------------------------------
    def prepare(self, df: pd.DataFrame, scales: Scales | None = None) -> ModelData:
        """Validate ``df`` and turn it into the model's arrays (no sampling); ``scales`` (an
        earlier fit's ``fitted_data().scales_used()``) replaces the scales derived from it."""
        clean = validate_frame(
            df,
            date=self.date,
            target=self.target,
            channels=self.channels,
            geo=self.geo,
            controls=self.controls,
            min_weeks=max(MIN_WEEKS, self.media.max_lag + 1),
            dayfirst=self.dayfirst,
            date_format=self.date_format,
            hints=frame_hints(self.media.max_lags(), MIN_WEEKS),
            missing_weeks=self.missing_weeks,
        )
        arrays = frame_to_arrays(
            clean, date=self.date, target=self.target, channels=self.channels,
            geo=self.geo, controls=self.controls,
        )
        return ModelData(
            dates=arrays["dates"],
            geos=list(arrays["geos"]),
            channels=self.channels,
            controls=self.controls,
            spend=arrays["spend"],
            target=arrays["target"],
            control_values=arrays["controls"],
            scales=scales,
        )

    def build_model(self, data: ModelData | None = None):
        """The PyMC model for ``data`` (default: the fitted data)."""
        data = data or self.fitted_data()
        return self._build_model(data, lift_test_arrays(self.lift_tests, data,
                                                        self.media.max_lags()))

    def _build_model(self, data: ModelData, lift_arrays: list, first_observed: int = 0):
        """The PyMC model for ``data`` calibrated with ``lift_arrays`` (not necessarily the
        model's own tests: :meth:`fit` builds with the new ones before it may attach them)."""
        return build_pymc_model(data, self.media, seasonality=self.seasonality, trend=self.trend,
                                likelihood=self.likelihood, priors=self.model_priors,
                                drift=self.drift, roas_priors=self.roas_priors,
                                lift_tests=lift_arrays, first_observed=first_observed,
                                geo_seasonality=self.geo_seasonality)

    def _lift_tests(self, given: pd.DataFrame | None) -> pd.DataFrame | None:
        """``given`` validated, or the model's own tests when none are given."""
        return self.lift_tests if given is None else validate_lift_tests(
            given, self.channels, self.geo)

    def fit(
        self,
        df: pd.DataFrame,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        seed: int | None = 0,
        sampler: str = "nutpie",
        target_accept: float = 0.9,
        progress: bool = True,
        cores: int | None = None,
        low_rank: bool = True,
        lift_tests: pd.DataFrame | None = None,
        method: str = "nuts",
        init: str = "jitter",
        scales: Scales | None = None,
        observe_from=None,
    ) -> MMM:
        """Validate ``df``, sample the posterior with NUTS, and return ``self``.

        Parameters
        ----------
        df : the weekly table (see the class docstring); never modified.
        draws, tune : kept and warm-up draws per chain.
        chains : independent chains (r-hat needs at least 2).
        seed : makes the posterior (and the posterior predictive) reproducible.
        sampler : ``"nutpie"`` (default, fastest), ``"pymc"``, or ``"numpyro"``/``"blackjax"``
            where installed.
        target_accept : NUTS target acceptance; raise towards 0.95-0.99 after divergences.
        progress : show a progress bar while sampling.
        cores : parallel chains (default: all available cores, at most ``chains``).
        low_rank : nutpie only: adapt a low-rank mass matrix, which follows the remaining
            correlations (effect size against curve shape) and about doubles the effective
            draws per second on panels.
        lift_tests : experiments to calibrate with (see :meth:`add_lift_tests`); attached to
            the model only when the fit succeeds.
        method : ``"nuts"`` (default: the posterior to report), or a quick draft for iterating
            on a specification: ``"advi"`` (mean-field ADVI, see :mod:`mmmkit.approximate`).
            A draft returns ``draws * chains`` independent draws
            as one chain and warns that its intervals are approximate; ``tune``, ``sampler``,
            ``target_accept``, ``cores`` and ``low_rank`` do not apply to it.
        init : nutpie only: where chains start. ``"jitter"`` (default) is nutpie's own start
            near zero, which mmmkit's scaled parameters keep close to the posterior;
            ``"advi"`` starts each chain at its own draw from a short ADVI fit (1000 gradient
            steps), for models whose custom priors put the posterior far from zero.
        scales : an earlier fit's :class:`~mmmkit.design.Scales`
            (``old.fitted_data().scales_used()``) instead of those of ``df``, so parameters
            keep their units across refits (:meth:`refresh` passes them); same geos, channels
            and controls.
        observe_from : a date: weeks before it enter the model (their spend carries over,
            they shape the baseline's features) but their KPI is left out of the likelihood.
            For sequential updating (:meth:`refresh` with ``informed=True``), whose priors
            already hold what those weeks said.

        Raises
        ------
        KeyboardInterrupt : sampling was interrupted (Ctrl-C), also when the sampler itself
            caught it and returned the draws made so far.

        Any exception leaves the model exactly as it was before the call: an unfitted model
        stays unfitted, a fitted one keeps its posterior, data and lift tests.
        """
        check_fit_args(draws, tune, chains, target_accept)  # before anything compiles
        if init not in ("advi", "jitter"):
            raise ValueError(f"init must be 'advi' or 'jitter', got {init!r}.")
        if method != "nuts" and method not in APPROX_METHODS:
            raise ValueError(f"method must be 'nuts' or one of {APPROX_METHODS}, got {method!r}.")
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}.")
        # nothing is assigned to self before the end: a failed or interrupted fit changes nothing
        tests = self._lift_tests(lift_tests)
        data = self.prepare(df, scales)
        first = first_observed_week(data, observe_from)
        arrays = lift_test_arrays(tests, data, self.media.max_lags())  # for graph and key
        model = self._build_model(data, arrays, first)
        key = self._compile_key(data, arrays, first)
        if method == "nuts":
            posterior, sample_stats, seconds = sample(
                model, key=key, sampler=sampler, draws=draws, tune=tune, chains=chains,
                seed=seed, target_accept=target_accept, progress=progress, cores=cores,
                low_rank=low_rank, init=init,
            )
            info = {"init": init, "sampler": sampler, "draws": draws, "tune": tune,
                    "chains": chains, "target_accept": target_accept, **seconds}
        else:
            posterior, sample_stats, info = approximate(model, key=key, method=method,
                                                         draws=draws * chains, seed=seed)
        idata = assemble_idata(self.posterior_engine(posterior, data), posterior, sample_stats,
                               seed, target=self.target)
        diagnostics = summarize_diagnostics(idata)
        messages = (convergence_warnings(diagnostics, target_accept=target_accept)
                    if method == "nuts" else [approximation_warning(method, info)])
        # before the assignment: with warnings turned into errors, a flagged fit fails whole
        for message in messages:
            warn_user(message, FitWarning)  # at the user's line, also via holdout()
        info = {"method": method, "seed": seed, **info,
                **fit_record(data, first, scales)}
        self._set_fitted(lift_tests=tests, data=data, idata=idata, fit_info=info,
                         provenance=provenance.record(data, idata, info, diagnostics=diagnostics))
        hooks.run("fit", self)  # after the assignment: a failing callback loses nothing
        return self

    def _set_fitted(self, *, lift_tests: pd.DataFrame | None, data: ModelData, idata,
                    fit_info: dict[str, Any], provenance: dict[str, Any]) -> None:
        """Assign the whole fitted state at once (:meth:`fit`'s last step, and loading).

        The one place the fitted state changes, so no exception can leave it half-updated:
        lift tests that say "calibrated" next to an older posterior, say.
        """
        self.lift_tests = lift_tests
        self.data_ = data
        self.idata_ = idata
        self.fit_info_ = fit_info
        self.provenance_ = provenance

    def compile_key(self, data: ModelData, lift_tests: pd.DataFrame | None = None) -> str:
        """The compile-cache key of this specification on ``data``'s geos, calibrated with
        ``lift_tests`` (default: the model's own): equal keys share one compile (see
        :func:`mmmkit.inference.compile_key` for what counts)."""
        arrays = lift_test_arrays(self._lift_tests(lift_tests), data, self.media.max_lags())
        return self._compile_key(data, arrays)

    def _compile_key(self, data: ModelData, arrays: list, first_observed: int = 0) -> str:
        config = {k: v for k, v in self.config().items() if k not in DISPLAY_FIELDS}
        if first_observed or not data.fully_observed:  # the likelihood gathers its cells
            config["masked"] = True
        if self.drift:  # the knots' count follows the weeks, which the compile leaves free
            config["drift_knots"] = self.drift.n_knots(data.n_weeks)
        return compile_key(config, data.geos, lift_tests=arrays,
                           media_groups=[g.channels for g in self.media.groups])

    # -- reading -------------------------------------------------------------------------------
    @property
    def idata(self):
        """The fitted ``arviz.InferenceData`` (``None`` before :meth:`fit`): posterior,
        posterior predictive, observed and constant data. The same object as ``idata_``."""
        return self.idata_

    def fitted_data(self) -> ModelData:
        """The :class:`~mmmkit.design.ModelData` the model was fitted on.

        Raises
        ------
        NotFittedError : the model has no posterior yet.
        """
        if self.data_ is None or self.idata_ is None:
            raise NotFittedError("This MMM is not fitted yet: call model.fit(df) first.")
        return self.data_

    def posterior_engine(self, posterior: xr.Dataset | None = None,
                         data: ModelData | None = None) -> PosteriorEngine:
        """The numpy evaluator of this model on posterior draws (:mod:`mmmkit.posterior`).

        Every answer (contributions, ROAS, predictions, scenarios, the optimiser) is computed
        by it. Default: the fitted draws on the fitted data.
        """
        if data is None:
            data = self.fitted_data() if posterior is None else self.data_
        posterior = self.idata_.posterior if posterior is None else posterior
        return PosteriorEngine(
            posterior, data, self.media, seasonality=self.seasonality, trend=self.trend,
            likelihood=self.likelihood, drift=self.drift)

    def squeeze_geo(self, da: xr.DataArray) -> xr.DataArray:
        """``da`` as users see it: a national model drops the placeholder ``geo`` dimension."""
        return squeeze_national(da, national=self.geo is None)

    def diagnostics(self) -> pd.Series:
        """Sampler health: ``divergences``, ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``."""
        self.fitted_data()
        return summarize_diagnostics(self.idata_)

    def contributions(self) -> xr.DataArray:
        """Each channel's additive term in the expected target, in target units.

        Returns
        -------
        DataArray ``(chain, draw, date[, geo], channel)`` over the fitted weeks.
        """
        data = self.fitted_data()
        engine = self.posterior_engine()
        spend = self.media.reorder(data.spend)
        G, T, C = spend.shape
        out = np.empty((engine.n_samples, G, T, C))
        for sl in engine.chunks(G * T * C):
            out[sl] = engine.media_contribution(spend, sl)
        da = xr.DataArray(
            engine.reshape(out), dims=("chain", "draw", "geo", "date", "channel"),
            coords={"chain": engine.chain_coord, "draw": engine.draw_coord, "geo": data.geos,
                    "date": data.dates, "channel": self.media.order},
            name="contribution", attrs={"units": f"{self.kpi_label} per week"},
        )
        da = da.transpose("chain", "draw", "date", "geo", "channel").sel(channel=self.channels)
        return self.squeeze_geo(da)

    def baseline(self, reference: str | Mapping[str, float] = "mean") -> xr.DataArray:
        """The non-media part of the expected target, by component, in target units.

        Parameters
        ----------
        reference : what each driver's contribution is measured against. ``"mean"`` (the
            model's own centring): controls from their mean level, trend and seasonality
            centred on the period, so they sum to about zero and the intercept holds the
            level. ``"min"``: each control from its lowest value in the fitted weeks (per
            geo), the trend from the first fitted week, seasonality from its lowest week, so
            each shows what it drove above that floor. A mapping ``{control: value}`` (the
            control's own units) sets those controls' references, the rest staying at the
            mean. The intercept takes up the difference: the sum is the same for every choice.

        Returns
        -------
        DataArray ``(chain, draw, date[, geo], component)``; components are ``intercept``,
        ``trend``, ``seasonality`` (when in the model) and one per control.
        ``attrs["reference"]`` states the reference. Baseline plus channel contributions is
        the expected target.
        """
        data = self.fitted_data()
        engine = self.posterior_engine()
        refs = baseline_references(reference, data)
        parts: dict[str, list[np.ndarray]] = {}
        for sl in engine.chunks(data.n_geos * data.n_weeks * (4 + len(self.controls))):
            chunk = engine.baseline_parts(data.dates, data.control_values, sl)
            if refs is not None:
                chunk = rereference(chunk, engine.control_parts(refs, sl), self.controls,
                                    by_floor=reference == "min")
            for name, arr in chunk.items():
                parts.setdefault(name, []).append(arr)
        names = list(parts)
        stacked = np.stack([np.concatenate(parts[n]) for n in names], axis=-1)  # (S, G, T, K)
        da = xr.DataArray(
            engine.reshape(stacked), dims=("chain", "draw", "geo", "date", "component"),
            coords={"chain": engine.chain_coord, "draw": engine.draw_coord, "geo": data.geos,
                    "date": data.dates, "component": names},
            name="baseline", attrs={"units": f"{self.kpi_label} per week",
                                    "reference": describe_reference(reference)},
        )
        return self.squeeze_geo(da.transpose("chain", "draw", "date", "geo", "component"))

    def roas_draws(self, marginal: bool = False, by_geo: bool = False, *,
                   posterior: xr.Dataset | None = None) -> xr.DataArray:
        """Posterior draws of (marginal) ROAS, ``(chain, draw[, geo], channel)``.

        ``posterior``: other parameter draws of this model to evaluate on the fitted data
        (e.g. prior draws, :func:`mmmkit.inference.prior_parameters`); default the fit's.

        ROAS is counterfactual: expected target with the channel's actual spend minus with
        that spend removed over the fitted weeks — carryover into the ``max_lag - 1`` weeks
        after the period included — divided by the channel's spend (target units per currency
        unit). Marginal ROAS is the extra target per extra unit of spend when every week's
        spend of the channel is scaled up by 1%.
        """
        data = self.fitted_data()
        engine = self.posterior_engine(posterior, data)
        spend = with_tail(self.media.reorder(data.spend), self.media.max_lag - 1)
        totals = engine.channel_totals(spend)  # (S, G, C) incremental vs zero spend
        spent = self.media.reorder(data.spend).sum(axis=1)  # (G, C)
        if marginal:
            step = 0.01
            totals = (engine.channel_totals(spend * (1 + step)) - totals)
            spent = spent * step
        if by_geo:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.where(spent > 0, totals / spent, np.nan)
            dims = ("chain", "draw", "geo", "channel")
            coords = {"geo": data.geos}
        else:
            values = totals.sum(axis=1) / spent.sum(axis=0)
            dims, coords = ("chain", "draw", "channel"), {}
        da = xr.DataArray(
            engine.reshape(values), dims=dims,
            coords={"chain": engine.chain_coord, "draw": engine.draw_coord,
                    "channel": self.media.order, **coords},
            name="marginal_roas" if marginal else "roas",
            attrs={"units": f"{self.kpi_label} per {self.spend_label}"},
        )
        return self.squeeze_geo(da.sel(channel=self.channels))

    def roas(self, prob: float = 0.9, marginal: bool = False, by_geo: bool = False, *,
             value_per_kpi: float | None = None) -> pd.DataFrame:
        """ROAS per channel with a ``prob`` credible interval.

        Parameters
        ----------
        value_per_kpi : for a KPI that is not revenue (conversions, units), what one KPI unit
            is worth in the spend's currency (e.g. the average order value): the table is then
            revenue ROAS, currency per currency, where 1 is break-even.

        Returns
        -------
        DataFrame indexed by channel (by ``(geo, channel)`` with ``by_geo=True``) with columns
        ``mean, median, lower, upper``, in target units per unit of spend (with
        ``value_per_kpi``: currency per currency).
        """
        check_prob(prob)
        if value_per_kpi is not None and not (np.isfinite(value_per_kpi) and value_per_kpi > 0):
            raise ValueError(f"value_per_kpi is the currency value of one {self.kpi_label}, "
                             f"a number > 0, got {value_per_kpi!r}.")
        da = self.roas_draws(marginal=marginal, by_geo=by_geo and self.geo is not None)
        flat = da.stack(sample=("chain", "draw")).transpose("sample", ...)
        stats = summarize(flat.values * (value_per_kpi or 1.0), prob)
        if flat.ndim == 2:
            frame = pd.DataFrame(stats, index=pd.Index(self.channels, name="channel"))
        else:
            index = pd.MultiIndex.from_product(
                [flat["geo"].values, flat["channel"].values], names=["geo", "channel"])
            frame = pd.DataFrame({k: v.ravel() for k, v in stats.items()}, index=index)
        frame.attrs["units"] = da.attrs["units"]
        if value_per_kpi is not None:
            money = self.currency or "currency"
            frame.attrs.update(units=f"{money} per {money}",
                               value_per_kpi=f"{value_per_kpi:g} {money} per {self.kpi_label}")
        frame.attrs["prob"] = prob
        return frame

    def cpa(self, prob: float = 0.9, marginal: bool = False) -> pd.DataFrame:
        """Cost per KPI unit per channel: spend divided by the KPI it drove (``1 / ROAS`` on
        every draw, so the interval is the cost's own, not the ROAS interval inverted at its
        ends); ``marginal=True``: the cost of one more KPI unit at the actual spend.

        Returns
        -------
        DataFrame indexed by channel with ``mean, median, lower, upper``, in
        :attr:`spend_label` per :attr:`kpi_label` (``attrs["units"]``). A draw whose ROAS is
        0 has an infinite cost; quantiles treat it as the largest value.
        """
        check_prob(prob)
        roas = self.roas_draws(marginal=marginal)
        with np.errstate(divide="ignore"):
            flat = 1.0 / roas.stack(sample=("chain", "draw")).transpose("sample", ...).values
        frame = pd.DataFrame(summarize(np.where(flat < 0, np.inf, flat), prob),
                             index=pd.Index(self.channels, name="channel"))
        frame.attrs.update(units=f"{self.spend_label} per {self.kpi_label}", prob=prob)
        return frame

    def predict(self, df: pd.DataFrame, include_noise: bool = True,
                seed: int | None = None) -> xr.DataArray:
        """Draws of the target for the weeks (and geos) in ``df``.

        ``df`` holds the date, geo (for a panel), channel and control columns for the weeks to
        predict; a target column is ignored. Spend of the fitted weeks before ``df``'s first
        week carries over into it (adstock), so forecasts right after the fitted period start
        from the right level. Weeks between the fitted period and ``df`` that neither covers
        count as zero spend (a warning says so).

        Returns
        -------
        DataArray ``(chain, draw, date[, geo])`` in target units; with
        ``include_noise=False``, draws of the expected target instead of new observations.
        """
        return predict_frame(self, df, include_noise=include_noise, seed=seed)

    def from_posterior(self, df: pd.DataFrame, posterior: xr.Dataset, seed: int | None = 0
                       ) -> MMM:
        """Make this model answer from given parameter draws instead of a fit; returns self.

        For known-truth checks (every draw the true parameters), simulation-based calibration
        (a prior draw as the truth) and importing draws from elsewhere.

        Parameters
        ----------
        df : the weekly table the draws belong to (validated like :meth:`fit`'s).
        posterior : ``xarray.Dataset`` with dims ``(chain, draw, ...)`` holding every free
            variable and deterministic the fitted model has (names and dims as in a fit's
            ``idata.posterior``).
        seed : seeds the posterior predictive noise.
        """
        data = self.prepare(df)
        missing = [name for name in self._posterior_names() if name not in posterior]
        if missing:
            raise ValueError(f"posterior lacks {missing}: give every variable a fit has.")
        chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
        stats = xr.Dataset(
            {"diverging": (("chain", "draw"), np.zeros((chains, draws), dtype=bool))},
            coords={"chain": posterior["chain"].values, "draw": posterior["draw"].values})
        idata = assemble_idata(self.posterior_engine(posterior, data), posterior, stats, seed,
                               target=self.target)
        info = {"method": "given", "seed": seed, "draws": draws, "chains": chains}
        self._set_fitted(lift_tests=self.lift_tests, data=data, idata=idata, fit_info=info,
                         provenance=provenance.record(data, idata, info, source="given"))
        return self

    def _posterior_names(self) -> list[str]:
        """The posterior variables the numpy engine reads (media, baseline, noise)."""
        optional = {"trend": self.trend, "seasonality": self.seasonality > 0,
                    "seasonality_geo": self.geo_seasonality and self.geo is not None,
                    "control_coef": bool(self.controls), "drift": self.drift is not None,
                    "nu": self.likelihood == "studentt"}
        return ["channel_effect", "intercept", "sigma", *self.media.variable_names(),
                *(name for name, used in optional.items() if used)]

    def clone(self) -> MMM:
        """An unfitted model with exactly this specification (it reuses the compiled sampler).

        Rebuilt from :meth:`config` (the JSON specification :meth:`save` writes), so it shares
        no state with this model: new transform objects, no data, no draws.

        Raises
        ------
        RuntimeError : the copy's configuration differs from this model's (an option that
            :meth:`config` does not describe, e.g. in a subclass).
        """
        config = self.config()
        fresh = model_from_config(type(self), config)
        if fresh.config() != config:
            raise RuntimeError(
                "clone() could not reproduce this model's specification from model.config(); an "
                "MMM option is not copied. Build the fresh model yourself and pass a function "
                "that returns it (e.g. lambda: mk.MMM(...)) instead of the model.")
        return fresh

    def refresh(self, df: pd.DataFrame, *, informed: bool = False,
                lift_tests: pd.DataFrame | None = None, **fit_kwargs) -> MMM:
        """A new fitted model of the extended history ``df`` with this model's specification,
        scales (so the posteriors compare number by number) and sampler settings
        (``fit_kwargs`` override them); this model is left as it is. See :mod:`mmmkit.refresh`.

        Parameters
        ----------
        df : the whole history to refit (old weeks, revised or not, and new ones), same geos.
        informed : ``False`` (default): a full refit with the original priors. ``True``:
            sequential updating; this posterior (moment-matched per parameter) becomes the
            prior and only weeks after this fit's last one enter the likelihood, so old weeks
            are not counted twice. Needs new weeks and unrevised old ones.
        lift_tests : experiments for the new fit; default this model's own (with
            ``informed=True`` only new ones count: the old are in the prior already).

        Raises
        ------
        DataError : other geos than this fit's; with ``informed=True``, no new week, or
            revised values in the old weeks.
        """
        return refresh_model(self, df, informed=informed, lift_tests=lift_tests, **fit_kwargs)

    def card(self) -> str:
        """What was fitted, on which data, how, with which versions and when, in plain words
        (:func:`mmmkit.provenance.card`; add a note with :func:`mmmkit.provenance.annotate`)."""
        return provenance.card(self)

    # -- persistence ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the specification, the fitted data and the posterior to one netCDF file.

        The file holds only arrays and JSON text (no pickle): loading never runs code from it.
        The write is atomic: if it fails, the file already at ``path`` is left as it was.
        """
        self.fitted_data()
        save_model(self, path)

    @classmethod
    def load(cls, path) -> MMM:
        """Rebuild a model saved with :meth:`save`, with identical configuration and draws.

        The file is read into memory and closed, so the model can be saved back to ``path``.

        Raises
        ------
        FileNotFoundError : nothing at ``path``.
        mmmkit.ModelFileError : ``path`` is not a complete, consistent mmmkit model file.
        """
        saved = read_model(cls, path)
        model = saved.model
        model._set_fitted(lift_tests=model.lift_tests, data=saved.data, idata=saved.idata,
                          fit_info=saved.fit_info, provenance=saved.provenance)
        check_evaluates(path, model)
        return model


__all__ = ["MMM", "NATIONAL", "OBSERVED", "FitWarning", "NotFittedError"]
