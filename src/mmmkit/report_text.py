"""The fixed text of :mod:`mmmkit.report`: its glossary and its inline style sheet.

Plain data, kept apart from the code that fills the page with numbers. ``GLOSSARY`` entries
are ``(term, text)``; ``{t}`` in a text is replaced by the model's target name.
"""

from __future__ import annotations

__all__ = ["CSS", "GLOSSARY"]

GLOSSARY = [
    ("ROAS (return on ad spend)",
     "Extra {t} a channel produced per unit of money spent on it over the period: the "
     "model's expected {t} with the channel's actual spend minus with that channel switched "
     "off, carryover after the period included, divided by the spend. Above 1 means each "
     "unit of spend brought back more than one unit of {t}."),
    ("Marginal ROAS",
     "Extra {t} from the next unit of spend at today's level (every week's spend raised by "
     "1%). Because of diminishing returns it is usually below ROAS; it is the number to "
     "compare channels by when moving budget."),
    ("Contribution",
     "The part of each week's {t} the model attributes to a channel, in {t} units. Summed "
     "over the period it is slightly below ROAS × spend, because effects that carry over "
     "past the last week count in ROAS but not in the period's contribution."),
    ("Baseline",
     "The {t} the model expects without any media: the base level, trend, seasonality and "
     "the control variables (price, promotions, ...)."),
    ("Adstock (carryover)",
     "Advertising keeps working after the week it runs. Adstock spreads each week's spend "
     "effect over the following weeks; the chart shows the share landing in each week."),
    ("Saturation (diminishing returns)",
     "Each extra unit of spend in a week adds less than the one before it. The response "
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
