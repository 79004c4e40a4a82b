"""A plain-words review of a fitted model: what to trust, what not, and what to do about it.

:func:`review` runs every check below on a fitted :class:`~mmmkit.MMM` and returns a
:class:`Review`, whose :attr:`Review.flags` table has one row per finding:

* **identification**: channels whose posterior barely moved from the prior (the data cannot
  tell how well they work);
* **collinearity**: channels whose spend moves together, so the data cannot separate them;
* **spend variation**: channels whose spend hardly varies or is active in too few weeks;
* **baseline**: a baseline (target without media) that goes negative, media claiming an
  implausible share of the target, or a level that moves more slowly than the season and
  that the model without a drifting level (:mod:`mmmkit.drift`) left in its residuals;
* **convergence**: divergences, r-hat and effective draws (:mod:`mmmkit.diagnostics`);
* **prior conflict**: the data pull the posterior median ROAS more than one prior standard
  deviation (of log ROAS) from the centre of the analyst's ROAS prior (for models with
  ``roas_priors``).

Every flag names the channel(s), gives the number that triggered it, and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mmmkit.diagnostics import (
    DIVERGENCE_SEVERE_SHARE,
    ESS_LIMIT,
    ESS_SEVERE,
    R_HAT_SEVERE,
    convergence_warnings,
    summarize_diagnostics,
)
from mmmkit.drift import Drift
from mmmkit.inference import prior_parameters
from mmmkit.media_prior import prior_log_effect_draws

__all__ = [
    "Review",
    "correlated_pairs",
    "review",
    "vif",
]

SEVERITIES = ("problem", "warning", "info")
FLAG_COLUMNS = ("severity", "topic", "channel", "message", "what_to_do", "value")

# -- thresholds (documented in review()'s docstring) ---------------------------------------------
# posterior sd / prior sd of a channel's log effect, and posterior / prior width of the 90% ROAS
# interval, above which the data "cannot tell"; between INFO and this, a note
UNMOVED_RATIO = 0.7
# weeks of history below which yearly seasonality is flagged (two full years)
MIN_SEASONAL_WEEKS = 104
UNMOVED_INFO_RATIO = 0.5
CORRELATION_LIMIT = 0.8
VIF_LIMIT = 5.0
VIF_PROBLEM = 10.0
CV_LIMIT = 0.1
MIN_ACTIVE_WEEKS = 10
# a slow residual level: F-test p-value below this, and its size (sd over the weeks, share of
# the mean target) above SLOW_SHARE_LIMIT, flags a baseline the model did not follow
SLOW_P_LIMIT = 1e-3
SLOW_SHARE_LIMIT = 0.01
MEDIA_SHARE_LIMIT = 0.8
# convergence severities (mmmkit.diagnostics): past these a "warning" becomes a "problem"
R_HAT_PROBLEM = R_HAT_SEVERE
ESS_PROBLEM = ESS_SEVERE
DIVERGENCE_PROBLEM_SHARE = DIVERGENCE_SEVERE_SHARE
PRIOR_DRAWS = 1000


@dataclass
class Review:
    """Findings of :func:`review`; print it for the plain-words version.

    Attributes
    ----------
    flags : DataFrame, one row per finding, problems first, with columns ``severity``
        (``"problem"``, ``"warning"`` or ``"info"``), ``topic``, ``channel`` (the channel or
        ``"a, b"`` for a pair; ``""`` for the whole model), ``message`` (what was found, with
        the number), ``what_to_do`` and ``value`` (the number that triggered the flag).
    checks : DataFrame indexed by channel with the numbers behind the channel checks
        (``effect_sd_ratio``, ``roas_width_ratio``, ``vif``, ``max_correlation``,
        ``spend_cv``, ``active_weeks``).
    """

    flags: pd.DataFrame
    checks: pd.DataFrame

    @property
    def problems(self) -> pd.DataFrame:
        """The flags of severity ``"problem"``."""
        return self.flags[self.flags["severity"] == "problem"]

    @property
    def ok(self) -> bool:
        """No problem flags (warnings and notes may remain)."""
        return self.problems.empty

    def __str__(self) -> str:
        counts = self.flags["severity"].value_counts()
        words = {"problem": "problem", "warning": "warning", "info": "note"}
        head = "Model review: " + ", ".join(
            f"{counts.get(s, 0)} {words[s]}{'s' if counts.get(s, 0) != 1 else ''}"
            for s in SEVERITIES) + "."
        if self.flags.empty:
            return head + ("\nNothing to flag: the checks found no reason to distrust the fit. "
                           "They test sampling, identification against the priors, spend "
                           "variation and the baseline; they cannot test whether the model's "
                           "form is right: a holdout (mk.evaluation.holdout) and a lift test "
                           "can.")
        lines = [head]
        for row in self.flags.itertuples():
            who = f" - {row.channel}" if row.channel else ""
            label = words[row.severity].upper()
            lines += ["", f"[{label}] {row.topic}{who}", f"  {row.message}",
                      f"  What to do: {row.what_to_do}"]
        return "\n".join(lines)

    __repr__ = __str__


# ---------------------------------------------------------------------------------------------
# Spend helpers (unit-tested on hand-made data)
# ---------------------------------------------------------------------------------------------
def _as_frame(spend) -> pd.DataFrame:
    if isinstance(spend, pd.DataFrame):
        return spend.astype(float)
    arr = np.asarray(spend, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"spend must be 2-D (weeks, channels), got shape {arr.shape}.")
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def vif(spend) -> pd.Series:
    """Variance inflation factor of each channel's spend given the other channels'.

    ``VIF_c = 1 / (1 - R²_c)``, where ``R²_c`` is from the least-squares regression (with an
    intercept) of channel ``c``'s weekly spend on every other channel's. 1 means unrelated;
    above 5 the others predict most of its movement, and its effect is poorly separated.

    Parameters
    ----------
    spend : DataFrame ``(weeks, channels)`` (or a 2-D array), currency units.

    Returns
    -------
    Series indexed by channel; ``inf`` for an exact linear combination of the others,
    ``nan`` for a channel with constant spend (no movement to explain) or with no others.
    """
    frame = _as_frame(spend)
    x = frame.to_numpy()
    out = {}
    for c, name in enumerate(frame.columns):
        y = x[:, c]
        total = np.sum((y - y.mean()) ** 2)
        if x.shape[1] < 2 or total == 0:
            out[name] = np.nan
            continue
        design = np.column_stack([np.ones(len(y)), np.delete(x, c, axis=1)])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        resid = np.sum((y - design @ coef) ** 2)
        r2 = 1.0 - resid / total
        # relative tolerance: an exact combination leaves only rounding error
        out[name] = np.inf if resid <= 1e-12 * total else 1.0 / (1.0 - r2)
    return pd.Series(out, name="vif", dtype=float)


def correlated_pairs(spend, threshold: float = CORRELATION_LIMIT) -> pd.DataFrame:
    """Pairs of channels whose weekly spend correlates above ``threshold`` (absolute value).

    Parameters
    ----------
    spend : DataFrame ``(weeks, channels)`` (or a 2-D array), currency units.
    threshold : absolute Pearson correlation above which a pair is listed.

    Returns
    -------
    DataFrame with columns ``channel_a, channel_b, correlation``, strongest first. Channels
    with constant spend have no correlation and are never listed.
    """
    frame = _as_frame(spend)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(frame.to_numpy(), rowvar=False).reshape(frame.shape[1],
                                                                    frame.shape[1])
    rows = []
    names = list(frame.columns)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if np.isfinite(corr[i, j]) and abs(corr[i, j]) > threshold:
                rows.append((names[i], names[j], float(corr[i, j])))
    out = pd.DataFrame(rows, columns=["channel_a", "channel_b", "correlation"])
    return out.reindex(out["correlation"].abs().sort_values(ascending=False).index
                       ).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------------------------
def review(model, seed: int = 0) -> Review:
    """Check a fitted model and say, in plain words, what deserves attention.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    seed : seeds the prior draws used to compare posterior with prior.

    Returns
    -------
    Review

    Notes
    -----
    Thresholds (module constants):

    * identification: posterior sd of ``channel_effect_mu`` (the channel's log effect) above
      ``0.7`` x its prior sd, or the posterior 90% ROAS interval wider than ``0.7`` x the
      prior's (prior ROAS from draws of the model's own priors): warning; above ``0.5``: info.
    * collinearity, on the weekly spend summed over geos: a pair correlated above ``0.8``:
      problem; a VIF above ``5`` (warning) or ``10`` (problem) not explained by such a pair;
      a control whose weekly mean over geos correlates above ``0.8`` with a channel's spend:
      problem (the control takes the channel's credit).
    * spend variation: coefficient of variation of weekly spend below ``0.1``, or fewer than
      ``10`` weeks with spend: warning.
    * baseline: posterior mean baseline below zero in any week (and geo): problem; media
      above ``80%`` of the target over the fitted period: warning. Without ``drift``: the
      residuals (target minus posterior mean expected target) regressed on the drift's
      half-year knot basis, pooled over geos, with an F-test p-value below ``1e-3`` and the
      fitted slow part's sd above 1% of the mean target: warning (a level the trend cannot
      follow; autocorrelated noise or a missing slow control can also cause it).
    * convergence: divergences (problem above 1% of draws), r-hat above 1.01 (problem above
      1.05), bulk ESS below 400 (problem below 100).
    * prior conflict: the posterior median ROAS lies more than 1 prior standard deviation of
      log ROAS from the prior's median (``model.roas_priors``, when the model has them):
      warning; more than 1.645 (outside the prior's central 90%): problem.
    * draft fit: any ``method`` other than NUTS: warning.
    * history: yearly seasonality on fewer than ``104`` weeks: warning (problem below 52).
    """
    data = model.fitted_data()
    flags: list[dict[str, Any]] = []
    national = pd.DataFrame(data.spend.sum(axis=0), columns=model.channels,
                            index=data.dates)  # (T, C) summed over geos

    checks = pd.DataFrame(index=pd.Index(model.channels, name="channel"))
    _check_identification(model, flags, checks, seed)
    _check_collinearity(national, flags, checks)
    _check_controls_vs_channels(model, national, flags)
    _check_variation(national, flags, checks)
    expected = _check_baseline(model, flags)
    _check_slow_residual(model, data, expected, flags)
    _check_convergence(model, flags)
    _check_roas_priors(model, flags, seed)
    _check_method(model, flags)
    _check_history(model, data, flags)

    frame = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    order = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
    return Review(flags=frame, checks=checks)


def _flag(flags, severity, topic, channel, message, what_to_do, value) -> None:
    flags.append({"severity": severity, "topic": topic, "channel": channel,
                  "message": message, "what_to_do": what_to_do, "value": float(value)})


def _check_identification(model, flags, checks, seed) -> None:
    """Posterior vs prior: of the log effect, and of ROAS (both in the model's own priors)."""
    posterior = model.idata.posterior
    channels = model.channels
    rng = np.random.default_rng(seed)
    # With ROAS priors the free effect covers only the other channels (dim "channel_free");
    # ROAS-prior channels are judged by their ROAS interval against the ROAS prior below.
    sd_ratio = pd.Series(np.nan, index=channels)
    if "channel_effect_mu" in posterior:
        mu = posterior["channel_effect_mu"]
        dim = next(d for d in mu.dims if d not in ("chain", "draw"))
        order = [str(c) for c in mu[dim].values]  # internal order
        prior_mu = prior_log_effect_draws(model.model_priors, rng, 20_000, len(order))
        post_sd = pd.Series(mu.std(("chain", "draw")).values, index=order)
        prior_sd = pd.Series(np.std(prior_mu, axis=0), index=order)
        sd_ratio = (post_sd / prior_sd).reindex(channels)

    post_roas = _width90(model.roas_draws())
    prior_roas = _width90(_prior_roas(model, seed))
    with np.errstate(invalid="ignore", divide="ignore"):
        roas_ratio = (post_roas / prior_roas).reindex(channels)
    checks["effect_sd_ratio"] = sd_ratio
    checks["roas_width_ratio"] = roas_ratio
    for ch in channels:
        ratio = float(np.nanmax([sd_ratio[ch], roas_ratio[ch]]))
        what = ("its effect" if sd_ratio[ch] >= roas_ratio[ch] else "its ROAS interval")
        numbers = (f"posterior sd of its log effect is {sd_ratio[ch]:.0%} of the prior's; its "
                   f"90% ROAS interval is {roas_ratio[ch]:.0%} as wide as the prior's")
        if ratio > UNMOVED_RATIO:
            _flag(flags, "warning", "identification", ch,
                  f"The data cannot tell how well {ch} works: the posterior of {what} barely "
                  f"moved from the prior ({numbers}). Its ROAS mostly repeats the prior.",
                  "Do not act on this channel's ROAS alone. Add information: an experiment "
                  "or lift test turned into a prior, more weeks, geo-level data, or deliberate "
                  "variation in its spend (pauses, bursts).", ratio)
        elif ratio > UNMOVED_INFO_RATIO:
            _flag(flags, "info", "identification", ch,
                  f"The data narrowed {ch}'s effect only modestly ({numbers}).",
                  "Read its ROAS interval, not its mean; an experiment would sharpen it.",
                  ratio)


def _width90(draws) -> pd.Series:
    """Width of the central 90% interval of ``(chain, draw, channel)`` draws, by channel."""
    flat = draws.stack(sample=("chain", "draw")).transpose("sample", "channel")
    lo, hi = np.quantile(flat.values, [0.05, 0.95], axis=0)
    return pd.Series(hi - lo, index=list(flat["channel"].values))


def _prior_roas(model, seed):
    """ROAS draws under the priors: the model's ROAS definition on prior parameter draws."""
    prior = prior_parameters(model.build_model(), PRIOR_DRAWS, seed)
    return model.roas_draws(posterior=prior)


def _check_collinearity(national: pd.DataFrame, flags, checks) -> None:
    pairs = correlated_pairs(national, CORRELATION_LIMIT)
    v = vif(national)
    with np.errstate(invalid="ignore"):
        corr = national.corr().abs().where(~np.eye(national.shape[1], dtype=bool))
    checks["vif"] = v
    checks["max_correlation"] = corr.max()
    in_pair = set(pairs["channel_a"]) | set(pairs["channel_b"])
    for row in pairs.itertuples():
        a, b, r = row.channel_a, row.channel_b, row.correlation
        _flag(flags, "problem", "collinearity", f"{a}, {b}",
              f"{a} and {b} spend move together (correlation {r:.2f} of weekly spend; VIF "
              f"{v[a]:.1f} and {v[b]:.1f}): the data cannot tell their effects apart, so "
              "credit may go to either one and their separate ROAS are unreliable.",
              f"Read {a} and {b} as one budget (their combined effect is still estimated), "
              "give one of them an informative ROAS prior from a test, or vary one "
              "independently of the other for a few weeks.", r)
    for ch in national.columns:
        if ch in in_pair or np.isnan(v[ch]):
            continue
        if v[ch] > VIF_LIMIT:
            severity = "problem" if v[ch] > VIF_PROBLEM else "warning"
            _flag(flags, severity, "collinearity", ch,
                  f"{ch}'s weekly spend is largely predictable from the other channels' "
                  f"(VIF {v[ch]:.1f}, above {VIF_LIMIT:.0f}): its own effect is poorly "
                  "separated from theirs.",
                  "Treat its ROAS interval as optimistic; an experiment or a ROAS prior "
                  "would anchor it.", v[ch])


def _check_controls_vs_channels(model, national: pd.DataFrame, flags) -> None:
    """A control that moves with a channel's spend (it is the channel, or driven by it)
    takes that channel's credit: the model cannot tell the two effects apart."""
    data = model.fitted_data()
    for k, control in enumerate(model.controls):
        series = pd.Series(data.control_values[:, :, k].mean(axis=0), index=national.index)
        if series.std() == 0:
            continue
        with np.errstate(invalid="ignore"):
            corr = national.corrwith(series).abs()
        for ch, r in corr.items():
            if np.isfinite(r) and r >= CORRELATION_LIMIT:
                _flag(flags, "problem", "collinearity", ch,
                      f"Control {control} moves with {ch}'s spend (correlation {r:.2f} of "
                      f"weekly values): the model cannot tell {ch}'s effect from "
                      f"{control}'s, so either may take the other's credit.",
                      f"If {control} is {ch}'s spend or driven by it (e.g. clicks, "
                      f"impressions), drop it from the controls; otherwise read {ch}'s ROAS "
                      "as unidentified or anchor it with a lift test.", r)


def _check_variation(national: pd.DataFrame, flags, checks) -> None:
    mean = national.mean()
    cv = national.std(ddof=0) / mean.where(mean > 0)
    active = (national > 0).sum()
    checks["spend_cv"] = cv
    checks["active_weeks"] = active
    for ch in national.columns:
        if active[ch] < MIN_ACTIVE_WEEKS:
            _flag(flags, "warning", "spend variation", ch,
                  f"{ch} spent in only {int(active[ch])} of {len(national)} weeks (fewer than "
                  f"{MIN_ACTIVE_WEEKS}): too few to learn its effect and curve.",
                  "Rely on its prior (set an informed one), or merge it with a similar "
                  "channel.", active[ch])
        elif np.isfinite(cv[ch]) and cv[ch] < CV_LIMIT:
            _flag(flags, "warning", "spend variation", ch,
                  f"{ch}'s weekly spend hardly varies (coefficient of variation "
                  f"{cv[ch]:.2f}, below {CV_LIMIT}): the model cannot see what more or less "
                  "of it would do, so its ROAS and curve come from the prior and the "
                  "baseline.",
                  "Vary its spend (pauses, bursts, geo tests) before trusting marginal ROAS or "
                  "budget shifts for it.", cv[ch])


def _check_baseline(model, flags) -> np.ndarray:
    """Flags a negative baseline or media's implausible share; returns the posterior mean
    expected target ``(G, T)`` (baseline plus media), which the slow-residual check reads."""
    data = model.data_
    base = model.baseline().sum("component").mean(("chain", "draw"))
    if "geo" not in base.dims:
        base = base.expand_dims(geo=data.geos, axis=-1)
    base = base.transpose("date", "geo")
    values = base.values  # (T, G)
    negative = values < 0
    if negative.any():
        t, g = np.unravel_index(np.argmin(values), values.shape)
        where = f" in geo {data.geos[g]}" if model.geo is not None else ""
        _flag(flags, "problem", "baseline", "",
              f"The baseline ({model.target} without any media) is below zero in "
              f"{int(negative.sum())} of {negative.size} weeks (lowest {values[t, g]:,.0f} in "
              f"the week of {pd.Timestamp(base['date'].values[t]).date()}{where}): media is "
              "being credited with more than the whole target there, which cannot be right.",
              "Check for missing controls (promotions, holidays, distribution), tighten the "
              "channel effect priors, or add informative ROAS priors.", values.min())
    contributions = model.contributions().sum("channel")  # (chain, draw, date[, geo])
    weekly = contributions.mean(("chain", "draw"))
    if "geo" not in weekly.dims:
        weekly = weekly.expand_dims(geo=data.geos, axis=-1)
    weekly = weekly.transpose("date", "geo").values  # (T, G)
    seen = data.observed.T  # the weeks with a KPI (all of them but in an uneven panel)
    share = float(weekly[seen].sum()) / float(data.target.T[seen].sum())
    if share > MEDIA_SHARE_LIMIT:
        _flag(flags, "warning", "baseline", "",
              f"Media is credited with {share:.0%} of {model.target} over the fitted weeks "
              f"(above {MEDIA_SHARE_LIMIT:.0%}): almost nothing would be sold without "
              "advertising, which is rarely true.",
              "Check for missing controls and the baseline's priors (intercept, trend); "
              "compare with what the business sold when media was off.", share)
    return (values + weekly).T


def slow_residual(residual: np.ndarray, dates, *, trend: bool) -> tuple[float, float]:
    """How much of ``residual`` ``(G, T)`` moves on the drift's half-year knots.

    Returns the F-test p-value of the knot basis (``Drift().basis``, beyond a constant and,
    with ``trend``, a line per geo) pooled over geos, and the sd of the fitted slow part over
    the weeks and geos (in the residual's units).
    """
    from scipy import stats as sps

    basis = Drift().basis(dates, trend=trend)
    rank = np.linalg.matrix_rank(basis)
    G, T = residual.shape
    fitted = basis @ np.linalg.lstsq(basis, residual.T, rcond=None)[0]  # (T, G)
    centred = residual.T - residual.T.mean(axis=0)
    if trend:
        time = np.arange(T) - (T - 1) / 2
        centred = centred - np.outer(time, time @ centred / (time @ time))
    explained = float((fitted ** 2).sum())
    remaining = float(((centred - fitted) ** 2).sum())
    df_model, df_rest = G * rank, G * (T - rank - 1 - int(trend))
    if rank == 0 or df_rest <= 0 or remaining <= 0:
        return 1.0, 0.0
    f = (explained / df_model) / (remaining / df_rest)
    return float(sps.f.sf(f, df_model, df_rest)), float(fitted.std())


def _check_slow_residual(model, data, expected: np.ndarray, flags) -> None:
    """``expected``: the posterior mean expected target ``(G, T)``."""
    if model.drift is not None:
        return
    residual = data.target - expected  # (G, T); NaN where the KPI is not observed
    relative = np.nan_to_num(residual / data.target_scale[:, None])  # unknown: no signal
    p, size = slow_residual(relative, data.dates, trend=model.trend)
    if p < SLOW_P_LIMIT and size > SLOW_SHARE_LIMIT:
        _flag(flags, "warning", "baseline", "",
              f"What the model leaves unexplained moves slowly over the months (a part that "
              f"follows half-year knots, sd {size:.1%} of mean {model.target}, F-test p = "
              f"{p:.1g}): the baseline bends or breaks in a way the "
              f"{'linear trend' if model.trend else 'constant level'} cannot follow, and what "
              "the baseline misses, channels whose spend moves slowly (always-on, seasonal) "
              "may be credited with.",
              "Refit with MMM(..., drift=True), a level that may drift (mmmkit.drift), or add "
              "the control behind the move (distribution, price, a market event); compare the "
              "two with mk.evaluation.compare.", p)


def _check_convergence(model, flags) -> None:
    diag = summarize_diagnostics(model.idata)
    draws = int(diag["draws"])
    nan = float("nan")
    # convergence_warnings words each issue; asking it about one issue at a time gives the
    # message for that issue alone.
    issues = [
        ("divergences", diag["divergences"], diag["divergences"] > DIVERGENCE_PROBLEM_SHARE * draws,
         "Refit with fit(target_accept=0.95) or higher; if divergences remain, tighten the "
         "saturation priors or drop channels the data cannot tell apart."),
        ("max_r_hat", diag["max_r_hat"], diag["max_r_hat"] > R_HAT_PROBLEM,
         "Refit with more tune and draws (and at least 4 chains); do not read results "
         "before r-hat is below 1.01."),
        ("min_ess_bulk", diag["min_ess_bulk"], diag["min_ess_bulk"] < ESS_PROBLEM,
         f"Refit with more draws or chains until the smallest bulk ESS is at least "
         f"{ESS_LIMIT}."),
    ]
    for key, value, serious, what in issues:
        single = pd.Series({"divergences": 0, "max_r_hat": nan, "min_ess_bulk": nan,
                            "draws": draws})
        single[key] = value
        for message in convergence_warnings(single):
            _flag(flags, "problem" if serious else "warning", "convergence", "", message,
                  what, value)


def _check_method(model, flags) -> None:
    """A draft (variational) fit is never a result to report, whatever else it shows."""
    method = str(model.fit_info_.get("method", "nuts"))
    if method not in ("nuts", "given"):
        _flag(flags, "warning", "draft fit", "",
              f"This is a draft fit (method={method!r}): a variational approximation whose "
              "intervals are typically too narrow and whose means can be far from the NUTS "
              "posterior's (a channel's ROAS was seen 36% off), with no convergence checks.",
              "Refit with method='nuts' (the default) before reporting ROAS or planning "
              "budgets on it.", 1.0)


def _check_history(model, data, flags) -> None:
    """Yearly seasonality needs years: with less than two, a season and a channel that
    follows it cannot be told apart, and with less than one the season is extrapolated."""
    weeks = data.n_weeks
    if model.seasonality > 0 and weeks < MIN_SEASONAL_WEEKS:
        severity = "problem" if weeks < 52 else "warning"
        _flag(flags, severity, "history", "",
              f"{weeks} weeks of history with yearly seasonality (order {model.seasonality}): "
              + ("less than one year, so the season is guessed from part of a cycle and "
                 "can take up any media effect that moves with it." if weeks < 52 else
                 "less than two years, so each week of the year is seen once and a channel "
                 "whose spend follows the season cannot be told from the season."),
              "Give at least two years of weeks, or fit with seasonality=0 and a control for "
              "known seasonal events; read ROAS of seasonal channels as unidentified.", weeks)


def _check_roas_priors(model, flags, seed) -> None:
    if not model.roas_priors:
        return

    rng = np.random.default_rng([seed, 3])
    posterior = model.roas()
    for ch, prior in model.roas_priors.items():
        # How far the data moved the estimate from the prior's centre, in prior standard
        # deviations of log ROAS. A tight prior holds the posterior inside its own 90% band
        # even when the data disagree, so "outside the band" alone would miss the conflict.
        log_draws = np.log(np.asarray(prior.sample(rng, 20_000), dtype=float))
        centre, spread = float(np.median(log_draws)), float(np.std(log_draws))
        median = float(posterior.loc[ch, "median"])
        shift = abs(np.log(median) - centre) / spread
        if shift > 1.0:
            side = "above" if np.log(median) > centre else "below"
            _flag(flags, "problem" if shift > 1.645 else "warning", "prior conflict", ch,
                  f"The data pull against your prior for {ch}: its posterior median ROAS "
                  f"{median:.3g} lies {shift:.1f} prior standard deviations {side} the "
                  f"prior's centre {np.exp(centre):.3g}.",
                  "Check where the prior came from (test period, KPI and spend definitions "
                  "match?); if it is sound, look for what the model misses (controls, "
                  "collinear channels); if not, widen it.", shift)
