"""One self-contained HTML report of a fitted model, for marketers, planners and finance.

:func:`write_report` writes a single ``.html`` file: every chart is an inline base64 PNG, the
style sheet is inline, and nothing loads from the network or runs script, so the file can be
mailed, archived or opened offline and always looks the same.

Contents, in reading order: a summary in sentences; the headline table (spend, contribution
and its share of the target, ROAS and marginal ROAS per channel, and for a KPI that is not
revenue the cost per KPI unit, each with its credible interval); the model's health
(divergences, r-hat, ESS, fit) with a green / amber / red verdict and what to do; the charts
of :mod:`mmmkit.plots` (the decomposition against a stated baseline reference); the budget
plan, scenario and what changed since the previous model when given (the last from
:func:`mmmkit.compare_models`); the findings of :func:`mmmkit.review.review`; a technical
appendix (prior vs posterior, rank plots, specification) and a glossary.

Units come from the model: the KPI's (``model.kpi_label``) and the spend's (``currency=``,
else ``model.currency``); break-even wording appears only when the KPI is revenue
(``model.kpi_is_revenue``). Tables show column names in words ("Mean", "90% interval, low",
"Chance of an increase"); the DataFrames the library returns keep their identifiers.

Usage: ``mmmkit.report.write_report(model, "report.html", plan=plan, currency="EUR")``. The
report reads the model and the analyses' results (:mod:`mmmkit.scenarios`,
:mod:`mmmkit.review`); its numbers are those of :meth:`mmmkit.MMM.roas`,
:meth:`mmmkit.MMM.contributions` and :mod:`mmmkit.stats`, labelled by :mod:`mmmkit.formatting`.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mmmkit import plots
from mmmkit.diagnostics import ESS_LIMIT, R_HAT_LIMIT
from mmmkit.formatting import (
    band,
    cpa_label,
    currency_label,
    flat,
    is_revenue,
    kpi_label,
    kpi_quantity,
    level,
    money,
    number,
    one_kpi,
    per_currency,
    percent,
    period,
    ratio,
    roas_unit,
    with_interval,
)
from mmmkit.reading import (
    actual_spend,
    memoize,
    observed_weeks,
    read,
)
from mmmkit.report_sections import (
    changes_section,
    figure_html,
    plan_section,
    scenario_section,
)
from mmmkit.report_text import (
    CSS,
    DIVERGENCE_TEXT,
    ESS_TEXT,
    FIT_TEXT,
    GLOSSARY,
    GLOSSARY_NOT_REVENUE,
    GLOSSARY_REVENUE,
    R_HAT_TEXT,
    SUMMARY_HEALTH,
)
from mmmkit.review import Review
from mmmkit.review import review as review_model
from mmmkit.stats import check_prob, interval, mape, r2

__all__ = ["headline_table", "health_checks", "write_report"]

# Verdict thresholds beyond the fit-time warning limits (mmmkit.diagnostics): between the
# limit and these, the numbers are usable with care (amber); past them, not yet (red).
R_HAT_RED = 1.05
ESS_RED = 100
DIVERGENCE_RED_SHARE = 0.01  # more than 1% of draws diverging

GREEN, AMBER, RED = "green", "amber", "red"
_VERDICT_WORDS = {GREEN: "good", AMBER: "check", RED: "act"}


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------
def _summ(draws: np.ndarray, prob: float) -> dict[str, float]:
    """Mean and equal-tailed ``prob`` interval of the draws (:func:`mmmkit.stats.interval`)."""
    draws = np.asarray(draws, dtype=float).ravel()
    lo, hi = interval(draws, prob)
    with np.errstate(invalid="ignore"):  # an infinite cost in a draw: an infinite mean
        return {"mean": float(draws.mean()), "lower": float(lo), "upper": float(hi)}


# ---------------------------------------------------------------------------------------------
# Headline table
# ---------------------------------------------------------------------------------------------
def headline_table(model, *, prob: float = 0.9) -> pd.DataFrame:
    """Per channel: spend, contribution, share of the target, ROAS, marginal ROAS and cost.

    Returns
    -------
    DataFrame indexed by channel, plus the rows ``all media`` and ``baseline``, with columns
    ``spend`` (currency units over the fitted period), ``contribution_mean/lower/upper``
    (KPI units, ``model.kpi_label``, in the fitted weeks), ``share_mean/lower/upper`` (of the
    actual target's total), ``roas_mean/lower/upper`` and ``mroas_mean/lower/upper`` (KPI
    units per currency unit) and ``cpa_mean/lower/upper`` (currency per KPI unit: the
    channels' :meth:`mmmkit.MMM.cpa`; ``inf`` where a draw's ROAS is 0 or below). ``all
    media`` ROAS is total incremental target over total spend, per draw, and its cost the
    inverse, per draw; the baseline has no spend, ROAS or cost (NaN). Intervals are
    equal-tailed at ``prob``.
    """
    check_prob(prob)
    data = model.fitted_data()
    # the weeks with a KPI only, as the actual total it is set against (an uneven panel)
    seen = observed_weeks(model)
    contrib = read(model, "contributions").where(seen, 0.0)
    base = read(model, "baseline").where(seen, 0.0)
    keep = ("chain", "draw", "channel")
    contrib_tot = contrib.sum([d for d in contrib.dims if d not in keep])  # (chain, draw, C)
    base_tot = base.sum([d for d in base.dims if d not in ("chain", "draw")])  # (chain, draw)
    actual_total = float(np.nansum(data.target))  # weeks without a KPI add nothing
    spend = actual_spend(model)
    roas_d = flat(read(model, "roas_draws", False).sel(channel=model.channels))
    mroas_d = flat(read(model, "roas_draws", True).sel(channel=model.channels))
    contrib_d = flat(contrib_tot.sel(channel=model.channels))  # (S, C)
    rows = {}
    for c, ch in enumerate(model.channels):
        rows[ch] = _row(spend[ch], contrib_d[:, c], actual_total, roas_d[:, c], mroas_d[:, c],
                        prob)
    weights = spend.values / spend.sum() if spend.sum() > 0 else np.zeros(len(spend))
    # spend-weighted ROAS = total incremental target / total spend, draw by draw
    finite = np.nan_to_num(roas_d), np.nan_to_num(mroas_d)
    with np.errstate(divide="ignore"):  # its cost: the inverse, draw by draw, as MMM.cpa's
        cost = 1.0 / (finite[0] @ weights)
    rows["all media"] = _row(spend.sum(), contrib_d.sum(axis=1), actual_total,
                             finite[0] @ weights, finite[1] @ weights, prob,
                             np.where(cost < 0, np.inf, cost))
    rows["baseline"] = _row(np.nan, flat(base_tot), actual_total, None, None, prob)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    cpa = read(model, "cpa", prob).loc[model.channels]  # the channels': MMM.cpa itself
    for key in ("mean", "lower", "upper"):
        frame.loc[model.channels, f"cpa_{key}"] = cpa[key].to_numpy()
    frame.index.name = "channel"
    frame.attrs.update(prob=prob, target=model.target, actual_total=actual_total,
                       units=kpi_label(model))
    return frame


def _row(spend, contrib, actual_total, roas, mroas, prob, cpa=None) -> dict[str, float]:
    out = {"spend": float(spend)}
    for key, draws in (("contribution", contrib),
                       ("share", np.asarray(contrib) / actual_total if actual_total else None),
                       ("roas", roas), ("mroas", mroas), ("cpa", cpa)):
        stats = _summ(draws, prob) if draws is not None else dict.fromkeys(
            ("mean", "lower", "upper"), np.nan)
        out.update({f"{key}_{k}": v for k, v in stats.items()})
    return out


def _headline_html(table: pd.DataFrame, model, prob: float, currency: str | None) -> str:
    """The headline table; a KPI that is not revenue gets its cost per KPI unit too."""
    t = html.escape(kpi_label(model))
    per = html.escape(per_currency(model, currency))
    keys = ["roas", "mroas"] if is_revenue(model) else ["roas", "mroas", "cpa"]
    head = (
        "<tr><th>Channel</th>"
        f"<th>Spend<br><span class='unit'>{html.escape(currency_label(model, currency))}, "
        "period total</span></th>"
        f"<th>Contribution<br><span class='unit'>{t} in the period</span></th>"
        f"<th>Share of {html.escape(model.target)}<br><span class='unit'>of actual total"
        "</span></th>"
        f"<th>ROAS<br><span class='unit'>{html.escape(roas_unit(model, currency))}</span></th>"
        f"<th>Marginal ROAS<br><span class='unit'>{t} per extra {per}</span></th>"
        + ("" if "cpa" not in keys else
           f"<th>{html.escape(cpa_label(model, currency))}<br><span class='unit'>spend ÷ "
           f"{t} it drove</span></th>")
        + "</tr>"
    )
    body = []
    for name, row in table.iterrows():
        def stats(key, row=row):
            return {k: row[f"{key}_{k}"] for k in ("mean", "lower", "upper")}

        cls = " class='total'" if name in ("all media", "baseline") else ""
        cells = [
            f"<th scope='row'>{html.escape(str(name))}</th>",
            f"<td>{money(row['spend'], currency) if np.isfinite(row['spend']) else '—'}</td>",
            f"<td>{with_interval(stats('contribution'), number, prob=prob)}</td>",
            f"<td>{with_interval(stats('share'), percent, prob=prob)}</td>",
        ]
        for key in keys:
            if np.isfinite(row[f"{key}_mean"]) or row[f"{key}_mean"] == np.inf:
                cells.append(f"<td>{with_interval(stats(key), ratio, prob=prob)}</td>")
            else:
                cells.append("<td>—</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f"<table class='numbers'><thead>{head}</thead><tbody>{''.join(body)}</tbody>"
            "</table>")


# ---------------------------------------------------------------------------------------------
# Health
# ---------------------------------------------------------------------------------------------
def health_checks(model, *, prob: float = 0.9) -> pd.DataFrame:
    """Sampler and fit checks, each with a verdict and what to do, in plain words.

    Returns
    -------
    DataFrame with one row per check (``divergences``, ``r_hat``, ``ess_bulk``, ``ess_tail``,
    ``fit``) and columns ``value`` (text), ``verdict`` (``"green"``, ``"amber"``, ``"red"``),
    ``meaning`` and ``action``.
    """
    diag = read(model, "diagnostics")
    draws = int(diag.get("draws", 0)) or 1
    rows = {}
    div = int(diag["divergences"])
    verdict = GREEN if div == 0 else AMBER if div / draws <= DIVERGENCE_RED_SHARE else RED
    rows["divergences"] = (f"{div:,} of {draws:,} draws"
                           + (f" ({div / draws:.1%})" if div else ""),
                           verdict, *DIVERGENCE_TEXT[verdict])
    r_hat = float(diag["max_r_hat"])
    if not np.isfinite(r_hat):
        rows["r_hat"] = ("not available (one chain)", AMBER,
                         "With one chain there is nothing to compare it with.",
                         "Refit with chains=4.")
    else:
        verdict = GREEN if r_hat <= R_HAT_LIMIT else AMBER if r_hat <= R_HAT_RED else RED
        rows["r_hat"] = (f"largest {r_hat:.3f} (want ≤ {R_HAT_LIMIT})", verdict,
                         *R_HAT_TEXT[verdict == GREEN])
    for key, label in (("min_ess_bulk", "ess_bulk"), ("min_ess_tail", "ess_tail")):
        ess = float(diag[key])
        where = "centre" if key == "min_ess_bulk" else "tails (interval ends)"
        verdict = GREEN if ess >= ESS_LIMIT else AMBER if ess >= ESS_RED else RED
        meaning, action = ESS_TEXT[verdict == GREEN]
        rows[label] = (f"smallest {ess:,.0f} (want ≥ {ESS_LIMIT:,})", verdict,
                       meaning.format(where=where), action)
    rows["fit"] = _fit_check(model, prob)
    frame = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["value", "verdict", "meaning", "action"])
    frame.index.name = "check"
    return frame


def _fit_check(model, prob: float) -> tuple[str, str, str, str]:
    """In-sample fit of the total: R², MAPE and the share of weeks in the predictive band."""
    pp = model.idata.posterior_predictive[model.target].sum("geo")
    draws = flat(pp)
    actual = model.idata.observed_data[model.target].sum("geo").values
    mean, lower, upper = band(draws, prob)
    inside = float(np.mean((actual >= lower) & (actual <= upper)))
    gap = prob - inside
    verdict = GREEN if gap <= 0.1 else AMBER if gap <= 0.25 else RED
    value = (f"R² {r2(mean, actual):.2f}, error {mape(mean, actual):.1%} per week, "
             f"{inside:.0%} of weeks inside the "
             f"{level(prob)} band")
    meaning, action = FIT_TEXT[verdict == GREEN]
    return value, verdict, meaning, action


def _health_html(checks: pd.DataFrame) -> str:
    names = {"divergences": "Divergences", "r_hat": "r-hat (chain agreement)",
             "ess_bulk": "ESS, bulk", "ess_tail": "ESS, tail", "fit": "Fit to the data"}
    rows = []
    for key, row in checks.iterrows():
        badge = (f"<span class='badge {row['verdict']}'>{row['verdict']}: "
                 f"{_VERDICT_WORDS[row['verdict']]}</span>")
        rows.append(
            f"<tr><th scope='row'>{names.get(key, html.escape(str(key)))}</th><td>{badge}</td>"
            f"<td>{html.escape(row['value'])}</td><td>{html.escape(row['meaning'])}</td>"
            f"<td>{html.escape(row['action'])}</td></tr>")
    return ("<table class='health'><thead><tr><th>Check</th><th>Verdict</th><th>Value</th>"
            "<th>What it means</th><th>What to do</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _overall(checks: pd.DataFrame) -> str:
    order = [GREEN, AMBER, RED]
    return max(checks["verdict"], key=order.index)


# ---------------------------------------------------------------------------------------------
# Pieces: images, tables, optional sections
# ---------------------------------------------------------------------------------------------
_SEVERITY_BADGE = {"problem": RED, "warning": AMBER, "info": GREEN}


def _review_section(model, review: Review | bool | None) -> str | None:
    """The review section's HTML, or ``None`` to leave it out.

    ``True`` runs :func:`mmmkit.review.review` (it draws from the prior: a few seconds); a
    :class:`~mmmkit.review.Review` is shown as it is; ``False`` or ``None`` leave it out.
    """
    if review is None or review is False:
        return None
    if review is True:
        try:
            review = review_model(model)
        except Exception as exc:  # an optional section must not sink the whole report
            return ("<h2 id='review'>Model review</h2><p class='note'>"
                    "mmmkit.review.review(model) failed: "
                    f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>")
    return _review_html(review)


def _review_html(review: Review) -> str:
    """The review's flags as a table, each with its severity badge and what to do."""
    intro = ("<h2 id='review'>Model review</h2><p>Checks of what the data can and cannot "
             "tell: channels the data cannot separate or identify, spend that hardly varies, "
             "an implausible baseline, convergence.</p>")
    if review.flags.empty:
        return intro + "<p><span class='badge green'>green</span> Nothing to flag.</p>"
    rows = []
    for row in review.flags.to_dict("records"):
        sev = str(row["severity"])
        badge = f"<span class='badge {_SEVERITY_BADGE.get(sev, AMBER)}'>{html.escape(sev)}"
        rows.append(
            f"<tr><td>{badge}</span></td>"
            + "".join(f"<td>{html.escape(str(row[k]))}</td>"
                      for k in ("topic", "channel", "message", "what_to_do"))
            + "</tr>")
    return (intro + "<table class='health'><thead><tr><th>Severity</th><th>Topic</th>"
            "<th>Channel</th><th>Finding</th><th>What to do</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _summary_sentences(model, table: pd.DataFrame, checks: pd.DataFrame, prob: float,
                       currency: str | None) -> str:
    t = html.escape(kpi_label(model))
    per = html.escape(per_currency(model, currency))
    media = table.loc["all media"]
    channels = table.loc[model.channels]
    lvl = level(prob)
    best = channels["roas_mean"].idxmax()
    # how sure is "best": the share of draws in which this channel has the highest ROAS
    draws = flat(read(model, "roas_draws", False).sel(channel=model.channels))
    p_best = float(np.mean(np.nanargmax(np.nan_to_num(draws, nan=-np.inf), axis=1)
                           == model.channels.index(best)))
    overall = _overall(checks)
    items = [
        f"<li><span class='badge {overall}'>{overall}</span> {SUMMARY_HEALTH[overall]}</li>",
        f"<li>Media drove <b>{number(media['contribution_mean'])} {t}</b> in the period "
        f"({lvl} interval {number(media['contribution_lower'])} to "
        f"{number(media['contribution_upper'])}), <b>{percent(media['share_mean'])}</b> of all "
        f"{html.escape(model.target)} ({lvl} interval {percent(media['share_lower'])} to "
        f"{percent(media['share_upper'])}), for a spend of "
        f"<b>{money(media['spend'], currency)}</b>{'' if currency else ' (currency units)'}."
        "</li>",
        f"<li>Every {per} of media spend brought {'back ' if is_revenue(model) else ''}"
        f"<b>{number(media['roas_mean'], 2)} {t}</b> "
        f"on average ({lvl} interval {number(media['roas_lower'], 2)} to "
        f"{number(media['roas_upper'], 2)}), carryover included.</li>",
        f"<li>Highest ROAS: <b>{html.escape(str(best))}</b> "
        f"({number(channels.loc[best, 'roas_mean'], 2)} {t} per {per}, {lvl} interval "
        f"{number(channels.loc[best, 'roas_lower'], 2)} to "
        f"{number(channels.loc[best, 'roas_upper'], 2)}; it has the highest ROAS in "
        f"{p_best:.0%} of the posterior draws).</li>",
    ]
    return "<ul class='summary'>" + "".join(items + _return_sentences(
        model, table, prob, currency)) + "</ul>"


def _return_sentences(model, table: pd.DataFrame, prob: float, currency: str | None
                      ) -> list[str]:
    """Whether spend pays: against break-even (marginal ROAS 1) for a revenue KPI; for any
    other KPI, the cost per KPI unit, since 1 KPI unit per currency unit is no threshold."""
    t = html.escape(kpi_label(model))
    per = html.escape(per_currency(model, currency))
    lvl = level(prob)
    channels = table.loc[model.channels]
    if not is_revenue(model):
        media = table.loc["all media"]
        one = html.escape(one_kpi(model))
        return [f"<li>Media cost <b>{ratio(media['cpa_mean'])} {per} per {one}</b> ({lvl} "
                f"interval {ratio(media['cpa_lower'])} to {ratio(media['cpa_upper'])}). "
                f"The KPI ({t}) is not money in {per}, so a ROAS of 1 is no break-even: whether a "
                f"channel pays depends on what one {one} is worth to you; compare that with "
                "its cost in the headline table.</li>"]
    items = []
    high_m = [html.escape(c) for c in model.channels if channels.loc[c, "mroas_lower"] > 1]
    low_m = [html.escape(c) for c in model.channels if channels.loc[c, "mroas_upper"] < 1]
    if high_m:
        items.append(f"<li>The next {per} of spend still returns more than it costs (marginal "
                     f"ROAS above 1, break-even, with {lvl} credibility) on: "
                     f"{', '.join(high_m)}.</li>")
    if low_m:
        items.append(f"<li>The next {per} of spend returns less than it costs (marginal ROAS "
                     f"below 1 with {lvl} credibility) on: {', '.join(low_m)}: extra budget "
                     "there does not pay for itself. The response curves mark the spend where "
                     "that starts.</li>")
    return items


def _spec_html(model) -> str:
    data = model.fitted_data()
    rows = []
    for ch in model.channels:
        ad, sat = model.media.adstock_of(ch), model.media.saturation_of(ch)
        rows.append(f"<tr><th scope='row'>{html.escape(ch)}</th><td>{html.escape(repr(ad))}"
                    f"</td><td>{html.escape(repr(sat))}</td></tr>")
    info = model.fit_info_ or {}
    fit_text = ", ".join(f"{k} = {v:,.1f}" if isinstance(v, float) else f"{k} = {v}"
                         for k, v in info.items())
    priors = "".join(f"<tr><th scope='row'>{html.escape(k)}</th><td>{html.escape(repr(p))}"
                     "</td></tr>" for k, p in model.priors.items())
    geos = "national (one series)" if model.geo is None else f"{len(data.geos)} geos"
    return (
        f"<p>Target <b>{html.escape(model.target)}</b> in "
        f"{html.escape(kpi_label(model))}, spend in "
        f"{html.escape(currency_label(model, None))} (the KPI "
        f"{'is' if is_revenue(model) else 'is not'} revenue); {geos}; {len(data.dates)} weeks "
        f"({period(model)}); controls: "
        f"{html.escape(', '.join(model.controls) or 'none')}; yearly seasonality order "
        f"{model.seasonality}; trend: {'yes' if model.trend else 'no'}; drifting level: "
        f"{f'knots every {model.drift.knot_weeks} weeks' if model.drift else 'no'}; likelihood "
        f"{html.escape(model.likelihood)}.</p>"
        "<table class='numbers'><thead><tr><th>Channel</th><th>Adstock</th><th>Saturation</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p>Sampling: {html.escape(fit_text)}.</p>"
        "<details><summary>Priors (model scale)</summary><table class='numbers'><tbody>"
        f"{priors}</tbody></table></details>"
    )


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def write_report(
    model,
    path,
    title: str | None = None,
    plan=None,
    scenario=None,
    *,
    prob: float = 0.9,
    currency: str | None = None,
    review: Review | bool | None = True,
    reference: str | Mapping[str, float] = "min",
    changes=None,
) -> Path:
    """Write a self-contained HTML report of a fitted model.

    Parameters
    ----------
    model : a fitted :class:`~mmmkit.MMM`.
    path : where to write the ``.html`` file (parent folders are created).
    title : the page title (default "Media mix model report: <target>").
    plan : optional budget plan, the :class:`mmmkit.scenarios.BudgetPlan` that
        ``mmmkit.scenarios.optimize_budget(...)`` returns: its ``.allocation`` (channel ->
        spend over the planning period, currency units) against ``.historical``, and its
        ``.lift`` (a :class:`mmmkit.scenarios.LiftResult`).
    scenario : optional what-if result (a :class:`mmmkit.scenarios.LiftResult`, e.g. of
        ``mmmkit.scenarios.shift``), a mapping ``{name: result}`` for several, or a DataFrame.
    prob : credible-interval level used throughout (e.g. 0.9 for 90%).
    currency : spend unit in labels and tables, e.g. ``"EUR"`` or ``"$"`` (default
        ``model.currency``; without either, plain numbers and headers say "currency units").
        The KPI's unit is ``model.kpi_label``; break-even wording (ROAS 1) appears only when
        ``model.kpi_is_revenue``, and any other KPI gets its cost per KPI unit
        (:meth:`mmmkit.MMM.cpa`) in the headline table.
    review : the model review section: ``True`` (default) runs
        :func:`mmmkit.review.review` on the model (it draws from the prior, which takes a
        few seconds); a :class:`mmmkit.review.Review` already computed with it is shown as
        it is; ``False`` or ``None`` leave the section out.
    reference : what the decomposition (the waterfall chart) measures the baseline's
        drivers against, as in :meth:`mmmkit.MMM.baseline`: ``"min"`` (default) shows what
        each control, the trend and seasonality drove above its floor; ``"mean"`` the
        model's centring; or ``{control: value}``. The chart's caption states it.
    changes : optional :class:`mmmkit.changes.ModelChanges` (``mk.compare_models(previous,
        model)``): a section on what changed since the previous model (ROAS before and after
        with the chance of an increase, the split for the same budget, revised history).

    Returns
    -------
    Path of the written file. The page has no external resources and no script: charts are
    inline base64 PNGs and the style sheet is inline.
    """
    check_prob(prob)
    model.fitted_data()
    if not (review is None or isinstance(review, bool | Review)):
        raise TypeError("review must be True, False, None or the mmmkit.review.Review that "
                        f"mmmkit.review.review(model) returns, got {type(review).__name__}.")
    path = Path(path)
    title = title or f"Media mix model report: {model.target}"
    currency = currency or getattr(model, "currency", None)
    with memoize():
        sections = _numbers_sections(model, prob, currency) + _chart_sections(
            model, prob, currency, reference)
        nav_items = [("summary", "Summary"), ("headline", "Numbers"),
                     ("health", "Model health"), ("charts", "Charts")]
        if plan is not None:
            sections.append(plan_section(model, plan, prob, currency))
            nav_items.append(("plan", "Budget plan"))
        if scenario is not None:
            sections.append(scenario_section(model, scenario, prob, currency))
            nav_items.append(("scenario", "Scenario"))
        if changes is not None:
            sections.append(changes_section(changes, prob, currency))
            nav_items.append(("changes", "What changed"))
        review_html = _review_section(model, review)
        if review_html is not None:
            sections.append(review_html)
            nav_items.append(("review", "Review"))
        sections += _appendix_sections(model, currency)
    nav_items += [("appendix", "Appendix"), ("glossary", "Glossary")]
    page = _page(model, title, nav_items, sections, prob)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _numbers_sections(model, prob: float, currency: str | None) -> list[str]:
    """Summary, headline table and model health."""
    table = headline_table(model, prob=prob)
    checks = health_checks(model, prob=prob)
    return [
        "<h2 id='summary'>Summary</h2>",
        _summary_sentences(model, table, checks, prob, currency),
        "<h2 id='headline'>Headline numbers by channel</h2>",
        f"<p>Posterior means in bold with {level(prob)} credible intervals below. Spend and "
        f"contribution are totals over the fitted period "
        f"({period(model)}{'' if model.geo is None else ', all geos'}); contribution is in "
        f"{html.escape(kpi_label(model))}, ROAS in {html.escape(roas_unit(model, currency))}."
        " ROAS counts the carryover after the period, contribution does not, so ROAS × "
        "spend is a little above the contribution."
        + ("" if is_revenue(model) else
           f" The KPI is not revenue in the spend's currency, so a ROAS of 1 is no "
           f"break-even; the last column is what one {html.escape(one_kpi(model))} cost "
           "(spend ÷ the KPI it drove, on every posterior draw).") + "</p>",
        _headline_html(table, model, prob, currency),
        "<h2 id='health'>Model health: can these numbers be trusted?</h2>",
        _health_html(checks),
    ]


def _chart_sections(model, prob: float, currency: str | None, reference) -> list[str]:
    """The charts of :mod:`mmmkit.plots`, each with its caption."""
    t = html.escape(model.target)
    kpi = html.escape(kpi_label(model))
    lvl = level(prob)
    described = html.escape(str(read(model, "baseline", reference).attrs.get(
        "reference", reference)))
    return [
        "<h2 id='charts'>Charts</h2>",
        figure_html("Model fit", "fig-fit", plots.fit(model, prob=prob),
                f"Actual {t} (black) against the model's prediction (blue line) and its "
                f"{lvl} predictive band, in {kpi} per week. Weeks far outside the band point "
                "to something the model does not know about (an event, a stock-out, a data "
                "error)."),
        *([] if model.geo is None else [figure_html(
            "Model fit by geo", "fig-fit-geo", plots.fit(model, prob=prob, by_geo=True),
            "The same comparison for each geo (the largest 12 when there are more).")]),
        figure_html("Where the target came from", "fig-contributions",
                plots.contributions(model, prob=prob),
                f"Each week's {t} split into the baseline (grey) and each channel's "
                f"contribution (colours), with the actual {t} on top."),
        figure_html("Media contributions", "fig-media",
                plots.contributions(model, prob=prob, media_only=True),
                "The channels' layers of the chart above on their own, stacked from zero, so "
                f"that small channels are visible; the hatched band is the {lvl} interval of "
                "all media together."),
        figure_html("Totals by source", "fig-waterfall",
                plots.waterfall(model, prob=prob, reference=reference),
                f"Total {t} over the period built up step by step: baseline components, "
                "then each channel, ending at the model's expected total (the diamond is "
                f"the actual total). The baseline's drivers are measured against: {described}"
                "; the base level holds the rest, so each control's step is what it drove "
                "against that reference."),
        *_planning_figures(model, prob, currency),
        figure_html("Carryover", "fig-adstock", plots.adstock(model, prob=prob),
                "How each channel's effect spreads over the weeks after the spend."),
    ]


def _planning_figures(model, prob: float, currency: str | None) -> list[str]:
    """The ROAS chart and the response curves, with break-even wording for revenue only."""
    kpi = html.escape(kpi_label(model))
    per = html.escape(per_currency(model, currency))
    if is_revenue(model):
        roas_note = "the dashed line marks break-even (1: the spend returned 1:1)."
        curve_note = (f" The dashed red line marks break-even: beyond that spend the next "
                      f"{per} returns less than it costs (posterior median marginal ROAS "
                      f"below 1); the shading is its {level(prob)} interval.")
    else:
        roas_note = (f"ROAS is {kpi} per {per}; the KPI is not revenue in {per}, so 1 is no "
                     "break-even and no line marks it.")
        curve_note = ""
    return [
        figure_html("ROAS and marginal ROAS", "fig-roas",
                plots.roas(model, prob=prob, marginal=True, currency=currency),
                f"Dots are means, bars the credible intervals (the numbers beside them); "
                f"{roas_note} Compare channels by marginal ROAS when moving budget."),
        figure_html("Response curves", "fig-response",
                plots.response_curves(model, prob=prob, currency=currency),
                f"Extra {html.escape(kpi_quantity(model))} for more or less spend in each "
                "channel (same weekly pattern, "
                f"scaled). Where the curve flattens, extra spend buys little.{curve_note}"),
    ]


def _appendix_sections(model, currency: str | None) -> list[str]:
    """Prior vs posterior, rank plots, specification, provenance and the glossary."""
    return [
        "<h2 id='appendix'>Technical appendix</h2>",
        figure_html("Prior vs posterior", "fig-priors", plots.prior_posterior(model),
                "Grey: what the model assumed before seeing data; blue: after. A blue "
                "shape that looks like the grey one means the data said little about that "
                "parameter, so the prior decides it."),
        figure_html("Sampler rank plots", "fig-rank", plots.diagnostics(model),
                "For a healthy fit each chain's bars are flat around the dashed line."),
        "<h3>Specification</h3>",
        _spec_html(model),
        "<h3>Provenance</h3>",  # which data, settings, versions and time (mmmkit.provenance)
        f"<pre class='provenance'>{html.escape(model.card())}</pre>",
        "<h2 id='glossary'>Glossary</h2>",
        _glossary_html(model, currency),
    ]


def _glossary_html(model, currency: str | None) -> str:
    """The glossary in the model's units, with the break-even entry for a revenue KPI and
    the cost-per-KPI entry for any other."""
    words = {"t": kpi_label(model), "c": per_currency(model, currency), "one": one_kpi(model)}
    entries = GLOSSARY + (GLOSSARY_REVENUE if is_revenue(model) else GLOSSARY_NOT_REVENUE)
    return "<dl class='glossary'>" + "".join(
        f"<dt>{html.escape(term.format(**words))}</dt><dd>{html.escape(text.format(**words))}"
        "</dd>" for term, text in entries) + "</dl>"


def _page(model, title: str, nav_items: list[tuple[str, str]], sections: list[str],
          prob: float) -> str:
    """The whole HTML document around the sections."""
    from mmmkit import __version__

    data = model.fitted_data()
    t = html.escape(model.target)
    nav = "".join(f"<a href='#{a}'>{label}</a>" for a, label in nav_items)
    geos = "national" if model.geo is None else f"{len(data.geos)} geos"
    subtitle = (f"{t} · {len(model.channels)} channels ({html.escape(', '.join(model.channels))})"
                f" · {geos} · {len(data.dates)} weeks, {period(model)}")
    stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    n_draws = float(model.idata.posterior.sizes["chain"] * model.idata.posterior.sizes["draw"])
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{html.escape(title)}</h1><p class='sub'>{subtitle}</p>"
        f"<nav>{nav}</nav></header>{''.join(sections)}"
        f"<footer>Generated {stamp} by mmmkit {html.escape(__version__)}. All intervals are "
        f"{level(prob)} equal-tailed credible intervals from {number(n_draws)}"
        " posterior draws.</footer></main></body></html>\n"
    )
