# %% [markdown]
# # A national media mix model on Robyn's simulated weekly revenue
#
# This story fits one national series end to end: the data, the model, whether the sampler
# can be trusted, what each channel returned (ROAS and marginal ROAS, with intervals), how
# revenue splits into baseline and media, the charts, and a one-file HTML report for the team.
#
# **The data** are Meta Robyn's demo set `dt_simulated_weekly` (MIT licence, bundled with
# mmmkit): 208 weeks of revenue from 2015-11-23 to 2019-11-11 and the spend of five channels
# (TV, out-of-home, print, Facebook, search). Robyn calls it "simulated dummy data" and
# publishes no true effects, so nothing here can be checked against a truth: we judge the
# model by its diagnostics and by how well it forecasts weeks it has not seen.
#
# **Units.** Revenue and spend are in the same (unnamed) currency, so a ROAS of 2 means two
# units of revenue per unit of spend, and 1 is break-even on media cost.
#
# Run it as a script (`python examples/01_national_robyn.py`) or as the notebook built from it
# (`notebooks/01_national_robyn.ipynb`). With `MMMKIT_FAST=1` (what the test suite sets) it
# runs on reduced draws: a check that the story works, not numbers to act on. Expect warnings
# about low effective sample sizes then.

# %%
import os
from pathlib import Path

import numpy as np
import pandas as pd

import mmmkit as mk
from mmmkit import datasets, evaluation, report, review

# Reduced draws under MMMKIT_FAST=1 (the test suite); the full run is 4 chains x 1000 draws.
FAST = bool(os.environ.get("MMMKIT_FAST"))
FIT = dict(draws=200, tune=200, chains=2) if FAST else dict(draws=1000, tune=1000, chains=4)
PROB = 0.9  # every interval below is a 90% credible interval
OUT = Path("out") / "01_national_robyn"  # the report, and the figures when run as a script

try:  # in Jupyter the figures are displayed; as a plain script they are saved as PNG files
    from IPython import get_ipython

    IN_NOTEBOOK = get_ipython() is not None
except ImportError:
    IN_NOTEBOOK = False


def show(fig, name):
    """Display ``fig`` in a notebook, or save it as ``OUT/<name>.png`` from a script."""
    if IN_NOTEBOOK:
        from IPython.display import display

        display(fig)
    else:
        OUT.mkdir(parents=True, exist_ok=True)
        fig.savefig(OUT / f"{name}.png", dpi=120)  # a bare Figure renders with Agg
        print(f"figure saved: {OUT / f'{name}.png'}")


def with_interval(table, digits=2):
    """``mean [lower, upper]`` text per row of a mean/lower/upper table."""
    return table.apply(lambda r: f"{r['mean']:,.{digits}f} [{r['lower']:,.{digits}f}, "
                                 f"{r['upper']:,.{digits}f}]", axis=1)


# %% [markdown]
# ## The data
#
# `events` is a text column (`"na"` in all but two weeks), so it becomes two 0/1 columns.
# `competitor_sales_B` (competitors' sales) and `newsletter` (newsletter sends, an organic
# channel with no spend) are controls: they explain revenue but have no ROAS.

# %%
df = datasets.load("robyn")
df["event1"] = (df["events"] == "event1").astype(float)
df["event2"] = (df["events"] == "event2").astype(float)
CHANNELS = ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"]
CONTROLS = ["competitor_sales_B", "newsletter", "event1", "event2"]

weeks = df["DATE"].nunique()
print(f"{weeks} weeks, {df['DATE'].min().date()} to {df['DATE'].max().date()}; weekly revenue "
      f"{df['revenue'].min():,.0f} to {df['revenue'].max():,.0f} (currency units).")
spend = pd.DataFrame({
    "total spend (currency)": df[CHANNELS].sum(),
    "weeks with spend": (df[CHANNELS] > 0).sum(),
    "share of media budget": df[CHANNELS].sum() / df[CHANNELS].sum().sum(),
})
print(spend.to_string(formatters={"total spend (currency)": "{:,.0f}".format,
                                  "share of media budget": "{:.1%}".format}))

# %% [markdown]
# ## The model
#
# Each channel's spend carries over into later weeks (geometric adstock, up to 8 weeks) and
# runs into diminishing returns (a Hill curve). The baseline has an intercept, a linear trend,
# yearly seasonality (two Fourier orders) and the controls. Every prior is visible in
# `model.priors`; the defaults are weakly informative on scaled data, so they do not depend
# on the currency.

# %%
model = mk.MMM(
    date="DATE",
    target="revenue",
    channels=CHANNELS,
    controls=CONTROLS,
    adstock=mk.GeometricAdstock(max_lag=8),
    saturation=mk.HillSaturation(),
    seasonality=2,
    trend=True,
)
model.fit(df, **FIT, seed=1, progress=False)
info = model.fit_info_
print(f"Sampled {FIT['chains']} chains x {FIT['draws']} draws in "
      f"{info['compile_seconds']:.0f} s compile + {info['sampling_seconds']:.0f} s sampling.")

# %% [markdown]
# ## Can we trust the sampler? Diagnostics in plain words
#
# * **Divergences** are draws where the sampler could not follow the posterior's shape; any
#   number above zero means intervals may be off.
# * **r-hat** compares the chains: above 1.01, they disagree and have not converged.
# * **Effective sample size (ESS)** is how many independent draws the correlated draws are
#   worth; below about 400, interval ends are noisy.
#
# `review.review(model)` then reads the fit as an analyst would: channels the data cannot tell
# apart, channels whose estimate barely moved from the prior, an implausible baseline.

# %%
diag = model.diagnostics()
print(f"divergences: {diag['divergences']:.0f} (want 0); largest r-hat: {diag['max_r_hat']:.3f} "
      f"(want <= 1.01); smallest bulk ESS: {diag['min_ess_bulk']:.0f} (want >= 400), "
      f"of {diag['draws']:.0f} draws.")
print(review.review(model))

# %% [markdown]
# ## What did each channel return?
#
# **ROAS** is counterfactual: revenue with the channel's actual spend minus revenue with that
# channel switched off over the 208 weeks (its carryover after the last week included),
# divided by its spend. **Marginal ROAS** is what the *next* unit of spend returns at today's
# level (all weeks' spend scaled up by 1%): with diminishing returns it is below the ROAS, and
# it is the number to compare across channels when moving budget. A marginal ROAS below 1
# means the last unit of spend brought back less revenue than it cost.

# %%
roas = model.roas(prob=PROB)
mroas = model.roas(prob=PROB, marginal=True)
table = pd.DataFrame({
    "spend (currency)": df[CHANNELS].sum().map("{:,.0f}".format),
    "ROAS, revenue per unit of spend [90% interval]": with_interval(roas),
    "marginal ROAS [90% interval]": with_interval(mroas),
    "P(marginal ROAS > 1)": (model.roas_draws(marginal=True) > 1).mean(["chain", "draw"])
    .to_series().map("{:.0%}".format),
})
print(table.to_string())

# %% [markdown]
# ## How revenue splits into baseline and media
#
# `model.contributions()` holds every channel's revenue, week by week, for every posterior
# draw; summed over the weeks it gives each channel's total with an interval.

# %%
contrib = model.contributions().sum("date")  # (chain, draw, channel), revenue
revenue = df["revenue"].sum()
flat = contrib.stack(sample=("chain", "draw")).transpose("channel", "sample").values
lo, hi = (1 - PROB) / 2, 1 - (1 - PROB) / 2
parts = pd.DataFrame({
    "mean": flat.mean(axis=1), "lower": np.quantile(flat, lo, axis=1),
    "upper": np.quantile(flat, hi, axis=1),
}, index=pd.Index(CHANNELS, name="channel"))
parts_text = pd.DataFrame({
    "revenue over 208 weeks [90% interval]": with_interval(parts, 0),
    "share of all revenue": (parts["mean"] / revenue).map("{:.1%}".format),
})
print(parts_text.to_string())
media = flat.sum(axis=0)
print(f"All media together: {media.mean():,.0f} revenue [{np.quantile(media, lo):,.0f}, "
      f"{np.quantile(media, hi):,.0f}], {media.mean() / revenue:.1%} of the {revenue:,.0f} "
      "total; the rest is baseline.")

# %% [markdown]
# ## Charts
#
# Every chart states its units and interval level. The fit chart's title gives R² and the
# share of weeks inside the 90% predictive band (about 90% is well calibrated).

# %%
show(mk.plots.fit(model), "fit")

# %%
show(mk.plots.contributions(model), "contributions")

# %%
show(mk.plots.roas(model, marginal=True), "roas")

# %%
show(mk.plots.response_curves(model), "response_curves")

# %% [markdown]
# ## Does it forecast weeks it has not seen?
#
# With no published truth, the honest test is out of sample: refit without the last 13
# weeks (same specification, so the compiled sampler is reused) and forecast them from their
# actual spend and controls.

# %%
check = evaluation.holdout(model, df, test_weeks=13, seed=2, progress=False, **FIT)
print(check.describe())

# %% [markdown]
# ## A report for the team
#
# `report.write_report(model, path)` writes one self-contained HTML file (no network needed to
# open it): the headline table, model health with verdicts, the charts and a glossary.

# %%
path = report.write_report(model, OUT / "report.html",
                           title="Robyn simulated data: national MMM")
print(f"report written: {path} ({path.stat().st_size / 1e6:.1f} MB)")
