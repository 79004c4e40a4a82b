"""The fixed text of :mod:`mmmkit.report`: its glossary and its inline style sheet.

Plain data, kept apart from the code that fills the page with numbers: the health checks'
fixed sentences, the glossary and the style sheet. Glossary entries are
``(term, text)``; in both, ``{t}`` is replaced by the KPI's unit (``model.kpi_label``),
``{c}`` by one unit of spend (the currency, e.g. ``EUR``) and ``{one}`` by one KPI unit
("conversion"). ``GLOSSARY`` is for every model; ``GLOSSARY_REVENUE`` is added when the KPI is
revenue in the spend's currency (break-even), ``GLOSSARY_NOT_REVENUE`` otherwise (cost per KPI).
"""

from __future__ import annotations

__all__ = ["CSS", "DIVERGENCE_TEXT", "ESS_TEXT", "FIT_TEXT", "GLOSSARY", "GLOSSARY_NOT_REVENUE",
           "GLOSSARY_REVENUE", "R_HAT_TEXT", "SUMMARY_HEALTH"]

GLOSSARY = [
    ("ROAS (return on ad spend)",
     "Extra {t} a channel produced per {c} spent on it over the period: the model's expected "
     "{t} with the channel's actual spend minus with that channel switched off, carryover "
     "after the period included, divided by the spend."),
    ("Marginal ROAS",
     "Extra {t} from the next {c} of spend at today's level (every week's spend raised by "
     "1%). Because of diminishing returns it is usually below ROAS; it is the number to "
     "compare channels by when moving budget."),
    ("Contribution",
     "The part of each week's {t} the model attributes to a channel. Summed over the period "
     "it is slightly below ROAS × spend, because effects that carry over past the last week "
     "count in ROAS but not in the period's contribution."),
    ("Baseline",
     "The {t} the model expects without any media: the base level, trend, seasonality and "
     "the control variables (price, promotions, ...). In the waterfall chart each control is "
     "measured against a stated reference (by default its lowest value, the trend from the "
     "first week and seasonality from its lowest week), so its step is what it drove above "
     "that; the base level holds the rest."),
    ("Adstock (carryover)",
     "Advertising keeps working after the week it runs. Adstock spreads each week's spend "
     "effect over the following weeks; the chart shows the share landing in each week."),
    ("Saturation (diminishing returns)",
     "Each extra {c} of spend in a week adds less than the one before it. The response "
     "curves show this: they flatten as spend grows."),
    ("Credible interval",
     "The range that holds the true value with the stated probability (e.g. 90%), given the "
     "data and the model. Narrow means the data pin the number down; wide means they do not."),
    ("Response curve",
     "Extra {t} (incremental, versus no spend) when a channel's whole spend pattern is "
     "scaled up or down; the dot is the actual spend."),
    ("Divergences, r-hat, ESS",
     "Checks of the sampling that produced the numbers: divergences flag regions the sampler "
     "could not explore, r-hat whether independent chains agree (≤ 1.01), ESS how many "
     "effectively independent draws back each estimate (≥ 400)."),
]

GLOSSARY_REVENUE = [
    ("Break-even",
     "With {t} in the spend's own currency, a ROAS of 1 gives the spend back exactly: above "
     "1 a channel paid for itself, below 1 it did not. A marginal ROAS below 1 means the "
     "next {c} of spend returns less than it costs; the response curves mark the spend "
     "where that starts (dashed red line)."),
]

GLOSSARY_NOT_REVENUE = [
    ("Cost per {one}",
     "Spend divided by the {t} a channel drove: 1 / ROAS, computed on every posterior draw, "
     "so its interval is the cost's own. The KPI ({t}) is not money in {c}, so a ROAS of 1 is no "
     "break-even: a channel pays when its cost per {one} is below what one {one} is worth "
     "to you."),
]

#: the summary's first sentence, by the overall verdict of the health checks (HTML)
SUMMARY_HEALTH = {
    "green": "The sampler checks are all green: the chains agree and explored the "
             "posterior. That says the numbers are what this model implies, not that the "
             "model is right or that every channel is identified: read the identification "
             "flags in <a href='#health'>Model health</a> and check a holdout "
             "(mk.evaluation.holdout) before acting.",
    "amber": "Some model checks are amber: the numbers are usable with care; see "
             "<a href='#health'>Model health</a> for what to do.",
    "red": "Some model checks are red: do not base decisions on these numbers until they are "
           "fixed; see <a href='#health'>Model health</a>.",
}

#: ``(meaning, action)`` of the divergences check, by verdict
DIVERGENCE_TEXT = {
    "green": ("The sampler explored the whole posterior without trouble.", "Nothing to do."),
    "amber": ("Some draws hit a region of the posterior the sampler could not explore, so "
              "intervals may be too narrow or shifted.",
              "Refit with fit(target_accept=0.95) or higher; if they persist, tighten the "
              "saturation priors or merge channels the data cannot tell apart."),
}
DIVERGENCE_TEXT["red"] = (DIVERGENCE_TEXT["amber"][0], DIVERGENCE_TEXT["amber"][1]
                          + " Do not use the numbers for decisions until the divergences are "
                            "gone.")

#: ``(meaning, action)`` of the r-hat check, by whether it is green
R_HAT_TEXT = {
    True: ("The chains agree: they found the same posterior.", "Nothing to do."),
    False: ("The independent chains do not fully agree, so they have not all settled on the "
            "same answer.",
            "Refit with more tune and draws (e.g. 1000 each, 4 chains); if r-hat stays high, "
            "simplify the model (fewer free curves, tighter priors)."),
}

#: ``(meaning, action)`` of an ESS check, by whether it is green (``{where}``: which part)
ESS_TEXT = {
    True: ("Effective independent draws behind the estimates' {where}: enough for stable "
           "numbers.", "Nothing to do."),
    False: ("Few effective draws behind the estimates' {where}: the numbers and especially "
            "the interval ends would move on a refit.",
            "Run more draws or chains (ESS grows with both)."),
}

#: ``(meaning, action)`` of the fit check, by whether it is green
FIT_TEXT = {
    True: ("The model tracks the weekly target and its bands are honest.", "Nothing to do."),
    False: ("More weeks fall outside the predictive band than they should: the model misses "
            "something (an event, a promotion, a level shift) or is overconfident.",
            "Look at the weeks outside the band in the fit chart; add the missing driver as a "
            "control, or use likelihood='studentt' for one-off outliers."),
}

CSS = """
:root { --ink:#1d2733; --muted:#5b6675; --line:#d9dee5; --band:#f4f6f9; --accent:#1f5fa8; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0; background: #fff; line-height: 1.45; font-size: 15px; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 64px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 12px; }
h1 { font-size: 28px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 17px; margin: 20px 0 6px; }
.sub, .note, .unit, .ci { color: var(--muted); }
.sub { margin: 0 0 12px; }
.unit { font-weight: normal; font-size: 12px; }
.ci { font-size: 12px; white-space: nowrap; }
nav { font-size: 14px; margin: 8px 0 4px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 10px; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); border-bottom: 2px solid var(--line); }
table.numbers td { text-align: right; font-variant-numeric: tabular-nums; }
tr.total th, tr.total td { background: #fafbfc; font-style: italic; }
table.health td:nth-child(4), table.health td:nth-child(5) { max-width: 330px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  font-weight: bold; color: #fff; white-space: nowrap; }
.badge.green { background: #2e8540; } .badge.amber { background: #d98c00; }
.badge.red { background: #c0392b; }
ul.summary li { margin: 4px 0; }
.callout { background: var(--band); border-left: 4px solid var(--accent); padding: 8px 12px; }
figure { margin: 18px 0 26px; }
figcaption { margin-bottom: 6px; color: var(--ink); font-size: 14px; }
img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); }
dl.glossary dt { font-weight: bold; margin-top: 10px; }
dl.glossary dd { margin: 2px 0 0 0; color: var(--ink); }
pre.review { background: var(--band); padding: 10px; white-space: pre-wrap; font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { h2 { break-before: auto; } figure { break-inside: avoid; } nav { display: none; } }
"""
