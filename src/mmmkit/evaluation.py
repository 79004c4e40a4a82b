"""Evaluation: does the model forecast weeks it has not seen, and which specification is best?

(Calibration with experiments is :mod:`mmmkit.calibration`; plain-words checks of one fit are
:mod:`mmmkit.review`.)

* :func:`holdout` fits a fresh copy of a specification on all but the last weeks and scores
  its forecast of those weeks: MAPE, R², CRPS and interval coverage, per geo and overall.
* :func:`backtest` repeats that on several rolling origins (an expanding training window).
* :func:`compare` ranks specifications fitted to the same data by PSIS-LOO (ArviZ);
  :func:`compare_specs` fits candidate specifications on one frame first.

:func:`backtest` and :func:`compare_specs` fit through :func:`mmmkit.many.fit_many`, so with
``client=`` (a ``dask.distributed.Client``) their fits run in parallel on its workers, with
the same results as in this process.
* :func:`prior_predictive` shows what the priors alone say about the target before any data.

The scoring helpers (:func:`crps`, :func:`mape`, :func:`r2`, :func:`coverage`, from
:mod:`mmmkit.stats`) work on plain arrays of draws, so they can score any forecast.

Every forecast here is of *observations* (``predict(include_noise=True)``): an interval that
should hold 90% of the weeks must include the week-to-week noise, not only the uncertainty of
the mean.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from mmmkit.errors import FitWarning, warn_user
from mmmkit.graph import OBSERVED
from mmmkit.inference import prior_parameters
from mmmkit.many import fit_many, fresh_model
from mmmkit.model import MMM
from mmmkit.stats import coverage, crps, mape, r2
from mmmkit.validation import frame_to_arrays, validate_frame

__all__ = [
    "HoldoutResult",
    "PriorPredictiveResult",
    "backtest",
    "compare",
    "compare_specs",
    "coverage",
    "crps",
    "holdout",
    "log_likelihood",
    "mape",
    "prior_predictive",
    "r2",
    "score",
]

# Score columns, in the order tables show them.
SCORE_COLUMNS = ("n", "mape", "r2", "crps", "coverage_50", "coverage_90")


# ---------------------------------------------------------------------------------------------
# Scores on arrays of draws
# ---------------------------------------------------------------------------------------------
def score(draws: np.ndarray, actual: np.ndarray, groups: np.ndarray | None = None) -> dict:
    """All holdout scores of one forecast.

    Parameters
    ----------
    draws : array ``(S, N)``, forecast draws of ``N`` points (target units).
    actual : array ``(N,)``, observed values.
    groups : array ``(N,)``, optional group (geo) of each point, for :func:`r2`.

    Returns
    -------
    dict with ``n`` (points), ``mape`` (fraction), ``r2``, ``crps`` (mean, target units),
    ``coverage_50`` and ``coverage_90`` (shares of points inside those intervals). The point
    forecast for MAPE and R² is the mean of the draws.
    """
    draws = np.asarray(draws, dtype=float).reshape(np.shape(draws)[0], -1)
    actual = np.asarray(actual, dtype=float).ravel()
    seen = np.isfinite(actual)  # an uneven panel's unknown KPI weeks are not scored
    if not seen.all():
        draws, actual = draws[:, seen], actual[seen]
        groups = None if groups is None else np.asarray(groups).ravel()[seen]
    point = draws.mean(axis=0)
    return {
        "n": int(actual.size),
        "mape": mape(point, actual),
        "r2": r2(point, actual, groups),
        "crps": float(crps(draws, actual).mean()),
        "coverage_50": coverage(draws, actual, 0.5),
        "coverage_90": coverage(draws, actual, 0.9),
    }


# ---------------------------------------------------------------------------------------------
# Holdout and back-test
# ---------------------------------------------------------------------------------------------
@dataclass
class HoldoutResult:
    """A forecast of held-out weeks by a model fitted without them, and its scores.

    Attributes
    ----------
    scores : DataFrame indexed by ``geo`` (one row per geo for a panel) plus ``"overall"``,
        columns ``n, mape, r2, crps, coverage_50, coverage_90`` (see :func:`score`).
    predictions : DataArray ``(chain, draw, date[, geo])``: draws of the held-out weeks'
        target (new observations, noise included), target units.
    actual : DataArray ``(date[, geo])``: the observed target of those weeks.
    model : the model fitted on the training weeks.
    train_dates, test_dates : the weeks fitted on and the weeks held out.
    """

    scores: pd.DataFrame
    predictions: xr.DataArray
    actual: xr.DataArray
    model: MMM
    train_dates: pd.DatetimeIndex
    test_dates: pd.DatetimeIndex
    target: str = field(default="target")

    def summary(self) -> pd.DataFrame:
        """The scores as a table (as every ``summary()`` in mmmkit): :attr:`scores`, with the
        held-out weeks in ``attrs``. :meth:`describe` says them in words."""
        table = self.scores.copy()
        table.attrs.update(test_weeks=len(self.test_dates), first=str(self.test_dates[0].date()),
                           last=str(self.test_dates[-1].date()))
        return table

    def describe(self) -> str:
        """The scores in plain words."""
        o = self.scores.loc["overall"]
        n_geos = len(self.scores) - 1 if len(self.scores) > 1 else 1
        where = f" in {n_geos} geos" if n_geos > 1 else ""
        lines = [
            f"Held out the last {len(self.test_dates)} weeks ({_day(self.test_dates[0])} to "
            f"{_day(self.test_dates[-1])}){where} and fitted on the {len(self.train_dates)} "
            f"weeks before ({_day(self.train_dates[0])} to {_day(self.train_dates[-1])}).",
            f"Forecasts of {self.target} were off by {o['mape']:.1%} on average (MAPE) and "
            f"explain {_pct(o['r2'])} of the week-to-week variation of the held-out weeks "
            f"(R²); the average CRPS is {_num(o['crps'])} {self.target} per week (lower is "
            "better; it is the absolute error for a forecast without uncertainty).",
            f"The 90% forecast interval contained {o['coverage_90']:.0%} of the "
            f"{int(o['n'])} held-out values and the 50% interval {o['coverage_50']:.0%}. "
            + _calibration_words(o["coverage_90"], int(o["n"])),
        ]
        if n_geos > 1:
            geo = self.scores.drop(index="overall")
            worst = geo["mape"].idxmax()
            lines.append(
                f"Worst geo by MAPE: {worst} ({geo.loc[worst, 'mape']:.1%}); lowest 90% "
                f"coverage: {geo['coverage_90'].idxmin()} ({geo['coverage_90'].min():.0%}).")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def holdout(
    model: MMM | Callable[[], MMM],
    df: pd.DataFrame,
    test_weeks: int = 13,
    seed: int | None = 0,
    **fit_kwargs: Any,
) -> HoldoutResult:
    """Fit on all but the last ``test_weeks`` weeks of ``df``, forecast those weeks, score.

    Parameters
    ----------
    model : an :class:`MMM` (fitted or not: only its specification is used, via :meth:`MMM.clone`)
        or a zero-argument function returning a fresh unfitted one.
    df : the weekly table (the same columns as for :meth:`MMM.fit`); never modified.
    test_weeks : number of final weeks to hold out (per geo).
    seed : seeds the fit and the forecast's noise draws.
    **fit_kwargs : passed to :meth:`MMM.fit` (``draws``, ``tune``, ``chains``, ``progress`` ...).

    Returns
    -------
    HoldoutResult

    Notes
    -----
    Spend of the training weeks carries over into the held-out weeks (the forecast is what the
    model would have said with the actual spend plan and controls of those weeks known).
    """
    fresh = fresh_model(model)
    clean = _clean(fresh, df)
    dates = pd.DatetimeIndex(np.unique(clean[fresh.date]))
    test_weeks = int(test_weeks)
    if not 1 <= test_weeks < len(dates):
        raise ValueError(
            f"test_weeks must be between 1 and {len(dates) - 1} (df has {len(dates)} weeks), "
            f"got {test_weeks}.")
    return _fit_and_score(fresh, clean, dates[:-test_weeks], dates[-test_weeks:], seed,
                          fit_kwargs)


def backtest(
    model: MMM | Callable[[], MMM],
    df: pd.DataFrame,
    folds: int = 3,
    test_weeks: int = 13,
    min_train_weeks: int = 52,
    seed: int | None = 0,
    client=None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Rolling-origin back-test: ``folds`` holdouts, each training on all weeks before it.

    The test windows are consecutive blocks of ``test_weeks`` weeks ending at ``df``'s last
    week; fold 1 is the earliest. Each fold fits a fresh copy of the specification on every
    week before its window (an expanding window), so the folds answer "how good would the
    forecasts have been, had we refitted each quarter".

    Parameters
    ----------
    model, df, **fit_kwargs : as for :func:`holdout` (``progress=False`` also silences the
        folds' progress line).
    folds : number of folds.
    test_weeks : weeks forecast per fold.
    min_train_weeks : fewest weeks the earliest fold may train on (52: one year of
        seasonality).
    seed : seeds the folds' fits, each its own (:func:`mmmkit.many.job_seed` of ``seed`` and
        the fold number), and the forecasts' noise draws.
    client : ``None`` fits the folds here one after the other; a ``dask.distributed.Client``
        fits them in parallel on its workers (:func:`mmmkit.many.fit_many`), with the same
        results.

    Returns
    -------
    DataFrame, one row per fold (index ``fold``, 1 = earliest) with ``train_start,
    train_end, test_start, test_end`` (dates), ``train_weeks`` and the overall scores
    ``n, mape, r2, crps, coverage_50, coverage_90`` (see :func:`score`).

    Raises
    ------
    ValueError : folds that do not fit in ``df``; a fold's fit error is raised as it is, once
        every fold has run.
    """
    fresh = fresh_model(model)
    clean = _clean(fresh, df)
    dates = pd.DatetimeIndex(np.unique(clean[fresh.date]))
    folds, test_weeks = int(folds), int(test_weeks)
    if folds < 1 or test_weeks < 1:
        raise ValueError(f"folds and test_weeks must be >= 1, got {folds} and {test_weeks}.")
    first_train = len(dates) - folds * test_weeks
    if first_train < min_train_weeks:
        raise ValueError(
            f"{folds} folds of {test_weeks} weeks leave the first fold {first_train} training "
            f"weeks of the {len(dates)} in df, fewer than min_train_weeks={min_train_weeks}; "
            "use fewer folds, shorter test windows, or lower min_train_weeks.")
    ends = {k + 1: first_train + k * test_weeks for k in range(folds)}
    fits = _fit_all({k: (fresh, clean[clean[fresh.date].isin(dates[:end])])
                     for k, end in ends.items()}, client, seed, fit_kwargs, "backtest fold")
    rows = []
    for k, end in ends.items():
        result = _score(fits[k], clean, dates[:end], dates[end:end + test_weeks], seed)
        rows.append({
            "fold": k,
            "train_start": dates[0], "train_end": dates[end - 1],
            "test_start": dates[end], "test_end": dates[end + test_weeks - 1],
            "train_weeks": end,
            **result.scores.loc["overall"].to_dict(),
        })
    frame = pd.DataFrame(rows).set_index("fold")
    frame["n"] = frame["n"].astype(int)
    return frame


def _fit_all(jobs: dict, client, seed, fit_kwargs: dict, what: str) -> dict[Any, MMM]:
    """Every job fitted by :func:`fit_many` (here or on ``client``), ``{label: model}``; the
    first failure raised as it is, the fits' warnings issued again here, naming the job."""
    fits = fit_many(jobs, client, fit_kwargs=fit_kwargs, seed=seed,
                    progress=bool(fit_kwargs.get("progress", True)))
    fits.raise_failed()
    for label, texts in fits.warnings.items():
        for text in texts:
            warn_user(f"{what} {label}: {text}", FitWarning)
    return fits.models


def _clean(model: MMM, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` validated with the model's columns (bad input fails before any fit)."""
    return validate_frame(
        df, date=model.date, target=model.target, channels=model.channels, geo=model.geo,
        controls=model.controls, min_weeks=1, dayfirst=model.dayfirst,
        date_format=model.date_format)


def _fit_and_score(model: MMM, clean: pd.DataFrame, train_dates, test_dates, seed,
                   fit_kwargs) -> HoldoutResult:
    model.fit(clean[clean[model.date].isin(train_dates)], seed=seed, **fit_kwargs)
    return _score(model, clean, train_dates, test_dates, seed)


def _score(model: MMM, clean: pd.DataFrame, train_dates, test_dates, seed) -> HoldoutResult:
    """The forecast of ``test_dates`` by ``model`` (fitted on ``train_dates``), scored."""
    test = clean[clean[model.date].isin(test_dates)]
    predictions = model.predict(test, include_noise=True, seed=seed)
    arrays = frame_to_arrays(test, date=model.date, target=model.target,
                             channels=model.channels, geo=model.geo, controls=model.controls)
    actual = xr.DataArray(
        arrays["target"].T, dims=("date", "geo"),
        coords={"date": arrays["dates"], "geo": arrays["geos"]}, name=model.target,
        attrs={"units": model.target})
    if "geo" not in predictions.dims:
        pred = predictions.expand_dims(geo=actual["geo"].values, axis=-1)
    else:
        pred = predictions
    pred = pred.transpose("chain", "draw", "date", "geo").sel(date=actual["date"],
                                                              geo=actual["geo"])
    flat = pred.values.reshape(-1, *pred.shape[2:])  # (S, T, G)
    y = actual.values  # (T, G)
    geos = list(actual["geo"].values)
    rows = {}
    if model.geo is not None:
        for g, name in enumerate(geos):
            rows[name] = score(flat[:, :, g], y[:, g])
    rows["overall"] = score(flat.reshape(flat.shape[0], -1), y.ravel(),
                            groups=np.broadcast_to(np.arange(len(geos)), y.shape).ravel())
    scores = pd.DataFrame.from_dict(rows, orient="index")[list(SCORE_COLUMNS)]
    scores.index.name = "geo"
    if model.geo is None:
        actual = actual.squeeze("geo", drop=True)
    return HoldoutResult(
        scores=scores, predictions=predictions, actual=actual, model=model,
        train_dates=pd.DatetimeIndex(train_dates), test_dates=pd.DatetimeIndex(test_dates),
        target=model.target)


def _calibration_words(cov90: float, n: int) -> str:
    # With n independent points the share inside a true 90% interval has sd sqrt(.09/n);
    # two of those is the band within which a well-calibrated model usually lands.
    tol = 2 * np.sqrt(0.09 / max(n, 1))
    if cov90 < 0.9 - tol:
        return ("That is fewer than a calibrated 90% interval would hold: the model is "
                "over-confident about new weeks (check for a trend or level shift in the "
                "held-out weeks, or missing controls).")
    if cov90 > min(0.9 + tol, 1.0) or (cov90 == 1.0 and n >= 30):
        return ("That is more than a calibrated 90% interval would hold: the forecasts are "
                "wider than they need to be (priors or noise too loose).")
    return "That is about what a calibrated 90% interval should hold."


# ---------------------------------------------------------------------------------------------
# Model comparison
# ---------------------------------------------------------------------------------------------
def log_likelihood(model: MMM) -> xr.DataArray:
    """Pointwise log-likelihood of the observed target under each posterior draw.

    The model's likelihood is on the scaled target ``y / target_scale[g]``; the
    ``-log(target_scale[g])`` Jacobian is added so that the values are densities of the target
    in its own units, comparable between specifications fitted to the same data.

    Returns
    -------
    DataArray ``(chain, draw, geo, date)`` named ``target_obs``, log density per week (and
    geo), nats; for an uneven panel ``(chain, draw, observation)`` over the geo-weeks with a
    KPI only (``geo`` and ``date`` as coordinates of ``observation``).
    """
    from scipy import stats

    data = model.fitted_data()
    engine = model.posterior_engine()
    spend = model.media.reorder(data.spend)
    scale = data.target_scale[None, :, None]  # (1, G, 1)
    y = data.target[None] / scale
    out = np.empty((engine.n_samples, data.n_geos, data.n_weeks))
    for sl in engine.chunks(data.n_geos * data.n_weeks * len(model.channels)):
        mu = engine.expected_target(spend, data.dates, data.control_values, sl) / scale
        sigma = engine.params["sigma"][sl][:, None, None]
        z = (y - mu) / sigma
        if model.likelihood == "studentt":
            dens = stats.t.logpdf(z, df=engine.params["nu"][sl][:, None, None])
        else:
            dens = stats.norm.logpdf(z)
        out[sl] = dens - np.log(sigma) - np.log(scale)
    da = xr.DataArray(
        engine.reshape(out), dims=("chain", "draw", "geo", "date"),
        coords={"chain": engine.chain_coord, "draw": engine.draw_coord, "geo": data.geos,
                "date": data.dates},
        name=OBSERVED, attrs={"units": f"log density of {model.target}"})
    if data.fully_observed:
        return da
    # an uneven panel: only the geo-weeks with a KPI have a density (PSIS-LOO needs no NaN)
    keep = np.flatnonzero(data.observed.ravel())
    cells = da.stack(observation=("geo", "date")).isel(observation=keep)
    # plain coordinates rather than a MultiIndex, which ArviZ's LOO does not take
    return cells.drop_vars(["observation", "geo", "date"]).assign_coords(
        observation=np.arange(keep.size),
        geo=("observation", np.repeat(data.geos, data.n_weeks)[keep]),
        date=("observation", np.tile(data.dates, data.n_geos)[keep]))


def compare(models: Mapping[str, MMM], ic: str = "loo") -> pd.DataFrame:
    """Rank fitted specifications of the same data by expected out-of-sample fit (ELPD).

    Uses ArviZ's :func:`arviz.compare` with PSIS-LOO (``ic="loo"``, default) or WAIC on the
    pointwise log-likelihood of every week (and geo) from :func:`log_likelihood`.

    Parameters
    ----------
    models : ``{name: fitted MMM}``, all fitted to the same target (same weeks, geos and
        values); they may differ in anything else (transforms, priors, channels, controls).
    ic : ``"loo"`` or ``"waic"``.

    Returns
    -------
    DataFrame indexed by name, best first: ArviZ's columns (``rank``, ``elpd_loo``, ``p_loo``,
    ``elpd_diff``, ``weight``, ``se``, ``dse``, ``warning``, ``scale``) plus ``pareto_k_bad``
    (the number of weeks whose Pareto k is too high for LOO to be reliable; LOO only).
    ``frame.attrs["messages"]`` holds the ranking and any reliability warning in plain words;
    the warnings are also issued as :class:`mmmkit.FitWarning`.

    Raises
    ------
    ValueError
        If fewer than two models are given, a model is not fitted, ``ic`` is unknown, or the
        models were fitted to different data.
    """
    import arviz as az

    if ic not in ("loo", "waic"):
        raise ValueError(f"ic must be 'loo' or 'waic', got {ic!r}.")
    if len(models) < 2:
        raise ValueError("compare needs at least two fitted models, as {name: model}.")
    names = list(models)
    for name in names:
        if not isinstance(models[name], MMM) or models[name].idata is None:
            raise ValueError(f"Model {name!r} is not a fitted mmmkit.MMM: fit it first.")
    _check_same_data(models)

    elpd = {}
    bad_k: dict[str, int] = {}
    messages: list[str] = []
    for name in names:
        m = models[name]
        # a new container around the model's own groups: nothing copied, the model's idata
        # is left as it is
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = az.InferenceData(
                posterior=m.idata.posterior, observed_data=m.idata.observed_data,
                log_likelihood=xr.Dataset({OBSERVED: log_likelihood(m)}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # replaced by the plain-words message below
            if ic == "loo":
                elpd[name] = az.loo(idata, pointwise=True, var_name=OBSERVED)
            else:
                elpd[name] = az.waic(idata, pointwise=True, var_name=OBSERVED)
        if ic == "loo":
            k = np.asarray(elpd[name].pareto_k).ravel()
            good_k = float(getattr(elpd[name], "good_k", 0.7))
            bad_k[name] = int(np.sum(k > good_k))
            if bad_k[name]:
                messages.append(
                    f"{name}: {bad_k[name]} of {k.size} weeks have a Pareto k above "
                    f"{good_k:.2f} (largest {k.max():.2f}), so LOO's estimate for them is "
                    "unreliable: they are weeks the fit depends on heavily (outliers, spikes, "
                    "or too few draws). Treat small ELPD differences with care; fit with more "
                    "draws, try likelihood='studentt', or compare with backtest() instead.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = az.compare(elpd, ic=ic)
    if ic == "loo":
        table["pareto_k_bad"] = [bad_k[n] for n in table.index]
    best, *rest = list(table.index)
    col = f"elpd_{ic}"
    ranking = [f"Best by {ic.upper()}: {best} (ELPD {table.loc[best, col]:,.1f})."]
    for name in rest:
        diff, dse = table.loc[name, "elpd_diff"], table.loc[name, "dse"]
        ratio = diff / dse if dse > 0 else np.inf
        verdict = ("clearly worse" if ratio > 4 else "probably worse" if ratio > 2
                   else "not distinguishable from it")
        ranking.append(f"{name} is {diff:,.1f} ELPD lower (standard error {dse:,.1f}): "
                       f"{verdict}.")
    table.attrs["messages"] = [" ".join(ranking), *messages]
    for message in messages:
        warn_user(message, FitWarning)
    return table


def compare_specs(
    specs: Mapping[str, MMM | Callable[[], MMM]],
    df: pd.DataFrame,
    *,
    client=None,
    ic: str = "loo",
    seed: int | None = 0,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Fit candidate specifications on one frame and rank them (:func:`compare`).

    Parameters
    ----------
    specs : ``{name: spec}``, at least two; each an :class:`MMM` (only its specification is
        used) or a zero-argument function returning one.
    df : the weekly table every candidate is fitted to.
    client : ``None`` fits the candidates here one after the other; a
        ``dask.distributed.Client`` fits them in parallel on its workers
        (:func:`mmmkit.many.fit_many`).
    ic : ``"loo"`` or ``"waic"``, as for :func:`compare`.
    seed : seeds the fits, each its own (:func:`mmmkit.many.job_seed` of ``seed`` and the
        name).
    **fit_kwargs : passed to :meth:`MMM.fit` (``draws``, ``tune``, ``chains`` ...);
        ``progress=False`` also silences the fits' progress line.

    Returns
    -------
    DataFrame : :func:`compare`'s table, best first. To keep the fitted candidates (e.g. for
    :class:`mmmkit.ModelAverage`), fit them with ``fits = fit_many({name: (spec, df) ...})``
    and call ``compare(fits.models)``.

    Raises
    ------
    ValueError : fewer than two specs or an unknown ``ic``, before any fit; a candidate's fit
        error is raised as it is, once every candidate has run.
    """
    if ic not in ("loo", "waic"):
        raise ValueError(f"ic must be 'loo' or 'waic', got {ic!r}.")
    if not isinstance(specs, Mapping) or len(specs) < 2:
        raise ValueError("compare_specs needs at least two candidate specifications, as "
                         "{name: mk.MMM(...)}.")
    models = _fit_all({name: (spec, df) for name, spec in specs.items()}, client, seed,
                      fit_kwargs, "compare_specs candidate")
    return compare(models, ic=ic)


def _check_same_data(models: Mapping[str, MMM]) -> None:
    names = list(models)
    ref = models[names[0]].data_
    for name in names[1:]:
        data = models[name].data_
        same = (
            list(data.geos) == list(ref.geos)
            and len(data.dates) == len(ref.dates) and bool((data.dates == ref.dates).all())
            and data.target.shape == ref.target.shape
            and np.array_equal(data.target, ref.target)
        )
        if not same:
            raise ValueError(
                f"Models {names[0]!r} and {name!r} were fitted to different data (weeks, geos "
                "or target values differ); ELPD is only comparable on the same observations. "
                "Refit them on the same frame.")


# ---------------------------------------------------------------------------------------------
# Prior predictive check
# ---------------------------------------------------------------------------------------------
@dataclass
class PriorPredictiveResult:
    """What the priors alone say about the target, next to what was observed.

    Attributes
    ----------
    draws : DataArray ``(chain, draw, date[, geo])``: prior predictive draws of the target
        (new observations), target units.
    observed : DataArray ``(date[, geo])``: the observed target.
    media_share : DataArray ``(chain, draw)``: per prior draw, the media contribution summed
        over the weeks and geos as a share of the observed target's sum.
    coverage_90 : share of observed values inside the prior predictive's 90% band.
    below_90, above_90 : shares below and above that band.
    negative_share : share of prior draws whose expected target is negative in some week.
    effective_draws : effective sample size of the importance weights (see Notes of
        :func:`prior_predictive`).
    roas : DataFrame indexed by channel: the prior's ROAS (``median``, ``lower``, ``upper``
        of its 90% interval) and marginal ROAS (``mroas_median``, ``mroas_lower``,
        ``mroas_upper``), target units per unit of spend at the table's spend.
    """

    draws: xr.DataArray
    observed: xr.DataArray
    media_share: xr.DataArray
    coverage_90: float
    below_90: float
    above_90: float
    negative_share: float
    effective_draws: float
    target: str = "target"
    roas: pd.DataFrame | None = None

    def summary(self) -> pd.DataFrame:
        """The check as a one-row table: coverage of the observed weeks by the prior's 90%
        band, shares below and above it, the share of draws with a negative expected week,
        the media share's median and 90% interval, and the effective draws. :attr:`roas` has
        the prior's ROAS per channel; :meth:`describe` says it all in words."""
        share = self.media_share.values.ravel()
        s_lo, s_med, s_hi = np.quantile(share, [0.05, 0.5, 0.95])
        return pd.DataFrame({
            "coverage_90": [self.coverage_90], "below_90": [self.below_90],
            "above_90": [self.above_90], "negative_share": [self.negative_share],
            "media_share_median": [s_med], "media_share_lower": [s_lo],
            "media_share_upper": [s_hi], "effective_draws": [self.effective_draws],
        }, index=pd.Index(["prior"], name="check"))

    def describe(self) -> str:
        """The prior predictive check in plain words."""
        lo, hi = np.quantile(self.draws.values, [0.05, 0.95])
        obs = self.observed.values
        share = self.media_share.values.ravel()
        s_lo, s_med, s_hi = np.quantile(share, [0.05, 0.5, 0.95])
        over = float(np.mean(share > 1.0))
        lines = [
            f"Before seeing the data, the model's priors put 90% of weekly {self.target} "
            f"between {_num(lo)} and {_num(hi)}; the observed weeks run from "
            f"{_num(obs.min())} to {_num(obs.max())}.",
            f"{self.coverage_90:.0%} of the observed weeks lie inside the prior's 90% band "
            f"({self.below_90:.0%} below it, {self.above_90:.0%} above). "
            + ("The priors leave room for what happened." if self.coverage_90 >= 0.9 else
               "The priors rule out part of what actually happened: widen them (intercept, "
               "trend, sigma) or check the data's units."),
            f"Media's share of {self.target} under the priors: median {s_med:.0%}, 90% "
            f"between {s_lo:.0%} and {s_hi:.0%}. "
            + (f"In {over:.0%} of prior draws media alone would exceed 100% of {self.target}, "
               "which is implausible; if you do not believe that, tighten the media share "
               "prior (media_share) or the channels' spread around it "
               "(channel_effect_offset)." if over >= 0.05 else
               f"Media above 100% of {self.target} is rare under the priors ({over:.1%} of "
               "draws)."),
        ]
        if self.negative_share >= 0.05:
            lines.append(
                f"{self.negative_share:.0%} of prior draws expect negative {self.target} in "
                "some week; if the KPI cannot be negative, tighten the intercept, trend or "
                "seasonality priors.")
        if self.roas is not None:
            parts = ", ".join(f"{ch} {r['median']:.3g} [{r['lower']:.3g}, {r['upper']:.3g}]"
                              for ch, r in self.roas.iterrows())
            lines.append(f"ROAS under the priors ({self.target} per unit of spend, median "
                         f"[90% interval]): {parts}.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()


def prior_predictive(model: MMM, df: pd.DataFrame, draws: int = 500,
                     seed: int | None = 0) -> PriorPredictiveResult:
    """Prior predictive check: the target the model expects before seeing the data.

    Builds the model on ``df`` (``model.prepare``, ``model.build_model``), draws its
    parameters with :func:`pymc.sample_prior_predictive`, and evaluates the model with them
    (expected target plus observation noise) in target units.

    Parameters
    ----------
    model : an MMM (only its specification is used; fitted or not).
    df : the weekly table the model would be fitted to (its scales define the priors' units).
    draws : number of prior predictive draws.
    seed : seeds the prior draws and the noise.

    Returns
    -------
    PriorPredictiveResult

    Notes
    -----
    The intercept's prior is an extra likelihood term on ``intercept = level - mean
    media`` (see :mod:`mmmkit.graph`), which :func:`pymc.sample_prior_predictive` ignores:
    its raw draws use only the weak ``level`` guard and are far wider than the model's prior. The
    correction here is exact: the intercept is drawn from its own prior, ``level`` derived
    from it, and the draws resampled with weights proportional to the ``level`` prior's
    density there (near-uniform, since that prior is wide).
    """
    data = model.prepare(df)
    params = prior_parameters(model.build_model(data), int(draws), seed)
    engine = model.posterior_engine(params, data)
    rng = np.random.default_rng(None if seed is None else [int(seed), 2])
    S, G, T = engine.n_samples, data.n_geos, data.n_weeks
    scale = data.target_scale[None, :, None]
    intercept = model.model_priors["intercept"].sample(rng, (S, G))
    engine.params["intercept"] = np.asarray(intercept, dtype=float)
    spend = model.media.reorder(data.spend)
    y = np.empty((S, G, T))
    expected_min = np.empty(S)
    media_total = np.empty(S)
    log_w = np.zeros(S)
    for sl in engine.chunks(G * T * len(model.channels)):
        media = engine.media_contribution(spend, sl).sum(axis=-1)  # (s, G, T) target units
        base = engine.baseline_parts(data.dates, data.control_values, sl)
        mean = media + sum(base.values())
        level = engine.params["intercept"][sl] + media.mean(axis=2) / scale[:, :, 0]
        log_w[sl] = np.asarray(model.model_priors["level"].logp(level).eval()).sum(axis=1)
        y[sl] = mean + engine.observation_noise(mean.shape, sl, rng)
        expected_min[sl] = mean.min(axis=(1, 2))
        media_total[sl] = media.sum(axis=(1, 2))
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    ess = float(1.0 / np.sum(w**2))
    idx = _systematic_resample(w, rng)
    y, expected_min, media_total = y[idx], expected_min[idx], media_total[idx]

    observed = data.target  # (G, T)
    lo, hi = np.quantile(y, [0.05, 0.95], axis=0)
    below, above = float(np.mean(observed < lo)), float(np.mean(observed > hi))
    geo_date = {"geo": data.geos, "date": data.dates}
    da = xr.DataArray(y[None], dims=("chain", "draw", "geo", "date"),
                      coords={"chain": [0], "draw": np.arange(S), **geo_date},
                      name=model.target, attrs={"units": model.target})
    obs = xr.DataArray(observed, dims=("geo", "date"), coords=geo_date, name=model.target)
    share = xr.DataArray((media_total / observed.sum())[None], dims=("chain", "draw"),
                         coords={"chain": [0], "draw": np.arange(S)}, name="media_share")
    return PriorPredictiveResult(
        draws=model.squeeze_geo(da.transpose("chain", "draw", "date", "geo")),
        observed=model.squeeze_geo(obs.transpose("date", "geo")),
        media_share=share,
        coverage_90=1.0 - below - above, below_90=below, above_90=above,
        negative_share=float(np.mean(expected_min < 0)), effective_draws=ess,
        target=model.target, roas=_prior_roas_table(model, df, params))


def _prior_roas_table(model: MMM, df: pd.DataFrame, params: xr.Dataset) -> pd.DataFrame:
    """Median and 90% interval of the prior's ROAS and marginal ROAS per channel (the media
    parameters do not depend on the intercept's prior term, so the raw prior draws serve)."""
    prior_model = model.clone().from_posterior(df, params)
    out = {}
    for key, marginal in (("", False), ("mroas_", True)):
        draws = prior_model.roas_draws(marginal=marginal)
        q = draws.quantile([0.5, 0.05, 0.95], dim=("chain", "draw")).transpose("channel", ...)
        for j, name in enumerate(("median", "lower", "upper")):
            out[key + name] = pd.Series(q.values[:, j], index=list(draws["channel"].values))
    table = pd.DataFrame(out)
    table.index.name = "channel"
    table.attrs["units"] = f"{model.target} per unit of spend"
    return table


def _systematic_resample(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of a systematic resample of ``weights`` (summing to 1), as many as weights."""
    n = len(weights)
    positions = (rng.random() + np.arange(n)) / n
    idx = np.searchsorted(np.cumsum(weights), positions)
    return np.minimum(idx, n - 1)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _day(ts) -> str:
    return str(pd.Timestamp(ts).date())


def _num(x: float) -> str:
    """A number for a sentence: whole numbers with thousands separators when large."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _pct(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0%}"

