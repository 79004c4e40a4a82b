"""The report's optional sections: a budget plan, what-if scenarios and what changed since the
previous model, with the figure helper every section uses.

:func:`mmmkit.report.write_report` adds each when its argument is given (``plan=``,
``scenario=``, ``changes=``); every number here comes from the result objects it is handed
(:class:`~mmmkit.optimize.BudgetPlan`, :class:`~mmmkit.response.LiftResult`,
:class:`~mmmkit.changes.ModelChanges`), labelled by :mod:`mmmkit.formatting`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np
import pandas as pd

from mmmkit import plots
from mmmkit.formatting import (
    currency_label,
    interval_label,
    kpi_quantity,
    level,
    money,
    percent,
    ratio,
    table_html,
)
from mmmkit.reading import lift_total, plan_allocation, plan_reference, summary_frame

__all__ = ["changes_section", "close_figure", "figure_html", "image_html", "limits_html",
           "plan_section", "scenario_section"]


def image_html(fig, alt: str, dpi: int = 100) -> str:
    """The figure as an inline PNG ``<img>`` (base64 data URI)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    close_figure(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' alt='{html.escape(alt, quote=True)}'>"


def close_figure(fig) -> None:
    """Release a figure; pyplot-managed ones (none of ours, but arviz's could be) too."""
    import matplotlib.pyplot as plt

    if plt.fignum_exists(getattr(fig, "number", -1)):
        plt.close(fig)


def figure_html(title: str, anchor: str, fig, caption: str) -> str:
    return (f"<figure id='{anchor}'><figcaption><b>{html.escape(title)}.</b> {caption}"
            f"</figcaption>{image_html(fig, title)}</figure>")


def plan_section(model, plan, prob: float, currency: str | None) -> str:
    actual = plan_reference(model, plan)
    planned = plan_allocation(model, plan)
    table = pd.DataFrame({
        "actual spend": actual, "actual share": actual / actual.sum() if actual.sum() else 0.0,
        "planned spend": planned,
        "planned share": planned / planned.sum() if planned.sum() else 0.0,
        "change": planned - actual,
    })
    table.index.name = "channel"
    table.loc["total"] = [actual.sum(), 1.0, planned.sum(), 1.0, planned.sum() - actual.sum()]
    money_cols = ("actual spend", "planned spend", "change")
    parts = ["<h2 id='plan'>Budget plan</h2>",
             "<p>The plan's spend per channel over the planning period against what was "
             "actually spent. Each channel keeps the shape of its historical weekly pattern, "
             "scaled to its new total.</p>"]
    if getattr(plan, "converged", True) is False:
        parts.append(
            "<p class='callout'><span class='badge red'>red</span> The optimiser did not "
            f"converge ({html.escape(str(getattr(plan, 'message', '')))}): treat this plan as "
            "a draft and rerun the optimisation.</p>")
    parts += limits_html(plan)
    parts.append(table_html(table.rename(columns={"actual share": "share (actual)",
                                                  "planned share": "share (plan)"}),
                            prob=prob, money_cols=money_cols, currency=currency))
    t = html.escape(kpi_quantity(model))
    lift = lift_total(plan, prob)
    if lift is not None:
        mean, lower, upper = lift
        parts.append(
            f"<p class='callout'>Expected change in {t} with this plan "
            f"instead of the actual split: <b>{mean:+,.0f}</b> ({interval_label(prob)} "
            f"{lower:+,.0f} to {upper:+,.0f}).</p>")
    summary = summary_frame(getattr(plan, "lift", None), prob)
    if summary is not None:
        parts.append(f"<p>Change in {t} by channel ({interval_label(prob)}; the chance of an "
                     "increase is the share of posterior draws in which the change is above "
                     f"zero; spend change in {html.escape(currency_label(model, currency))}):</p>")
        parts.append(table_html(summary, prob=prob, money_cols=("spend_change",),
                                 currency=currency))
    uncertainty = getattr(plan, "uncertainty", None)
    if isinstance(uncertainty, pd.DataFrame) and not uncertainty.empty:
        parts.append("<p>How firmly the data back the split: the best allocation when the "
                     "budget is optimised for individual posterior draws "
                     f"({html.escape(currency_label(model, currency))}). Wide ranges mean the "
                     "data do not pin the split down; a channel held at a bound in most draws "
                     "has a narrow range from the bound, not from the data (see the reading)."
                     "</p>")
        money = [c for c in ("mean", "median", "lower", "upper") if c in uncertainty]
        parts.append(table_html(uncertainty, prob=prob, money_cols=tuple(money),
                                 currency=currency))
    parts.append(figure_html("Budget plan against the actual split", "fig-plan",
                         plots.budget_plan(model, plan, currency=currency, prob=prob),
                         "Grey: actual spend; blue: planned spend. Labels give the amount and "
                         "the share of its total."))
    return "".join(parts)


def limits_html(plan) -> list[str]:
    """Callouts for bounds the plan presses against and for weekly spend beyond the data."""
    parts = []
    bounds = getattr(plan, "bounds", None)
    if isinstance(bounds, pd.DataFrame) and (bounds["binding"] != "").any():
        items = ", ".join(f"{html.escape(str(ch))} at its {side} bound ({row:,.0f})"
                          for ch, side, row in (
                              (ch, r["binding"], r[r["binding"]]) for ch, r in bounds.iterrows()
                              if r["binding"]))
        parts.append(
            f"<p class='callout'><span class='badge amber'>bounds</span> The plan sits at "
            f"limits: {items}. The model would move these channels further; the limits keep "
            "the plan near the spend it learned from. Widen them only with evidence (a test) "
            "for spend levels outside the data.</p>")
    lift = getattr(plan, "lift", None)
    table = getattr(lift, "extrapolation", None)
    if isinstance(table, pd.DataFrame) and table["beyond"].any():
        items = ", ".join(
            f"{html.escape(str(ch))} (highest week {r['ratio']:.2f}x the highest fitted week, "
            f"{int(r['weeks_beyond'])} week(s) above it)"
            for ch, r in table[table["beyond"]].iterrows())
        parts.append(
            f"<p class='callout'><span class='badge amber'>beyond the data</span> This plan "
            f"spends more in some weeks than the data ever did: {items}. Its lift there is the "
            "fitted curve's shape extrapolated, an assumption rather than a measurement.</p>")
    return parts


def scenario_section(model, scenario, prob: float, currency: str | None) -> str:
    items = scenario.items() if isinstance(scenario, Mapping) else [("scenario", scenario)]
    t = html.escape(kpi_quantity(model))
    parts = ["<h2 id='scenario'>Scenario</h2>",
             f"<p>What-if results: the change in {t} against the actual spend, carryover "
             "after the changed weeks included; the chance of an increase is the share of "
             "posterior draws in which the change is above zero, the spend change is in "
             f"{html.escape(currency_label(model, currency))}. Every number comes from "
             "posterior draws, with its interval.</p>"]
    for name, result in items:
        if not isinstance(scenario, Mapping):  # one unnamed result: its own description
            name = getattr(result, "description", "") or name
        parts.append(f"<h3>{html.escape(str(name))}</h3>")
        total = lift_total(SimpleNamespace(lift=result), prob)
        if total is not None:
            mean, lower, upper = total
            parts.append(
                f"<p class='callout'>Change in {t}: <b>{mean:+,.0f}</b>"
                f" ({interval_label(prob)} {lower:+,.0f} to {upper:+,.0f}).</p>")
        parts += limits_html(SimpleNamespace(lift=result))
        summary = summary_frame(result, prob)
        if summary is not None:
            parts.append(table_html(summary, prob=prob, money_cols=("spend_change",),
                                     currency=currency))
        elif total is None:
            parts.append(f"<pre>{html.escape(str(result))}</pre>")
    return "".join(parts)


# -- what changed since the previous model ---------------------------------------------------
_MOVED_WORDS = {"up": "up", "down": "down", "unclear": "no clear move"}


def changes_section(changes, prob: float, currency: str | None) -> str:
    """The "What changed" section of a :class:`~mmmkit.changes.ModelChanges`
    (``mk.compare_models(old, new)``): its sentences, ROAS before and after per channel with
    intervals and the chance of an increase, the recommended split for the same budget under
    each model, and the data's changes (weeks added, revised values)."""
    lvl = level(changes.prob)
    units = html.escape(f"{changes.kpi_label} per {changes.spend_label}")
    parts = ["<h2 id='changes'>What changed since the previous model</h2>",
             "<p>The previous model against this one, each over its own fitted weeks. "
             f"ROAS in {units}, {lvl} intervals; the chance of an increase is the share of "
             "paired posterior draws in which the new ROAS is above the old. \"No clear "
             "move\" means the draws do not settle the direction, not that nothing changed."
             "</p>",
             "<ul class='changes'>" + "".join(f"<li>{html.escape(line)}</li>"
                                            for line in changes.summary().splitlines())
             + "</ul>"]
    rows = []
    for ch, r in changes.channels.iterrows():
        cells = [_ci(r, "roas_old"), _ci(r, "roas_new"),
                 f"<b>{_signed_ratio(r['change'])}</b><br><span class='ci'>{lvl}: "
                 f"{_signed_ratio(r['change_lower'])} to {_signed_ratio(r['change_upper'])}</span>",
                 percent(float(r["prob_increase"]), 0),
                 html.escape(_MOVED_WORDS.get(str(r["moved"]), str(r["moved"]))),
                 f"{ratio(r['mroas_old'])} to {ratio(r['mroas_new'])}"]
        rows.append(f"<tr><th scope='row'>{html.escape(str(ch))}</th>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    heads = ["Channel", "ROAS, previous", "ROAS, now", "Change", "Chance of an increase",
             "Moved", "Marginal ROAS (means)"]
    parts.append("<table class='numbers'><thead><tr>"
                 + "".join(f"<th>{h}</th>" for h in heads)
                 + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    split = changes.split
    a = split.attrs
    parts.append(f"<h3>Recommended split for the same budget</h3><p>Budget "
                 f"{html.escape(money(float(a['budget']), currency))} over {a['weeks']} weeks "
                 f"({a['start']:%Y-%m-%d} to {a['end']:%Y-%m-%d}), optimised under each model "
                 f"({html.escape(currency_label_text(currency, changes.spend_label))}).</p>")
    table = split[["historical", "old", "new", "change", "old_share", "new_share"]].rename(
        columns={"old": "previous model", "new": "this model", "old_share": "share (previous)",
                 "new_share": "share (this)", "change": "change"})
    table.index.name = "channel"
    parts.append(table_html(table, prob=prob, currency=currency,
                            money_cols=("historical", "previous model", "this model", "change")))
    revised = changes.data.revised
    if len(revised):
        shown = revised.head(20).set_index("date")
        parts.append(f"<h3>Revised history</h3><p>{len(revised)} value(s) of weeks both models "
                     "saw differ between their data (the first 20 below, in the columns' own "
                     "units). Restated history moves the old weeks' answers too.</p>")
        parts.append(table_html(shown, prob=prob))
    return "".join(parts)


def currency_label_text(currency: str | None, spend_label: str) -> str:
    """The spend unit for a sentence: the report's ``currency``, else the model's label."""
    return f"spend in {currency or spend_label}"


def _ci(r: pd.Series, name: str) -> str:
    return (f"<b>{ratio(r[name])}</b><br><span class='ci'>{ratio(r[name + '_lower'])} to "
            f"{ratio(r[name + '_upper'])}</span>")


def _signed_ratio(x: float) -> str:
    x = float(x)
    return ("+" if x >= 0 else "-") + ratio(abs(x)) if np.isfinite(x) else "—"
